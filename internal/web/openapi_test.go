package web_test

// This file checks internal/web/openapi.json against the server and the
// mechanism: the routes, the list parameters, the answers of a demo server
// (every statement kind filed), the statements in its log, the enumerations
// of the mechanism package, the Go types' JSON fields, and the examples of
// docs/statements.md and docs/api.md. Any drift between the document and the
// code fails a test.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	pngpkg "image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// docURL is the base URL the document's schemas are compiled under.
const docURL = "https://sulh.invalid/openapi.json"

// oaFixture is a demo server with every kind of statement in its log, and
// the OpenAPI document it serves.
type oaFixture struct {
	t   *testing.T
	m   *demo.Mechanism
	s   *web.Server
	srv *httptest.Server
	doc map[string]any
	c   *jsonschema.Compiler
	// compiled schemas, by JSON pointer into the document.
	compiled map[string]*jsonschema.Schema
	// seen records the operations requested, as "get /api/v1/cases".
	seen map[string]bool
	// at is the time of the next statement the fixture files itself.
	at time.Time
	// auth, if set, is sent as a bearer token.
	auth string
}

func newOAFixture(t *testing.T) *oaFixture {
	t.Helper()
	ctx := context.Background()
	m, story, reg := mustDemo(t, true)
	s := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)
	store, err := blob.Open(filepath.Join(t.TempDir(), "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Put(ctx, bytes.NewReader(demo.EvidenceNotes), "notes.txt", 1<<20); err != nil {
		t.Fatal(err)
	}
	s.KeepEvidence(store, 1<<20)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	f := &oaFixture{t: t, m: m, s: s, srv: srv, compiled: map[string]*jsonschema.Schema{}, seen: map[string]bool{},
		at: story.End.Add(time.Hour)}

	// The served document is the file, and it is JSON.
	resp, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served, file) {
		t.Fatal("GET /api/v1/openapi.json does not serve internal/web/openapi.json")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	f.doc = doc.(map[string]any)
	if f.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi is %v, want 3.1.0", f.doc["openapi"])
	}
	f.c = jsonschema.NewCompiler()
	f.c.DefaultDraft(jsonschema.Draft2020)
	f.c.AssertFormat()
	if err := f.c.AddResource(docURL, doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return f
}

// pointer joins tokens into a JSON pointer.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

