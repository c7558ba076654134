package mechanism

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/sulh-project/sulh/internal/statement"
)

// Versions of the statement rules (Rulebook.Rules). Each is kept forever, so
// that a log filed under it replays to the same state under every release.
const (
	// Rules1 is the first set of rules, followed by every mechanism whose
	// rulebook names none.
	Rules1 = 1
	// Rules2 adds: a statement is its text (the same text is never logged
	// twice, whatever its signatures) and each kind takes exactly the
	// signers it calls for; every body a finding blames has a window to
	// reply to it before it can be endorsed or penalised; text fields refuse
	// control and bidi override characters.
	Rules2 = 2
	// Rules3 adds the record as it happened: actors and their claims,
	// links between cases, places added to the gazetteer; text limits in
	// characters rather than bytes.
	Rules3 = 3
	// Rules4 adds the report channel "open_source": an event a monitor or
	// a mediator brings in from published data, such as an ACLED export
	// (sulh import acled). Earlier rules refused the channel as unknown.
	Rules4 = 4
	// Rules5 adds the rulebook's report_cutoff: the time of day at which
	// a daily report's period ends. Earlier rules refused the field as
	// unknown, and read the cut-off as 19:30.
	Rules5 = 5
	// RulesCurrent is the latest version a rulebook may follow.
	RulesCurrent = Rules5
)

// RulesVersion returns the version of the statement rules the rulebook
// puts in force.
func (r *Rulebook) RulesVersion() int { return max(r.Rules, Rules1) }

// rules returns the version of the rules in force.
func (s *State) rules() int { return s.Rulebook.RulesVersion() }

// TextHash is a statement's identity: the SHA-256 of its note text, all
// that is above the signature lines. Two notes with the same text are one
// statement, whatever signatures they carry.
func TextHash(st *statement.Statement) [32]byte {
	h := sha256.New()
	h.Write([]byte(statement.Version + "\n"))
	h.Write(st.JSON)
	h.Write([]byte("\n"))
	return [32]byte(h.Sum(nil))
}

// Text returns the index of the statement whose text st has, if one was
// applied.
func (s *State) Text(st *statement.Statement) (int64, bool) {
	idx, ok := s.texts[TextHash(st)]
	return idx, ok
}

// Signer is one signature of a statement and what it counts toward.
type Signer struct {
	Name string `json:"name"`
	// Body is the signer's body; empty for founders.
	Body string `json:"body"`
	// Counts is what the signature counts toward: "author", "new_key" (a
	// key.rotate's new key), "founders" (a rulebook's founders' quorum), or
	// the name of a quorum such as "finding".
	Counts string `json:"counts"`
}

// quorumOf names the quorum a kind's signers count toward, if any.
var quorumOf = map[string]string{
	KindFinding:     QuorumFinding,
	KindEndorsement: QuorumEndorsement,
	KindPenalty:     QuorumPenalty,
}

// signers says what each signature of st counts toward, and refuses (under
// rules 2) a signature that counts toward nothing the kind calls for. It
// runs after every signature was checked to be by a known, active key.
func (s *State) signers(st *statement.Statement) ([]Signer, error) {
	out := make([]Signer, 0, len(st.Signers))
	var rotated string
	if st.Kind == KindKeyRotate {
		var rs rotateStatement
		if err := st.Decode(&rs); err == nil {
			rotated = rs.Key
		}
	}
	founders := map[string]bool{}
	if st.Kind == KindRulebook {
		for _, k := range s.Rulebook.Founders.Keys {
			founders[k] = true
		}
	}
	q, quorum := quorumOf[st.Kind]
	if st.Kind == KindSealed && s.Rulebook.ConfidentialFindings {
		var x Sealed
		if err := st.Decode(&x); err == nil && x.SealedKind == KindFinding {
			q, quorum = QuorumFinding, true
		}
	}
	seen := map[string]bool{}
	for _, sig := range st.Signers {
		sg := Signer{Name: sig.Name}
		m, isMember := s.members[sig.Name]
		current := isMember && m.Active() && m.Key.Hash == sig.Hash
		if current {
			sg.Body = m.Body
		}
		k := s.key(sig.Name, sig.Hash)
		switch {
		case st.Kind == KindRulebook && k != nil && founders[k.VKey]:
			sg.Counts = "founders"
		case st.Kind == KindKeyRotate && k == nil && rotated != "":
			sg.Counts = "new_key"
		case quorum && current && !seen[m.Name] && slices.Contains(s.Rulebook.Quorums[q].Bodies, m.Body):
			sg.Counts = q
		case sig.Name == st.Author && current && !seen[m.Name]:
			sg.Counts = "author"
		}
		if sg.Counts == "" && s.rules() >= Rules2 {
			return nil, statement.Forbidden("%s: the signature by %q counts toward nothing a %s statement calls for (%s); sign it with those keys alone",
				st.Kind, sig.Name, st.Kind, signersWanted(st.Kind, q, s.Rulebook))
		}
		seen[sig.Name] = true
		out = append(out, sg)
	}
	return out, nil
}

