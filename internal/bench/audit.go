package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/audit"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
)

// AuditOptions configure Audit.
type AuditOptions struct {
	Dir string // data folder of a mechanism, such as one Ledger filled
	// Verify is how many signatures per core to verify before the runs,
	// for the rate beside which to read them; 0 for none.
	Verify int
	// VerifyLog also times a verification of the same log alone, as
	// sulh verify-log makes it, before the audit.
	VerifyLog bool
	// Progress, if set, is told how many entries the audit has done, and
	// Step each step after its replay.
	Progress func(done, total int64)
	Step     func(what string)
	// Timed, if set, is called as the timed audit starts, and the
	// function it returns as it ends: how a CPU profile covers the audit
	// alone, not the server's start or the verification rates.
	Timed func() (stop func())
}

// AuditResult is what Audit measured.
type AuditResult struct {
	N         int64   `json:"n"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// CPUSeconds is the CPU time of the whole process during the audit,
	// the server's included; 0 where it cannot be read.
	CPUSeconds float64 `json:"cpu_seconds"`
	Figures    int     `json:"figures"`
	// Differences must be 0: the bench's server is honest.
	Differences int `json:"differences"`
	// VerifyLogSeconds and VerifyLogPerSecond time the verification alone
	// (with VerifyLog).
	VerifyLogSeconds   float64       `json:"verify_log_seconds,omitempty"`
	VerifyLogPerSecond float64       `json:"verify_log_per_second,omitempty"`
	Verify             *VerifyResult `json:"verify,omitempty"`
	// VerifyAfter is the verification rate measured again after the run.
	VerifyAfter *VerifyResult `json:"verify_after,omitempty"`
	// Ratio is PerSecond over the mean of the all-core verification
	// rates measured before and after.
	Ratio float64 `json:"ratio,omitempty"`
	// SignatureCPUus is the CPU time of one Ed25519 verification, and
	// EntryCPUus the CPU time of the whole process (the server's
	// included) per entry audited, in microseconds. CPURatio, the first
	// over the second, is what Ratio would be on a machine with nothing
	// else to do, where both use every core: it reads the same on a busy
	// machine, where the rates do not.
	SignatureCPUus float64 `json:"signature_cpu_us,omitempty"`
	EntryCPUus     float64 `json:"entry_cpu_us,omitempty"`
	CPURatio       float64 `json:"cpu_ratio,omitempty"`
	CPUs           int     `json:"cpus"`
}

// Audit serves the mechanism in opts.Dir on loopback, in this process, and
// audits it as sulh audit does, from nothing: every entry fetched,
// verified and replayed into fresh views, and the figures compared. The
// server shares the machine's cores with the audit.
func Audit(ctx context.Context, opts AuditOptions) (*AuditResult, error) {
	r := &AuditResult{CPUs: runtime.NumCPU()}
	if opts.Verify > 0 {
		v, err := Verify(opts.Verify)
		if err != nil {
			return nil, err
		}
		r.Verify = v
	}
	if !datadir.Exists(opts.Dir) {
		return nil, fmt.Errorf("%s holds no mechanism; make one with sulh bench ledger", opts.Dir)
	}
	n, err := datadir.Open(ctx, opts.Dir, ledger.Options{})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if err := n.Log.WaitViews(ctx, n.Log.Checkpoint().N); err != nil {
		return nil, err
	}
	// A server started from its state snapshot verifies the log before
	// it in the background: not while the audit is timed.
	select {
	case <-n.Log.Verified():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := n.Log.VerifyErr(); err != nil {
		return nil, err
	}
	stop, url, err := serveLoopback(n, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	defer stop()
	key, err := note.NewVerifier(n.Log.VerifierKey())
	if err != nil {
		return nil, err
	}
	if opts.VerifyLog {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 4 * runtime.GOMAXPROCS(0)
		fetcher := ledger.NewFetcher(url+"/log/", &http.Client{Timeout: time.Minute, Transport: transport}, "sulh bench audit")
		start := time.Now()
		cp, err := ledger.Verify(ctx, fetcher, key, ledger.VerifyOptions{})
		if err != nil {
			return nil, err
		}
		r.VerifyLogSeconds = time.Since(start).Seconds()
		r.VerifyLogPerSecond = float64(cp.N) / r.VerifyLogSeconds
	}
	stopTimed := func() {}
	if opts.Timed != nil {
		stopTimed = opts.Timed()
	}
	cpu0 := cpuTime()
	start := time.Now()
	res, err := audit.Run(ctx, audit.Options{URL: url, Key: key, Progress: opts.Progress, Step: opts.Step})
	stopTimed()
	if err != nil {
		return nil, err
	}
	r.Seconds = time.Since(start).Seconds()
	if cpu0 > 0 {
		r.CPUSeconds = (cpuTime() - cpu0).Seconds()
	}
	r.N = res.Checkpoint.N
	r.PerSecond = float64(r.N) / r.Seconds
	for _, c := range res.Compared {
		r.Figures += c.Figures
	}
	r.Differences = len(res.Differences)
	if r.Differences > 0 {
		var b strings.Builder
		for _, d := range res.Differences {
			b.WriteString("\n" + d.String())
		}
		return r, errors.New("the audit found differences on the bench's own server:" + b.String())
	}
	if opts.Verify > 0 {
		v, err := Verify(opts.Verify)
		if err != nil {
			return nil, err
		}
		r.VerifyAfter = v
		r.Ratio = r.PerSecond / ((r.Verify.AllCoresPerSec + v.AllCoresPerSec) / 2)
		if r.CPUSeconds > 0 {
			r.SignatureCPUus = signatureCPU(opts.Verify).Seconds() * 1e6
			r.EntryCPUus = r.CPUSeconds / float64(r.N) * 1e6
			r.CPURatio = r.SignatureCPUus / r.EntryCPUus
		}
	}
	return r, nil
}

// signatureCPU returns the CPU time of one Ed25519 verification over a
// statement-sized message, measured on one goroutine.
func signatureCPU(n int) time.Duration {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := bytes.Repeat([]byte("x"), 300)
	sig := ed25519.Sign(priv, msg)
	t0 := cpuTime()
	for range n {
		ed25519.Verify(pub, msg, sig)
	}
	return (cpuTime() - t0) / time.Duration(n)
}
