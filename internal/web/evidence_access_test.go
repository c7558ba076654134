package web_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// TestSealedEvidenceStaysSealed: a file first registered in a sealed
// statement for the mediators is theirs (and its author's body's) alone.
// Citing its hash in a later statement, public or sealed, grants nothing;
// nobody else can tell it from an unknown hash, and no shared cache keeps
// it; disclosure makes it public.
func TestSealedEvidenceStaysSealed(t *testing.T) {
	ctx := context.Background()
	e := mustEvidenceServer(t, 1<<20, nil)
	m := e.m
	now := time.Now().UTC().Truncate(time.Second)

	file := []byte("A monitor's confidential notes on the crater at Torkham.\n")
	sha := e.upload("monitors-field-1", "notes.txt", file)
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

	e.tokens["a made-up token"] = "sulh_nobody"
	unknown := "/api/v1/evidence/" + hex.EncodeToString(make([]byte, 32))
	_, _, unknownAnswer := e.do("GET", unknown+"/file", "", nil)
	for _, path := range []string{"/file", "/thumbnail", "/copies"} {
		for _, who := range []string{"", "pakistan-liaison-1", "afghanistan-liaison-1", "a made-up token"} {
			status, _, b := e.do("GET", "/api/v1/evidence/"+sha+path, who, nil)
			if status != http.StatusNotFound || bytes.Contains(b, file) {
				t.Errorf("GET %s by %q: %d %s; want 404", path, who, status, b)
			}
			if path == "/file" && !bytes.Equal(b, unknownAnswer) {
				t.Errorf("GET %s by %q answers %s, an unknown hash %s: a sealed hash can be told apart", path, who, b, unknownAnswer)
			}
		}
	}
	for _, member := range []string{"qatar-investigator-1", "monitors-field-1"} {
		status, h, b := e.do("GET", "/api/v1/evidence/"+sha+"/file", member, nil)
		if status != http.StatusOK || !bytes.Equal(b, file) {
			t.Errorf("GET the file as %s: %d %s; want 200 and the file", member, status, b)
		}
		// No shared cache may keep what only members may have.
		if cc := h.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("a sealed file is served to %s with Cache-Control %q", member, cc)
		}
	}

	// Disclosed, the sealed registration and its file are public.
	_, sealedBody, err := m.Log.DB.SealedBody(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Submit(ctx, mechanism.KindDisclosure, "monitors-field-1", now, map[string]any{
		"sealed": first, "salt": hex.EncodeToString(bytes.Repeat([]byte{1}, 32)), "body": json.RawMessage(sealedBody)}); err != nil {
		t.Fatalf("disclosure: %v", err)
	}
	if status, h, b := e.do("GET", "/api/v1/evidence/"+sha+"/file", "", nil); status != http.StatusOK || !bytes.Equal(b, file) || !strings.HasPrefix(h.Get("Cache-Control"), "public") {
		t.Errorf("GET the disclosed file as the public: %d %s, Cache-Control %q", status, b, h.Get("Cache-Control"))
	}
	if status, _, b := e.do("GET", fmt.Sprintf("/api/v1/sealed/%d/body", first), "", nil); status != http.StatusOK || !bytes.Contains(b, []byte(sha)) {
		t.Errorf("GET the disclosed body as the public: %d %s", status, b)
	}
}
