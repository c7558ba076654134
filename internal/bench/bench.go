// Package bench measures the ledger: how many signed statements per second
// it appends, durably and with every signature checked, and how long each
// submitter waits.
package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// Options configure Ledger.
type Options struct {
	Dir     string // data folder; a bench mechanism is created there if it holds none
	N       int    // statements to append
	Clients int    // concurrent submitters
	HTTP    bool   // submit through a server on loopback rather than in process
	// Progress, if set, is told how many statements are done.
	Progress func(done int)
	Logger   *slog.Logger
}

// Result is what Ledger measured.
type Result struct {
	Mode      string  `json:"mode"`
	N         int     `json:"n"`
	Clients   int     `json:"clients"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	LogSize   int64   `json:"log_size"`
	// OpenSeconds is the time it took to open the log, which replays and
	// re-verifies every entry already in it.
	OpenSeconds float64 `json:"open_seconds"`
	// ViewsSeconds is the time from the first append until the views,
	// which follow the log, held every statement.
	ViewsSeconds float64 `json:"views_seconds"`
	// CPUms is the CPU time the whole process used per statement, from the
	// first append until the views held every statement: what the rate
	// would be on a machine with nothing else to do is CPUs over it. It is
	// 0 where the process's CPU time cannot be read.
	CPUms float64 `json:"cpu_ms_per_statement"`
	CPUs  int     `json:"cpus"`
}

const body = "pakistan" // the body whose members file the bench's reports

// Ledger appends opts.N signed report statements to the mechanism in
// opts.Dir from opts.Clients concurrent submitters and measures the rate and
// the latency of acknowledgements. Statements are signed before the clock
// starts, as their authors would sign them on their own machines.
func Ledger(ctx context.Context, opts Options) (*Result, error) {
	if opts.N < 1 || opts.Clients < 1 {
		return nil, errors.New("n and clients must be at least 1")
	}
	lopts := ledger.Options{Logger: opts.Logger}
	if opts.HTTP {
		lopts.Registerer = prometheus.NewRegistry()
	}
	start := time.Now()
	l, err := open(ctx, opts.Dir, lopts)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	opened := time.Since(start)
	signers, err := reporters(ctx, l.Log, filepath.Join(opts.Dir, demo.KeysDir), opts.Clients)
	if err != nil {
		return nil, err
	}
	msgs, err := sign(l.Rulebook().ID, signers, opts.N)
	if err != nil {
		return nil, err
	}
	submit := func(ctx context.Context, msg []byte) error {
		_, err := l.Submit(ctx, msg)
		return err
	}
	mode := "in-process"
	if opts.HTTP {
		mode = "http"
		stop, url, err := serveLoopback(l, lopts.Registerer.(*prometheus.Registry))
		if err != nil {
			return nil, err
		}
		defer stop()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Clients, MaxConnsPerHost: opts.Clients}, Timeout: time.Minute}
		submit = func(ctx context.Context, msg []byte) error {
			return post(ctx, client, url, msg)
		}
	}
	lat := make([]time.Duration, opts.N)
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	t0, cpu0 := time.Now(), cpuTime()
	for range opts.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(opts.N) || ctx.Err() != nil {
					return
				}
				s := time.Now()
				if err := submit(ctx, msgs[i]); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("statement %d: %w", i, err) })
					return
				}
				lat[i] = time.Since(s)
				if d := done.Add(1); opts.Progress != nil && d%1000 == 0 {
					opts.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return nil, firstErr
	}
	// The views follow the log: when did they hold every statement?
	if err := l.WaitViews(ctx, l.Checkpoint().N); err != nil {
		return nil, err
	}
	viewsElapsed, cpu := time.Since(t0), cpuTime()-cpu0
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(lat)
	return &Result{
		Mode: mode, N: opts.N, Clients: opts.Clients,
		Seconds:      elapsed.Seconds(),
		PerSecond:    float64(opts.N) / elapsed.Seconds(),
		P50ms:        ms(lat[len(lat)*50/100]),
		P99ms:        ms(lat[min(len(lat)*99/100, len(lat)-1)]),
		LogSize:      l.Checkpoint().N,
		OpenSeconds:  opened.Seconds(),
		ViewsSeconds: viewsElapsed.Seconds(),
		CPUms:        ms(cpu) / float64(opts.N),
		CPUs:         runtime.NumCPU(),
	}, nil
}

// open opens the mechanism in dir, creating a bench mechanism there if it
// holds none.
func open(ctx context.Context, dir string, lopts ledger.Options) (*datadir.Node, error) {
	if datadir.Exists(dir) {
		return datadir.Open(ctx, dir, lopts)
	}
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, time.Now(), lopts)
	if err != nil {
		return nil, err
	}
	return m.Log, nil
}

// reporters returns n members of the bench body, enrolling those that the
// key folder has no key for yet.
func reporters(ctx context.Context, l *ledger.Log, keysDir string, n int) ([]note.Signer, error) {
	admin, err := statement.LoadSigner(filepath.Join(keysDir, body+"-admin.key"))
	if err != nil {
		return nil, fmt.Errorf("couldn't load the bench administrator's key (is this a mechanism made by sulh bench or sulh demo?): %w", err)
	}
	out := make([]note.Signer, n)
	for i := range n {
		name := fmt.Sprintf("bench-reporter-%d", i)
		path := filepath.Join(keysDir, name+".key")
		if s, err := statement.LoadSigner(path); err == nil {
			out[i] = s
			continue
		}
		vkey, err := statement.GenerateKey(name, path)
		if err != nil {
			return nil, err
		}
		obj, _ := json.Marshal(map[string]any{
			"mechanism": l.Rulebook().ID, "kind": mechanism.KindMemberEnrol, "author": admin.Name(),
			"at": statement.FormatTime(time.Now()), "refs": []any{},
			"body": body, "key": vkey, "roles": []string{"reporter"}, "label": "bench reporter",
		})
		msg, err := statement.Sign(obj, admin)
		if err != nil {
			return nil, err
		}
		if _, err := l.Submit(ctx, msg); err != nil {
			return nil, fmt.Errorf("couldn't enrol %s: %w", name, err)
		}
		if out[i], err = statement.LoadSigner(path); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sign makes n distinct report statements, spread over the signers, using
// every core.
func sign(mech string, signers []note.Signer, n int) ([][]byte, error) {
	var nonce [8]byte
	rand.Read(nonce[:])
	run := hex.EncodeToString(nonce[:])
	at := time.Now().Truncate(time.Second)
	msgs := make([][]byte, n)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	workers := runtime.NumCPU()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				s := signers[i%len(signers)]
				msg, err := statement.Sign(benchReport(mech, s.Name(), at, run, i), s)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				msgs[i] = msg
			}
		}()
	}
	wg.Wait()
	return msgs, firstErr
}

// benchEvents are the kinds of incident bench reports allege, in turn.
var benchEvents = []struct{ typ, sub, category string }{
	{"battles", "armed_clash", "cross_border_fire"},
	{"explosions_remote_violence", "shelling_artillery_missile_attack", "cross_border_fire"},
	{"explosions_remote_violence", "air_drone_strike", "air_or_drone_strike"},
	{"battles", "armed_clash", "militant_infiltration"},
	{"battles", "non_state_actor_overtakes_territory", "incursion"},
	{"strategic_developments", "other", "border_closure"},
	{"violence_against_civilians", "attack", "attack_from_territory"},
}

// benchReport is the i-th report of a bench run: a full report, with its
// place, time and kind of incident varying with i, so that the views hold
// cases as varied as real ones.
func benchReport(mech, author string, at time.Time, run string, i int) []byte {
	e := benchEvents[i%len(benchEvents)]
	// A point in the border region, 31–35°N, 69–72°E, spread by i.
	lat := 31 + float64((i*7919)%4000)/1000
	lon := 69 + float64((i*104729)%3000)/1000
	obj := map[string]any{
		"mechanism": mech, "kind": mechanism.KindReport, "author": author, "at": statement.FormatTime(at), "refs": []any{},
		"channel": "party", "accused": "afghanistan",
		"event":      map[string]any{"time": statement.FormatTime(at.Add(-time.Duration(i%2000) * time.Minute)), "precision": "exact"},
		"place":      map[string]any{"name": fmt.Sprintf("Border post %d", i%500), "lat": lat, "lon": lon, "geo_precision": 1 + i%3},
		"event_type": e.typ, "sub_event_type": e.sub, "categories": []string{e.category},
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "killed_combatant", "party": "pakistan", "low": i % 3, "best": i % 3, "high": i%3 + 1}}},
		"clauses":    []string{"c1"},
		"summary":    fmt.Sprintf("bench report %s-%d: %s near a border post", run, i, e.category),
		"language":   "en",
	}
	b, _ := json.Marshal(obj)
	return b
}

// serveLoopback serves l on a port of loopback, as sulh serve does, with
// the published reports kept in its folder's reports/.
func serveLoopback(l *datadir.Node, reg *prometheus.Registry) (stop func(), url string, err error) {
	shelf, err := report.OpenShelf(filepath.Join(l.Dir(), datadir.ReportsFolder))
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		shelf.Close()
		return nil, "", err
	}
	api := web.New(l.Log, l.DB, slog.New(slog.DiscardHandler), reg)
	api.KeepPublished(shelf)
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close(); shelf.Close() }, "http://" + ln.Addr().String(), nil
}

func post(ctx context.Context, client *http.Client, url string, msg []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/statements", bytes.NewReader(msg))
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// VerifyResult is what Verify measured.
type VerifyResult struct {
	N              int     `json:"n"`
	OneCorePerSec  float64 `json:"one_core_per_second"`
	AllCoresPerSec float64 `json:"all_cores_per_second"`
	CPUs           int     `json:"cpus"`
}

// Verify measures how many Ed25519 signatures over statement-sized messages
// this machine verifies per second, on one core and on all: the physical
// limit of a log that checks every signature.
func Verify(n int) (*VerifyResult, error) {
	if n < 1 {
		return nil, errors.New("n must be at least 1")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	msg := bytes.Repeat([]byte("x"), 300)
	sig := ed25519.Sign(priv, msg)
	t0 := time.Now()
	for range n {
		if !ed25519.Verify(pub, msg, sig) {
			return nil, errors.New("signature did not verify")
		}
	}
	one := float64(n) / time.Since(t0).Seconds()
	cpus := runtime.NumCPU()
	var wg sync.WaitGroup
	t0 = time.Now()
	for range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				ed25519.Verify(pub, msg, sig)
			}
		}()
	}
	wg.Wait()
	all := float64(n*cpus) / time.Since(t0).Seconds()
	return &VerifyResult{N: n, OneCorePerSec: one, AllCoresPerSec: all, CPUs: cpus}, nil
}
