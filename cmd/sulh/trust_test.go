package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// TestStatementIsItsText attacks the demo's log as a party, or anyone with
// no key at all, would: a logged finding re-posted with its signature lines
// in the other order, or with one more co-signature, is the same statement
// (409, with its index); a new text with a signature its kind does not call
// for is refused.
func TestStatementIsItsText(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data)
	client := &http.Client{Timeout: 10 * time.Second}
	key := func(name string) note.Signer { return loadSigner(t, filepath.Join(data, "keys", name+".key")) }

	var findings struct {
		Items []struct {
			Idx     int64    `json:"idx"`
			Signers []signer `json:"signers"`
		} `json:"items"`
	}
	getJSON(t, client, srv.URL+"/api/v1/findings", &findings)
	if len(findings.Items) == 0 {
		t.Fatal("the demo has no finding")
	}
	f := findings.Items[0]
	for _, s := range f.Signers {
		if s.Counts != "finding" {
			t.Errorf("finding %d: signer %+v does not count toward the finding quorum", f.Idx, s)
		}
	}
	entry := getStatement(t, client, srv.URL, f.Idx).Entry
	text, sigs, _ := strings.Cut(entry, "\n\n")
	lines := strings.Split(strings.TrimSuffix(sigs, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("finding %d has %d signatures", f.Idx, len(lines))
	}
	slices.Reverse(lines)
	reordered := text + "\n\n" + strings.Join(lines, "\n") + "\n"

	wantDuplicate := func(what string, body []byte) {
		t.Helper()
		status, b := post(t, client, srv.URL, body)
		var e apiError
		json.Unmarshal(b, &e)
		if status != http.StatusConflict || e.Error.Code != "duplicate" || e.Error.Index == nil || *e.Error.Index != f.Idx {
			t.Errorf("%s: got %d %s, want 409 duplicate with index %d", what, status, b, f.Idx)
		}
	}
	wantDuplicate("the finding with its signatures re-ordered, posted with no key", []byte(reordered))

	st, err := statement.Parse([]byte(entry))
	if err != nil {
		t.Fatal(err)
	}
	var signers []note.Signer
	for _, s := range f.Signers {
		signers = append(signers, key(s.Name))
	}
	cosigned, err := statement.Sign(st.JSON, append(signers, key("pakistan-liaison-1"))...)
	if err != nil {
		t.Fatal(err)
	}
	wantDuplicate("the finding co-signed by a party", cosigned)

	report := signReport(t, key("pakistan-liaison-1"), time.Now().Add(-time.Minute), "A report a monitor co-signs")
	obj, _ := statement.Parse(report)
	cosignedReport, err := statement.Sign(obj.JSON, key("pakistan-liaison-1"), key("monitors-field-1"))
	if err != nil {
		t.Fatal(err)
	}
	msg := wantRefusal(t, client, srv.URL, "a report co-signed by a monitor", cosignedReport, http.StatusForbidden, "forbidden")
	if !strings.Contains(msg, `"monitors-field-1" counts toward nothing`) {
		t.Errorf("the refusal does not say why: %q", msg)
	}
}

