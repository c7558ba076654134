package web_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// requestRecorder keeps every request a server received, whole: URL,
// headers and body.
type requestRecorder struct {
	mu  sync.Mutex
	all [][]byte
}

func (rr *requestRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.WriteString(r.Method + " " + r.URL.String() + "\n")
		r.Header.Write(&b)
		body, _ := io.ReadAll(r.Body)
		b.Write(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rr.mu.Lock()
		rr.all = append(rr.all, b.Bytes())
		rr.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// containsAny reports the first request that holds any of secrets.
func (rr *requestRecorder) containsAny(secrets ...[]byte) (string, bool) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	for _, req := range rr.all {
		for _, s := range secrets {
			if bytes.Contains(req, s) {
				return string(req), true
			}
		}
	}
	return "", false
}

// secretForms are the forms a 32-byte Ed25519 seed could travel in: raw,
// in hex, in standard and URL-safe base64 (also as the signed-note key's
// 0x01-prefixed form), and as a PKCS #8 key.
func secretForms(seed []byte) [][]byte {
	prefixed := append([]byte{1}, seed...)
	pkcs8, _ := hex.DecodeString("302e020100300506032b657004220420")
	pkcs8 = append(pkcs8, seed...)
	var out [][]byte
	for _, b := range [][]byte{seed, prefixed, pkcs8} {
		out = append(out, b, []byte(hex.EncodeToString(b)),
			[]byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)))
	}
	return out
}

