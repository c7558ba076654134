// Package statement encodes, signs, parses and verifies sulh statements:
// signed notes (c2sp.org/signed-note) whose text is the line
// "sulh-statement/v1" followed by one JSON object.
//
// The bytes of the signed note are exactly the bytes stored in the log, so any
// language with an Ed25519 implementation can verify a statement.
package statement

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Version is the first line of every statement's text.
const Version = "sulh-statement/v1"

// MaxSize is the largest signed statement, in bytes. It is the largest entry
// that a c2sp.org/tlog-tiles entry bundle can hold (a 16-bit length).
const MaxSize = 65535

// Ref points at an earlier statement by its log index and leaf hash.
type Ref struct {
	Index int64     `json:"index"`
	Hash  tlog.Hash `json:"hash"`
}

// Fields are the fields every statement carries. Kind-specific structs embed
// Fields so that they can be decoded strictly from the same JSON object.
type Fields struct {
	Mechanism string `json:"mechanism"`
	Kind      string `json:"kind"`
	Author    string `json:"author"`
	At        string `json:"at"`
	Refs      []Ref  `json:"refs"`
}

// Statement is a parsed, verified statement.
type Statement struct {
	Fields
	// Time is At parsed; always UTC.
	Time time.Time
	// JSON is the statement's JSON object, exactly as signed.
	JSON []byte
	// Signers are the keys whose signatures verified, in note order.
	Signers []note.Signature
	// Unverified are the signatures that Parse read but did not verify.
	Unverified []note.Signature
	// Signed is the whole signed note: the bytes stored in the log.
	Signed []byte

	// decoded is what Predecode decoded the statement into, and
	// decodeErr what that gave.
	decoded   any
	decodeErr error
}

// Predecode decodes the statement into v, a pointer to a new zero value,
// as Decode does, and keeps the outcome: a later Decode into a value of
// the same type copies it rather than decode again, and Predecoded hands
// it out. This is how the goroutines that open statements take their
// decoding off the one that applies them.
func (s *Statement) Predecode(v any) {
	s.decodeErr = s.decode(v, true)
	s.decoded = v
}

// Predecoded returns the value that Predecode decoded the statement into
// and what Decode gave, or nil if Predecode was not called. The value is
// the statement's own: whoever reads it must not change it.
func (s *Statement) Predecoded() (any, error) { return s.decoded, s.decodeErr }

// SignedBy reports whether the key named name, with key hash hash, signed s.
func (s *Statement) SignedBy(name string, hash uint32) bool {
	for _, sig := range s.Signers {
		if sig.Name == name && sig.Hash == hash {
			return true
		}
	}
	return false
}

// Decode decodes the statement's JSON strictly into v: unknown fields are
// refused. v should embed Fields. A zero v that is a Decoder reads itself,
// where it can, without encoding/json's reflection, and to the same value.
func (s *Statement) Decode(v any) error { return s.decode(v, false) }

// decode is Decode; zero says that v points to a zero value, which it
// then need not check.
func (s *Statement) decode(v any, zero bool) error {
	if s.decoded != nil {
		if dst, src := reflect.ValueOf(v), reflect.ValueOf(s.decoded); dst.Type() == src.Type() && dst.Kind() == reflect.Pointer && !dst.IsNil() {
			// A shallow copy: every Decode of the type shares the slices
			// and maps that Predecode made.
			dst.Elem().Set(src.Elem())
			return s.decodeErr
		}
	}
	if dec, ok := v.(Decoder); ok {
		if pv := reflect.ValueOf(v); pv.Kind() == reflect.Pointer && !pv.IsNil() && (zero || pv.Elem().IsZero()) {
			if ReadJSON(s.JSON, dec) {
				return nil
			}
			pv.Elem().SetZero()
		}
	}
	d := json.NewDecoder(bytes.NewReader(s.JSON))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		// encoding/json stops at the first problem and names Go's types;
		// say what each field must be, all at once.
		if ps := Explain(s.JSON, v, "a "+s.Kind+" statement"); len(ps) > 0 {
			return explainError("invalid "+s.Kind+" statement", ps)
		}
		return Malformed("invalid %s statement: %v", s.Kind, jsonError(err))
	}
	return nil
}

