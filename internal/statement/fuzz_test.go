package statement_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// seedStatements returns signed notes, valid and not, to seed the fuzzers.
func seedStatements(t testing.TB) [][]byte {
	texts := []string{
		validJSON,
		withField("refs", `[{"index":3,"hash":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}]`),
		withField("at", `"2025-01-02T03:04:05.123456789Z"`),
		withField("at", `"2025-01-02T03:04:05+02:00"`),
		withField("author", `"bob"`),
		withField("extra", `{"x":[1,2,{"y":null}],"z":"\u00e9\n"}`),
		withField("extra", `{"x":1,"x":2}`),
		withField("kind", `"member.enrol"`),
		strings.TrimSuffix(validJSON, "}") + `,"kind":"report"}`,
		validJSON + `{}`,
		`{"a":1}`,
		`[]`,
		"{\n  \"mechanism\": \"test-mech\",\n  \"kind\": \"report\",\n  \"author\": \"alice\",\n  \"at\": \"2025-01-02T03:04:05Z\"\n}",
	}
	var out [][]byte
	for _, text := range texts {
		out = append(out,
			signText(t, header+text+"\n", alice),
			signText(t, header+text+"\n", alice, bob),
			signText(t, header+text+"\n", bob, carol),
		)
	}
	good := signText(t, header+validJSON+"\n", alice)
	out = append(out,
		signText(t, "sulh-statement/v2\n"+validJSON+"\n", alice),
		signText(t, header, alice),
		append(slicesClone(good), sigLines(good)[0]...),
		[]byte(header+validJSON+"\n"),
		[]byte{},
	)
	return out
}

// exactKeysUnique reports whether every JSON object in b has distinct keys.
func exactKeysUnique(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	var walk func() bool
	walk = func() bool {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				k, err := d.Token()
				if err != nil || seen[k.(string)] {
					return false
				}
				seen[k.(string)] = true
				if !walk() {
					return false
				}
			}
			_, err = d.Token()
			return err == nil
		case json.Delim('['):
			for d.More() {
				if !walk() {
					return false
				}
			}
			_, err = d.Token()
			return err == nil
		}
		return true
	}
	if !walk() {
		return false
	}
	_, err := d.Token()
	return err == io.EOF
}

// checkRefusal checks that err is a *statement.Error with one of codes.
func checkRefusal(t *testing.T, err error, codes ...statement.Code) {
	t.Helper()
	var e *statement.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not a *statement.Error", err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			if e.Reason == "" {
				t.Fatalf("refusal %q has no reason", c)
			}
			return
		}
	}
	t.Fatalf("code %q (%q), want one of %v", e.Code, e.Reason, codes)
}

