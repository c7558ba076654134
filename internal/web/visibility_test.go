package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// TestVisibilityMatrix files a sealed statement of every sealable kind
// with every visibility, and asks for each body as every role: a member of
// each body, a member whose token was revoked, and the public. Only the
// author's body and the bodies its visibility names may read a body, and no
// public answer ever holds one.
func TestVisibilityMatrix(t *testing.T) {
	ctx := context.Background()
	m, _, reg := mustDemo(t, false)
	srv := mustServe(t, m, reg)
	now := time.Now().UTC().Truncate(time.Second)

	// roles: a member of each body, by body.
	roles := map[string]string{
		"pakistan": "pakistan-liaison-1", "afghanistan": "afghanistan-liaison-1", "qatar": "qatar-investigator-1",
		"turkiye": "turkiye-investigator-1", "monitors": "monitors-field-1", "board": "board-qatar-1",
	}
	tokens := map[string]string{}
	issue := func(member, secret string) {
		sum := sha256.Sum256([]byte(secret))
		if _, err := m.Submit(ctx, mechanism.KindTokenIssue, member, now, map[string]any{
			"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	for body, member := range roles {
		tokens[body] = "sulh_matrix_" + body
		issue(member, tokens[body])
	}
	// A token of the second Türkiye board member, revoked.
	const revoked = "sulh_matrix_revoked"
	issue("board-turkiye-1", revoked)
	sum := sha256.Sum256([]byte(revoked))
	if _, err := m.Submit(ctx, mechanism.KindTokenRevoke, "board-turkiye-1", now, map[string]any{"token": hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}

	// authorOf gives each sealable kind an author who could file it.
	authorOf := map[string]string{
		mechanism.KindReport: "pakistan-liaison-1", mechanism.KindReply: "afghanistan-liaison-1",
		mechanism.KindEvidence: "monitors-field-1", mechanism.KindVerification: "qatar-investigator-1",
		mechanism.KindAction: "afghanistan-liaison-1", mechanism.KindCommitment: "pakistan-liaison-1",
		mechanism.KindCrossingStatus: "monitors-field-1",
	}
	visibilities := [][]string{
		{},
		{"qatar", "turkiye"},
		{"qatar", "turkiye", "monitors"},
		{"pakistan", "afghanistan", "qatar", "turkiye", "monitors", "board"},
	}
	type filed struct {
		index      int64
		authorBody string
		visibility []string
		secret     string
	}
	// A case that accuses Afghanistan, for the replies, and a registered
	// file, for the verifications.
	rep, err := m.Submit(ctx, mechanism.KindReport, "pakistan-liaison-1", now, sealable(mechanism.KindReport, "An open report", now, 0, ""))
	if err != nil {
		t.Fatal(err)
	}
	caseID := rep.Index
	registered := strings.Repeat("ab", 32)
	if _, err := m.Submit(ctx, mechanism.KindEvidence, "monitors-field-1", now, map[string]any{
		"sha256": registered, "size": 10, "media_type": "image/jpeg", "collector": "A monitor"}); err != nil {
		t.Fatal(err)
	}
	var all []filed
	n := 0
	for _, kind := range mechanism.SealableKinds {
		author := authorOf[kind]
		member, _ := memberBody(m, author)
		for _, vis := range visibilities {
			n++
			secret := fmt.Sprintf("CONFIDENTIAL-%d", n)
			fields := sealable(kind, secret, now, caseID, registered)
			fields["mechanism"], fields["kind"], fields["author"], fields["at"], fields["refs"] = m.Log.Rulebook().ID, kind, author, statement.FormatTime(now), []any{}
			body, _ := json.Marshal(fields)
			salt := bytes.Repeat([]byte{byte(n)}, 32)
			msg, err := m.Sign(mechanism.KindSealed, author, now, map[string]any{
				"sealed_kind": kind, "visibility": vis, "digest": mechanism.SealDigest(salt, body)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := m.Log.SubmitSealed(ctx, msg, salt, body)
			if err != nil {
				t.Fatalf("sealed %s by %s for %v: %v", kind, author, vis, err)
			}
			all = append(all, filed{r.Index, member, vis, secret})
		}
	}

	get := func(path, token string) (int, []byte) { t.Helper(); return getWithToken(t, srv.URL+path, token) }
	checks := 0
	for _, f := range all {
		path := fmt.Sprintf("/api/v1/sealed/%d/body", f.index)
		for body, token := range tokens {
			want := http.StatusForbidden
			if body == f.authorBody || slices.Contains(f.visibility, body) {
				want = http.StatusOK
			}
			status, b := get(path, token)
			if status != want || (status == http.StatusOK) != bytes.Contains(b, []byte(f.secret)) {
				t.Errorf("sealed %d (by %s, for %v) read by %s: %d %s; want %d", f.index, f.authorBody, f.visibility, body, status, b, want)
			}
			checks++
		}
		for what, token := range map[string]string{"the public": "", "a revoked token": revoked, "a made-up token": "sulh_nobody"} {
			if status, b := get(path, token); status != http.StatusUnauthorized || bytes.Contains(b, []byte(f.secret)) {
				t.Errorf("sealed %d read by %s: %d %s; want 401", f.index, what, status, b)
			}
			checks++
		}
	}
	t.Logf("%d sealed statements (%d kinds × %d visibilities), %d reads", len(all), len(mechanism.SealableKinds), len(visibilities), checks)

	// Nothing public holds a body: the lists, the statements and the log's
	// own entries.
	public := []string{"/api/v1/sealed?limit=500", "/api/v1/statements?limit=500", "/api/v1/cases",
		fmt.Sprintf("/log/tile/entries/000.p/%d", m.Log.Checkpoint().N)}
	for _, f := range all {
		public = append(public, fmt.Sprintf("/api/v1/statements/%d", f.index))
	}
	for _, p := range public {
		status, b := get(p, "")
		if status != http.StatusOK {
			t.Errorf("GET %s: %d", p, status)
		}
		if bytes.Contains(b, []byte("CONFIDENTIAL-")) {
			t.Errorf("GET %s shows a sealed body", p)
		}
	}
}

// sealable returns the fields of a valid statement of kind that holds
// secret, for the demo mechanism at now: a report accuses Afghanistan, a
// reply answers caseID, a verification checks the registered file.
func sealable(kind, secret string, now time.Time, caseID int64, registered string) map[string]any {
	before := statement.FormatTime(now.Add(-time.Hour))
	switch kind {
	case mechanism.KindReport:
		return map[string]any{"channel": "party", "accused": "afghanistan", "event": map[string]any{"time": before, "precision": "exact"},
			"place": map[string]any{"name": "Torkham", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
			"summary": secret, "language": "en"}
	case mechanism.KindReply:
		return map[string]any{"case": caseID, "position": "denies", "text": secret, "language": "en"}
	case mechanism.KindEvidence:
		sum := sha256.Sum256([]byte(secret))
		return map[string]any{"sha256": hex.EncodeToString(sum[:]), "size": 100, "media_type": "text/plain", "collector": secret}
	case mechanism.KindVerification:
		return map[string]any{"evidence": registered, "analyst": "An analyst", "date": before, "source": map[string]any{"result": "passed", "notes": secret},
			"technical": map[string]any{"result": "passed"}, "content": map[string]any{"result": "inconclusive"}, "result": "inconclusive"}
	case mechanism.KindAction:
		return map[string]any{"group": map[string]any{"id": "ttp", "label": "TTP"}, "time": before, "text": secret}
	case mechanism.KindCommitment:
		return map[string]any{"group": map[string]any{"id": "ttp", "label": "TTP"}, "deadline": statement.FormatTime(now.Add(30 * 24 * time.Hour)), "text": secret}
	case mechanism.KindCrossingStatus:
		return map[string]any{"crossing": "torkham", "name": "Torkham", "side": "pakistan", "status": "closed", "since": before, "text": secret}
	}
	panic("no sealable fields for " + kind)
}

// getWithToken GETs url with the API token ("" for none) and returns the
// answer's status and body.
func getWithToken(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
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

// memberBody returns the body of the demo member name.
func memberBody(_ *demo.Mechanism, name string) (string, bool) {
	for _, b := range []string{"pakistan", "afghanistan", "qatar", "turkiye", "monitors", "board"} {
		if len(name) > len(b) && name[:len(b)] == b {
			return b, true
		}
	}
	return "", false
}
