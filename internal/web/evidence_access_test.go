package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// TestSealedEvidenceStaysSealed: a file first registered in a sealed
// statement for the mediators is theirs (and its author's body's) alone.
// Citing its hash in a later statement, public or sealed, grants nothing;
// nobody else can tell it from an unknown hash; disclosure makes it public.
func TestSealedEvidenceStaysSealed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(filepath.Join(dir, "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(m.Log, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	s.KeepEvidence(store, 1<<20)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	now := time.Now().UTC().Truncate(time.Second)

	tokens := map[string]string{}
	for _, member := range []string{"monitors-field-1", "qatar-investigator-1", "pakistan-liaison-1", "afghanistan-liaison-1"} {
		secret := "sulh_access_" + member
		sum := sha256.Sum256([]byte(secret))
		if _, err := m.Submit(ctx, mechanism.KindTokenIssue, member, now, map[string]any{
			"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
		tokens[member] = secret
	}
	do := func(method, path, token string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	file := []byte("A monitor's confidential notes on the crater at Torkham.\n")
	sum := sha256.Sum256(file)
	sha := hex.EncodeToString(sum[:])
	if status, b := do("POST", "/api/v1/evidence?name=notes.txt", tokens["monitors-field-1"], file); status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, b)
	}
	evidence := func(author string) map[string]any {
		return map[string]any{"sha256": sha, "size": len(file), "media_type": "text/plain", "name": "notes.txt", "collector": author}
	}
	sealed := func(author string, visibility []string, n byte) int64 {
		t.Helper()
		fields := evidence(author)
		fields["mechanism"], fields["kind"], fields["author"], fields["at"], fields["refs"] = m.Log.Rulebook().ID, mechanism.KindEvidence, author, statement.FormatTime(now), []any{}
		body, _ := json.Marshal(fields)
		salt := bytes.Repeat([]byte{n}, 32)
		msg, err := m.Sign(mechanism.KindSealed, author, now, map[string]any{
			"sealed_kind": mechanism.KindEvidence, "visibility": visibility, "digest": mechanism.SealDigest(salt, body)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Log.SubmitSealed(ctx, msg, salt, body)
		if err != nil {
			t.Fatal(err)
		}
		return r.Index
	}
	first := sealed("monitors-field-1", []string{"qatar", "turkiye"}, 1)
	// Pakistan cites the hash in a sealed statement of its own, and then
	// registers it in public.
	sealed("pakistan-liaison-1", []string{}, 2)
	if _, err := m.Submit(ctx, mechanism.KindEvidence, "pakistan-liaison-1", now, evidence("pakistan-liaison-1")); err != nil {
		t.Fatalf("a public registration of the hash: %v", err)
	}

	unknown := "/api/v1/evidence/" + hex.EncodeToString(make([]byte, 32))
	_, unknownAnswer := do("GET", unknown+"/file", "", nil)
	for _, path := range []string{"/file", "/thumbnail", "/copies"} {
		for who, token := range map[string]string{"the public": "", "pakistan": tokens["pakistan-liaison-1"], "afghanistan": tokens["afghanistan-liaison-1"], "a made-up token": "sulh_nobody"} {
			status, b := do("GET", "/api/v1/evidence/"+sha+path, token, nil)
			if status != http.StatusNotFound || bytes.Contains(b, file) {
				t.Errorf("GET %s by %s: %d %s; want 404", path, who, status, b)
			}
			if path == "/file" && !bytes.Equal(b, unknownAnswer) {
				t.Errorf("GET %s by %s answers %s, an unknown hash %s: a sealed hash can be told apart", path, who, b, unknownAnswer)
			}
		}
	}
	for _, member := range []string{"qatar-investigator-1", "monitors-field-1"} {
		if status, b := do("GET", "/api/v1/evidence/"+sha+"/file", tokens[member], nil); status != http.StatusOK || !bytes.Equal(b, file) {
			t.Errorf("GET the file as %s: %d %s; want 200 and the file", member, status, b)
		}
	}
	// No shared cache may keep what only members may have.
	cacheControl := func(token string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/evidence/"+sha+"/file", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Cache-Control")
	}
	if cc := cacheControl(tokens["qatar-investigator-1"]); cc != "private, no-store" {
		t.Errorf("a sealed file is served with Cache-Control %q", cc)
	}

	// Disclosed, the sealed registration and its file are public.
	_, sealedBody, err := m.Log.Views().SealedBody(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Submit(ctx, mechanism.KindDisclosure, "monitors-field-1", now, map[string]any{
		"sealed": first, "salt": hex.EncodeToString(bytes.Repeat([]byte{1}, 32)), "body": json.RawMessage(sealedBody)}); err != nil {
		t.Fatalf("disclosure: %v", err)
	}
	if status, b := do("GET", "/api/v1/evidence/"+sha+"/file", "", nil); status != http.StatusOK || !bytes.Equal(b, file) {
		t.Errorf("GET the disclosed file as the public: %d %s", status, b)
	}
	if cc := cacheControl(""); !strings.HasPrefix(cc, "public") {
		t.Errorf("a disclosed file is served with Cache-Control %q", cc)
	}
	if status, b := do("GET", fmt.Sprintf("/api/v1/sealed/%d/body", first), "", nil); status != http.StatusOK || !bytes.Contains(b, []byte(sha)) {
		t.Errorf("GET the disclosed body as the public: %d %s", status, b)
	}
}
