package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("submit", stderr)
	var keys listFlag
	fs.Var(&keys, "key", "private key file to sign with (required); repeat to add co-signers, the first is the author")
	server := fs.String("server", "", "base URL of the sulh server, such as http://127.0.0.1:8080 (required)")
	var seal sealFlag
	fs.Var(&seal, "seal-for", "file the statement sealed, readable by the author's body and these bodies (comma-separated ids) until it is disclosed; 'self' for the author's body alone")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh submit --key FILE [--key FILE...] --server URL [--seal-for BODIES|self] [FILE|-]")
		fmt.Fprintln(stderr, "\nSigns the statement JSON in FILE (or standard input) and submits it. Missing")
		fmt.Fprintln(stderr, "fields are filled in: mechanism (from the server), author (the first key's")
		fmt.Fprintln(stderr, "name), at (now) and refs (none). A network error or a 5xx answer is retried")
		fmt.Fprintf(stderr, "(%d attempts in all) with the same signed bytes; a retry that finds the statement\n", maxAttempts)
		fmt.Fprintln(stderr, "already in the log reports its index as the receipt.")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(keys) == 0 || *server == "" || fs.NArg() > 1 {
		return usageError{"usage: sulh submit --key FILE --server URL [--seal-for BODIES|self] [FILE|-]"}
	}
	var in io.Reader = os.Stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("couldn't read statement: %w", err)
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, statement.MaxSize+1))
	if err != nil {
		return fmt.Errorf("couldn't read statement: %w", err)
	}
	signers, err := loadSigners(keys)
	if err != nil {
		return err
	}
	s := newSender(*server, stderr)
	var body []byte
	if seal.set {
		body, err = s.submitSealed(ctx, raw, signers, seal.visibility())
	} else {
		body, err = s.submitStatement(ctx, raw, signers)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(body)
	return err
}

// sealSelf, as --seal-for, seals a statement for its author's body alone.
const sealSelf = "self"

// sealFlag is --seal-for. Given at all, it seals the statement: a value
// that names no body is refused, never taken to mean "in public".
type sealFlag struct {
	set    bool
	self   bool     // self was named
	bodies []string // the other bodies named
}

func (f *sealFlag) String() string {
	if f == nil {
		return ""
	}
	l := slices.Clone(f.bodies)
	if f.self {
		l = append([]string{sealSelf}, l...)
	}
	return strings.Join(l, ",")
}

func (f *sealFlag) Set(v string) error {
	named := false
	for _, p := range strings.Split(v, ",") {
		switch p = strings.TrimSpace(p); p {
		case "":
			continue
		case sealSelf:
			f.self = true
		default:
			f.bodies = append(f.bodies, p)
		}
		named = true
	}
	if !named {
		return fmt.Errorf("%q names no body, and a sealed statement is never filed in public: give the ids of the bodies that may read it besides yours, comma-separated, or %s for your own body alone", v, sealSelf)
	}
	f.set = true
	return nil
}

// visibility returns the sealed statement's visibility: the bodies named
// other than the author's own, which always reads it; none for self alone.
func (f *sealFlag) visibility() []string {
	return append([]string{}, f.bodies...)
}

// maxAttempts is how many times a request is sent before giving up, when
// the network fails or the server answers 5xx or 429.
const maxAttempts = 4

// A sender talks to a sulh server and retries what may not have arrived.
// Every statement it posts is completed and signed once, before the first
// attempt, so a retry sends the same bytes: the log takes them at most once,
// and a retry that meets them there (409 duplicate) has succeeded.
type sender struct {
	base   string
	client *http.Client
	stderr io.Writer     // each retry is told here
	delay  time.Duration // before the first retry; doubled before each next
}

func newSender(server string, stderr io.Writer) *sender {
	return &sender{
		base:   strings.TrimSuffix(server, "/"),
		client: &http.Client{Timeout: 30 * time.Second},
		stderr: stderr,
		delay:  500 * time.Millisecond,
	}
}

// submitStatement completes the statement JSON raw (see completeStatement),
// signs it with signers, the first being the author, and submits it. It
// returns the server's receipt.
func (s *sender) submitStatement(ctx context.Context, raw []byte, signers []note.Signer) ([]byte, error) {
	obj, err := s.completeStatement(ctx, raw, signers[0].Name())
	if err != nil {
		return nil, err
	}
	msg, err := statement.Sign(obj, signers...)
	if err != nil {
		return nil, err
	}
	return s.post(ctx, "/api/v1/statements", "text/plain; charset=utf-8", msg, msg)
}