// lookup returns the value at a JSON pointer in the document, or nil.
func (f *oaFixture) lookup(ptr string) any {
	var v any = f.doc
	if ptr == "" {
		return v
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// deref follows $ref from the value at ptr and returns the pointer reached
// and its value.
func (f *oaFixture) deref(ptr string) (string, map[string]any) {
	for range 16 {
		v, _ := f.lookup(ptr).(map[string]any)
		ref, ok := v["$ref"].(string)
		if !ok {
			return ptr, v
		}
		if !strings.HasPrefix(ref, "#/") {
			f.t.Fatalf("%s: $ref %q is not in the document", ptr, ref)
		}
		ptr = ref[1:]
	}
	f.t.Fatalf("%s: $ref loop", ptr)
	return "", nil
}

// schema compiles the schema at a JSON pointer in the document.
func (f *oaFixture) schema(ptr string) *jsonschema.Schema {
	f.t.Helper()
	if s, ok := f.compiled[ptr]; ok {
		return s
	}
	var frag strings.Builder
	for i, tok := range strings.Split(ptr, "/") {
		if i > 0 {
			frag.WriteByte('/')
		}
		frag.WriteString(url.PathEscape(tok))
	}
	s, err := f.c.Compile(docURL + "#" + frag.String())
	if err != nil {
		f.t.Fatalf("couldn't compile the schema at %s: %v", ptr, err)
	}
	f.compiled[ptr] = s
	return s
}

// validate checks JSON against the schema at ptr.
func (f *oaFixture) validate(ptr string, body []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return f.schema(ptr).Validate(inst)
}

// operation returns the pointer of the documented operation.
func (f *oaFixture) operation(method, path string) (string, map[string]any) {
	ptr := pointer("paths", path, strings.ToLower(method))
	op, _ := f.lookup(ptr).(map[string]any)
	return ptr, op
}

// do sends a request for the documented operation method docPath to the
// path target (with its query) and checks the answer against the document:
// its status must be documented, its content type too, documented headers
// present, and a JSON body valid against the documented schema.
func (f *oaFixture) do(method, docPath, target string, body []byte) (int, []byte) {
	f.t.Helper()
	opPtr, op := f.operation(method, docPath)
	if op == nil {
		f.t.Errorf("the document has no operation %s %s", method, docPath)
		return 0, nil
	}
	f.seen[strings.ToLower(method)+" "+docPath] = true
	req, err := http.NewRequest(method, f.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	if f.auth != "" {
		req.Header.Set("Authorization", "Bearer "+f.auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	code := strconv.Itoa(resp.StatusCode)
	respPtr, doc := f.deref(opPtr + pointer("responses", code))
	if doc == nil {
		f.t.Errorf("%s %s answered %s, which the document does not list for %s %s: %s", method, target, code, method, docPath, b)
		return resp.StatusCode, b
	}
	for name := range mapOf(doc["headers"]) {
		if resp.Header.Get(name) == "" {
			f.t.Errorf("%s %s: %s answer has no %s header", method, target, code, name)
		}
	}
	content := mapOf(doc["content"])
	if len(content) == 0 {
		return resp.StatusCode, b
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || (content[mt] == nil && content["*/*"] == nil) {
		f.t.Errorf("%s %s: %s answer has content type %q; the document lists %v", method, target, code, resp.Header.Get("Content-Type"), sortedMapKeys(content))
		return resp.StatusCode, b
	}
	if mt == "application/json" {
		if err := f.validate(respPtr+pointer("content", mt, "schema"), b); err != nil {
			f.t.Errorf("%s %s: the %s answer does not match the document: %v\n%s", method, target, code, err, b)
		}
	}
	return resp.StatusCode, b
}

// get is do for a GET that must answer want.
func (f *oaFixture) get(docPath, target string, want int) []byte {
	f.t.Helper()
	status, b := f.do("GET", docPath, target, nil)
	if status != want {
		f.t.Errorf("GET %s: status %d, want %d: %s", target, status, want, b)
	}
	return b
}

// file signs and posts a statement, first checking that the same statement
// with an unknown field is refused, and returns its index.
func (f *oaFixture) file(obj map[string]any, signers ...note.Signer) int64 {
	f.t.Helper()
	if !f.refusesUnknownField(obj, signers...) {
		f.t.Logf("%v: the server refused the statement with an unknown field as forbidden, before reading its fields", obj["kind"])
	}
	b, err := json.Marshal(obj)
	if err != nil {
		f.t.Fatal(err)
	}
	msg, err := statement.Sign(b, signers...)
	if err != nil {
		f.t.Fatal(err)
	}
	status, body := f.do("POST", "/api/v1/statements", "/api/v1/statements", msg)
	if status != http.StatusCreated {
		f.t.Fatalf("a %v was refused: %d %s", obj["kind"], status, body)
	}
	var r ledger.Receipt
	if err := json.Unmarshal(body, &r); err != nil {
		f.t.Fatal(err)
	}
	return r.Index
}

// refusesUnknownField checks that the server and the kind's schema both
// refuse obj with one more field.
func (f *oaFixture) refusesUnknownField(obj map[string]any, signers ...note.Signer) bool {
	f.t.Helper()
	bad := map[string]any{"zz_unknown": true}
	for k, v := range obj {
		bad[k] = v
	}
	b, err := json.Marshal(bad)
	if err != nil {
		f.t.Fatal(err)
	}
	kind, _ := obj["kind"].(string)
	if f.validate(pointer("components", "schemas", "statement."+kind), b) == nil {
		f.t.Errorf("the statement.%s schema accepts an unknown field", kind)
	}
	msg, err := statement.Sign(b, signers...)
	if err != nil {
		f.t.Fatal(err)
	}
	status, body := f.do("POST", "/api/v1/statements", "/api/v1/statements", msg)
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(body, &e)
	if status == http.StatusForbidden {
		return false // a key no longer active: not a test of the fields
	}
	if status != http.StatusBadRequest || e.Error.Code != "malformed" || !strings.Contains(e.Error.Message, `unknown field "zz_unknown"`) {
		f.t.Errorf("a %s with an unknown field: %d %s; want 400 malformed, unknown field", kind, status, body)
	}
	return true
}

// envelope returns the common fields of a statement by author, at the
// fixture's next time.
func (f *oaFixture) envelope(kind, author string) map[string]any {
	f.at = f.at.Add(time.Hour)
	return map[string]any{"mechanism": f.m.Log.Rulebook().ID, "kind": kind, "author": author,
		"at": statement.FormatTime(f.at), "refs": []statement.Ref{}}
}

// fileMembership files what the scenario does not: a member enrolled, its
// key rotated, the member revoked, and a rulebook amendment that refers to
// the genesis.
func (f *oaFixture) fileMembership() {
	t, m := f.t, f.m
	admin := m.Keys.Admins["monitors"]
	const name = "monitors-field-2"
	vkey, err := m.Keys.Generate(name)
	if err != nil {
		t.Fatal(err)
	}
	enrol := f.envelope(mechanism.KindMemberEnrol, admin)
	enrol["body"], enrol["key"], enrol["roles"], enrol["label"] = "monitors", vkey, []string{"observer"}, "Second field monitor"
	f.file(enrol, m.Keys.Signer(admin))

	skey, newVKey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	rotate := f.envelope(mechanism.KindKeyRotate, name)
	rotate["member"], rotate["key"] = name, newVKey
	f.file(rotate, m.Keys.Signer(name), newKey)

	revoke := f.envelope(mechanism.KindMemberRevoke, admin)
	revoke["member"], revoke["reason"] = name, "Left the monitoring team."
	f.file(revoke, m.Keys.Signer(admin))

	var genesis web.StatementResponse
	if err := json.Unmarshal(f.get("/api/v1/statements/{index}", "/api/v1/statements/0", 200), &genesis); err != nil {
		t.Fatal(err)
	}
	rb, err := json.Marshal(m.Log.Rulebook())
	if err != nil {
		t.Fatal(err)
	}
	var amended map[string]any
	if err := json.Unmarshal(rb, &amended); err != nil {
		t.Fatal(err)
	}
	amended["version"] = float64(m.Log.Rulebook().Version + 1)
	amendment := f.envelope(mechanism.KindRulebook, m.Keys.Founders[0])
	amendment["rulebook"] = amended
	amendment["refs"] = []statement.Ref{{Index: 0, Hash: genesis.LeafHash}}
	var founders []note.Signer
	for _, n := range m.Keys.Founders {
		founders = append(founders, m.Keys.Signer(n))
	}
	f.file(amendment, founders...)

	// A monitor's API token, an upload with it and without, the demo's
	// evidence file, and the token revoked. Tokens are checked against
	// the server's clock, so these statements are dated now.
	const secret = "sulh_openapi-test-token"
	sum := sha256.Sum256([]byte(secret))
	now := time.Now().UTC().Truncate(time.Second)
	issue := f.envelope(mechanism.KindTokenIssue, "monitors-field-1")
	issue["at"], issue["token"], issue["expires"], issue["label"] = statement.FormatTime(now), hex.EncodeToString(sum[:]), statement.FormatTime(now.Add(24*time.Hour)), "openapi test"
	f.file(issue, m.Keys.Signer("monitors-field-1"))
	var png bytes.Buffer
	if err := pngpkg.Encode(&png, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	if status, b := f.do("POST", "/api/v1/evidence", "/api/v1/evidence?name=crater.png", png.Bytes()); status != http.StatusUnauthorized {
		t.Errorf("upload without a token: %d %s", status, b)
	}
	f.auth = secret
	if status, b := f.do("POST", "/api/v1/evidence", "/api/v1/evidence?name=crater.png", png.Bytes()); status != http.StatusCreated {
		t.Errorf("upload: %d %s", status, b)
	}
	if status, b := f.do("POST", "/api/v1/evidence", "/api/v1/evidence?name=crater.png", png.Bytes()); status != http.StatusOK {
		t.Errorf("upload again: %d %s", status, b)
	}
	if status, b := f.do("POST", "/api/v1/evidence", "/api/v1/evidence?name=crater.jpg", png.Bytes()); status != http.StatusBadRequest {
		t.Errorf("upload of a PNG named .jpg: %d %s", status, b)
	}
	f.auth = ""
	pngSum := sha256.Sum256(png.Bytes())
	f.get("/api/v1/evidence/{sha256}/thumbnail", "/api/v1/evidence/"+hex.EncodeToString(pngSum[:])+"/thumbnail", 404) // uploaded, not registered
	notes := sha256.Sum256(demo.EvidenceNotes)
	if b := f.get("/api/v1/evidence/{sha256}/file", "/api/v1/evidence/"+hex.EncodeToString(notes[:])+"/file", 200); !bytes.Equal(b, demo.EvidenceNotes) {
		t.Errorf("the demo's evidence file came back as %q", b)
	}
	f.get("/api/v1/evidence/{sha256}/file", "/api/v1/evidence/"+strings.Repeat("0", 64)+"/file", 404)
	// Working copies of the demo's evidence: a redacted version.
	copies := "/api/v1/evidence/" + hex.EncodeToString(notes[:]) + "/copies"
	if status, b := f.do("POST", "/api/v1/evidence/{sha256}/copies", copies+"?name=redacted.txt", []byte("redacted\n")); status != http.StatusUnauthorized {
		t.Errorf("a working copy without a token: %d %s", status, b)
	}
	f.auth = secret
	if status, b := f.do("POST", "/api/v1/evidence/{sha256}/copies", copies+"?name=redacted.txt", []byte("redacted\n")); status != http.StatusCreated {
		t.Errorf("a working copy: %d %s", status, b)
	}
	f.auth = ""
	f.get("/api/v1/evidence/{sha256}/copies", copies, 200)
	if b := f.get("/api/v1/evidence/{sha256}/copies/{name}", copies+"/redacted.txt", 200); string(b) != "redacted\n" {
		t.Errorf("the working copy came back as %q", b)
	}
	f.get("/api/v1/evidence/{sha256}/copies/{name}", copies+"/missing.txt", 404)
	// A sealed report by the monitor, its body read with the token, and
	// its disclosure.
	inner := f.envelope(mechanism.KindReport, "monitors-field-1")
	for k, v := range map[string]any{"channel": "monitor", "event": map[string]any{"time": "2025-11-30T06:00:00Z", "precision": "day"},
		"place": map[string]any{"name": "Ghulam Khan", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
		"summary": "A confidential observation near Ghulam Khan.", "language": "en"} {
		inner[k] = v
	}
	body, err := json.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	salt := bytes.Repeat([]byte{7}, 32)
	outer := f.envelope(mechanism.KindSealed, "monitors-field-1")
	outer["sealed_kind"], outer["visibility"], outer["digest"] = mechanism.KindReport, []string{"qatar", "turkiye"}, mechanism.SealDigest(salt, body)
	ob, _ := json.Marshal(outer)
	sealedMsg, err := statement.Sign(ob, m.Keys.Signer("monitors-field-1"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(web.SealedRequest{Statement: string(sealedMsg), Salt: hex.EncodeToString(salt), Body: body})
	status, b := f.do("POST", "/api/v1/sealed", "/api/v1/sealed", req)
	var rcpt ledger.Receipt
	if status != http.StatusCreated || json.Unmarshal(b, &rcpt) != nil {
		t.Fatalf("sealed statement: %d %s", status, b)
	}
	if status, b := f.do("POST", "/api/v1/sealed", "/api/v1/sealed", []byte(`{"statement":"x","salt":"00","body":{}}`)); status != http.StatusBadRequest {
		t.Errorf("a sealed request with a short salt: %d %s", status, b)
	}
	bodyPath := fmt.Sprintf("/api/v1/sealed/%d/body", rcpt.Index)
	f.get("/api/v1/sealed/{index}/body", bodyPath, 401)
	f.auth = secret
	f.get("/api/v1/sealed/{index}/body", bodyPath, 200)
	f.get("/api/v1/sealed/{index}/body", "/api/v1/sealed/1/body", 404)
	var inbox web.InboxResponse
	if err := json.Unmarshal(f.get("/api/v1/inbox", "/api/v1/inbox?limit=500", 200), &inbox); err != nil || inbox.Body != "monitors" || len(inbox.Items) == 0 {
		t.Errorf("the monitor's inbox: %+v %v", inbox, err)
	}
	f.get("/api/v1/inbox", "/api/v1/inbox?limit=0", 400)
	f.auth = ""
	f.get("/api/v1/inbox", "/api/v1/inbox", 401)
	// A tip's photo: for the monitors' token only; no tip 1 here.
	tipPhoto := "/api/v1/tips/1/files/" + strings.Repeat("a", 64)
	f.get("/api/v1/tips/{id}/files/{sha256}", tipPhoto, 401)
	f.auth = secret
	f.get("/api/v1/tips/{id}/files/{sha256}", tipPhoto, 404)
	f.auth = ""
	f.auth = secret
	f.auth = ""
	disclosure := f.envelope(mechanism.KindDisclosure, "monitors-field-1")
	disclosure["sealed"], disclosure["salt"], disclosure["body"] = rcpt.Index, hex.EncodeToString(salt), json.RawMessage(body)
	f.file(disclosure, m.Keys.Signer("monitors-field-1"))

	untoken := f.envelope(mechanism.KindTokenRevoke, "monitors-field-1")
	untoken["at"], untoken["token"], untoken["reason"] = statement.FormatTime(now), hex.EncodeToString(sum[:]), "test over"
	f.file(untoken, m.Keys.Signer("monitors-field-1"))
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// docPathOf turns a ServeMux pattern's path into an OpenAPI path: "{$}" goes
// and "{name...}" becomes "{name}".
var restWildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`)

func docPathOf(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	return strings.ToLower(method), restWildcard.ReplaceAllString(path, "{$1}")
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// listRoutes returns the documented list routes: those whose answer is a
// list.* schema.
func (f *oaFixture) listRoutes() []string {
	var out []string
	for path := range mapOf(f.doc["paths"]) {
		ref, _ := mapOf(f.lookup(pointer("paths", path, "get", "responses", "200", "content", "application/json", "schema")))["$ref"].(string)
		if strings.HasPrefix(ref, "#/components/schemas/list.") {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// filterRoutes returns the paths of the documented lists and of the
// exports of a list (those with "x-list"), which take the list's
// parameters and refuse others, sorted.
func (f *oaFixture) filterRoutes() []string {
	out := f.listRoutes()
	for path := range mapOf(f.doc["paths"]) {
		if _, ok := mapOf(f.lookup(pointer("paths", path, "get")))["x-list"].(string); ok {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// parameters returns the documented parameters of an operation, in a
// location, by name, each with its schema's pointer.
func (f *oaFixture) parameters(method, path, in string) map[string]string {
	out := map[string]string{}
	opPtr, op := f.operation(method, path)
	list, _ := op["parameters"].([]any)
	for i := range list {
		ptr, p := f.deref(opPtr + pointer("parameters", strconv.Itoa(i)))
		if p["in"] == in {
			out[p["name"].(string)] = ptr
		}
	}
	return out
}

func TestOpenAPI(t *testing.T) {
	f := newOAFixture(t)
	f.fileMembership()

	t.Run("routes", func(t *testing.T) {
		f.t = t
		routes := map[string]bool{}
		for _, p := range f.s.Routes() {
			method, path := docPathOf(p)
			if method == "" {
				t.Errorf("route %q has no method", p)
			}
			routes[method+" "+path] = true
		}
		documented := map[string]bool{}
		for path, item := range mapOf(f.doc["paths"]) {
			for method := range mapOf(item) {
				if slices.Contains(httpMethods, method) {
					documented[method+" "+path] = true
				}
			}
		}
		for r := range routes {
			if !documented[r] {
				t.Errorf("route %s is not in openapi.json", r)
			}
		}
		for d := range documented {
			if !routes[d] {
				t.Errorf("openapi.json documents %s, which is not a route", d)
			}
		}
		// Every path parameter is declared.
		for d := range documented {
			method, path, _ := strings.Cut(d, " ")
			declared := sortedMapKeys(f.parameters(method, path, "path"))
			var inPath []string
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				inPath = append(inPath, m[1])
			}
			sort.Strings(inPath)
			if !slices.Equal(declared, inPath) {
				t.Errorf("%s declares path parameters %v; the path has %v", d, declared, inPath)
			}
		}
	})

	t.Run("schemas", func(t *testing.T) {
		f.t = t
		// Every schema compiles: components, parameters and answers.
		for _, name := range f.schemaNames() {
			f.schema(pointer("components", "schemas", name))
		}
		for path, item := range mapOf(f.doc["paths"]) {
			for method := range mapOf(item) {
				for name, ptr := range f.parameters(method, path, "query") {
					if f.lookup(ptr+"/schema") == nil {
						t.Errorf("%s %s: parameter %s has no schema", method, path, name)
						continue
					}
					f.schema(ptr + "/schema")
				}
				opPtr, op := f.operation(method, path)
				for code := range mapOf(op["responses"]) {
					respPtr, resp := f.deref(opPtr + pointer("responses", code))
					for mt := range mapOf(resp["content"]) {
						f.schema(respPtr + pointer("content", mt, "schema"))
					}
				}
			}
		}
	})

	t.Run("list parameters", func(t *testing.T) {
		f.t = t
		// The routes that refuse an unknown parameter are the documented
		// lists.
		var refusing []string
		accepted := map[string][]string{}
		for _, p := range f.s.Routes() {
			method, path := docPathOf(p)
			if method != "get" || strings.Contains(path, "{") {
				continue
			}
			status, body := f.do("GET", path, path+"?zz_undocumented=1", nil)
			var e struct{ Error struct{ Message string } }
			json.Unmarshal(body, &e)
			_, names, ok := strings.Cut(e.Error.Message, " takes ")
			if status != http.StatusBadRequest || !strings.Contains(e.Error.Message, `unknown parameter "zz_undocumented"`) || !ok {
				continue
			}
			refusing = append(refusing, path)
			accepted[path] = strings.Split(names, ", ")
		}
		sort.Strings(refusing)
		if lists := f.filterRoutes(); !slices.Equal(refusing, lists) {
			t.Errorf("the routes that refuse unknown parameters are %v; the document's lists and their exports are %v", refusing, lists)
		}
		for _, path := range f.filterRoutes() {
			params := f.parameters("get", path, "query")
			code := slices.Clone(accepted[path])
			sort.Strings(code)
			if doc := sortedMapKeys(params); !slices.Equal(doc, code) {
				t.Errorf("GET %s takes %v; the document lists %v", path, code, doc)
			}
			for name, ptr := range params {
				f.checkParameter(path, name, ptr)
			}
		}
	})

	t.Run("answers", func(t *testing.T) {
		f.t = t
		f.checkAnswers()
	})

	t.Run("statements", func(t *testing.T) {
		f.t = t
		f.checkStatements()
	})

	t.Run("every operation", func(t *testing.T) {
		f.t = t
		for path, item := range mapOf(f.doc["paths"]) {
			for method := range mapOf(item) {
				if slices.Contains(httpMethods, method) && !f.seen[method+" "+path] {
					t.Errorf("no test requested %s %s", method, path)
				}
			}
		}
	})

	t.Run("enumerations", func(t *testing.T) {
		f.t = t
		f.checkEnums()
	})

	t.Run("go types", func(t *testing.T) {
		f.t = t
		f.checkGoTypes()
	})

	t.Run("docs/statements.md", func(t *testing.T) {
		f.t = t
		f.checkStatementDocs()
	})

	t.Run("docs/api.md", func(t *testing.T) {
		f.t = t
		f.checkAPIDocs()
	})
}

// checkParameter requests a list with each valid value of a documented
// parameter, and with values the document refuses, and checks that the
// server agrees.
func (f *oaFixture) checkParameter(path, name, ptr string) {
	t := f.t
	p := mapOf(f.lookup(ptr))
	sch := mapOf(p["schema"])
	var valid []string
	enum, hasEnum := sch["enum"].([]any)
	switch {
	case hasEnum:
		valid = strs(enum)
	case sch["type"] == "integer":
		if d, ok := sch["default"].(json.Number); ok {
			valid = append(valid, d.String())
		}
		if mn, ok := sch["minimum"].(json.Number); ok {
			valid = append(valid, mn.String())
		} else {
			valid = append(valid, "1")
		}
		if mx, ok := sch["maximum"].(json.Number); ok {
			valid = append(valid, mx.String())
		}
	case sch["format"] == "date-time":
		valid = []string{"2025-10-19T12:00:00Z", "2025-11-01T00:00:00.5Z"}
	case p["example"] != nil:
		valid = []string{p["example"].(string)}
	default:
		valid = []string{"pakistan", "x"}
	}
	for _, v := range valid {
		f.get(path, path+"?"+url.Values{name: {v}}.Encode(), http.StatusOK)
	}

	// A value the document refuses is refused; one it allows is not.
	restricted := hasEnum || sch["type"] == "integer" || sch["format"] != nil || sch["pattern"] != nil
	status, body := f.do("GET", path, path+"?"+url.Values{name: {"zz-junk"}}.Encode(), nil)
	switch {
	case restricted && status != http.StatusBadRequest:
		t.Errorf("GET %s?%s=zz-junk: %d; the document restricts %s, so it should be refused: %s", path, name, status, name, body)
	case !restricted && status != http.StatusOK:
		t.Errorf("GET %s?%s=zz-junk: %d; the document takes any string for %s: %s", path, name, status, name, body)
	}
	if hasEnum && !strings.Contains(string(body), fmt.Sprint(strs(enum))) {
		t.Errorf("GET %s?%s=zz-junk: %s; want the allowed values %v as the document lists them", path, name, body, strs(enum))
	}
	for _, bound := range []string{"minimum", "maximum"} {
		n, ok := sch[bound].(json.Number)
		if !ok {
			continue
		}
		i, _ := n.Int64()
		if bound == "minimum" {
			i--
		} else {
			i++
		}
		f.get(path, path+"?"+url.Values{name: {strconv.FormatInt(i, 10)}}.Encode(), http.StatusBadRequest)
	}
}

// checkAnswers requests every GET route and validates what it answers.
func (f *oaFixture) checkAnswers() {
	t := f.t
	var mech struct {
		TreeSize int64 `json:"tree_size"`
	}
	if err := json.Unmarshal(f.get("/api/v1/mechanism", "/api/v1/mechanism", 200), &mech); err != nil {
		t.Fatal(err)
	}
	size := mech.TreeSize

	// Lists: every row, one page at a time, and the paging cursor.
	rows := map[string][]map[string]any{}
	for _, path := range f.listRoutes() {
		f.get(path, path, 200)
		var page struct {
			Items []map[string]any `json:"items"`
			Next  *int64           `json:"next"`
		}
		if err := json.Unmarshal(f.get(path, path+"?limit=500", 200), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 0 {
			t.Errorf("GET %s lists nothing: the demo should fill every view so that its rows are checked", path)
		}
		rows[path] = page.Items
		if err := json.Unmarshal(f.get(path, path+"?limit=1", 200), &page); err != nil {
			t.Fatal(err)
		}
		if len(rows[path]) > 1 {
			if page.Next == nil {
				t.Errorf("GET %s?limit=1: next is null, but there are %d items", path, len(rows[path]))
				continue
			}
			if *page.Next > 0 {
				f.get(path, fmt.Sprintf("%s?limit=1&before=%d", path, *page.Next), 200)
			}
		}
	}

	// Every statement, case and crossing.
	for i := range size {
		f.get("/api/v1/statements/{index}", fmt.Sprintf("/api/v1/statements/%d", i), 200)
	}
	for _, c := range rows["/api/v1/cases"] {
		f.get("/api/v1/cases/{id}", fmt.Sprintf("/api/v1/cases/%v", c["id"]), 200)
		f.get("/cases/{id}", fmt.Sprintf("/cases/%v", c["id"]), 200)
	}
	f.get("/api/v1/counts", "/api/v1/counts", 200)
	f.get("/reports/{period}/{file}", "/reports/monthly/2025-11-15.html", 200)
	f.get("/reports/{period}/{file}", "/reports/monthly/2025-11-15.pdf", 200)
	for _, c := range rows["/api/v1/crossings"] {
		f.get("/api/v1/crossings/{id}", "/api/v1/crossings/"+url.PathEscape(c["crossing"].(string)), 200)
		f.get("/crossings/{id}", "/crossings/"+url.PathEscape(c["crossing"].(string)), 200)
	}
	for _, a := range rows["/api/v1/actor_registry"] {
		f.get("/api/v1/actors/{id}", "/api/v1/actors/"+url.PathEscape(a["id"].(string)), 200)
	}
	f.get("/api/v1/actors/{id}", "/api/v1/actors/nobody", 404)
	f.get("/api/v1/proofs/consistency", fmt.Sprintf("/api/v1/proofs/consistency?from=1&to=%d", size), 200)
	f.get("/api/v1/proofs/consistency", fmt.Sprintf("/api/v1/proofs/consistency?from=%d&to=%d", size/2, size), 200)
	f.get("/api/v1/openapi.json", "/api/v1/openapi.json", 200)

	// The log, the page, health and metrics.
	for _, path := range []string{"/", "/map", "/explore", "/log/checkpoint", "/log/key", "/healthz", "/metrics"} {
		f.get(path, path, 200)
	}
	for _, path := range []string{"/published"} {
		f.get(path, path, 200)
	}
	f.get("/explore", fmt.Sprintf("/explore?before=%d", size/2), 200)
	for _, i := range []int64{0, size / 2, size - 1} {
		f.get("/explore/{index}", fmt.Sprintf("/explore/%d", i), 200)
	}
	// The list of cases and the tip form.
	for _, target := range []string{"/cases", "/cases?party=pakistan&stage=&from=2025-10-19&to=2025-12-31&distinct=true&limit=25&lang=ur",
		"/cases?actor=jamaat-ul-ahrar&claim=claimed", "/cases?bbox=66,30,72,36&before=70", "/tip", "/tip?sent=1"} {
		path, _, _ := strings.Cut(target, "?")
		f.get(path, target, 200)
	}
	f.get("/cases", "/cases?stage=nowhere", 400)
	f.get("/cases", "/cases?party=a&party=b", 400)
	if status, b := f.do("POST", "/tip", "/tip", []byte("text=not a form")); status != http.StatusBadRequest {
		t.Errorf("POST /tip with no form: %d %s", status, b)
	}
	f.get("/static/{path}", "/static/app.css", 200)
	f.checkSignin()
	// The forms: the index, each kind's form and the co-signature's.
	f.get("/file", "/file", 200)
	f.get("/file/cosign", "/file/cosign", 200)
	for _, kind := range []string{"report", "reply", "verification", "case.advance", "finding", "endorsement", "crossing.status", "commitment", "action",
		"meeting", "case.close", "penalty", "publication", "evidence", "case.link", "case.unlink", "place", "actor", "actor.claim"} {
		f.get("/file/{kind}", "/file/"+kind, 200)
	}
	f.get("/file/{kind}", "/file/reply?case=15", 200)
	for _, tile := range oaTiles(size) {
		f.get("/log/tile/{path}", "/log/tile/"+tile, 200)
	}

	// Refusals.
	for _, tt := range []struct {
		docPath, target string
		status          int
	}{
		{"/api/v1/statements/{index}", "/api/v1/statements/x", 400},
		{"/api/v1/statements/{index}", fmt.Sprintf("/api/v1/statements/%d", size), 404},
		{"/api/v1/cases/{id}", "/api/v1/cases/999999", 404},
		{"/api/v1/cases/{id}", "/api/v1/cases/x", 404},
		{"/cases/{id}", "/cases/999999", 404},
		{"/explore/{index}", fmt.Sprintf("/explore/%d", size), 404},
		{"/explore/{index}", "/explore/x", 404},
		{"/explore", "/explore?before=0", 400},
		{"/published", "/published?before=x", 400},
		{"/api/v1/counts", "/api/v1/counts?party=pakistan", 400},
		{"/api/v1/cases", "/api/v1/cases?distinct=maybe", 400},
		{"/api/v1/crossings/{id}", "/api/v1/crossings/nowhere", 404},
		{"/crossings/{id}", "/crossings/nowhere", 404},
		{"/reports/{period}/{file}", "/reports/hourly/2025-11-15.html", 404},
		{"/reports/{period}/{file}", "/reports/daily/2025-13-45.html", 404},
		{"/reports/{period}/{file}", "/reports/daily/2025-11-15.txt", 404},
		{"/reports/{period}/{file}", "/reports/daily/2025-11-15.html?x=1", 400},
		{"/file/{kind}", "/file/rulebook", 404},
		{"/api/v1/proofs/consistency", "/api/v1/proofs/consistency?from=x&to=2", 400},
		{"/api/v1/proofs/consistency", "/api/v1/proofs/consistency", 400},
		{"/api/v1/proofs/consistency", fmt.Sprintf("/api/v1/proofs/consistency?from=1&to=%d", size+1), 404},
		{"/log/tile/{path}", "/log/tile/x", 404},
		{"/static/{path}", "/static/nope.css", 404},
		{"/log/tile/{path}", "/log/tile/0/x999/000", 404},
		{"/api/v1/cases", "/api/v1/cases?bbox=1,2,3", 400},
		{"/api/v1/cases", "/api/v1/cases?stage=a&stage=b", 400},
		{"/api/v1/cases", "/api/v1/cases?before=0", 400},
	} {
		f.get(tt.docPath, tt.target, tt.status)
	}
	var first web.StatementResponse
	if err := json.Unmarshal(f.get("/api/v1/statements/{index}", "/api/v1/statements/1", 200), &first); err != nil {
		t.Fatal(err)
	}
	unknownKey, _, _ := note.GenerateKey(rand.Reader, "stranger")
	stranger, _ := note.NewSigner(unknownKey)
	byStranger, err := statement.Sign([]byte(`{"mechanism":"pak-afg-2025","kind":"report","author":"stranger","at":"2025-10-20T00:00:00Z","refs":[]}`), stranger)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"garbage", []byte("hello"), 400},
		{"empty", []byte{}, 400},
		{"too large", bytes.Repeat([]byte("a"), statement.MaxSize+1), 413},
		{"duplicate", []byte(first.Entry), 409},
		{"unknown key", byStranger, 403},
	} {
		if status, body := f.do("POST", "/api/v1/statements", "/api/v1/statements", tt.body); status != tt.status {
			t.Errorf("POST %s: %d, want %d: %s", tt.name, status, tt.status, body)
		}
	}
}

// oaTiles returns tile paths that exist in a tree of size n: the first
// level-0 tile and entry bundle, full or partial.
func oaTiles(n int64) []string {
	w := min(n, 256)
	suffix := ""
	if w < 256 {
		suffix = fmt.Sprintf(".p/%d", w)
	}
	return []string{"0/000" + suffix, "entries/000" + suffix}
}

// checkStatements validates every statement in the log against the schema of
// its kind, and checks that the server refuses what the schemas refuse.
func (f *oaFixture) checkStatements() {
	t := f.t
	var mech struct {
		TreeSize int64 `json:"tree_size"`
	}
	json.Unmarshal(f.get("/api/v1/mechanism", "/api/v1/mechanism", 200), &mech)
	kinds := map[string][]map[string]any{}
	signed := map[string][]*statement.Statement{}
	for i := range mech.TreeSize {
		var e web.StatementResponse
		if err := json.Unmarshal(f.get("/api/v1/statements/{index}", fmt.Sprintf("/api/v1/statements/%d", i), 200), &e); err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(e.Statement, &obj); err != nil {
			t.Fatal(err)
		}
		kind, _ := obj["kind"].(string)
		ptr := pointer("components", "schemas", "statement."+kind)
		if f.lookup(ptr) == nil {
			t.Errorf("statement %d is a %q, for which the document has no schema", i, kind)
			continue
		}
		if err := f.validate(ptr, e.Statement); err != nil {
			t.Errorf("statement %d (%s) does not match statement.%s: %v\n%s", i, kind, kind, err, e.Statement)
		}
		kinds[kind] = append(kinds[kind], obj)
		st, err := statement.Parse([]byte(e.Entry))
		if err != nil {
			t.Fatal(err)
		}
		signed[kind] = append(signed[kind], st)
	}
	for _, k := range mechanism.Kinds {
		if len(kinds[k]) == 0 {
			t.Errorf("the demo log holds no %s, so its schema is not checked against a real one", k)
		}
	}

	// The schemas refuse what the server refuses, beginning with unknown
	// fields: for each kind, one statement whose signers are still active
	// is signed again with one more field.
	for _, k := range mechanism.Kinds {
		checked := false
		for i := len(signed[k]) - 1; i >= 0 && !checked; i-- {
			st := signed[k][i]
			var signers []note.Signer
			for _, sig := range st.Unverified {
				s, ok := f.m.Keys.Signers[sig.Name]
				if !ok || s.KeyHash() != sig.Hash {
					signers = nil
					break
				}
				signers = append(signers, s)
			}
			if len(signers) == 0 {
				continue
			}
			checked = f.refusesUnknownField(kinds[k][i], signers...)
		}
		if !checked {
			t.Logf("%s: no statement in the log whose keys are all still active, to check that the server refuses unknown fields", k)
		}
		if len(kinds[k]) > 0 {
			other := map[string]any{}
			for key, v := range kinds[k][0] {
				other[key] = v
			}
			other["kind"] = "zz.other"
			b, _ := json.Marshal(other)
			if f.validate(pointer("components", "schemas", "statement."+k), b) == nil {
				t.Errorf("statement.%s accepts a statement of another kind", k)
			}
		}
	}

	// Kinds whose Go types are not exported cannot be compared field by
	// field (see checkGoTypes): the real statements must use every field
	// their schema lists, which shows that the server accepts them.
	for _, k := range []string{mechanism.KindRulebook, mechanism.KindMemberEnrol, mechanism.KindMemberRevoke, mechanism.KindKeyRotate} {
		used := map[string]bool{}
		for _, obj := range kinds[k] {
			for key := range obj {
				used[key] = true
			}
		}
		props := sortedMapKeys(mapOf(f.lookup(pointer("components", "schemas", "statement."+k, "properties"))))
		if got := sortedMapKeys(used); !slices.Equal(got, props) {
			t.Errorf("statement.%s lists fields %v; the statements in the log use %v", k, props, got)
		}
	}
}

// checkEnums compares the document's enumerations with the mechanism's.
func (f *oaFixture) checkEnums() {
	t := f.t
	var eventTypes, subTypes []string
	for _, et := range mechanism.EventTypes {
		eventTypes = append(eventTypes, et.ID)
		for _, s := range et.SubTypes {
			subTypes = append(subTypes, s.ID)
		}
	}
	withEmpty := func(l []string) []string { return append([]string{""}, l...) }
	deadlineStatus := []string{mechanism.DeadlineOpen, mechanism.DeadlineMet, mechanism.DeadlineMissed, mechanism.DeadlineClosed}
	bodyTypes := []string{mechanism.BodyParty, mechanism.BodyMediator, mechanism.BodyMonitor, mechanism.BodyBoard, mechanism.BodyWitness, mechanism.BodyOther}
	decisions := []string{mechanism.KindFinding, mechanism.KindEndorsement}
	codes := []string{string(statement.CodeMalformed), string(statement.CodeInvalid), string(statement.CodeForbidden), string(statement.CodeDuplicate),
		string(web.CodeUnauthorized), string(statement.CodeTooLarge), string(statement.CodeNotFound), string(statement.CodeShutdown), string(statement.CodeInternal)}
	s := func(tokens ...string) string { return pointer(append([]string{"components", "schemas"}, tokens...)...) }
	for _, tt := range []struct {
		ptr  string
		want []string
	}{
		{s("statement.report", "properties", "channel", "enum"), mechanism.Channels},
		{s("eventTime", "properties", "precision", "enum"), mechanism.Precisions},
		{s("actor", "properties", "role", "enum"), withEmpty(mechanism.ActorRoles)},
		{s("observation", "properties", "method", "enum"), mechanism.Methods},
		{s("statement.reply", "properties", "position", "enum"), mechanism.Positions},
		{s("statement.reply", "properties", "positions", "items", "enum"), mechanism.ReplyPositions},
		{s("row.reply", "properties", "positions", "items", "enum"), mechanism.ReplyPositions},
		{s("statement.actor", "properties", "type", "enum"), mechanism.ActorTypes},
		{s("row.actor_registry.columns", "properties", "type", "enum"), mechanism.ActorTypes},
		{s("caseActor", "properties", "type", "enum"), mechanism.ActorTypes},
		{s("statement.actor.claim", "properties", "position", "enum"), mechanism.ClaimPositions},
		{s("row.actor_claim", "properties", "position", "enum"), mechanism.ClaimPositions},
		{s("claimSource", "properties", "medium", "enum"), mechanism.ClaimMedia},
		{s("row.actor_claim", "properties", "medium", "enum"), mechanism.ClaimMedia},
		{s("row.actor_claim", "properties", "said_precision", "enum"), mechanism.Precisions},
		{s("statement.finding", "properties", "outcome", "enum"), mechanism.Outcomes},
		{s("statement.crossing.status", "properties", "status", "enum"), mechanism.Crossings},
		{s("statement.action", "properties", "result", "enum"), withEmpty(mechanism.ActionResults)},
		{s("statement.report", "properties", "event_type", "enum"), eventTypes},
		{s("statement.report", "properties", "sub_event_type", "enum"), subTypes},
		{s("rulebook.body", "properties", "type", "enum"), bodyTypes},
		{s("rulebook.stage", "properties", "requires", "enum"), decisions},
		{s("rulebook.stage", "properties", "allows", "items", "enum"), decisions},
		{s("row.claim", "properties", "measure", "enum"), mechanism.Measures},
		{s("row.claim", "properties", "kind", "enum"), []string{mechanism.KindReport, mechanism.KindReply}},
		{s("row.case.columns", "properties", "channel", "enum"), mechanism.Channels},
		{s("row.case.columns", "properties", "event_precision", "enum"), mechanism.Precisions},
		{s("row.case.columns", "properties", "event_type", "enum"), eventTypes},
		{s("row.case.columns", "properties", "sub_event_type", "enum"), subTypes},
		{s("row.case.columns", "properties", "outcome", "enum"), withEmpty(mechanism.Outcomes)},
		{s("row.finding", "properties", "outcome", "enum"), mechanism.Outcomes},
		{s("row.crossing.columns", "properties", "status", "enum"), mechanism.Crossings},
		{s("row.crossing_event", "properties", "status", "enum"), mechanism.Crossings},
		{s("row.commitment", "properties", "status", "enum"), deadlineStatus},
		{s("row.deadline", "properties", "status", "enum"), deadlineStatus},
		{s("row.action", "properties", "result", "enum"), withEmpty(mechanism.ActionResults)},
		{s("row.statement", "properties", "kind", "enum"), mechanism.Kinds},
		{s("history", "properties", "kind", "enum"), mechanism.Kinds},
		{s("error", "properties", "error", "properties", "code", "enum"), codes},
		{s("statement.case.close", "properties", "reason", "enum"), mechanism.CloseReasons},
		{s("row.case.columns", "properties", "status", "enum"), mechanism.CaseStatuses},
		{s("row.case.columns", "properties", "closed_reason", "enum"), withEmpty(mechanism.CloseReasons)},
		{s("sideFigure", "properties", "measure", "enum"), mechanism.Measures},
		{s("statement.crossing.status", "properties", "since_precision", "enum"), mechanism.Precisions},
		{s("row.crossing.columns", "properties", "since_precision", "enum"), withEmpty(mechanism.Precisions)},
	} {
		v, ok := f.lookup(tt.ptr).([]any)
		if !ok {
			t.Errorf("%s: no enumeration", tt.ptr)
			continue
		}
		if got := strs(v); !slices.Equal(got, tt.want) {
			t.Errorf("%s is %q; the code has %q", tt.ptr, got, tt.want)
		}
	}

	// Sub-event types go with their event type.
	var pairs []string
	for _, alt := range f.lookup(s("statement.report", "anyOf")).([]any) {
		props := mapOf(mapOf(alt)["properties"])
		et, _ := mapOf(props["event_type"])["const"].(string)
		for _, sub := range strs(mapOf(props["sub_event_type"])["enum"]) {
			pairs = append(pairs, et+"/"+sub)
		}
	}
	var want []string
	for _, et := range mechanism.EventTypes {
		for _, sub := range et.SubTypes {
			want = append(want, et.ID+"/"+sub.ID)
		}
	}
	if !slices.Equal(pairs, want) {
		t.Errorf("statement.report pairs event and sub-event types as %q; mechanism.EventTypes as %q", pairs, want)
	}

	// One schema per kind, in the order of mechanism.Kinds.
	var kinds []string
	for _, name := range f.schemaNames() {
		if k, ok := strings.CutPrefix(name, "statement."); ok {
			kinds = append(kinds, k)
			if c := f.lookup(s(name, "properties", "kind", "const")); c != k {
				t.Errorf("%s: kind is %v, want the constant %q", name, c, k)
			}
		}
	}
	if !slices.Equal(kinds, mechanism.Kinds) {
		t.Errorf("the document has statement schemas for %q; mechanism.Kinds is %q", kinds, mechanism.Kinds)
	}
	var anyKind, wantAny []string
	for _, alt := range f.lookup(s("statement", "oneOf")).([]any) {
		anyKind = append(anyKind, mapOf(alt)["$ref"].(string))
	}
	for _, k := range mechanism.Kinds {
		wantAny = append(wantAny, "#/components/schemas/statement."+k)
	}
	if !slices.Equal(anyKind, wantAny) {
		t.Errorf("the statement schema is one of %q; want %q", anyKind, wantAny)
	}

	// The patterns of identifiers and key names agree with the statement
	// package.
	id := regexp.MustCompile(f.lookup(s("identifier", "pattern")).(string))
	keyName := regexp.MustCompile(f.lookup(s("keyName", "pattern")).(string))
	maxKey, _ := f.lookup(s("keyName", "maxLength")).(json.Number).Int64()
	for _, v := range []string{"", "a", "pakistan", "c1", "Pakistan", "-a", "a b", "a+b", "ab_c.d-e", "é", "pakistan-liaison-1",
		strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("k", 128), strings.Repeat("k", 129), "a\tb", "a\x7fb", "sulh.local/pak-afg-2025"} {
		if got := id.MatchString(v) && len(v) <= 64; got != statement.ValidID(v) {
			t.Errorf("identifier %q: the document says %v, statement.ValidID %v", v, got, statement.ValidID(v))
		}
		if got := keyName.MatchString(v) && int64(len(v)) <= maxKey; got != statement.ValidKeyName(v) {
			t.Errorf("key name %q: the document says %v, statement.ValidKeyName %v", v, got, statement.ValidKeyName(v))
		}
	}
}

// schemaNames returns the names of components.schemas in document order.
func (f *oaFixture) schemaNames() []string {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		f.t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		f.t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(doc.Components.Schemas))
	d.Token()
	var names []string
	for d.More() {
		k, _ := d.Token()
		names = append(names, k.(string))
		var skip json.RawMessage
		d.Decode(&skip)
	}
	return names
}

// checkGoTypes compares the properties of schemas with the JSON fields of
// the Go types the server decodes or encodes.
func (f *oaFixture) checkGoTypes() {
	for _, tt := range []struct {
		schema string
		v      any
	}{
		{"statement.report", mechanism.Report{}},
		{"statement.reply", mechanism.Reply{}},
		{"statement.case.advance", mechanism.CaseAdvance{}},
		{"statement.finding", mechanism.Finding{}},
		{"statement.endorsement", mechanism.Endorsement{}},
		{"statement.penalty", mechanism.Penalty{}},
		{"statement.commitment", mechanism.Commitment{}},
		{"statement.action", mechanism.Action{}},
		{"statement.crossing.status", mechanism.CrossingStatus{}},
		{"statement.meeting", mechanism.Meeting{}},
		{"statement.publication", mechanism.Publication{}},
		{"statement.actor", mechanism.ActorEntry{}},
		{"statement.actor.claim", mechanism.ActorClaim{}},
		{"claimSource", mechanism.ClaimSource{}},
		{"statement.case.close", mechanism.CaseClose{}},
		{"sideFigure", mechanism.SideFigure{}},
		{"eventTime", mechanism.EventTime{}},
		{"place", mechanism.Place{}},
		{"adminUnit", mechanism.AdminUnit{}},
		{"actor", mechanism.Actor{}},
		{"casualties", mechanism.Casualties{}},
		{"split", mechanism.Split{}},
		{"figure", mechanism.Figure{}},
		{"observation", mechanism.Observation{}},
		{"point", mechanism.Point{}},
		{"origin", mechanism.Origin{}},
		{"rulebook", mechanism.Rulebook{}},
		{"rulebook.group", mechanism.Group{}},
		{"rulebook.body", mechanism.Body{}},
		{"rulebook.quorum", mechanism.Quorum{}},
		{"rulebook.timeZone", mechanism.TimeZone{}},
		{"rulebook.clause", mechanism.Clause{}},
		{"rulebook.stage", mechanism.Stage{}},
		{"ref", statement.Ref{}},
		{"receipt", ledger.Receipt{}},
		{"statementEntry", web.StatementResponse{}},
		{"consistency", web.ConsistencyResponse{}},
	} {
		ptr := pointer("components", "schemas", tt.schema)
		props := mapOf(f.lookup(ptr + "/properties"))
		fields := jsonFields(reflect.TypeOf(tt.v))
		if got, want := sortedMapKeys(props), sortedMapKeys(fields); !slices.Equal(got, want) {
			f.t.Errorf("%s has properties %v; %T has JSON fields %v", tt.schema, got, tt.v, want)
			continue
		}
		for name, typ := range fields {
			want := jsonTypeOf(typ)
			_, p := f.deref(ptr + pointer("properties", name))
			got := schemaTypes(p["type"])
			if want == "" || got == nil {
				continue
			}
			if !slices.Contains(got, want) {
				f.t.Errorf("%s.%s has type %v; %T's field is a JSON %s", tt.schema, name, got, tt.v, want)
			}
		}
	}
	// Every statement schema has the common fields.
	common := jsonFields(reflect.TypeOf(statement.Fields{}))
	for _, k := range mechanism.Kinds {
		props := mapOf(f.lookup(pointer("components", "schemas", "statement."+k, "properties")))
		for name := range common {
			if props[name] == nil {
				f.t.Errorf("statement.%s has no property %s", k, name)
			}
		}
	}
}

// jsonFields returns the JSON names of a struct's fields, with embedded
// structs' fields.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		fld := t.Field(i)
		if fld.Anonymous && fld.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(fld.Type) {
				out[k] = v
			}
			continue
		}
		if !fld.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(fld.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = fld.Name
		}
		out[name] = fld.Type
	}
	return out
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// jsonTypeOf returns the JSON type a Go type encodes as, or "" when that
// depends on the value.
func jsonTypeOf(t reflect.Type) string {
	if t == reflect.TypeFor[json.RawMessage]() {
		return ""
	}
	if t.Implements(jsonMarshaler) {
		if t == reflect.TypeFor[tlog.Hash]() {
			return "string"
		}
		return ""
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonTypeOf(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return ""
}

func schemaTypes(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		return strs(v)
	}
	return nil
}

// markdownBlocks returns the ```json blocks under each heading of a
// Markdown file that matches heading, by the heading's first group.
func markdownBlocks(t *testing.T, path string, heading *regexp.Regexp) map[string][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var cur string
	var block *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case block != nil && line == "```":
			if cur != "" {
				out[cur] = append(out[cur], block.String())
			}
			block = nil
		case block != nil:
			block.WriteString(line + "\n")
		case line == "```json":
			block = &strings.Builder{}
		case strings.HasPrefix(line, "#"):
			cur = ""
			if m := heading.FindStringSubmatch(line); m != nil {
				cur = m[1]
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStatementDocs validates the example of each kind in
// docs/statements.md against the kind's schema.
func (f *oaFixture) checkStatementDocs() {
	examples := markdownBlocks(f.t, "../../docs/statements.md", regexp.MustCompile("^## `([a-z.]+)`"))
	for _, k := range mechanism.Kinds {
		if len(examples[k]) == 0 {
			f.t.Errorf("docs/statements.md has no section ## `%s` with a JSON example", k)
		}
		for i, ex := range examples[k] {
			if err := f.validate(pointer("components", "schemas", "statement."+k), []byte(ex)); err != nil {
				f.t.Errorf("example %d of %s in docs/statements.md does not match statement.%s: %v", i+1, k, k, err)
			}
		}
	}
	for k := range examples {
		if !slices.Contains(mechanism.Kinds, k) {
			f.t.Errorf("docs/statements.md documents a kind %q that mechanism.Kinds does not have", k)
		}
	}
}

// checkAPIDocs validates the example under each route heading of
// docs/api.md against the route's documented answer, and checks that every
// route has a heading.
func (f *oaFixture) checkAPIDocs() {
	heading := regexp.MustCompile("^#{2,4} `((?:GET|POST) [^`?]+)")
	examples := markdownBlocks(f.t, "../../docs/api.md", heading)
	b, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		f.t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			headings[m[1]] = true
		}
	}
	for _, p := range f.s.Routes() {
		method, path := docPathOf(p)
		if !headings[strings.ToUpper(method)+" "+path] {
			f.t.Errorf("docs/api.md has no heading for %s %s", strings.ToUpper(method), path)
		}
	}
	for route, blocks := range examples {
		method, path, _ := strings.Cut(route, " ")
		opPtr, op := f.operation(method, path)
		if op == nil {
			f.t.Errorf("docs/api.md documents %s, which openapi.json does not", route)
			continue
		}
		var ok bool
		for _, code := range []string{"200", "201"} {
			respPtr, resp := f.deref(opPtr + pointer("responses", code))
			if resp == nil || mapOf(resp["content"])["application/json"] == nil {
				continue
			}
			ok = true
			for _, ex := range blocks {
				if err := f.validate(respPtr+pointer("content", "application/json", "schema"), []byte(ex)); err != nil {
					f.t.Errorf("an example of %s in docs/api.md does not match openapi.json: %v", route, err)
				}
			}
		}
		if !ok {
			f.t.Errorf("docs/api.md gives a JSON example for %s, which does not answer JSON", route)
		}
	}
}

// checkSignin requests the sign-in routes and the identity pages: a
// challenge, a sign-in with it by a demo member's key, refusals, sign-out,
// a member, and the pages (the inbox, signed out, sends its reader to sign
// in, which the client follows).
func (f *oaFixture) checkSignin() {
	t := f.t
	for _, path := range []string{"/signin", "/keys", "/inbox"} {
		f.get(path, path, 200)
	}
	status, b := f.do("POST", "/auth/challenge", "/auth/challenge", nil)
	var ch web.ChallengeResponse
	if err := json.Unmarshal(b, &ch); status != 201 || err != nil {
		t.Fatalf("POST /auth/challenge: %d %s", status, b)
	}
	signed, err := note.Sign(&note.Note{Text: web.SigninPurpose + "\n" + f.srv.URL + "\n" + ch.Challenge + "\n" + statement.FormatTime(time.Now()) + "\n"},
		f.m.Keys.Signer("pakistan-liaison-1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		body   []byte
		status int
	}{{signed, 200}, {signed, 401}, {[]byte("hello"), 400}, {bytes.Repeat([]byte("a"), 5000), 413}} {
		if status, b := f.do("POST", "/auth/signin", "/auth/signin", tt.body); status != tt.status {
			t.Errorf("POST /auth/signin: %d, want %d: %s", status, tt.status, b)
		}
	}
	if status, b := f.do("POST", "/auth/signout", "/auth/signout", nil); status != 204 {
		t.Errorf("POST /auth/signout: %d %s", status, b)
	}
	f.get("/api/v1/members/{name}", "/api/v1/members/pakistan-liaison-1", 200)
	f.get("/api/v1/members/{name}", "/api/v1/members/pakistan-admin", 200)
	f.get("/api/v1/members/{name}", "/api/v1/members/nobody", 404)
}
