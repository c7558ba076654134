package statement_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// testKey is a signed-note key pair for tests.
type testKey struct {
	name, skey, vkey string
	signer           note.Signer
	verifier         note.Verifier
}

// fixedKey returns a deterministic key named name, derived from seed, so
// that fuzz corpus entries stay signed by the same key between runs.
func fixedKey(name string, seed byte) *testKey {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		panic(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		panic(err)
	}
	return &testKey{name: name, skey: skey, vkey: vkey, signer: s, verifier: v}
}

var (
	alice = fixedKey("alice", 1)
	bob   = fixedKey("bob", 2)
	carol = fixedKey("carol", 3) // known to no verifier list below
	// aliceOther has alice's name but another key, so another key hash.
	aliceOther = fixedKey("alice", 4)
)

// known is the verifier list most tests open statements against.
var known = note.VerifierList(alice.verifier, bob.verifier)

const header = statement.Version + "\n"

// validJSON is a well-formed statement object authored by alice.
const validJSON = `{"mechanism":"test-mech","kind":"report","author":"alice","at":"2025-01-02T03:04:05Z","refs":[],"summary":"all quiet"}`

// withField returns validJSON with the value of field replaced by the raw
// JSON value v.
func withField(field, v string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validJSON), &m); err != nil {
		panic(err)
	}
	m[field] = json.RawMessage(v)
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// signText signs text as a note without any statement checks, so that
// tests can build statements that Sign would refuse.
func signText(t testing.TB, text string, keys ...*testKey) []byte {
	t.Helper()
	var signers []note.Signer
	for _, k := range keys {
		signers = append(signers, k.signer)
	}
	msg, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatalf("note.Sign: %v", err)
	}
	return msg
}

// sigLines returns the signature block of a signed note, one line each.
func sigLines(msg []byte) []string {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	lines := strings.SplitAfter(string(msg[i+2:]), "\n")
	return lines[:len(lines)-1]
}

// wantError checks that err is a *statement.Error with code whose reason
// mentions every string in want.
func wantError(t *testing.T, err error, code statement.Code, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s refusal mentioning %q", code, want)
	}
	var e *statement.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %q, want a *statement.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %q (reason %q), want %q", e.Code, e.Reason, code)
	}
	for _, w := range want {
		if !strings.Contains(e.Reason, w) {
			t.Errorf("reason %q does not mention %q", e.Reason, w)
		}
	}
}

// sizedMessage returns a note signed by alice whose total length is exactly
// size bytes, padding the statement with a "text" field.
func sizedMessage(t *testing.T, size int) []byte {
	t.Helper()
	text := func(n int) string { return header + withField("text", `"`+strings.Repeat("x", n)+`"`) + "\n" }
	base := len(signText(t, text(0), alice))
	n := size - base
	if n < 0 {
		t.Fatalf("size %d is smaller than an empty statement (%d)", size, base)
	}
	msg := signText(t, text(n), alice)
	if len(msg) != size {
		t.Fatalf("built a %d-byte message, want %d", len(msg), size)
	}
	return msg
}

