package cosign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/cosign"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// mustLog creates a mechanism from the default rulebook with the witnesses
// named by their keys, quorum of them required.
func mustLog(t *testing.T, quorum int, keys map[string]string) *demo.Mechanism {
	t.Helper()
	var rb map[string]any
	if err := json.Unmarshal(mechanism.DefaultRulebook, &rb); err != nil {
		t.Fatal(err)
	}
	var list []map[string]string
	for _, id := range []string{"a", "b", "c"} {
		if k, ok := keys[id]; ok {
			list = append(list, map[string]string{"id": id, "name": "witness " + id, "key": k})
		}
	}
	rb["witnesses"] = map[string]any{"quorum": quorum, "list": list}
	template, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	m, err := demo.Create(context.Background(), t.TempDir(), template, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	return m
}

// signingWitness is a witness double that cosigns whatever it is sent, as
// a witness that trusts the log does when it has seen nothing of it.
func signingWitness(t *testing.T, s *torchwood.CosignatureSigner) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, cp, ok := bytes.Cut(b, []byte("\n\n"))
		text, _, ok2 := strings.Cut(string(cp), "\n\n")
		if !ok || !ok2 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		signed, err := note.Sign(&note.Note{Text: text + "\n"}, s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, sigs, _ := strings.Cut(string(signed), "\n\n")
		io.WriteString(w, sigs)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRound attacks the pusher with witnesses that misbehave: one that
// hangs, one that answers garbage, one that keeps answering 409 with
// another size, one that says it cosigned more than the log has.
func TestRound(t *testing.T) {
	good := cosigner(t, "good.example/w")
	slow, liar := cosigner(t, "slow.example/w"), cosigner(t, "liar.example/w")
	m := mustLog(t, 1, map[string]string{"a": good.Verifier().String(), "b": slow.Verifier().String(), "c": liar.Verifier().String()})
	cp := m.Log.Checkpoint()

	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "— liar.example/w AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
	}))
	t.Cleanup(garbage.Close)

	reg := prometheus.NewRegistry()
	var mu sync.Mutex
	var refusals []*cosign.Refusal
	c := cosign.New(m.Log.Log, cosign.Options{
		URLs:    map[string]string{"a": signingWitness(t, good).URL, "b": hanging.URL, "c": garbage.URL},
		Timeout: 200 * time.Millisecond, Registerer: reg,
		OnRefusal: func(_ context.Context, r *cosign.Refusal) { mu.Lock(); refusals = append(refusals, r); mu.Unlock() },
	})
	start := time.Now()
	c.Round(context.Background(), start)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a round with a hanging witness took %v; each call has a 200ms deadline", d)
	}
	// The quorum of one is met by the good witness alone.
	policy, err := ledger.RulebookWitnessPolicy(m.Log.Rulebook())
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := note.NewVerifier(m.Log.VerifierKey())
	got, by, err := policy.CheckCheckpoint(c.Checkpoint(), logKey)
	if err != nil || got.N != cp.N || strings.Join(by, ",") != "a" {
		t.Fatalf("served %q: cosigned by %v, %v", c.Checkpoint(), by, err)
	}
	for id, want := range map[string]float64{"a": 0, "b": 1, "c": 1} {
		if f := failures(t, reg, id); f != want {
			t.Errorf("witness %s: %v failures, want %v", id, f, want)
		}
	}
	if len(refusals) != 0 {
		t.Errorf("failures were reported as refusals: %v", refusals)
	}
	// Those that failed wait before they are tried again.
	c.Round(context.Background(), start.Add(100*time.Millisecond))
	if f := failures(t, reg, "b"); f != 1 {
		t.Errorf("witness b was tried again within its backoff: %v failures", f)
	}
}

// failures returns witness id's count of failures in reg.
func failures(t *testing.T, reg *prometheus.Registry, id string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sulh_witness_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == id {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestRoundConflicts: a witness that keeps answering 409 with other sizes
// is a failure, given up after a few tries; one that says it cosigned more
// than the log has is a refusal, told once however often it is counted;
// while no checkpoint has its quorum, the log's own is served.
func TestRoundConflicts(t *testing.T) {
	a, b := cosigner(t, "a.example/w"), cosigner(t, "b.example/w")
	m := mustLog(t, 2, map[string]string{"a": a.Verifier().String(), "b": b.Verifier().String()})
	var calls atomic.Int64
	flapping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, []string{"0\n", "1\n"}[calls.Add(1)%2])
	}))
	t.Cleanup(flapping.Close)
	ahead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, "1000000\n")
	}))
	t.Cleanup(ahead.Close)
	reg := prometheus.NewRegistry()
	told := 0
	c := cosign.New(m.Log.Log, cosign.Options{URLs: map[string]string{"a": flapping.URL, "b": ahead.URL}, Registerer: reg,
		OnRefusal: func(_ context.Context, r *cosign.Refusal) {
			told++
			if r.Witness != "b" || r.Known != 1000000 || !strings.Contains(r.Reason, "cosigned a tree of 1000000 entries") {
				t.Errorf("refusal %+v", r)
			}
		}})
	now := time.Now()
	for i := range 3 {
		c.Round(context.Background(), now.Add(time.Duration(i)*time.Hour))
	}
	if n := calls.Load(); n != 9 {
		t.Errorf("the flapping witness was called %d times in 3 rounds, want 3 a round", n)
	}
	if f := failures(t, reg, "a"); f != 3 {
		t.Errorf("witness a: %v failures, want 3", f)
	}
	if told != 1 {
		t.Errorf("the refusal was told %d times, want once", told)
	}
	if !bytes.Equal(c.Checkpoint(), m.Log.Checkpoint().Signed) {
		t.Errorf("without a quorum, served %q", c.Checkpoint())
	}
}
