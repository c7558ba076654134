package bench

import (
	"context"
	"path/filepath"
	"testing"
)

// TestAudit audits a small bench log, across entry bundles, and checks
// that what it measures holds together: every entry audited, no
// difference, rates beside the verification rate.
func TestAudit(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "m")
	led, err := Ledger(ctx, Options{Dir: dir, N: 300, Clients: 8})
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	r, err := Audit(ctx, AuditOptions{Dir: dir, Verify: 100, VerifyLog: true, Progress: func(done, total int64) {
		if done < last || total != led.LogSize {
			t.Errorf("progress %d of %d after %d; want it to grow to the log's %d", done, total, last, led.LogSize)
		}
		last = done
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	if r.N != led.LogSize || last != r.N || r.Differences != 0 || r.Figures < 1 {
		t.Errorf("audited %d entries (progress to %d), %d figures, %d differences; want the log's %d, some figures and no difference", r.N, last, r.Figures, r.Differences, led.LogSize)
	}
	if r.PerSecond <= 0 || r.VerifyLogPerSecond <= 0 || r.Verify == nil || r.VerifyAfter == nil ||
		r.Ratio != r.PerSecond/((r.Verify.AllCoresPerSec+r.VerifyAfter.AllCoresPerSec)/2) {
		t.Errorf("rates: audit %.0f/s, verify-log %.0f/s, ratio %.3f, verification %+v and %+v", r.PerSecond, r.VerifyLogPerSecond, r.Ratio, r.Verify, r.VerifyAfter)
	}
	if r.CPUSeconds > 0 && (r.SignatureCPUus <= 0 || r.EntryCPUus <= r.SignatureCPUus || r.CPURatio != r.SignatureCPUus/r.EntryCPUus) {
		t.Errorf("CPU: %.1f µs an entry, %.1f µs a signature, ratio %.3f; an entry costs more than its signature", r.EntryCPUus, r.SignatureCPUus, r.CPURatio)
	}
}
