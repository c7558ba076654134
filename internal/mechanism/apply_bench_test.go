package mechanism_test

import (
	"testing"
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
		msgs := signReports(st.Rulebook.ID, reportsSigners[base], base, b.N)
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
			msgs := signReports(st.Rulebook.ID, reportsSigners[base], int(st.Size), b.N)
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
