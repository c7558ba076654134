package mechanism_test

import (
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// openSourceReport is a report by author on channel open_source, as sulh
// import acled files an ACLED event.
func (f *fixture) openSourceReport(author string, extra fields) []byte {
	f.t.Helper()
	return f.sign(f.obj(mechanism.KindReport, f.k(author).name, with(fields{
		"channel":        mechanism.ChannelOpenSource,
		"source":         "ACLED PAK12345: Dawn",
		"event":          fields{"time": "2025-03-01T00:00:00Z", "precision": "day"},
		"place":          fields{"name": "Torkham", "lat": 34.1, "lon": 71.09, "geo_precision": 1},
		"event_type":     "battles",
		"sub_event_type": "armed_clash",
		"summary":        "Clash at Torkham (from ACLED).",
		"language":       "en",
	}, extra)), author)
}

// TestOpenSourceChannelNeedsRules4: the channel open_source came with
// rules 4. Under rules 3 it is refused, as every earlier release refused
// it as unknown, so that the logs they kept replay the same; once the
// founders amend the rulebook to rules 4, a monitor files it, with its
// source, and a party still may not.
func TestOpenSourceChannelNeedsRules4(t *testing.T) {
	f := setUpRules3(t)
	f.refuse(f.openSourceReport("carol", nil), statement.CodeInvalid,
		`report: channel: "open_source" came with rules 4, and this mechanism follows rules 3`, `amend the rulebook to "rules": 4`)
	rb := f.amended()
	rb.Rules = mechanism.Rules4
	f.must(f.rulebookMsg(rb))
	f.must(f.openSourceReport("carol", nil))
	wantError(t, f.submit(f.openSourceReport("carol", fields{"source": nil, "summary": "No source."})), statement.CodeInvalid, "source")
	wantError(t, f.submit(f.openSourceReport("alice", nil)), statement.CodeForbidden, `channel "open_source" is for monitors and mediators`)
}