// The forms of a statement's kind, keys, times and identifiers, checked
// byte by byte: they are checked for every statement, many times over, in
// every replay. form_test.go holds each to the regular expression in its
// comment.

// isKind reports whether s matches ^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$.
func isKind(s string) bool {
	start := true // at the start of a segment
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && !start:
		case c == '.' && !start:
			start = true
			continue
		default:
			return false
		}
		start = false
	}
	return !start
}

// isID reports whether s matches ^[a-z0-9][a-z0-9._-]{0,63}$: the form of
// identifiers and of every key of every JSON object in a statement (a key
// as written has then no escapes).
func isID[T string | []byte](s T) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// isTime reports whether s matches
// ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$: RFC 3339 in UTC, with
// optional fractional seconds.
func isTime(s string) bool {
	const form = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(form)+1 || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(form); i++ {
		if c := s[i]; form[i] == 'd' && (c < '0' || c > '9') || form[i] != 'd' && c != form[i] {
			return false
		}
	}
	frac := s[len(form) : len(s)-1]
	if len(frac) == 0 {
		return true
	}
	if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return false
		}
	}
	return true
}

// ValidID reports whether s is a valid identifier for a mechanism, a body or
// another named thing: lower-case letters, digits, '.', '_' and '-', at most
// 64 characters, starting with a letter or digit.
func ValidID(s string) bool { return isID(s) }

// ValidKeyName reports whether s is a valid signed-note key name.
func ValidKeyName(s string) bool {
	return s != "" && len(s) <= 128 && !strings.ContainsAny(s, "+ \t\n") &&
		strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f }) < 0
}

// Open parses msg as a signed statement and verifies its signatures against
// keys. Every signature must be by a key in keys and must verify; the author
// must be among the signers. The returned error is an *Error.
func Open(msg []byte, keys note.Verifiers) (*Statement, error) {
	if len(msg) > MaxSize {
		return nil, tooLarge(len(msg))
	}
	n, err := openNote(msg, keys)
	if err != nil {
		// As before openNote: a keyring's own error that wraps an
		// invalid signature is one too.
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return nil, Forbidden("signature by key %q does not verify", invalid.Name)
		}
		return nil, notANote(msg, err)
	}
	if len(n.unverified) > 0 {
		return nil, Forbidden("signature by unknown key %q", n.unverified[0].Name)
	}
	s, err := parseNote(msg, n)
	if err != nil {
		return nil, err
	}
	s.Signers = n.sigs
	if !slices.ContainsFunc(n.sigs, func(sig note.Signature) bool { return sig.Name == s.Author }) {
		return nil, Forbidden("the author %q did not sign the statement", s.Author)
	}
	return s, nil
}

// Parse parses msg as a signed statement without verifying any signature.
// The result's Signers is empty; Unverified lists the signature lines.
// Use it only to read what a statement says before its keys are known.
func Parse(msg []byte) (s *Statement, err error) {
	if len(msg) > MaxSize {
		return nil, tooLarge(len(msg))
	}
	n, err := openNote(msg, nil)
	if err != nil {
		return nil, notANote(msg, err)
	}
	s, err = parseNote(msg, n)
	if err != nil {
		return nil, err
	}
	s.Unverified = n.unverified
	return s, nil
}

// ParseObject parses obj, the JSON object of a statement, by the rules of
// a statement's text (one object, lower-case keys, no duplicates, the common
// fields), without signatures: how a sealed statement's confidential body
// is checked as the statement it will be disclosed as.
func ParseObject(obj []byte) (*Statement, error) {
	if len(obj) > MaxSize {
		return nil, tooLarge(len(obj))
	}
	text := make([]byte, 0, len(Version)+len(obj)+2)
	text = append(append(append(text, Version+"\n"...), obj...), '\n')
	return parseText(text)
}

