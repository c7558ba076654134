package mechanism_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// setUpRules is setUp under the rules version given.
func setUpRules(t *testing.T, rules int) *fixture {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Rules = rules
	f.must(f.rulebookMsg(rb))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	return f
}

// urdu returns n characters of Urdu text, 2 bytes each in UTF-8 (but the
// spaces).
func urdu(n int) string {
	const words = "سرحد پار سے فائرنگ ہوئی اور چوکی کو نقصان پہنچا "
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < n {
		b.WriteString(words)
	}
	r := []rune(b.String())[:n]
	r[n-1] = 'ا' // no trailing space
	return string(r)
}

// TestTextLimitsInCharacters files summaries and texts in Urdu against the
// limits: in characters under rules 3, in bytes under rules 1 and 2 (so
// that old logs replay as they did), and never past what a log entry
// holds.
func TestTextLimitsInCharacters(t *testing.T) {
	if n := utf8.RuneCountInString(urdu(500)); n != 500 || len(urdu(500)) < 800 {
		t.Fatalf("urdu(500) has %d characters and %d bytes", n, len(urdu(500)))
	}
	for _, tc := range []struct {
		name    string
		rules   int
		summary string
		want    []string // empty: accepted
	}{
		{"500 characters of Urdu, rules 3", mechanism.Rules3, urdu(500), nil},
		{"501 characters of Urdu, rules 3", mechanism.Rules3, urdu(501), []string{"report: summary: must be at most 500 characters; this one has 501"}},
		{"501 ASCII characters, rules 3", mechanism.Rules3, strings.Repeat("s", 501), []string{"at most 500 characters"}},
		{"500 characters of Urdu, rules 2", mechanism.Rules2, urdu(500), []string{"report: summary: must be at most 500 bytes under rules 1 and 2", "rules 3"}},
		{"500 characters of Urdu, rules 1", mechanism.Rules1, urdu(500), []string{"at most 500 bytes"}},
		{"240 characters of Urdu, rules 2", mechanism.Rules2, urdu(240), nil},
		{"empty, rules 3", mechanism.Rules3, "", []string{"report: summary: is required; give a text of 1 to 500 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setUpRules(t, tc.rules)
			msg := f.reportMsg("alice", tc.summary)
			if tc.want == nil {
				f.must(msg)
				return
			}
			f.refuse(msg, statement.CodeInvalid, tc.want...)
		})
	}
}

