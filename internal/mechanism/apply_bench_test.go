package mechanism_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// BenchmarkReport opens and applies reports, each opening a case, after
// the 20,000 entries of reportsState: "open" parses a signed report,
// verifies its signature and decodes its payload, as the goroutines that
// submit or fetch statements do on every core; "apply" applies opened
// reports in order, as the sequencer and every replay do on one; "replay"
// applies them with State.Replay, as a verifier does. Signing the reports
// is not timed.
func BenchmarkReport(b *testing.B) {
	const base = 20_000
	b.Run("open", func(b *testing.B) {
		st := reportsState(b, base)
		msgs := signReports(b, base, b.N)
		keys := st.Keys()
		b.ReportAllocs()
		b.ResetTimer()
		for _, msg := range msgs {
			if _, err := keys.Open(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, effects := range []bool{true, false} {
		name := "apply"
		if !effects {
			name = "replay" // State.Replay: no effects
		}
		b.Run(name, func(b *testing.B) {
			st := reportsState(b, base)
			// Applying changes the state: the next run builds its own.
			defer delete(reportsStates, base)
			msgs := signReports(b, int(st.Size), b.N)
			opened := st.Keys().OpenAll(msgs)
			b.ReportAllocs()
			b.ResetTimer()
			for i, s := range opened {
				if s == nil {
					b.Fatalf("report %d does not verify", i)
				}
				var err error
				if effects {
					_, err = st.Apply(s)
				} else {
					err = st.Replay(s)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// signReports signs the n reports that follow entry first of the log of
// reportsState(base), on every core, as reportsState does.
func signReports(b *testing.B, first, n int) [][]byte {
	b.Helper()
	const base = 20_000
	st, signers := reportsStates[base], reportsSigners[base]
	t0 := time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
	msgs := make([][]byte, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for j := w; j < n; j += workers {
				i := first + j
				s := signers[i%len(signers)]
				msg, err := statement.Sign(benchReport(st.Rulebook.ID, s.Name(), t0.Add(time.Duration(i)*30*time.Second), i), s)
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