// checkParsed checks what must hold of any statement Parse or Open returns.
func checkParsed(t *testing.T, msg []byte, s *statement.Statement) {
	t.Helper()
	if len(msg) > statement.MaxSize {
		t.Fatalf("accepted a %d-byte statement", len(msg))
	}
	if !bytes.Equal(s.Signed, msg) {
		t.Fatalf("Signed is not the message")
	}
	if !json.Valid(s.JSON) || s.JSON[0] != '{' || s.JSON[len(s.JSON)-1] != '}' {
		t.Fatalf("JSON %q is not one object", s.JSON)
	}
	if !exactKeysUnique(s.JSON) {
		t.Fatalf("JSON %q has a duplicate key", s.JSON)
	}
	if !bytes.HasPrefix(msg, []byte(header+string(s.JSON)+"\n\n")) {
		t.Fatalf("JSON %q is not the statement text of %q", s.JSON, msg)
	}
	if s.Time.Location() != time.UTC {
		t.Fatalf("Time %v is not UTC", s.Time)
	}
	if tt, err := statement.ParseTime(s.At); err != nil || !tt.Equal(s.Time) {
		t.Fatalf("ParseTime(At %q) = %v, %v; Time is %v", s.At, tt, err, s.Time)
	}
	if tt, err := statement.ParseTime(statement.FormatTime(s.Time)); err != nil || !tt.Equal(s.Time) {
		t.Fatalf("FormatTime(%v) does not parse back: %v, %v", s.Time, tt, err)
	}
	if !statement.ValidID(s.Mechanism) || !statement.ValidKeyName(s.Author) || s.Kind == "" {
		t.Fatalf("accepted fields %+v", s.Fields)
	}
	for _, r := range s.Refs {
		if r.Index < 0 {
			t.Fatalf("accepted a negative ref %d", r.Index)
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(s.JSON, &obj); err != nil {
		t.Fatalf("JSON does not decode into a map: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range seedStatements(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s, err := statement.Parse(msg)
		if err != nil {
			checkRefusal(t, err, statement.CodeMalformed, statement.CodeTooLarge)
			return
		}
		checkParsed(t, msg, s)
		if len(s.Signers) != 0 {
			t.Fatalf("Parse returned signers %v", s.Signers)
		}
		if n := len(sigLines(msg)); n != len(s.Unverified) {
			t.Fatalf("%d signature lines but %d unverified signatures", n, len(s.Unverified))
		}
		again, err := statement.Parse(msg)
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("Parse is not deterministic: %+v, %v", again, err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	for _, s := range seedStatements(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s, err := statement.Open(msg, known)
		if err != nil {
			checkRefusal(t, err, statement.CodeMalformed, statement.CodeForbidden, statement.CodeTooLarge)
			return
		}
		checkParsed(t, msg, s)

		// Every signature is by a known key, once, and the author signed.
		if len(s.Signers) == 0 || len(s.Unverified) != 0 {
			t.Fatalf("Open returned signers %v, unverified %v", s.Signers, s.Unverified)
		}
		if n := len(sigLines(msg)); n != len(s.Signers) {
			t.Fatalf("%d signature lines but %d signers", n, len(s.Signers))
		}
		var signers []note.Signer
		authorSigned := false
		seen := map[string]bool{}
		for _, sig := range s.Signers {
			var k *testKey
			switch {
			case sig.Name == alice.name && sig.Hash == alice.verifier.KeyHash():
				k = alice
			case sig.Name == bob.name && sig.Hash == bob.verifier.KeyHash():
				k = bob
			default:
				t.Fatalf("signer %s/%08x is not a known key", sig.Name, sig.Hash)
			}
			if seen[k.name] {
				t.Fatalf("%s signed twice", k.name)
			}
			seen[k.name] = true
			signers = append(signers, k.signer)
			authorSigned = authorSigned || sig.Name == s.Author
		}
		if !authorSigned {
			t.Fatalf("the author %q did not sign", s.Author)
		}

		// Parse agrees with Open.
		p, err := statement.Parse(msg)
		if err != nil {
			t.Fatalf("Open accepted what Parse refuses: %v", err)
		}
		if !reflect.DeepEqual(p.Fields, s.Fields) || !p.Time.Equal(s.Time) || !bytes.Equal(p.JSON, s.JSON) {
			t.Fatalf("Parse read %+v, Open read %+v", p, s)
		}

		// A compact statement is exactly what Sign makes of its JSON.
		var compact bytes.Buffer
		if err := json.Compact(&compact, s.JSON); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(compact.Bytes(), s.JSON) {
			again, err := statement.Sign(s.JSON, signers...)
			if err != nil {
				t.Fatalf("Sign of an opened statement's JSON: %v", err)
			}
			if !bytes.Equal(again, msg) {
				t.Fatalf("Sign made\n%q\nof an opened statement\n%q", again, msg)
			}
		}
	})
}

func FuzzSign(f *testing.F) {
	f.Add([]byte(validJSON))
	f.Add([]byte(withField("extra", `{"a":[1,2,3]}`)))
	f.Add([]byte(" {\n\"a\" : 1 }\n"))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"a":"\u2028"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, obj []byte) {
		msg, err := statement.Sign(obj, alice.signer)
		if err != nil {
			var e *statement.Error
			if errors.As(err, &e) {
				checkRefusal(t, err, statement.CodeMalformed, statement.CodeTooLarge)
			}
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, obj); err != nil {
			t.Fatalf("Sign accepted what json.Compact refuses: %v", err)
		}
		if !bytes.HasPrefix(msg, []byte(header+compact.String()+"\n\n— alice ")) {
			t.Fatalf("Sign made %q of %q", msg, obj)
		}
		if len(msg) > statement.MaxSize {
			t.Fatalf("Sign made a %d-byte statement", len(msg))
		}
		if !utf8.Valid(obj) {
			return // Sign does not check UTF-8; note.Open will refuse it.
		}
		s, err := statement.Open(msg, known)
		if err != nil {
			var e *statement.Error
			if !errors.As(err, &e) || (e.Code == statement.CodeMalformed && strings.HasPrefix(e.Reason, "not a signed note")) {
				t.Fatalf("Sign made a note that does not open: %v\n%q", err, msg)
			}
			return
		}
		if !bytes.Equal(s.JSON, compact.Bytes()) {
			t.Fatalf("Open read JSON %q, signed %q", s.JSON, compact.Bytes())
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2025-01-02T03:04:05Z", "2025-01-02T03:04:05.123456789Z", "1970-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999Z", "2025-01-02T03:04:05+02:00", "2025-01-02T03:04:05-00:00",
		"1969-12-31T23:59:59Z", "2025-01-02", "", "Z", "2025-01-02T03:04:05.Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tm, err := statement.ParseTime(v)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseTime(%q): empty error", v)
			}
			if !tm.IsZero() {
				t.Fatalf("ParseTime(%q) returned %v with error %v", v, tm, err)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) = %v, not UTC", v, tm)
		}
		if !strings.HasSuffix(v, "Z") {
			t.Fatalf("ParseTime(%q) accepted a time without Z", v)
		}
		if y := tm.Year(); y < 1970 || y > 9999 {
			t.Fatalf("ParseTime(%q) = %v, out of range", v, tm)
		}
		formatted := statement.FormatTime(tm)
		back, err := statement.ParseTime(formatted)
		if err != nil || !back.Equal(tm) || back.Location() != time.UTC {
			t.Fatalf("ParseTime(FormatTime(ParseTime(%q))) = %v, %v; want %v", v, back, err, tm)
		}
		if statement.FormatTime(back) != formatted {
			t.Fatalf("FormatTime is not stable: %q then %q", formatted, statement.FormatTime(back))
		}
		if std, err := time.Parse(time.RFC3339Nano, v); err != nil || !std.Equal(tm) {
			t.Fatalf("time.Parse(%q) = %v, %v; ParseTime gave %v", v, std, err, tm)
		}
	})
}

