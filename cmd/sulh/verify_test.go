package main

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
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

// TestCollectLessKeepsTheFloor: once what is live nears gcFloor, the
// collector runs at Go's default, and goes back to it when something else
// sets its percent meanwhile. Opening a snapshot raises it to 400 while it
// decodes and then puts back what it found, which could be collectLess's
// own 400 from before: the audit of a million grew its heap to 10 GB, five
// times what was live.
func TestCollectLessKeepsTheFloor(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: collectLess leaves the collector alone")
	}
	floor := gcFloor
	gcFloor = 16 << 20
	defer func() { gcFloor = floor }()
	var live [][]byte
	for range 32 {
		live = append(live, make([]byte, 1<<20))
	}
	stop := collectLess(context.Background())
	defer stop()
	runtime.GC()
	waitFor := func(when string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			p, _ := gcSettings()
			if p == 100 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s, with %d MiB live and a floor of 16 MiB: GC percent %d, want 100", when, len(live), p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("after a collection")
	debug.SetGCPercent(400)
	waitFor("after something else set 400")
	runtime.KeepAlive(live)
}