// notANote is the refusal of msg, which openNote refused with err; plain
// JSON, a statement that nobody signed, is told how to sign it.
func notANote(msg []byte, err error) *Error {
	if b := bytes.TrimSpace(msg); len(b) > 0 && b[0] == '{' {
		return Malformed("this is plain JSON, not a signed statement: a statement is a signed note (the line %q, the JSON object, a blank line, then the signatures); sign and send it with: sulh submit --key YOUR.key --server URL FILE.json (which fills in mechanism, author and at)", Version)
	}
	if !bytes.Contains(msg, []byte("\n\n")) {
		return Malformed("not a signed note: the statement has no signature (a blank line, then a line \"— NAME SIGNATURE\" per key); sign it with: sulh submit --key YOUR.key --server URL FILE.json")
	}
	return Malformed("not a signed note: %v", err)
}

func tooLarge(n int) *Error {
	return &Error{Code: CodeTooLarge, Reason: fmt.Sprintf("statement is %d bytes; the limit is %d", n, MaxSize)}
}

// parseNote checks the signature block of an opened note and parses its text.
func parseNote(msg []byte, n openedNote) (*Statement, error) {
	// A note is read with its repeated signatures dropped; a statement
	// must not carry any, so that one set of signers has one encoding.
	if n.lines != len(n.sigs)+len(n.unverified) {
		return nil, Malformed("note repeats a signature")
	}
	// The text is msg's first bytes: the statement's JSON is read from
	// msg itself, with no copy.
	s, err := parseText(n.text)
	if err != nil {
		return nil, err
	}
	s.Signed = msg
	return s, nil
}

// parseText parses and checks the text of a statement note. The
// statement's JSON is a slice of text.
func parseText(text []byte) (*Statement, error) {
	first, rest, ok := bytes.Cut(text, []byte("\n"))
	if !ok {
		return nil, Malformed("statement text has no header line")
	}
	if string(first) != Version {
		if bytes.HasPrefix(first, []byte("sulh-statement/")) {
			return nil, Malformed("unsupported statement version %q; this server reads %q", first, Version)
		}
		return nil, Malformed("statement text must start with the line %q", Version)
	}
	body, ok := bytes.CutSuffix(rest, []byte("\n"))
	if !ok || len(body) == 0 {
		return nil, Malformed("statement has no JSON object")
	}
	s := &Statement{JSON: body[:len(body):len(body)]}
	// The one-pass check finds the common fields as it reads; kinds
	// decode the rest strictly.
	var top [len(fieldNames)][2]int
	fast := fastScan(s.JSON, &top)
	if !fast {
		if err := checkJSON(s.JSON); err != nil {
			return nil, err
		}
	}
	if fast && fastFields(s.JSON, &top, &s.Fields) {
		if err := s.checkFields(); err != nil {
			return nil, err
		}
		return s, nil
	}
	s.Fields = Fields{}
	if err := s.decodeFields(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeFields decodes the common fields of s.JSON with encoding/json,
// and checks them.
func (s *Statement) decodeFields() error {
	if err := json.Unmarshal(s.JSON, &s.Fields); err != nil {
		var ps []Problem
		for _, p := range Explain(s.JSON, &s.Fields, "") {
			if !strings.HasPrefix(p.Msg, "unknown field") {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			return explainError("invalid statement fields", ps)
		}
		return Malformed("invalid statement fields: %v", jsonError(err))
	}
	return s.checkFields()
}

func (s *Statement) checkFields() error {
	if !ValidID(s.Mechanism) {
		return Malformed("field \"mechanism\" must be an identifier (lower-case letters, digits, '.', '_', '-'), got %q", s.Mechanism)
	}
	if !isKind(s.Kind) {
		return Malformed("field \"kind\" is missing or malformed: %q", s.Kind)
	}
	if !ValidKeyName(s.Author) {
		return Malformed("field \"author\" must be a key name, got %q", s.Author)
	}
	t, err := ParseTime(s.At)
	if err != nil {
		return Malformed("field \"at\": %v", err)
	}
	s.Time = t
	for i, r := range s.Refs {
		if r.Index < 0 {
			return Malformed("refs[%d]: negative index %d", i, r.Index)
		}
	}
	return nil
}

// ParseTime parses an RFC 3339 time that must be in UTC, written with "Z".
func ParseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("time is missing")
	}
	if !isTime(v) {
		if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return time.Time{}, fmt.Errorf("%q is not in UTC; write times as RFC 3339 with a trailing Z", v)
		}
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time in UTC such as 2025-10-19T12:00:00Z", v)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time: %v", v, strings.TrimPrefix(err.Error(), "parsing time "))
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range", v)
	}
	return t.UTC(), nil
}