// submitSealed completes the statement JSON raw, seals it for the bodies
// in visibility (its author's own body always reads it), and files the
// sealed statement with its body. The salt is drawn once, so a retry sends
// the same sealed statement.
func (s *sender) submitSealed(ctx context.Context, raw []byte, signers []note.Signer, visibility []string) ([]byte, error) {
	body, err := s.completeStatement(ctx, raw, signers[0].Name())
	if err != nil {
		return nil, err
	}
	var inner statement.Fields
	if err := json.Unmarshal(body, &inner); err != nil {
		return nil, err
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	outer, err := json.Marshal(map[string]any{
		"mechanism": inner.Mechanism, "kind": mechanism.KindSealed, "author": inner.Author, "at": inner.At, "refs": []statement.Ref{},
		"sealed_kind": inner.Kind, "visibility": visibility, "digest": mechanism.SealDigest(salt, body),
	})
	if err != nil {
		return nil, err
	}
	msg, err := statement.Sign(outer, signers...)
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(web.SealedRequest{Statement: string(msg), Salt: hex.EncodeToString(salt), Body: body})
	if err != nil {
		return nil, err
	}
	return s.post(ctx, "/api/v1/sealed", "application/json", req, msg)
}

// post posts body to path and returns the receipt of a 201, or the
// server's refusal as an error. msg is the signed statement that body is or
// carries: when a retry finds it already in the log, post returns the
// receipt of that entry.
func (s *sender) post(ctx context.Context, path, contentType string, body, msg []byte) ([]byte, error) {
	r, tries, err := s.do(ctx, "submit", "POST", path, contentType, "", body)
	if err != nil {
		return nil, err
	}
	switch {
	case r.status == http.StatusCreated:
		return r.body, nil
	case r.status == http.StatusConflict && tries > 1:
		idx, ok := duplicateIndex(r.body)
		if !ok {
			break
		}
		fmt.Fprintf(s.stderr, "An earlier attempt was filed: the statement is in the log at index %d.\n", idx)
		return s.receipt(ctx, idx, tlog.RecordHash(msg))
	}
	return nil, r.refusal()
}

// receipt returns the receipt of the entry at index idx, as the server
// writes it, with the leaf hash the server gives for that entry: the log
// holds a text once, so the entry may bear other signatures than msg. If
// the server cannot say, the receipt has msg's leaf hash.
func (s *sender) receipt(ctx context.Context, idx int64, leaf tlog.Hash) ([]byte, error) {
	a, _, err := s.do(ctx, "read the entry", "GET", fmt.Sprintf("/api/v1/statements/%d?at_least=%d", idx, idx), "", "", nil)
	if err == nil && a.status != http.StatusOK {
		err = a.refusal()
	}
	var e struct {
		LeafHash *tlog.Hash `json:"leaf_hash"`
	}
	if err == nil && (json.Unmarshal(a.body, &e) != nil || e.LeafHash == nil) {
		err = fmt.Errorf("the server's entry %d gives no leaf hash", idx)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "The receipt gives the leaf hash of the statement sent: %v\n", err)
	} else {
		leaf = *e.LeafHash
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ledger.Receipt{Index: idx, LeafHash: leaf}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// answer is a server's answer to a request.
type answer struct {
	status     int
	line       string // such as "503 Service Unavailable"
	body       []byte
	retryAfter time.Duration
}

// do sends a request to path with body (if not nil) and bearer token (if
// not empty), and sends it again while the network fails or the server
// answers 5xx or 429, up to maxAttempts times, waiting longer each time and
// telling each retry on stderr; what is "submit" or the like, for those
// lines. It returns the last answer and how many attempts were made.
func (s *sender) do(ctx context.Context, what, method, path, contentType, token string, body []byte) (answer, int, error) {
	for attempt := 1; ; attempt++ {
		a, err := s.once(ctx, method, path, contentType, token, body)
		if err == nil && a.status != http.StatusTooManyRequests && a.status < 500 {
			return a, attempt, nil
		}
		if err == nil {
			err = a.refusal()
		}
		err = fmt.Errorf("couldn't %s: %w", what, err)
		if ctx.Err() != nil {
			return answer{}, attempt, err
		}
		if attempt == maxAttempts {
			return answer{}, attempt, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		wait := s.delay << (attempt - 1)
		if a.retryAfter > wait && a.retryAfter <= time.Minute {
			wait = a.retryAfter
		}
		fmt.Fprintf(s.stderr, "%v; trying again in %v (attempt %d of %d)\n", err, wait, attempt+1, maxAttempts)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return answer{}, attempt, err
		case <-t.C:
		}
	}
}

// once sends a request once and reads the whole answer.
func (s *sender) once(ctx context.Context, method, path, contentType, token string, body []byte) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("the answer (%s) was cut short: %w", resp.Status, err)
	}
	a := answer{status: resp.StatusCode, line: resp.Status, body: b}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		a.retryAfter = time.Duration(secs) * time.Second
	}
	return a, nil
}