func FuzzVerifierKey(f *testing.F) {
	for _, k := range []*testKey{alice, bob, carol} {
		f.Add(k.skey)
		f.Add(k.vkey)
	}
	f.Add("PRIVATE+KEY+a+00000000+AQ==")
	f.Add("")
	f.Fuzz(func(t *testing.T, skey string) {
		signer, serr := note.NewSigner(strings.TrimSpace(skey))
		vkey, err := statement.VerifierKey(skey)
		if err != nil {
			if serr == nil {
				t.Fatalf("VerifierKey(%q) refused a key note.NewSigner reads: %v", skey, err)
			}
			return
		}
		if serr != nil {
			t.Fatalf("VerifierKey(%q) = %q, but note.NewSigner refuses it: %v", skey, vkey, serr)
		}
		v, err := statement.ParseVerifierKey(vkey)
		if err != nil {
			t.Fatalf("VerifierKey(%q) = %q, which does not parse: %v", skey, vkey, err)
		}
		if v.Name() != signer.Name() || v.KeyHash() != signer.KeyHash() {
			t.Fatalf("verifier %s/%08x, signer %s/%08x", v.Name(), v.KeyHash(), signer.Name(), signer.KeyHash())
		}
		msg, err := note.Sign(&note.Note{Text: "hello\n"}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
			t.Fatalf("the derived verifier key does not verify the signer: %v", err)
		}
	})
}
