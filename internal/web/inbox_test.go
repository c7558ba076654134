package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
	"github.com/sulh-project/sulh/internal/web"
)

// TestInboxDecisions reads the inbox of the demo's published case's
// parties, as the document describes it: the finding that blames
// pakistan, its window to reply, the endorsement and the penalty, told to
// both parties of the case but the window to pakistan alone, and to no
// other body.
func TestInboxDecisions(t *testing.T) {
	f := newOAFixture(t)
	// Tokens are checked against the server's clock: issued now.
	now := time.Now().UTC().Truncate(time.Second)
	issued := map[string]bool{}
	inbox := func(member string) web.InboxResponse {
		t.Helper()
		secret := "sulh_inbox-test-" + member
		if !issued[member] {
			sum := sha256.Sum256([]byte(secret))
			issue := f.envelope(mechanism.KindTokenIssue, member)
			issue["at"], issue["token"], issue["expires"], issue["label"] = statement.FormatTime(now), hex.EncodeToString(sum[:]), statement.FormatTime(now.Add(time.Hour)), "inbox test"
			f.file(issue, f.m.Keys.Signer(member))
			issued[member] = true
		}
		f.auth = secret
		defer func() { f.auth = "" }()
		var out web.InboxResponse
		if err := json.Unmarshal(f.get("/api/v1/inbox", "/api/v1/inbox?limit=500", 200), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	decisions := func(in web.InboxResponse) []string {
		var out []string
		for _, n := range in.Items {
			switch n.Kind {
			case store.NoticeFinding, store.NoticeEndorsement, store.NoticePenalty, store.NoticeReplyWindow:
				out = append(out, fmt.Sprintf("%s %d", n.Kind, n.Index))
			}
		}
		return out
	}
	// The demo's published case: the statements of its decisions.
	c := f.m.Log.DB
	list := func(name string, f *store.Filter, keep func(store.Row) bool) ([]store.Row, error) {
		p, err := c.List(t.Context(), name, *f)
		return slices.DeleteFunc(p.Rows, func(r store.Row) bool { return !keep(r) }), err
	}
	rows, err := list("findings", new(store.Filter).Where("party", "pakistan"), func(r store.Row) bool { return r["endorsed"] != nil })
	if err != nil || len(rows) != 1 {
		t.Fatalf("the demo's endorsed finding against pakistan: %v %v", rows, err)
	}
	finding, endorsement := rows[0]["idx"].(int64), rows[0]["endorsed"].(int64)
	penalties, err := list("penalties", new(store.Filter).Where("finding", fmt.Sprint(finding)), func(store.Row) bool { return true })
	if err != nil || len(penalties) != 1 {
		t.Fatalf("the demo's penalty: %v %v", penalties, err)
	}
	penalty := penalties[0]["idx"].(int64)
	windows, err := list("deadlines", new(store.Filter).Where("name", "reply").Where("subject", fmt.Sprint(rows[0]["case_id"])),
		func(r store.Row) bool { return r["opened"].(int64) > finding })
	if err != nil || len(windows) != 1 {
		t.Fatalf("the window the demo's reply stage opened for pakistan: %v %v", windows, err)
	}
	window := windows[0]["opened"].(int64)

	pk := inbox("pakistan-liaison-1")
	want := []string{fmt.Sprintf("penalty %d", penalty), fmt.Sprintf("endorsement %d", endorsement), fmt.Sprintf("reply_window %d", window), fmt.Sprintf("finding %d", finding)}
	if got := decisions(pk); !slices.Equal(got, want) {
		t.Errorf("pakistan's inbox tells the decisions %v; want %v", got, want)
	}
	for _, n := range pk.Items {
		if n.Kind == store.NoticeFinding && (n.Due != windows[0]["due"] || n.Status != mechanism.DeadlineMet) {
			t.Errorf("pakistan's notice of the finding: due %q %q; want its window's, %v met", n.Due, n.Status, windows[0]["due"])
		}
	}
	af := inbox("afghanistan-liaison-1")
	if got, want := decisions(af), slices.Delete(slices.Clone(want), 2, 3); !slices.Equal(got, want) {
		t.Errorf("afghanistan's inbox tells the decisions %v; want %v", got, want)
	}
	if got := decisions(inbox("monitors-field-1")); len(got) > 0 {
		t.Errorf("the monitors' inbox tells the decisions %v, which do not concern them", got)
	}

	// The examples of docs/api.md are the demo's: every notice they show
	// is in that member's inbox, word for word.
	examples := markdownBlocks(t, "../../docs/api.md", regexp.MustCompile("^### `GET (/api/v1/inbox)`"))["/api/v1/inbox"]
	if len(examples) < 2 {
		t.Fatalf("docs/api.md shows %d inbox examples; want afghanistan's and pakistan's", len(examples))
	}
	for _, ex := range examples {
		var doc web.InboxResponse
		if err := json.Unmarshal([]byte(ex), &doc); err != nil {
			t.Fatalf("an inbox example of docs/api.md: %v", err)
		}
		real := inbox(doc.Member)
		for _, n := range doc.Items {
			if !slices.ContainsFunc(real.Items, func(r web.InboxNotice) bool { return r.Notice == n.Notice }) {
				t.Errorf("docs/api.md shows %s's inbox with %+v; a fresh demo's has no such notice:\n%+v", doc.Member, n.Notice, real.Items)
			}
		}
	}
}