// FormatTime formats t as sulh writes times: RFC 3339, UTC, with a Z.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// checkJSON checks that b is exactly one JSON object, with no duplicate keys
// at any depth and nothing before or after it.
func checkJSON(b []byte) error {
	if len(b) == 0 || b[0] != '{' || b[len(b)-1] != '}' {
		return Malformed("statement text after the header must be exactly one JSON object")
	}
	if fastJSON(b) {
		return nil
	}
	return walkJSON(b)
}

// walkJSON is checkJSON, token by token, with encoding/json: it decides
// what the fast scan leaves open, and says why it refuses.
func walkJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := walkValue(d, 0); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return Malformed("trailing data after the JSON object")
	}
	return nil
}

const maxDepth = 32

func walkValue(d *json.Decoder, depth int) error {
	if depth > maxDepth {
		return Malformed("JSON nests deeper than %d levels", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return Malformed("invalid JSON: %v", jsonError(err))
	}
	switch tok {
	case json.Delim('{'):
		seen := make(map[string]bool)
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return Malformed("invalid JSON: %v", jsonError(err))
			}
			key := k.(string)
			// Go's JSON decoder matches names case-insensitively, with
			// Unicode folding; other languages do not. Only lower-case
			// identifiers as keys means one statement has one meaning.
			if !isID(key) {
				return Malformed("JSON key %q is not a lower-case identifier (a-z, 0-9, '_', '.', '-')", key)
			}
			if seen[key] {
				return Malformed("duplicate JSON key %q", key)
			}
			seen[key] = true
			if err := walkValue(d, depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil {
			return Malformed("invalid JSON: %v", jsonError(err))
		}
	case json.Delim('['):
		for d.More() {
			if err := walkValue(d, depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil {
			return Malformed("invalid JSON: %v", jsonError(err))
		}
	}
	return nil
}

func jsonError(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of JSON"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Never a Go type's name.
		return fmt.Sprintf("%s: a %s is not what this field takes", te.Field, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Sign encodes the JSON object obj (compacted) as a statement text and signs
// it with every signer. The result is what gets submitted and stored.
func Sign(obj []byte, signers ...note.Signer) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, obj); err != nil {
		return nil, fmt.Errorf("couldn't read statement JSON: %w", err)
	}
	if err := checkJSON(buf.Bytes()); err != nil {
		return nil, err
	}
	if len(signers) == 0 {
		return nil, errors.New("couldn't sign statement: no key to sign with")
	}
	text := Version + "\n" + buf.String() + "\n"
	msg, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		return nil, fmt.Errorf("couldn't sign statement: %w", err)
	}
	// Refuse to produce what Open would refuse (repeated signers, a text
	// that is not a note's, a bad time, an oversized note).
	if _, err := Parse(msg); err != nil {
		return nil, err
	}
	return msg, nil
}
