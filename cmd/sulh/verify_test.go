package main

import (
	"context"
	"os"
	"runtime/debug"
	"testing"
)

// gcSettings returns the garbage collector's percent and memory limit.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestCollectLess(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: collectLess leaves the collector alone")
	}
	percent, limit := gcSettings()
	stop := collectLess(context.Background())
	if p, l := gcSettings(); p != 400 || l != limit {
		t.Errorf("while verifying: GC percent %d, memory limit %d; want 400 and the limit as it was, %d", p, l, limit)
	}
	stop()
	if p, l := gcSettings(); p != percent || l != limit {
		t.Errorf("after: GC percent %d, memory limit %d; want them restored to %d and %d", p, l, percent, limit)
	}

	// Whoever sets GOGC or GOMEMLIMIT decides.
	t.Setenv("GOGC", "100")
	stop = collectLess(context.Background())
	if p, l := gcSettings(); p != percent || l != limit {
		t.Errorf("with GOGC set: GC percent %d, memory limit %d; want %d and %d as they were", p, l, percent, limit)
	}
	stop()
}