// signersWanted says in words who signs a statement of kind.
func signersWanted(kind, quorum string, rb *Rulebook) string {
	switch {
	case kind == KindRulebook:
		return "the founders' keys"
	case kind == KindKeyRotate:
		return "the author's current key and the new key"
	case quorum != "":
		return fmt.Sprintf("the current keys of members of %v, toward the %q quorum", rb.Quorums[quorum].Bodies, quorum)
	}
	return "the author's current key"
}

// checkClean refuses, in every string of a statement's JSON, the characters
// that make a text show other than it reads: C0 and C1 controls (a newline
// and a tab are allowed in long text, the fields named in longText), DEL,
// and the bidi embedding, override and isolate controls. The joiners and
// marks that Urdu, Pashto and Dari need (ZWNJ, ZWJ, LRM, RLM) are allowed.
func checkClean(kind string, obj []byte) error {
	if !mayBeUnclean(obj) {
		return nil
	}
	return walkClean(kind, obj)
}

// walkClean is checkClean, string by string.
func walkClean(kind string, obj []byte) error {
	d := json.NewDecoder(bytes.NewReader(obj))
	key, inObject := "", []bool{}
	expectKey := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return statement.Malformed("invalid JSON: %v", err)
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				inObject = append(inObject, true)
				expectKey = true
			case '[':
				inObject = append(inObject, false)
				expectKey = false
			default:
				inObject = inObject[:len(inObject)-1]
				expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
			}
			continue
		case string:
			if expectKey {
				key, expectKey = v, false
				continue
			}
			if r, at, bad := unclean(v, longText[key]); bad {
				return field(kind, key, "contains the character U+%04X at byte %d, which is not allowed in text (control and bidi override characters)", r, at)
			}
		}
		expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
	}
}

// mayBeUnclean reports whether obj, a valid JSON object, has an escape or
// a character that text may not hold, so that checkClean walks its strings
// only then. JSON holds no raw control character; a newline, a tab or any
// other control is escaped with a backslash; DEL, C1 controls (U+0080–U+009F:
// 0xC2 0x80–0x9F) and the bidi controls (U+202A–U+202E: 0xE2 0x80 0xAA–0xAE;
// U+2066–U+2069: 0xE2 0x81 0xA6–0xA9) may also be raw.
func mayBeUnclean(obj []byte) bool {
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; {
		case c == '\\', c == 0x7f:
			return true
		case c == 0xc2 && i+1 < len(obj) && obj[i+1] >= 0x80 && obj[i+1] <= 0x9f:
			return true
		case c == 0xe2 && i+2 < len(obj) && (obj[i+1] == 0x80 && obj[i+2] >= 0xaa && obj[i+2] <= 0xae || obj[i+1] == 0x81 && obj[i+2] >= 0xa6 && obj[i+2] <= 0xa9):
			return true
		}
	}
	return false
}

// longText are the fields whose text may run over several lines.
var longText = map[string]bool{"text": true, "rationale": true, "note": true, "notes": true, "outcome": true, "summary": true, "reason": true, "words": true, "translation": true}

// unclean returns the first character of s that text may not hold.
func unclean(s string, long bool) (rune, int, bool) {
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if !long {
				return r, i, true
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, i, true
		}
	}
	return 0, 0, false
}
