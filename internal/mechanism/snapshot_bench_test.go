package mechanism_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

var snapshotEntries = flag.Int("snapshot.entries", 100_000, "entries of the log whose state BenchmarkSnapshot writes and reads")

// BenchmarkSnapshot writes and reads the snapshot of a log of
// -snapshot.entries entries under the default rulebook: its genesis, eight
// enrolled reporters and reports, each of which opens a case with three
// deadlines. Building the state, which signs and verifies every
// statement, is not timed. It writes the state as the replay left it,
// then lets it go, so that it reads the snapshot as a server that starts
// does, with nothing else in memory.
func BenchmarkSnapshot(b *testing.B) {
	n := *snapshotEntries
	st := reportsState(b, n)
	delete(reportsStates, n)
	snap := mustSnapshot(b, st)
	perEntry := func(b *testing.B) {
		b.ReportMetric(float64(len(snap))/float64(n), "bytes/entry")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
	}
	b.Run(fmt.Sprintf("entries=%d/encode", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.MarshalSnapshot(); err != nil {
				b.Fatal(err)
			}
		}
		perEntry(b)
	})
	st = nil
	runtime.GC()
	b.Run(fmt.Sprintf("entries=%d/decode", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mechanism.UnmarshalSnapshot(snap); err != nil {
				b.Fatal(err)
			}
		}
		perEntry(b)
	})
}

var (
	reportsStates  = map[int]*mechanism.State{}
	reportsSigners = map[int][]note.Signer{} // the reporters of reportsStates[n]
)

// reportsState returns the state of a log of n entries, n > 9: the
// default rulebook's genesis, eight reporters of Pakistan and reports
// against Afghanistan, one every 30 seconds, so that the deadlines of the
// last three days' cases are still open. It is kept for the next call
// with the same n.
func reportsState(tb testing.TB, n int) *mechanism.State {
	if st, ok := reportsStates[n]; ok {
		return st
	}
	const reporters = 8
	if n <= 1+reporters {
		tb.Fatalf("a log of reports needs more than %d entries", 1+reporters)
	}
	rb, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		tb.Fatal(err)
	}
	founders := []*tkey{genKey(tb, "founder-1"), genKey(tb, "founder-2")}
	rb.Founders.Keys = []string{founders[0].vkey, founders[1].vkey}
	admins := map[string]*tkey{}
	for i := range rb.Bodies {
		k := genKey(tb, rb.Bodies[i].ID+"-admin")
		admins[rb.Bodies[i].ID], rb.Bodies[i].Administrators = k, []string{k.vkey}
	}
	t0 := time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
	genesis, err := mechanism.Genesis(rb, t0, founders[0].signer, founders[1].signer)
	if err != nil {
		tb.Fatal(err)
	}
	st := new(mechanism.State)
	if _, err := apply(st, genesis); err != nil {
		tb.Fatal(err)
	}
	var signers []note.Signer
	for i := range reporters {
		k := genKey(tb, fmt.Sprintf("reporter-%d", i))
		signers = append(signers, k.signer)
		obj, _ := json.Marshal(map[string]any{
			"mechanism": rb.ID, "kind": mechanism.KindMemberEnrol, "author": admins["pakistan"].name,
			"at": statement.FormatTime(t0), "refs": []any{},
			"body": "pakistan", "key": k.vkey, "roles": []string{"reporter"}, "label": "reporter",
		})
		msg, err := statement.Sign(obj, admins["pakistan"].signer)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := apply(st, msg); err != nil {
			tb.Fatal(err)
		}
	}
	// Sign and verify a chunk at a time on every core, then apply it.
	for first := int(st.Size); first < n; first += 10_000 {
		msgs := signReports(rb.ID, signers, first, min(10_000, n-first))
		for j, s := range st.Keys().OpenAll(msgs) {
			if s == nil {
				tb.Fatalf("report %d does not verify", first+j)
			}
			if _, err := st.Apply(s); err != nil {
				tb.Fatalf("report %d: %v", first+j, err)
			}
		}
	}
	reportsStates[n], reportsSigners[n] = st, signers
	return st
}

// signReports signs, on every core, the n reports of mechanism mech that
// follow entry first of a log such as reportsState's, by signers in turn,
// one every 30 seconds from 20 October 2025.
func signReports(mech string, signers []note.Signer, first, n int) [][]byte {
	t0 := time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
	msgs := make([][]byte, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for j := w; j < n; j += workers {
				i := first + j
				s := signers[i%len(signers)]
				msg, err := statement.Sign(benchReport(mech, s.Name(), t0.Add(time.Duration(i)*30*time.Second), i), s)
				if err != nil {
					panic(err)
				}
				msgs[j] = msg
			}
		})
	}
	wg.Wait()
	return msgs
}

// benchReport is the i-th report of a benchmark, written at at, with its
// place and kind of incident varying with i as internal/bench's do.
func benchReport(mech, author string, at time.Time, i int) []byte {
	events := []struct{ typ, sub, category string }{
		{"battles", "armed_clash", "cross_border_fire"},
		{"explosions_remote_violence", "shelling_artillery_missile_attack", "cross_border_fire"},
		{"explosions_remote_violence", "air_drone_strike", "air_or_drone_strike"},
		{"battles", "armed_clash", "militant_infiltration"},
		{"battles", "non_state_actor_overtakes_territory", "incursion"},
		{"strategic_developments", "other", "border_closure"},
		{"violence_against_civilians", "attack", "attack_from_territory"},
	}
	e := events[i%len(events)]
	obj, _ := json.Marshal(map[string]any{
		"mechanism": mech, "kind": mechanism.KindReport, "author": author, "at": statement.FormatTime(at), "refs": []any{},
		"channel": "party", "accused": "afghanistan",
		"event":      map[string]any{"time": statement.FormatTime(at.Add(-time.Duration(i%2000) * time.Minute)), "precision": "exact"},
		"place":      map[string]any{"name": fmt.Sprintf("Border post %d", i%500), "lat": 31 + float64((i*7919)%4000)/1000, "lon": 69 + float64((i*104729)%3000)/1000, "geo_precision": 1 + i%3},
		"event_type": e.typ, "sub_event_type": e.sub, "categories": []string{e.category},
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "killed_combatant", "party": "pakistan", "low": i % 3, "best": i % 3, "high": i%3 + 1}}},
		"clauses":    []string{"c1"},
		"summary":    fmt.Sprintf("report %d: %s near a border post", i, e.category),
		"language":   "en",
	})
	return obj
}

// TestSnapshotOfReports: the benchmark's state, small, reads back as it
// was and takes more reports alike.
func TestSnapshotOfReports(t *testing.T) {
	st := reportsState(t, 500)
	got := roundTrip(t, st)
	if c, ok := got.Case(499); !ok || len(c.Deadlines) != 3 {
		t.Fatalf("the last report's case read back is %+v", c)
	}
}