// TestTextRefusals covers every refusal of a statement's text; each applies
// to Open and to Parse alike.
func TestTextRefusals(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	tests := []struct {
		name string
		text string
		code statement.Code
		want []string
	}{
		{"unknown version", "sulh-statement/v2\n" + validJSON + "\n", statement.CodeMalformed, []string{"unsupported statement version", `"sulh-statement/v2"`}},
		{"version with suffix", "sulh-statement/v1.1\n" + validJSON + "\n", statement.CodeMalformed, []string{"unsupported statement version", `"sulh-statement/v1.1"`}},
		{"other header", "hello\n" + validJSON + "\n", statement.CodeMalformed, []string{"must start with the line", statement.Version}},
		{"header with trailing space", statement.Version + " \n" + validJSON + "\n", statement.CodeMalformed, []string{"unsupported statement version", `"sulh-statement/v1 "`}},
		{"header with CR", statement.Version + "\r\n" + validJSON + "\n", statement.CodeMalformed, []string{"not a signed note"}},
		{"json without header", validJSON + "\n", statement.CodeMalformed, []string{"must start with the line"}},
		{"header only", header, statement.CodeMalformed, []string{"no JSON object"}},
		{"empty json line", header + "\n", statement.CodeMalformed, []string{"no JSON object"}},
		{"array", header + `[1,2]` + "\n", statement.CodeMalformed, []string{"exactly one JSON object"}},
		{"string", header + `"x"` + "\n", statement.CodeMalformed, []string{"exactly one JSON object"}},
		{"leading space", header + " " + validJSON + "\n", statement.CodeMalformed, []string{"exactly one JSON object"}},
		{"trailing space", header + validJSON + " \n", statement.CodeMalformed, []string{"exactly one JSON object"}},
		{"two objects", header + validJSON + `{"a":1}` + "\n", statement.CodeMalformed, []string{"trailing data"}},
		{"two objects on two lines", header + validJSON + "\n" + `{"a":1}` + "\n", statement.CodeMalformed, []string{"trailing data"}},
		{"extra closing brace", header + validJSON + "}\n", statement.CodeMalformed, []string{"trailing data"}},
		{"invalid json", header + `{"mechanism":}` + "\n", statement.CodeMalformed, []string{"invalid JSON"}},
		{"unterminated json", header + `{"a":{}` + "\n", statement.CodeMalformed, []string{"invalid JSON"}},
		{"duplicate top-level key", header + strings.TrimSuffix(validJSON, "}") + `,"kind":"report"}` + "\n", statement.CodeMalformed, []string{"duplicate JSON key", `"kind"`}},
		{"duplicate nested key", header + withField("extra", `{"x":1,"y":{"z":1,"z":2}}`) + "\n", statement.CodeMalformed, []string{"duplicate JSON key", `"z"`}},
		{"duplicate key in array element", header + withField("extra", `[{"q":1},{"q":1,"q":2}]`) + "\n", statement.CodeMalformed, []string{"duplicate JSON key", `"q"`}},
		{"too deep", header + withField("extra", deep) + "\n", statement.CodeMalformed, []string{"nests deeper than 32"}},
		{"non-UTC offset", header + withField("at", `"2025-01-02T05:04:05+02:00"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not in UTC", "+02:00"}},
		{"zero offset without Z", header + withField("at", `"2025-01-02T03:04:05+00:00"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not in UTC"}},
		{"negative zero offset", header + withField("at", `"2025-01-02T03:04:05-00:00"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not in UTC"}},
		{"date only", header + withField("at", `"2025-01-02"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not an RFC 3339 time"}},
		{"lower-case z", header + withField("at", `"2025-01-02T03:04:05z"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not an RFC 3339 time"}},
		{"space separator", header + withField("at", `"2025-01-02 03:04:05Z"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "not an RFC 3339 time"}},
		{"missing time", header + withField("at", `""`) + "\n", statement.CodeMalformed, []string{`field "at"`, "missing"}},
		{"time before 1970", header + withField("at", `"1969-12-31T23:59:59Z"`) + "\n", statement.CodeMalformed, []string{`field "at"`, "out of range"}},
		{"time not a string", header + withField("at", `1735786800`) + "\n", statement.CodeMalformed, []string{"invalid statement fields"}},
		{"bad mechanism", header + withField("mechanism", `"Test Mech"`) + "\n", statement.CodeMalformed, []string{`field "mechanism"`, `"Test Mech"`}},
		{"missing mechanism", header + withField("mechanism", `null`) + "\n", statement.CodeMalformed, []string{`field "mechanism"`}},
		{"bad kind", header + withField("kind", `"Report"`) + "\n", statement.CodeMalformed, []string{`field "kind"`, `"Report"`}},
		{"kind with empty part", header + withField("kind", `"member..enrol"`) + "\n", statement.CodeMalformed, []string{`field "kind"`}},
		{"bad author", header + withField("author", `"alice smith"`) + "\n", statement.CodeMalformed, []string{`field "author"`, `"alice smith"`}},
		{"author with plus", header + withField("author", `"a+b"`) + "\n", statement.CodeMalformed, []string{`field "author"`}},
		{"negative ref", header + withField("refs", `[{"index":-1,"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]`) + "\n", statement.CodeMalformed, []string{"refs[0]", "negative index -1"}},
		{"bad ref hash", header + withField("refs", `[{"index":1,"hash":"nope"}]`) + "\n", statement.CodeMalformed, []string{"invalid statement fields"}},
		{"refs not a list", header + withField("refs", `{}`) + "\n", statement.CodeMalformed, []string{"invalid statement fields"}},
		{"kind not a string", header + withField("kind", `5`) + "\n", statement.CodeMalformed, []string{"invalid statement fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := signText(t, tt.text, alice)
			_, err := statement.Open(msg, known)
			wantError(t, err, tt.code, tt.want...)
			_, err = statement.Parse(msg)
			wantError(t, err, tt.code, tt.want...)
		})
	}
}

// TestSignatureRefusals covers the refusals that concern a note's
// signature block.
func TestSignatureRefusals(t *testing.T) {
	text := header + validJSON + "\n"
	good := signText(t, text, alice)
	tests := []struct {
		name    string
		msg     func(t *testing.T) []byte
		verbose bool // whether Parse refuses it too
		code    statement.Code
		want    []string
	}{
		{
			name: "unsigned",
			msg:  func(t *testing.T) []byte { return []byte(text) },
			code: statement.CodeMalformed, want: []string{"not a signed note"}, verbose: true,
		},
		{
			name: "repeated signature line",
			msg: func(t *testing.T) []byte {
				return append(slicesClone(good), sigLines(good)[0]...)
			},
			code: statement.CodeMalformed, want: []string{"repeats a signature"}, verbose: true,
		},
		{
			name: "repeated signature line among two signers",
			msg: func(t *testing.T) []byte {
				m := signText(t, text, alice, bob)
				return append(m, sigLines(m)[0]...)
			},
			code: statement.CodeMalformed, want: []string{"repeats a signature"}, verbose: true,
		},
		{
			name: "second, invalid signature by the same key",
			msg: func(t *testing.T) []byte {
				// note.Open ignores a second signature by a key it already
				// verified; the statement must refuse it rather than store
				// an unchecked line.
				line := strings.TrimSuffix(sigLines(good)[0], "\n")
				sig, err := base64.StdEncoding.DecodeString(line[strings.LastIndex(line, " ")+1:])
				if err != nil {
					t.Fatal(err)
				}
				sig[len(sig)-1] ^= 1 // same key hash, another signature
				return fmt.Appendf(slicesClone(good), "— alice %s\n", base64.StdEncoding.EncodeToString(sig))
			},
			code: statement.CodeMalformed, want: []string{"repeats a signature"},
		},
		{
			name: "unknown key only",
			msg:  func(t *testing.T) []byte { return signText(t, withAuthor(text, "carol"), carol) },
			code: statement.CodeForbidden, want: []string{"unknown key", `"carol"`},
		},
		{
			name: "known and unknown keys",
			msg:  func(t *testing.T) []byte { return signText(t, text, alice, carol) },
			code: statement.CodeForbidden, want: []string{"unknown key", `"carol"`},
		},
		{
			name: "known name, unknown key hash",
			msg:  func(t *testing.T) []byte { return signText(t, text, aliceOther) },
			code: statement.CodeForbidden, want: []string{"unknown key", `"alice"`},
		},
		{
			name: "signature does not verify",
			msg: func(t *testing.T) []byte {
				m := slicesClone(good)
				i := bytes.Index(m, []byte("all quiet"))
				m[i] = 'A'
				return m
			},
			code: statement.CodeForbidden, want: []string{`"alice"`, "does not verify"},
		},
		{
			name: "author did not sign",
			msg:  func(t *testing.T) []byte { return signText(t, withAuthor(text, "bob"), alice) },
			code: statement.CodeForbidden, want: []string{`the author "bob" did not sign`},
		},
		{
			name: "author is not a key name of any signer",
			msg:  func(t *testing.T) []byte { return signText(t, withAuthor(text, "dave"), alice, bob) },
			code: statement.CodeForbidden, want: []string{`"dave"`, "did not sign"},
		},
		{
			name: "over MaxSize",
			msg:  func(t *testing.T) []byte { return sizedMessage(t, statement.MaxSize+1) },
			code: statement.CodeTooLarge, want: []string{fmt.Sprint(statement.MaxSize + 1), fmt.Sprint(statement.MaxSize)}, verbose: true,
		},
		{
			name: "far over MaxSize",
			msg:  func(t *testing.T) []byte { return sizedMessage(t, 3*statement.MaxSize) },
			code: statement.CodeTooLarge, want: []string{"limit is 65535"}, verbose: true,
		},
		{
			name: "invalid UTF-8",
			msg: func(t *testing.T) []byte {
				m := slicesClone(good)
				i := bytes.Index(m, []byte("all quiet"))
				m[i] = 0xff
				return m
			},
			code: statement.CodeMalformed, want: []string{"not a signed note"}, verbose: true,
		},
		{
			name: "control character",
			msg: func(t *testing.T) []byte {
				return signText(t, header+strings.Replace(validJSON, "all quiet", "all\tquiet", 1)+"\n", alice)
			},
			code: statement.CodeMalformed, want: []string{"not a signed note"}, verbose: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg(t)
			_, err := statement.Open(msg, known)
			wantError(t, err, tt.code, tt.want...)
			_, perr := statement.Parse(msg)
			if tt.verbose {
				wantError(t, perr, tt.code, tt.want...)
			}
		})
	}
}

func withAuthor(text, author string) string {
	return strings.Replace(text, `"author":"alice"`, `"author":"`+author+`"`, 1)
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// TestMaxSizeBoundary checks that a statement of exactly MaxSize bytes is
// accepted and one byte more is not.
func TestMaxSizeBoundary(t *testing.T) {
	msg := sizedMessage(t, statement.MaxSize)
	if _, err := statement.Open(msg, known); err != nil {
		t.Errorf("Open of a %d-byte statement: %v", len(msg), err)
	}
	if _, err := statement.Parse(msg); err != nil {
		t.Errorf("Parse of a %d-byte statement: %v", len(msg), err)
	}
	msg = sizedMessage(t, statement.MaxSize+1)
	_, err := statement.Open(msg, known)
	wantError(t, err, statement.CodeTooLarge, "65536")
}

func TestSignRefusals(t *testing.T) {
	big := withField("text", `"`+strings.Repeat("x", statement.MaxSize)+`"`)
	tests := []struct {
		name string
		obj  string
		code statement.Code // empty: a plain error, not a refusal
		want string
	}{
		{"invalid json", `{"a":`, "", "couldn't read statement JSON"},
		{"empty", ``, "", "couldn't read statement JSON"},
		{"array", `[1]`, statement.CodeMalformed, "exactly one JSON object"},
		{"two objects", `{"a":1} {"b":2}`, "", "couldn't read statement JSON"},
		{"duplicate key", `{"a":1,"a":2}`, statement.CodeMalformed, `duplicate JSON key "a"`},
		{"nested duplicate key", `{"a":{"b":1,"b":1}}`, statement.CodeMalformed, `duplicate JSON key "b"`},
		{"too large", big, statement.CodeTooLarge, "65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := statement.Sign([]byte(tt.obj), alice.signer)
			if err == nil {
				t.Fatalf("Sign succeeded: %q", msg)
			}
			if tt.code != "" {
				wantError(t, err, tt.code, tt.want)
				return
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSignOpenRoundTrip(t *testing.T) {
	// Indented input: Sign compacts it.
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(validJSON), "", "  "); err != nil {
		t.Fatal(err)
	}
	msg, err := statement.Sign(indented.Bytes(), alice.signer)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	wantText := header + validJSON + "\n"
	if !bytes.HasPrefix(msg, []byte(wantText+"\n— alice ")) {
		t.Errorf("signed note is\n%s\nwant it to start with\n%s", msg, wantText)
	}
	st, err := statement.Open(msg, known)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := statement.Fields{Mechanism: "test-mech", Kind: "report", Author: "alice", At: "2025-01-02T03:04:05Z", Refs: []statement.Ref{}}
	if fmt.Sprint(st.Fields) != fmt.Sprint(want) {
		t.Errorf("Fields = %+v, want %+v", st.Fields, want)
	}
	if !st.Time.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) || st.Time.Location() != time.UTC {
		t.Errorf("Time = %v, want 2025-01-02T03:04:05Z in UTC", st.Time)
	}
	if string(st.JSON) != validJSON {
		t.Errorf("JSON = %s, want %s", st.JSON, validJSON)
	}
	if !bytes.Equal(st.Signed, msg) {
		t.Errorf("Signed differs from the message")
	}
	if len(st.Signers) != 1 || st.Signers[0].Name != "alice" || st.Signers[0].Hash != alice.verifier.KeyHash() {
		t.Errorf("Signers = %+v, want alice", st.Signers)
	}
	if !st.SignedBy("alice", alice.verifier.KeyHash()) {
		t.Errorf("SignedBy(alice) = false")
	}
	if st.SignedBy("alice", aliceOther.verifier.KeyHash()) || st.SignedBy("bob", bob.verifier.KeyHash()) {
		t.Errorf("SignedBy is true for a key that did not sign")
	}

	// Signing is deterministic: the same object signs to the same bytes.
	again, err := statement.Sign([]byte(validJSON), alice.signer)
	if err != nil || !bytes.Equal(again, msg) {
		t.Errorf("signing the compact object again gave %q, %v", again, err)
	}

	// Parse reads the same statement without verifying.
	p, err := statement.Parse(msg)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Signers) != 0 {
		t.Errorf("Parse Signers = %v, want none", p.Signers)
	}
	if len(p.Unverified) != 1 || p.Unverified[0].Name != "alice" || p.Unverified[0].Hash != alice.verifier.KeyHash() {
		t.Errorf("Parse Unverified = %+v, want alice's signature", p.Unverified)
	}
	if len(st.Unverified) != 0 {
		t.Errorf("Open Unverified = %+v, want none", st.Unverified)
	}
	if fmt.Sprint(p.Fields) != fmt.Sprint(st.Fields) || !p.Time.Equal(st.Time) || !bytes.Equal(p.JSON, st.JSON) || !bytes.Equal(p.Signed, msg) {
		t.Errorf("Parse = %+v, Open = %+v", p, st)
	}

	// Refs survive the round trip.
	ref := withField("refs", `[{"index":3,"hash":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}]`)
	msg, err = statement.Sign([]byte(ref), alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = statement.Open(msg, known)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Refs) != 1 || st.Refs[0].Index != 3 || st.Refs[0].Hash[0] != 1 || st.Refs[0].Hash[31] != 32 {
		t.Errorf("Refs = %+v", st.Refs)
	}
}

func TestOpenFractionalTime(t *testing.T) {
	msg := signText(t, header+withField("at", `"2025-01-02T03:04:05.123456789Z"`)+"\n", alice)
	st, err := statement.Open(msg, known)
	if err != nil {
		t.Fatal(err)
	}
	if st.Time.Nanosecond() != 123456789 || st.Time.Location() != time.UTC {
		t.Errorf("Time = %v", st.Time)
	}
}

func TestMultiSignature(t *testing.T) {
	msg, err := statement.Sign([]byte(validJSON), alice.signer, bob.signer)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sigLines(msg)); n != 2 {
		t.Fatalf("%d signature lines, want 2:\n%s", n, msg)
	}
	st, err := statement.Open(msg, known)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if len(st.Signers) != 2 || st.Signers[0].Name != "alice" || st.Signers[1].Name != "bob" {
		t.Errorf("Signers = %+v, want alice then bob", st.Signers)
	}
	if !st.SignedBy("alice", alice.verifier.KeyHash()) || !st.SignedBy("bob", bob.verifier.KeyHash()) {
		t.Errorf("SignedBy is false for a signer")
	}

	// Every signature must be by a known key.
	_, err = statement.Open(msg, note.VerifierList(alice.verifier))
	wantError(t, err, statement.CodeForbidden, "unknown key", `"bob"`)
	// Only bob known: the author's signature is then unverified.
	_, err = statement.Open(msg, note.VerifierList(bob.verifier))
	wantError(t, err, statement.CodeForbidden, "unknown key", `"alice"`)

	// A co-signer that is not the author is fine; the author must sign.
	msg, err = statement.Sign([]byte(validJSON), bob.signer, alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = statement.Open(msg, known)
	if err != nil {
		t.Fatalf("Open with the author signing second: %v", err)
	}
	if len(st.Signers) != 2 || st.Signers[0].Name != "bob" {
		t.Errorf("Signers = %+v, want bob then alice (note order)", st.Signers)
	}

	// Two keys with the same name both sign.
	msg, err = statement.Sign([]byte(validJSON), alice.signer, aliceOther.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = statement.Open(msg, note.VerifierList(alice.verifier, aliceOther.verifier))
	if err != nil {
		t.Fatalf("Open signed by two keys named alice: %v", err)
	}
	if len(st.Signers) != 2 {
		t.Errorf("Signers = %+v, want two", st.Signers)
	}

	// Parse does not verify: it reads a note signed by unknown keys.
	msg, err = statement.Sign([]byte(withField("author", `"carol"`)), carol.signer, bob.signer)
	if err != nil {
		t.Fatal(err)
	}
	p, err := statement.Parse(msg)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Author != "carol" || len(p.Signers) != 0 || len(p.Unverified) != 2 || p.Unverified[0].Name != "carol" || p.Unverified[1].Name != "bob" {
		t.Errorf("Parse = %+v", p)
	}
}

func TestDecode(t *testing.T) {
	type report struct {
		statement.Fields
		Summary string `json:"summary"`
	}
	msg, err := statement.Sign([]byte(validJSON), alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err := statement.Open(msg, known)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := st.Decode(&r); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if r.Summary != "all quiet" || r.Author != "alice" {
		t.Errorf("Decode = %+v", r)
	}

	msg, err = statement.Sign([]byte(withField("surprise", `true`)), alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = statement.Open(msg, known)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Decode(&r)
	wantError(t, err, statement.CodeMalformed, "invalid report statement", "surprise")

	msg, err = statement.Sign([]byte(withField("summary", `7`)), alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = statement.Open(msg, known)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Decode(&r)
	wantError(t, err, statement.CodeMalformed, "invalid report statement")
}

// TestCaseVariantKeys checks that a statement cannot carry the same field
// twice under names that differ only in case. encoding/json matches field
// names case-insensitively (with Unicode folding: U+212A KELVIN SIGN folds
// to 'k'), so without this check Go reads the last variant while a verifier
// in another language reads the exact key: one signed statement, two
// meanings.
func TestCaseVariantKeys(t *testing.T) {
	tests := []struct {
		name string
		obj  string
	}{
		{"upper-case duplicate", strings.TrimSuffix(validJSON, "}") + `,"KIND":"member.enrol"}`},
		{"title-case duplicate", strings.TrimSuffix(validJSON, "}") + `,"Author":"bob"}`},
		{"kelvin sign duplicate", strings.TrimSuffix(validJSON, "}") + `,"\u212aind":"rulebook"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := signText(t, header+tt.obj+"\n", alice, bob)
			st, err := statement.Parse(msg)
			if err == nil {
				var raw map[string]any
				json.Unmarshal(st.JSON, &raw)
				t.Fatalf("Parse accepted a statement whose exact keys say kind %q, author %q, but Go read kind %q, author %q",
					raw["kind"], raw["author"], st.Kind, st.Author)
			}
			wantError(t, err, statement.CodeMalformed)
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{"2025-01-02T03:04:05Z", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"2025-01-02T03:04:05.5Z", time.Date(2025, 1, 2, 3, 4, 5, 5e8, time.UTC), ""},
		{"1970-01-01T00:00:00Z", time.Unix(0, 0).UTC(), ""},
		{"9999-12-31T23:59:59.999999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), ""},
		{"", time.Time{}, "missing"},
		{"1969-12-31T23:59:59Z", time.Time{}, "out of range"},
		{"0000-01-01T00:00:00Z", time.Time{}, "out of range"},
		{"2025-01-02T03:04:05+01:00", time.Time{}, "not in UTC"},
		{"2025-01-02T03:04:05+00:00", time.Time{}, "not in UTC"},
		{"2025-01-02T03:04:05", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02T03:04:05z", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02t03:04:05Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-13-02T03:04:05Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-02-30T03:04:05Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02T24:00:00Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02T03:04:60Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02T03:04:05.Z", time.Time{}, "not an RFC 3339 time"},
		{"2025-01-02T03:04:05ZZ", time.Time{}, "not an RFC 3339 time"},
		{" 2025-01-02T03:04:05Z", time.Time{}, "not an RFC 3339 time"},
		{"Z", time.Time{}, "not an RFC 3339 time"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := statement.ParseTime(tt.in)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("ParseTime(%q) = %v, want an error mentioning %q", tt.in, got, tt.err)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ParseTime(%q) error %q does not mention %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
			}
			if f := statement.FormatTime(got); f != tt.in {
				t.Errorf("FormatTime(ParseTime(%q)) = %q", tt.in, f)
			}
		})
	}
}

// TestParseTimeCommaFraction checks that ParseTime keeps to RFC 3339, whose
// fractional seconds follow a '.'. Go's time.Parse also accepts a ','
// (ISO 8601), which verifiers in other languages refuse.
func TestParseTimeCommaFraction(t *testing.T) {
	for _, in := range []string{"2025-01-02T03:04:05,5Z", "2025-01-02T03:04:05,123456789Z"} {
		if got, err := statement.ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %v; want a refusal: RFC 3339 fractions use '.'", in, got)
		}
	}
}

func TestFormatTime(t *testing.T) {
	in := time.Date(2025, 1, 2, 8, 4, 5, 0, time.FixedZone("east", 5*3600))
	if got, want := statement.FormatTime(in), "2025-01-02T03:04:05Z"; got != want {
		t.Errorf("FormatTime = %q, want %q", got, want)
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"a", true},
		{"0", true},
		{"party-a", true},
		{"m.e_c-1", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"-a", false},
		{".a", false},
		{"A", false},
		{"a b", false},
		{"a/b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := statement.ValidID(tt.in); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidKeyName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"alice", true},
		{"example.org/log", true},
		{"Ünïcode", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{"a b", false},
		{"a+b", false},
		{"a\tb", false},
		{"a\nb", false},
		{"a\x00b", false},
		{"a\x7fb", false},
	}
	for _, tt := range tests {
		if got := statement.ValidKeyName(tt.in); got != tt.want {
			t.Errorf("ValidKeyName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		err  *statement.Error
		code statement.Code
		str  string
	}{
		{statement.Malformed("bad %d", 1), statement.CodeMalformed, "bad 1"},
		{statement.Invalid("rule %q", "x"), statement.CodeInvalid, `rule "x"`},
		{statement.Forbidden("no"), statement.CodeForbidden, "no"},
	}
	for _, tt := range tests {
		if tt.err.Code != tt.code || tt.err.Error() != tt.str || tt.err.Reason != tt.str {
			t.Errorf("got %+v, want code %q reason %q", tt.err, tt.code, tt.str)
		}
	}
	// The codes are part of the API.
	for code, want := range map[statement.Code]string{
		statement.CodeMalformed: "malformed", statement.CodeInvalid: "invalid", statement.CodeForbidden: "forbidden",
		statement.CodeDuplicate: "duplicate", statement.CodeTooLarge: "too_large", statement.CodeNotFound: "not_found",
		statement.CodeInternal: "internal", statement.CodeShutdown: "unavailable",
	} {
		if string(code) != want {
			t.Errorf("code %q, want %q", code, want)
		}
	}
}

// TestPredecode: Decode into the type Predecode decoded gives what it gave,
// the error too, without reading the JSON again; into another type it
// decodes the JSON.
func TestPredecode(t *testing.T) {
	type report struct {
		statement.Fields
		Summary string `json:"summary"`
	}
	type other struct {
		statement.Fields
		Summary string `json:"summary"`
	}
	open := func(text string) *statement.Statement {
		msg, err := statement.Sign([]byte(text), alice.signer)
		if err != nil {
			t.Fatal(err)
		}
		st, err := statement.Open(msg, known)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open(validJSON)
	st.Predecode(new(report))
	json := st.JSON
	st.JSON = []byte("{")
	var r report
	if err := st.Decode(&r); err != nil || r.Summary != "all quiet" || r.Author != "alice" {
		t.Errorf("Decode after Predecode = %+v, %v", r, err)
	}
	var o other
	err := st.Decode(&o)
	wantError(t, err, statement.CodeMalformed, "invalid report statement")
	st.JSON = json
	if err := st.Decode(&o); err != nil || o.Summary != "all quiet" {
		t.Errorf("Decode into another type = %+v, %v", o, err)
	}

	st = open(withField("surprise", `true`))
	st.Predecode(new(report))
	err = st.Decode(&r)
	wantError(t, err, statement.CodeMalformed, "invalid report statement", "surprise")
}

// BenchmarkParse measures reading a signed report, its signature
// unverified: the strict check of its bytes and its common fields, what
// every statement costs before Ed25519. "small" is a report of 15 fields
// and 640 bytes; "demo" the first report of the newest release's log in
// testdata (the demo's first), of 20 fields and 2,326 bytes.
func BenchmarkParse(b *testing.B) {
	parse := func(b *testing.B, msg []byte) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := statement.Parse(msg); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("small", func(b *testing.B) { parse(b, smallReport(b)) })
	b.Run("demo", func(b *testing.B) {
		bundle, err := os.ReadFile(filepath.Join("..", "..", "testdata", "logs", "2026-12-02-rules4", "entries"))
		if err != nil {
			b.Fatal(err)
		}
		for len(bundle) > 0 {
			var msg []byte
			if msg, bundle, err = torchwood.ReadTileEntry(bundle); err != nil {
				b.Fatal(err)
			}
			if bytes.Contains(msg, []byte(`"kind":"report"`)) {
				parse(b, msg)
				return
			}
		}
		b.Fatal("no report in the log")
	})
}

// smallReport is a signed report of 15 fields.
func smallReport(b *testing.B) []byte {
	obj := `{"mechanism":"pak-afg-2025","kind":"report","author":"alice","at":"2025-10-20T09:15:00Z","refs":[],` +
		`"event_type":"explosions_remote_violence","sub_event_type":"shelling_artillery_missile_attack","event_at":"2025-10-20T04:30:00Z",` +
		`"place":{"name":"Chaman","admin1":"Balochistan","lat":30.9210,"lon":66.4597,"precision":"town"},` +
		`"accused":"afghanistan","category":"cross_border_fire","casualties":{"killed":{"civilian":2,"combatant":0},"injured":{"civilian":5}},` +
		`"clauses":["2.1","2.3"],"channel":"liaison","summary":"Mortar rounds fired from across the border landed near the crossing; two civilians killed and five injured."}`
	return signText(b, header+obj+"\n", alice)
}