// TestTextLimitInBytes attacks the limit in characters with the widest
// characters: a text of 32,768 characters of 4 bytes each is within the
// limit in characters but not within a log entry; it is refused by its
// field, not as an oversized statement.
func TestTextLimitInBytes(t *testing.T) {
	f := setUpRules(t, mechanism.Rules3)
	// 12,289 characters of 4 bytes: 49,156 bytes, fewer than 32,768
	// characters, more than 48 KiB.
	text := strings.Repeat("𝄞", 12289)
	obj := f.obj(mechanism.KindReport, "alice", fields{
		"channel": "party", "event": fields{"time": "2025-03-01T06:00:00Z", "precision": "day"},
		"place": fields{"name": "Torkham", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
		"summary": "s", "text": text, "language": "ur",
	})
	f.refuse(f.sign(obj, "alice"), statement.CodeInvalid, "report: text: must be at most 49152 bytes in UTF-8", "49156")
	// Under rules 2 the same text was refused in bytes, as before.
	g := setUpRules(t, mechanism.Rules2)
	g.refuse(g.sign(g.obj(mechanism.KindReport, "alice", fields{
		"channel": "party", "event": fields{"time": "2025-03-01T06:00:00Z", "precision": "day"},
		"place": fields{"name": "Torkham", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
		"summary": "s", "text": text, "language": "ur",
	}), "alice"), statement.CodeInvalid, "report: text: must be at most 32768 bytes")
}

// TestTextLimitsOfShared checks that the texts of places and actors, which
// several kinds share, follow the rules in force too.
func TestTextLimitsOfShared(t *testing.T) {
	name := urdu(200)
	for _, tc := range []struct {
		rules int
		want  []string
	}{
		{mechanism.Rules3, nil},
		// Both texts, in one refusal.
		{mechanism.Rules2, []string{"report: 2 problems: place.name: must be at most 200 bytes", ". actors.label: must be at most 200 bytes"}},
	} {
		f := setUpRules(t, tc.rules)
		obj := f.obj(mechanism.KindReport, "alice", fields{
			"channel": "party", "event": fields{"time": "2025-03-01T06:00:00Z", "precision": "day"},
			"place": fields{"name": name, "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
			"summary": "s", "language": "ur", "actors": []fields{{"id": "ttp", "label": name}},
		})
		if tc.want == nil {
			f.must(f.sign(obj, "alice"))
			continue
		}
		f.refuse(f.sign(obj, "alice"), statement.CodeInvalid, tc.want...)
	}
}

// TestKeyNotCurrent signs as known members with keys that are not theirs
// now: a key never enrolled is named as not the member's current key,
// with the one that is, not as an unknown key; so is a key rotated out; a
// revoked member's is told it has none; a name nobody holds stays unknown.
func TestKeyNotCurrent(t *testing.T) {
	f := setUp(t)
	stray := f.newKey("alice-stray", "alice")
	f.refuse(f.reportMsg("alice-stray", "x"), statement.CodeForbidden,
		fmt.Sprintf("the key alice+%08x is not alice's current key (alice+%08x, current since index 1); sign with that key, or make the new one current with a key.rotate statement signed by both", stray.hash(), f.k("alice").hash()))
	// A co-signature by the stray key is refused the same way.
	f.refuse(f.sign(f.obj(mechanism.KindReport, "bob", fields{"summary": "x"}), "bob", "alice-stray"), statement.CodeForbidden, "is not alice's current key")

	f.newKey("alice2", "alice")
	f.must(f.rotateMsg("alice", "alice2", "alice", "alice2")) // 5: refuse files a report after each refusal
	f.refuse(f.reportMsg("alice", "x"), statement.CodeForbidden,
		fmt.Sprintf("the key alice+%08x is not alice's current key (replaced at index 5); sign with alice+%08x, current since index 5", f.k("alice").hash(), f.k("alice2").hash()))

	f.must(f.revokeMsg("admin-a", "alice")) // 7
	f.refuse(f.reportMsg("alice-stray", "x"), statement.CodeForbidden, "is not alice's key, and alice has no current key (its last one ended at index 7)")

	f.newKey("zed", "zed")
	f.refuse(f.sign(f.obj(mechanism.KindReport, "zed", fields{"summary": "x"}), "zed"), statement.CodeForbidden, `signature by unknown key "zed"`)
}

// TestRulebookTextsInCharacters: a rulebook's title and its categories'
// texts count characters under rules 3, bytes before: a title of 200 Urdu
// characters makes a mechanism of rules 3 and is refused under rules 2.
func TestRulebookTextsInCharacters(t *testing.T) {
	for _, tc := range []struct {
		rules int
		want  string
	}{
		{mechanism.Rules3, ""},
		{mechanism.Rules2, "rulebook: title must be 1 to 200 bytes"},
	} {
		f := newFixture(t)
		rb := f.rulebook()
		rb.Rules, rb.Title = tc.rules, urdu(200)
		if tc.want == "" {
			f.must(f.rulebookMsg(rb))
			continue
		}
		f.refuse(f.rulebookMsg(rb), statement.CodeInvalid, tc.want)
	}
	f := newFixture(t)
	rb := f.rulebook()
	rb.Rules = mechanism.Rules3
	rb.Title = urdu(201)
	f.refuse(f.rulebookMsg(rb), statement.CodeInvalid, "rulebook: title must be 1 to 200 characters")
}
