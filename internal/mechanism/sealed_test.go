package mechanism_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

var salt = bytes.Repeat([]byte{9}, 32)

// sealedBody is a report by alice, as the body of a sealed statement.
func (f *fixture) sealedBody(author string) []byte {
	b, err := json.Marshal(map[string]any{"mechanism": f.st.Rulebook.ID, "kind": mechanism.KindReport, "author": author, "at": after(0), "refs": []any{}, "summary": "x"})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) seal(author string, extra fields) []byte {
	return f.stmt(mechanism.KindSealed, with(fields{"sealed_kind": mechanism.KindReport, "visibility": []string{"mediator-1", "mediator-2"},
		"digest": mechanism.SealDigest(salt, f.sealedBody(author))}, extra), author)
}

func (f *fixture) disclosure(author string, idx int64, extra fields) []byte {
	return f.stmt(mechanism.KindDisclosure, with(fields{"sealed": idx, "salt": hexOf(salt), "body": json.RawMessage(f.sealedBody("alice"))}, extra), author)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestSealed(t *testing.T) {
	f := setUpCase(t)
	cases := len(f.st.ChangedCases())
	f.must(f.seal("alice", nil))
	idx := f.st.Size - 1
	it, ok := f.st.SealedStatement(idx)
	if !ok || it.Author != "alice" || it.Body != "party-a" || it.Kind != mechanism.KindReport || it.Disclosed != -1 {
		t.Fatalf("SealedStatement = %+v, %v", it, ok)
	}
	// Sealing opens no case and touches none.
	if got := len(f.st.ChangedCases()); got != 0 || len(f.st.Subjects()) != 0 {
		t.Errorf("a sealed statement changed %d cases (was %d) and has subjects %v", got, cases, f.st.Subjects())
	}
	// A mediator discloses it.
	f.must(f.disclosure("admin-m1", idx, nil))
	if it, _ := f.st.SealedStatement(idx); it.Disclosed != f.st.Size-1 {
		t.Errorf("Disclosed = %d", it.Disclosed)
	}
}

func TestSealedRefusals(t *testing.T) {
	sealed := func(f *fixture) { f.must(f.seal("alice", nil)) } // index 6
	runRefusals(t, []wcase{
		{name: "by a founder", msg: func(f *fixture) []byte { return f.seal("founder-1", nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file sealed statements`}},
		{name: "a kind that cannot be sealed", msg: func(f *fixture) []byte { return f.seal("alice", fields{"sealed_kind": "finding"}) },
			code: inv, want: []string{`sealed: sealed_kind: "finding" is not one of`}},
		{name: "an unknown body", msg: func(f *fixture) []byte { return f.seal("alice", fields{"visibility": []string{"press"}}) },
			code: inv, want: []string{`sealed: visibility: "press" is not a body of this mechanism`}},
		{name: "a bad digest", msg: func(f *fixture) []byte { return f.seal("alice", fields{"digest": "secret"}) },
			code: inv, want: []string{"sealed: digest: must be a SHA-256 in lower-case hex"}},
		{name: "disclosure of nothing", msg: func(f *fixture) []byte { return f.disclosure("alice", 5, nil) },
			code: inv, want: []string{"disclosure: sealed: there is no sealed statement at index 5"}},
		{name: "disclosure by the other party", setup: sealed, msg: func(f *fixture) []byte { return f.disclosure("bob", 6, nil) },
			code: forb, want: []string{"only the sealed statement's author or a mediator may disclose it"}},
		{name: "a short salt", setup: sealed, msg: func(f *fixture) []byte { return f.disclosure("alice", 6, fields{"salt": "0909"}) },
			code: inv, want: []string{"disclosure: salt: must be 32 bytes in hex"}},
		{name: "another body", setup: sealed, msg: func(f *fixture) []byte {
			return f.disclosure("alice", 6, fields{"body": json.RawMessage(`{"mechanism":"` + mechIDOf(f) + `","kind":"report","author":"alice","at":"` + after(0) + `","refs":[],"summary":"y"}`)})
		}, code: inv, want: []string{"disclosure: body: the salt and body do not give the digest the sealed statement at 6 holds"}},
		{name: "a body of another kind", setup: sealed, msg: func(f *fixture) []byte {
			return f.disclosure("alice", 6, fields{"body": json.RawMessage(`{"mechanism":"` + mechIDOf(f) + `","kind":"reply","author":"alice"}`)})
		}, code: inv, want: []string{"the sealed body must be a report statement by alice"}},
		{name: "a body that is not an object", setup: sealed, msg: func(f *fixture) []byte {
			return f.disclosure("alice", 6, fields{"body": json.RawMessage(`[1]`)})
		}, code: malf, want: []string{"the sealed body is not a JSON object"}},
		{name: "disclosed twice", setup: func(f *fixture) { sealed(f); f.must(f.disclosure("alice", 6, nil)) },
			msg: func(f *fixture) []byte { return f.disclosure("admin-m1", 6, nil) }, code: inv, want: []string{"disclosure: sealed: the sealed statement at 6 was disclosed at index 7"}},
	})
}

func mechIDOf(f *fixture) string { return f.st.Rulebook.ID }

// TestCheckSealed: a sealed body is held, when it is filed, to every rule
// of the public statement it will be disclosed as, and checking it changes
// nothing.
func TestCheckSealed(t *testing.T) {
	f := setUpRules2(t)
	full := func(extra fields) []byte {
		return f.obj(mechanism.KindReport, "alice", with(fullReport(), fields{"channel": "party", "summary": "Sealed report"}, extra))
	}
	before, payload, subjects := f.snapshot(), f.st.Payload(), slices.Clone(f.st.Subjects())
	if err := f.st.CheckSealed(full(nil), &mechanism.Sealed{SealedKind: mechanism.KindReport}, "alice"); err != nil {
		t.Fatalf("a valid report body was refused: %v", err)
	}
	inv, mal := statement.CodeInvalid, statement.CodeMalformed
	for _, tc := range []struct {
		name string
		body []byte
		code statement.Code
		want string
	}{
		{"upper-case key", bytes.Replace(full(nil), []byte(`"summary"`), []byte(`"Summary"`), 1), mal, `JSON key "Summary" is not a lower-case identifier`},
		{"duplicate key", bytes.Replace(full(nil), []byte(`"summary":`), []byte(`"summary":"a","summary":`), 1), mal, `duplicate JSON key "summary"`},
		{"no report fields", f.sealedBody("alice"), inv, "the sealed body: report:"},
		{"unknown field", full(fields{"zz": 1}), mal, `unknown field "zz"`},
		{"bidi override", full(fields{"summary": "a\u202eb"}), inv, "U+202E"},
		{"another author", full(nil), inv, "must be a report statement by bob"},
		{"accusing itself", full(fields{"accused": "party-a"}), inv, "a party cannot accuse itself"},
		{"a case that does not exist", full(fields{"case": 999}), inv, "there is no case 999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			author := "alice"
			if tc.name == "another author" {
				author = "bob"
			}
			wantError(t, f.st.CheckSealed(tc.body, &mechanism.Sealed{SealedKind: mechanism.KindReport}, author), tc.code, tc.want)
		})
	}
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("CheckSealed changed the state:\nbefore %+v\nafter  %+v", before, after)
	}
	if f.st.Payload() != payload || !slices.Equal(f.st.Subjects(), subjects) {
		t.Errorf("CheckSealed changed the last statement's payload or subjects %v", f.st.Subjects())
	}
}