// TestBrowserSigning signs statements in Chromium with static/js/sign.js
// and checks them with Go's signed-note code: a demo member's key file
// imported into the browser files a report that the log accepts; a key
// made in the browser cannot be exported from it, its verifier key is one
// that Go reads, and a note it signs and then co-signs with a second key
// verifies under both. The server never receives either private key in any
// form, in any request.
func TestBrowserSigning(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec.wrap(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)))
	t.Cleanup(srv.Close)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/explore"))

	keyFile, err := os.ReadFile(filepath.Join(m.Keys.Dir, "pakistan-liaison-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.SplitN(strings.TrimSpace(string(keyFile)), "+", 5)[4])
	if err != nil || len(raw) != 33 {
		t.Fatalf("demo key file: %v", err)
	}
	importedSeed := raw[1:]

	// A demo member's key, imported, files a report.
	report := map[string]any{
		"kind": "report", "channel": "party", "accused": "afghanistan",
		"event":      map[string]any{"time": "2025-12-07T04:30:00Z", "precision": "exact"},
		"place":      map[string]any{"name": "Torkham", "lat": 34.1008, "lon": 71.0918, "geo_precision": 1},
		"event_type": "battles", "sub_event_type": "armed_clash", "categories": []string{"cross_border_fire"},
		"summary": "Filed from a browser: small-arms fire near Torkham.", "language": "en",
	}
	obj, _ := json.Marshal(report)
	type answer struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
		Note   string          `json:"note"`
		VKey   string          `json:"vkey"`
	}
	var got answer
	js := `(async () => {
	  const s = await import('` + web.AssetURL("js/sign.js") + `');
	  const rec = await s.importKeyText(` + jsString(string(keyFile)) + `);
	  const obj = await s.complete(` + string(obj) + `, rec);
	  const note = await s.signNote(s.statementText(obj), rec);
	  const res = await s.submit(note);
	  return JSON.stringify({status: res.status, body: res.body, note, vkey: rec.vkey});
	})()`
	if err := json.Unmarshal([]byte(browserRun(t, b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != http.StatusCreated {
		t.Fatalf("the browser's report was refused: %d %s", got.Status, got.Body)
	}
	if got.VKey != m.Keys.VKeys["pakistan-liaison-1"] {
		t.Errorf("the browser's verifier key %q differs from the demo's %q", got.VKey, m.Keys.VKeys["pakistan-liaison-1"])
	}
	var receipt struct{ Index int64 }
	json.Unmarshal(got.Body, &receipt)
	var stored []byte
	if err := m.Log.Entries(t.Context(), receipt.Index, receipt.Index+1, func(_ int64, data []byte) error {
		stored = data
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if string(stored) != got.Note {
		t.Errorf("the log holds other bytes than the browser signed:\n%s\n%s", stored, got.Note)
	}
	st, err := statement.Parse(stored)
	if err != nil || st.Author != "pakistan-liaison-1" || st.Kind != "report" {
		t.Fatalf("the stored statement: %+v, %v", st, err)
	}

	// A key whose base64 holds '+', the separator of the key's fields.
	var plusKey, plusVKey string
	for i := byte(0); plusKey == ""; i++ {
		seed := bytes.Repeat([]byte{i}, 32)
		enc := base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
		if !strings.Contains(enc, "+") {
			continue
		}
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		vk, err := note.NewEd25519VerifierKey("plus-key", pub)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := note.NewVerifier(vk)
		plusKey = fmt.Sprintf("PRIVATE+KEY+plus-key+%08x+%s", v.KeyHash(), enc)
		plusVKey = vk
	}
	js = `(async () => {
	  const s = await import('` + web.AssetURL("js/sign.js") + `');
	  return (await s.importKeyText(` + jsString(plusKey) + `)).vkey;
	})()`
	if vk := browserRun(t, b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise)); vk != plusVKey {
		t.Errorf("a key with '+' in its base64 imports as %q, want %q", vk, plusVKey)
	}

	// A key made in the browser: not extractable, its verifier key read by
	// Go; a note signed with it and co-signed by a second verifies under
	// both.
	var made struct {
		VKeys      []string `json:"vkeys"`
		Backups    []string `json:"backups"`
		Note       string   `json:"note"`
		Exportable bool     `json:"exportable"`
		Names      []string `json:"names"`
	}
	js = `(async () => {
	  const s = await import('` + web.AssetURL("js/sign.js") + `');
	  const a = await s.generateKey('browser-mediator-1');
	  const b = await s.generateKey('browser-mediator-2');
	  let exportable = true;
	  try { await crypto.subtle.exportKey('pkcs8', (await s.loadKey('browser-mediator-1')).privateKey); } catch { exportable = false; }
	  const first = await s.signNote('sulh-statement/v1\n{"kind":"test"}\n', await s.loadKey('browser-mediator-1'));
	  const note = await s.cosign(first, await s.loadKey('browser-mediator-2'));
	  const names = (await s.listKeys()).map(k => k.name).sort();
	  return JSON.stringify({vkeys: [a.key.vkey, b.key.vkey], backups: [a.backup, b.backup], note, exportable, names});
	})()`
	if err := json.Unmarshal([]byte(browserRun(t, b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))), &made); err != nil {
		t.Fatal(err)
	}
	if made.Exportable {
		t.Error("a key kept in the browser can be exported")
	}
	if strings.Join(made.Names, ",") != "browser-mediator-1,browser-mediator-2,pakistan-liaison-1,plus-key" {
		t.Errorf("the browser holds %v", made.Names)
	}
	var verifiers []note.Verifier
	for i, vk := range made.VKeys {
		v, err := note.NewVerifier(vk)
		if err != nil {
			t.Fatalf("Go does not read the browser's verifier key %q: %v", vk, err)
		}
		verifiers = append(verifiers, v)
		// The backup is the key's private form, as sulh key new writes it.
		signer, err := note.NewSigner(made.Backups[i])
		if err != nil || signer.Name() != v.Name() || signer.KeyHash() != v.KeyHash() {
			t.Errorf("backup %d is not the key's private form: %v", i, err)
		}
	}
	n, err := note.Open([]byte(made.Note), note.VerifierList(verifiers...))
	if err != nil || len(n.Sigs) != 2 || n.Text != "sulh-statement/v1\n{\"kind\":\"test\"}\n" {
		t.Fatalf("the co-signed note does not verify: %v %+v", err, n)
	}

	// Nothing the server received holds a private key, in any form.
	secrets := secretForms(importedSeed)
	secrets = append(secrets, keyFile, bytes.TrimSpace(keyFile))
	for _, bk := range made.Backups {
		raw, _ := base64.StdEncoding.DecodeString(strings.SplitN(bk, "+", 5)[4])
		secrets = append(secrets, secretForms(raw[1:])...)
		secrets = append(secrets, []byte(bk))
	}
	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key in:\n%s", req)
	}
	if len(rec.all) < 3 {
		t.Fatalf("the recorder saw only %d requests", len(rec.all))
	}
	// The check itself: a key sent in any of those forms is caught.
	leak, err := http.Post(srv.URL+"/api/v1/statements", "text/plain", bytes.NewReader(secrets[len(secrets)-3]))
	if err != nil {
		t.Fatal(err)
	}
	leak.Body.Close()
	if _, found := rec.containsAny(secrets...); !found {
		t.Fatal("the recorder misses a key sent to the server")
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