// TestBlamedPartyIsHeard takes a case through the workflow with the real
// binary: a finding that blames the reporting party lets it reply, and a
// finding replaced in the technical committee sends the case back to the
// party's reply, where the board cannot act before the blamed party has
// replied.
func TestBlamedPartyIsHeard(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data)
	client := &http.Client{Timeout: 10 * time.Second}
	file := func(what, stmt string, want int, signers ...string) {
		t.Helper()
		args := []string{"submit", "--server", srv.URL}
		for _, s := range signers {
			args = append(args, "--key", filepath.Join(data, "keys", s+".key"))
		}
		r := runSulh(t, runOpts{stdin: stmt}, append(args, "-")...)
		if (r.code == 0) != (want == 0) {
			t.Fatalf("%s: sulh submit exited %d, want %s:\n%s", what, r.code, map[bool]string{true: "success", false: "a refusal"}[want == 0], r)
		}
	}
	var c int64
	{
		r := runSulh(t, runOpts{stdin: `{"kind":"report","channel":"party","accused":"afghanistan",
			"event":{"time":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `","precision":"exact"},
			"place":{"name":"Chaman","geo_precision":2},"event_type":"battles","sub_event_type":"armed_clash",
			"summary":"Mortar fire on a post near Chaman.","language":"en"}`},
			"submit", "--server", srv.URL, "--key", filepath.Join(data, "keys", "pakistan-liaison-1.key"), "-")
		var rcpt struct{ Index int64 }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rcpt) != nil {
			t.Fatalf("report:\n%s", r)
		}
		c = rcpt.Index
	}
	// A case re-enters a stage: each advance says why, so that no two
	// are one text.
	advance := func(to string, want int) {
		t.Helper()
		file("advance to "+to, fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":%q,"note":%q}`, c, to, t.Name()+" "+time.Now().String()), want, "qatar-investigator-1")
	}
	for _, to := range []string{"preliminary", "investigation", "draft"} {
		advance(to, 0)
	}
	finding := func(party, rationale string) string {
		return fmt.Sprintf(`{"kind":"finding","case":%d,"outcome":"attributed","party":%q,"confidence":"moderate","rationale":%q,"rulebook_version":1}`, c, party, rationale)
	}
	mediators := []string{"qatar-investigator-1", "turkiye-investigator-1"}
	file("a finding against the reporter", finding("pakistan", "The fire came from the reporting side."), 0, mediators...)
	advance("party_reply", 0)
	reply := func(text string) string {
		return fmt.Sprintf(`{"kind":"reply","case":%d,"position":"denies","text":%q,"language":"en"}`, c, text)
	}
	file("the reporter, blamed, replies", reply("Our post only returned fire."), 0, "pakistan-liaison-1")
	advance("technical_committee", 1) // afghanistan, accused, may still reply
	file("the accused replies", reply("We did not fire."), 0, "afghanistan-liaison-1")
	advance("technical_committee", 0)
	file("the committee's new finding", finding("afghanistan", "The crater faces Afghan positions."), 0, mediators...)

	var cs struct {
		Stage   string `json:"stage"`
		History []struct {
			Kind   string `json:"kind"`
			Author string `json:"author"`
		} `json:"history"`
	}
	getJSON(t, client, fmt.Sprintf("%s/api/v1/cases/%d", srv.URL, c), &cs)
	if cs.Stage != "party_reply" {
		t.Fatalf("after the new finding the case is in %q, want party_reply", cs.Stage)
	}
	replied := false
	for _, s := range cs.History {
		replied = replied || s.Kind == "reply" && s.Author == "pakistan-liaison-1"
	}
	if !replied {
		t.Errorf("the case does not show the blamed reporter's reply: %+v", cs.History)
	}
	advance("technical_committee", 1) // the new window binds
	file("afghanistan answers the new finding", reply("We reject the committee's finding."), 0, "afghanistan-liaison-1")
	advance("technical_committee", 0)
	advance("board", 0)
	file("the board endorses", fmt.Sprintf(`{"kind":"endorsement","case":%d,"finding":%d,"text":"Endorsed."}`, c, c+9), 0, "board-qatar-1", "board-turkiye-1")
}

// TestServeWarnsOfSharedFolder: a data folder that other users may read
// (made by an older sulh, or opened up by hand) is served, with a warning
// that says how to make it private; a private one gets none.
func TestServeWarnsOfSharedFolder(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(srv.stderr.String(), "other users of this machine may read") {
		t.Errorf("a new demo folder is said to be shared:\n%s", srv.stderr)
	}
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, nil, "serve", "--data", data)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if out := srv.stderr.String(); !strings.Contains(out, "other users of this machine may read the data folder") || !strings.Contains(out, "chmod -R go-rwx") {
		t.Errorf("no warning for a data folder of mode 0755:\n%s", out)
	}
}