// refusal turns an error answer into an error that says why, a
// *refusedError.
func (a answer) refusal() error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(a.body, &e) == nil && e.Error.Code != "" {
		return &refusedError{status: a.status, msg: fmt.Sprintf("refused (%s): %s", e.Error.Code, e.Error.Message)}
	}
	return &refusedError{status: a.status, msg: fmt.Sprintf("refused: %s: %s", a.line, strings.TrimSpace(string(a.body)))}
}

// refusedError is a server's answer that refuses a request, with its
// status: the server was reached, and said no.
type refusedError struct {
	status int
	msg    string
}

func (e *refusedError) Error() string { return e.msg }

// duplicateAt finds the index in the message of a duplicate refusal from a
// server that does not give it as a field.
var duplicateAt = regexp.MustCompile(`at index (\d+)`)

// duplicateIndex returns the log index that a duplicate refusal names.
func duplicateIndex(body []byte) (int64, bool) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Index   *int64 `json:"index"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code != string(statement.CodeDuplicate) {
		return 0, false
	}
	if e.Error.Index != nil {
		return *e.Error.Index, *e.Error.Index >= 0
	}
	m := duplicateAt.FindStringSubmatch(e.Error.Message)
	if m == nil {
		return 0, false
	}
	idx, err := strconv.ParseInt(m[1], 10, 64)
	return idx, err == nil
}

// completeStatement fills in the fields a statement needs that the file
// leaves out. The result is compact JSON with its keys sorted.
func (s *sender) completeStatement(ctx context.Context, raw []byte, author string) ([]byte, error) {
	raw, err := timesToUTC(raw)
	if err != nil {
		return nil, fmt.Errorf("the statement is not a JSON object: %w", err)
	}
	var obj map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("the statement is not a JSON object: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("the statement has data after its JSON object")
	}
	set := func(k string, v any) error {
		if _, ok := obj[k]; ok {
			return nil
		}
		b, err := json.Marshal(v)
		obj[k] = b
		return err
	}
	if _, ok := obj["mechanism"]; !ok {
		id, err := s.mechanismID(ctx)
		if err != nil {
			return nil, err
		}
		set("mechanism", id)
	}
	set("author", author)
	set("at", statement.FormatTime(time.Now().Truncate(time.Second)))
	set("refs", []statement.Ref{})
	return json.Marshal(obj)
}

// timeKeys are the statement fields that hold times.
var timeKeys = map[string]bool{"at": true, "time": true, "since": true, "start": true, "end": true, "deadline": true,
	"expires": true, "date": true, "from": true, "to": true}

// timesToUTC rewrites every time the statement gives with a zone offset,
// such as 2025-10-20T22:00:00+05:00 (Pakistan time), in UTC, as
// statements are signed: 2025-10-20T17:00:00Z.
func timesToUTC(raw []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return raw, nil // completeStatement says what is wrong
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && timeKeys[k] {
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						v[k] = statement.FormatTime(t)
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return json.Marshal(v)
}

// mechanismID asks the server for its mechanism's id.
func (s *sender) mechanismID(ctx context.Context) (string, error) {
	a, _, err := s.do(ctx, "ask the server for its mechanism", "GET", "/api/v1/mechanism", "", "", nil)
	if err != nil {
		return "", err
	}
	var m struct {
		ID string `json:"id"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &m) != nil || m.ID == "" {
		return "", fmt.Errorf("couldn't ask the server for its mechanism: %s", a.line)
	}
	return m.ID, nil
}
