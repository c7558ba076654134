package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// TestConfidentialFinding runs a mechanism whose rulebook keeps findings
// confidential until endorsed: the sealed finding is readable by the case's
// parties and not by the public, stays out of the findings list, and enters
// it, with its quorum's signers, when the board's endorsement discloses it.
func TestConfidentialFinding(t *testing.T) {
	ctx := context.Background()
	var rb map[string]any
	if err := json.Unmarshal(mechanism.DefaultRulebook, &rb); err != nil {
		t.Fatal(err)
	}
	rb["confidential_findings"] = true
	template, _ := json.Marshal(rb)
	m, err := demo.Create(ctx, t.TempDir(), template, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), prometheus.NewRegistry()))
	t.Cleanup(srv.Close)
	now := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	submit := func(kind, author string, fields map[string]any, cosigners ...string) int64 {
		t.Helper()
		r, err := m.Submit(ctx, kind, author, now, fields, cosigners...)
		if err != nil {
			t.Fatalf("%s by %s: %v", kind, author, err)
		}
		return r.Index
	}
	get := func(path, token string) (int, []byte) { t.Helper(); return getWithToken(t, srv.URL+path, token) }
	const token = "sulh_confidential_finding_afghanistan"
	sum := sha256.Sum256([]byte(token))
	submit(mechanism.KindTokenIssue, "afghanistan-liaison-1", map[string]any{"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour))})

	c := submit(mechanism.KindReport, "pakistan-liaison-1", map[string]any{"channel": "party", "accused": "afghanistan",
		"event": map[string]any{"time": statement.FormatTime(now.Add(-time.Hour)), "precision": "exact"},
		"place": map[string]any{"name": "Angoor Adda", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
		"summary": "Fire on a border post.", "language": "en"})
	advance := func(to string) {
		submit(mechanism.KindCaseAdvance, "qatar-investigator-1", map[string]any{"case": c, "to": to})
	}
	for _, to := range []string{"preliminary", "investigation", "draft"} {
		advance(to)
	}
	body, _ := json.Marshal(map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindFinding, "author": "qatar-investigator-1",
		"at": statement.FormatTime(now), "refs": []any{}, "case": c, "outcome": "attributed", "party": "afghanistan", "confidence": "moderate",
		"rationale": "CONFIDENTIAL: the crater faces Afghan positions.", "rulebook_version": 1})
	salt := bytes.Repeat([]byte{5}, 32)
	msg, err := m.Sign(mechanism.KindSealed, "qatar-investigator-1", now, map[string]any{"sealed_kind": mechanism.KindFinding, "case": c,
		"visibility": []string{"turkiye", "board", "pakistan", "afghanistan"}, "digest": mechanism.SealDigest(salt, body)}, "turkiye-investigator-1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Log.SubmitSealed(ctx, msg, salt, body)
	if err != nil {
		t.Fatalf("the confidential finding: %v", err)
	}
	finding := r.Index

	path := fmt.Sprintf("/api/v1/sealed/%d/body", finding)
	if status, b := get(path, ""); status != http.StatusUnauthorized || bytes.Contains(b, []byte("CONFIDENTIAL")) {
		t.Errorf("the public reads the confidential finding: %d %s", status, b)
	}
	if status, b := get(path, token); status != http.StatusOK || !bytes.Contains(b, []byte("CONFIDENTIAL")) {
		t.Errorf("the accused party cannot read the finding against it: %d %s", status, b)
	}
	if _, b := get("/api/v1/findings", ""); bytes.Contains(b, []byte("CONFIDENTIAL")) || bytes.Contains(b, []byte(`"idx"`)) {
		t.Errorf("the findings list shows the confidential finding before its endorsement: %s", b)
	}

	advance("party_reply")
	for _, p := range []string{"pakistan-liaison-1", "afghanistan-liaison-1"} {
		submit(mechanism.KindReply, p, map[string]any{"case": c, "position": "no_comment", "text": "Noted, " + p + ".", "language": "en"})
	}
	advance("technical_committee")
	advance("board")
	submit(mechanism.KindEndorsement, "board-qatar-1", map[string]any{"case": c, "finding": finding,
		"salt": hex.EncodeToString(salt), "body": json.RawMessage(body)}, "board-turkiye-1")

	var list struct {
		Items []struct {
			Idx      int64  `json:"idx"`
			Party    string `json:"party"`
			Endorsed *int64 `json:"endorsed"`
			Signers  []struct {
				Name, Counts string
			} `json:"signers"`
		} `json:"items"`
	}
	_, b := get("/api/v1/findings", "")
	json.Unmarshal(b, &list)
	if len(list.Items) != 1 || list.Items[0].Idx != finding || list.Items[0].Party != "afghanistan" || list.Items[0].Endorsed == nil ||
		len(list.Items[0].Signers) != 2 || list.Items[0].Signers[1].Counts != "finding" {
		t.Errorf("the findings list after the endorsement: %s", b)
	}
	if status, b := get(path, ""); status != http.StatusOK || !bytes.Contains(b, []byte("CONFIDENTIAL")) {
		t.Errorf("the endorsed finding is not public: %d %s", status, b)
	}
}
