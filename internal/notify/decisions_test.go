package notify_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/notify"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// blamed is a case that pakistan reported, accusing afghanistan, on which
// a first finding blames afghanistan and a second, after the reply stage,
// pakistan itself; the board endorses the second and censures pakistan.
type blamed struct {
	m      *demo.Mechanism
	caseID int64
	// first and second are the findings, window the advance into the
	// reply stage that opened a window for afghanistan.
	first, window, second int64
	endorsement, penalty  int64
	// at are the times of the statements, by index.
	at map[int64]time.Time
}

// told is a notice's index and kind, which identify it.
type told struct {
	index int64
	kind  string
}

// mustBlameReporter files the statements of blamed in m.
func mustBlameReporter(t *testing.T, m *demo.Mechanism) *blamed {
	t.Helper()
	ctx := context.Background()
	at := demo.Start.Add(24 * time.Hour)
	b := &blamed{m: m, at: map[int64]time.Time{}}
	file := func(kind, author string, fields map[string]any, cosigners ...string) int64 {
		t.Helper()
		at = at.Add(time.Hour)
		r, err := m.Submit(ctx, kind, author, at, fields, cosigners...)
		if err != nil {
			t.Fatal(err)
		}
		b.at[r.Index] = at
		return r.Index
	}
	b.caseID = file(mechanism.KindReport, "pakistan-liaison-1", demo.SampleReport("Fire at a post near Torkham.", "afghanistan", at))
	advance := func(author, to string) int64 {
		return file(mechanism.KindCaseAdvance, author, map[string]any{"case": b.caseID, "to": to})
	}
	finding := func(party, rationale string) int64 {
		return file(mechanism.KindFinding, "qatar-investigator-1", map[string]any{
			"case": b.caseID, "outcome": mechanism.OutcomeAttributed, "party": party, "confidence": "moderate",
			"rationale": rationale, "clauses": []string{"c1"}, "rulebook_version": m.Log.Rulebook().Version,
		}, "turkiye-investigator-1")
	}
	reply := func(author, text string) {
		file(mechanism.KindReply, author, map[string]any{"case": b.caseID, "position": "denies", "text": text, "language": "en"})
	}
	advance("qatar-investigator-1", "preliminary")
	advance("turkiye-investigator-1", "investigation")
	advance("qatar-investigator-1", "draft")
	b.first = finding("afghanistan", "Afghan forces fired first.")
	b.window = advance("turkiye-investigator-1", "party_reply")
	reply("afghanistan-liaison-1", "Our forces did not fire.")
	advance("qatar-investigator-1", "technical_committee")
	// The committee finds otherwise: the case goes back to the reply stage,
	// with a window for pakistan from this finding.
	b.second = finding("pakistan", "Pakistani forces fired first.")
	reply("pakistan-liaison-1", "Our forces only answered fire.")
	advance("turkiye-investigator-1", "technical_committee")
	advance("qatar-investigator-1", "board")
	b.endorsement = file(mechanism.KindEndorsement, "board-qatar-1", map[string]any{"case": b.caseID, "finding": b.second}, "board-turkiye-1")
	b.penalty = file(mechanism.KindPenalty, "board-qatar-1", map[string]any{
		"case": b.caseID, "finding": b.second, "penalty": "censure", "party": "pakistan",
	}, "board-turkiye-1")
	// The views follow the log: the inbox reads them.
	if err := m.Log.WaitViews(ctx, b.penalty+1); err != nil {
		t.Fatal(err)
	}
	return b
}

// want returns the notices of decisions that blamed must produce: the
// bodies they concern, their due time and their text (when not empty).
func (b *blamed) want() map[told]store.Event {
	c := b.caseID
	reply := 72 * time.Hour // the default rulebook's reply deadline
	due := statement.FormatTime(b.at[b.second].Add(reply))
	both := []string{"pakistan", "afghanistan"}
	return map[told]store.Event{
		{b.first, store.EventFinding}: {Bodies: both,
			Text: fmt.Sprintf("Finding %d on case %d attributes the violation to afghanistan (moderate confidence). "+
				"afghanistan may reply on case %d; its window to reply opens when the case enters the reply stage.", b.first, c, c)},
		{b.window, store.EventReplyWindow}: {Bodies: []string{"afghanistan"}, Due: statement.FormatTime(b.at[b.window].Add(reply)),
			Text: fmt.Sprintf("afghanistan may reply on case %d until %s.", c, statement.FormatTime(b.at[b.window].Add(reply)))},
		{b.second, store.EventFinding}: {Bodies: both, Due: due,
			Text: fmt.Sprintf("Finding %d on case %d attributes the violation to pakistan (moderate confidence). "+
				"pakistan may reply on case %d until %s.", b.second, c, c, due)},
		{b.second, store.EventReplyWindow}: {Bodies: []string{"pakistan"}, Due: due,
			Text: fmt.Sprintf("pakistan may reply on case %d until %s.", c, due)},
		{b.endorsement, store.EventEndorsement}: {Bodies: both,
			Text: fmt.Sprintf("Endorsement %d on case %d endorses finding %d, which attributes the violation to pakistan (moderate confidence). "+
				"pakistan may reply on case %d at any time.", b.endorsement, c, b.second, c)},
		{b.penalty, store.EventPenalty}: {Bodies: both,
			Text: fmt.Sprintf("Penalty %d on case %d: censure (Public statement of the violation by the mediators) on pakistan, for finding %d. "+
				"pakistan may reply on case %d at any time.", b.penalty, c, b.second, c)},
	}
}

// decisionKinds are the kinds of notice that tell a decision.
var decisionKinds = []string{store.EventFinding, store.EventEndorsement, store.EventPenalty, store.EventReplyWindow}

// TestDecisionWebhooks tells a webhook subscriber of each finding,
// endorsement, penalty and reply window, with the bodies it concerns and
// what they may do by when.
func TestDecisionWebhooks(t *testing.T) {
	ctx := context.Background()
	b := mustBlameReporter(t, mustMembers(t))
	rc := &notify.Receiver{LogKey: b.m.Log.VerifierKey()}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	n := notify.New(b.m.Log.Log, b.m.Log.DB, notify.Options{Subscribers: []string{srv.URL}})
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Send(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var got struct{ Items []notify.Notice }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := b.want()
	seen := map[told]bool{}
	for _, nt := range got.Items {
		if !slices.Contains(decisionKinds, nt.Kind) {
			continue
		}
		k := told{nt.Index, nt.Kind}
		w, ok := want[k]
		if !ok || seen[k] {
			t.Errorf("an unexpected notice %+v", nt)
			continue
		}
		seen[k] = true
		if nt.Case != b.caseID || !slices.Equal(nt.Bodies, w.Bodies) || nt.Due != w.Due || nt.Text != w.Text {
			t.Errorf("%s notice of %d:\n got %v due %q: %s\nwant %v due %q: %s", nt.Kind, nt.Index, nt.Bodies, nt.Due, nt.Text, w.Bodies, w.Due, w.Text)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no %s notice of %d", k.kind, k.index)
		}
	}
}

// TestDecisionMail mails each decision to the bodies it concerns, and to
// no other.
func TestDecisionMail(t *testing.T) {
	ctx := context.Background()
	b := mustBlameReporter(t, mustMembers(t))
	box, addr := smtpServer(t)
	n := notify.New(b.m.Log.Log, b.m.Log.DB, notify.Options{
		SMTP: notify.SMTP{Addr: addr, From: "sulh@mechanism.example"},
		MailTo: map[string][]string{"pakistan": {"liaison@pk.example"}, "monitors": {"desk@monitors.example"},
			"qatar": {"desk@qa.example"}, "board": {"desk@board.example"}},
	})
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Send(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := b.want()
	got := map[string][]told{}
	box.mu.Lock()
	defer box.mu.Unlock()
	for _, msg := range box.msgs {
		i := strings.Index(msg.data, notify.Version)
		if i < 0 {
			t.Fatalf("no signed notice in:\n%s", msg.data)
		}
		notice, err := notify.Open([]byte(strings.ReplaceAll(msg.data[i:], "\r\n", "\n")), b.m.Log.VerifierKey())
		if err != nil {
			t.Fatalf("the mailed notice does not verify: %v", err)
		}
		if !slices.Contains(decisionKinds, notice.Kind) {
			continue
		}
		k := told{notice.Index, notice.Kind}
		got[msg.to[0]] = append(got[msg.to[0]], k)
		// Each mail says what was decided, and by when one may reply.
		w := want[k]
		if !strings.Contains(msg.data, "\r\n\r\n"+w.Text+"\r\n") || (w.Due != "") != strings.Contains(msg.data, "Due: "+w.Due+"\r\n") {
			t.Errorf("the mail of %s %d does not say %q, due %q:\n%s", k.kind, k.index, w.Text, w.Due, msg.data)
		}
	}
	// pakistan is concerned by every decision but afghanistan's window.
	wantPK := []told{{b.first, store.EventFinding}, {b.second, store.EventFinding}, {b.second, store.EventReplyWindow},
		{b.endorsement, store.EventEndorsement}, {b.penalty, store.EventPenalty}}
	pk := got["liaison@pk.example"]
	slices.SortFunc(pk, func(a, b told) int { return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.kind, b.kind)) })
	if !slices.Equal(pk, wantPK) {
		t.Errorf("pakistan was mailed the decisions %v; want %v", pk, wantPK)
	}
	for _, other := range []string{"desk@monitors.example", "desk@qa.example", "desk@board.example"} {
		if len(got[other]) > 0 {
			t.Errorf("%s, whose body no decision concerns, was mailed %v", other, got[other])
		}
	}
}

// TestDecisionInbox lists each decision in the inbox of the bodies it
// concerns, newest first, with the window to reply as it stands.
func TestDecisionInbox(t *testing.T) {
	ctx := context.Background()
	b := mustBlameReporter(t, mustMembers(t))
	db, rb := b.m.Log.DB, b.m.Log.Rulebook()
	want := b.want()
	for _, tc := range []struct {
		body string
		want []told
	}{
		{"pakistan", []told{{b.penalty, store.EventPenalty}, {b.endorsement, store.EventEndorsement},
			{b.second, store.EventFinding}, {b.second, store.EventReplyWindow}, {b.first, store.EventFinding}}},
		{"afghanistan", []told{{b.penalty, store.EventPenalty}, {b.endorsement, store.EventEndorsement},
			{b.second, store.EventFinding}, {b.window, store.EventReplyWindow}, {b.first, store.EventFinding}}},
		{"qatar", nil},
		{"monitors", nil},
		{"board", nil},
	} {
		notices, err := db.Inbox(ctx, tc.body, rb, 500)
		if err != nil {
			t.Fatal(err)
		}
		var got []told
		for _, n := range notices {
			if !slices.Contains(decisionKinds, n.Kind) {
				continue
			}
			k := told{n.Index, n.Kind}
			got = append(got, k)
			w := want[k]
			// The window a finding's blamed body had to reply stands
			// beside it, met: for the first finding, the one the reply
			// stage opened after it.
			if k.index == b.first {
				w.Due = want[told{b.window, store.EventReplyWindow}].Due
			}
			wantStatus := ""
			if w.Due != "" {
				wantStatus = mechanism.DeadlineMet
			}
			if n.Case != b.caseID || n.Text != w.Text || n.Due != w.Due || n.Status != wantStatus {
				t.Errorf("%s's %s notice of %d: %+v; want due %q %s: %s", tc.body, k.kind, k.index, n, w.Due, wantStatus, w.Text)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s's inbox lists the decisions %v; want %v", tc.body, got, tc.want)
		}
	}
	// A limit keeps the newest.
	notices, err := db.Inbox(ctx, "pakistan", rb, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 2 || notices[0].Index != b.penalty || notices[1].Index != b.endorsement {
		t.Errorf("pakistan's 2 newest notices: %+v", notices)
	}
}

// TestConfidentialDecisions: a confidential finding tells no body, by
// webhook or inbox, what it says or whom it blames until its endorsement
// discloses it: before, the parties of the case are told only of the
// window each has to answer it. The endorsement then tells the finding,
// as a public one is told, and itself; the inbox lists the finding with
// its blamed party's window as it stands.
func TestConfidentialDecisions(t *testing.T) {
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
	at := demo.Start.Add(24 * time.Hour)
	file := func(kind, author string, fields map[string]any, cosigners ...string) int64 {
		t.Helper()
		at = at.Add(time.Hour)
		r, err := m.Submit(ctx, kind, author, at, fields, cosigners...)
		if err != nil {
			t.Fatalf("%s by %s: %v", kind, author, err)
		}
		return r.Index
	}
	c := file(mechanism.KindReport, "pakistan-liaison-1", demo.SampleReport("Fire on a border post.", "afghanistan", at))
	advance := func(to string) int64 {
		return file(mechanism.KindCaseAdvance, "qatar-investigator-1", map[string]any{"case": c, "to": to})
	}
	for _, to := range []string{"preliminary", "investigation", "draft"} {
		advance(to)
	}
	at = at.Add(time.Hour)
	body, _ := json.Marshal(map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindFinding, "author": "qatar-investigator-1",
		"at": statement.FormatTime(at), "refs": []any{}, "case": c, "outcome": "attributed", "party": "afghanistan", "confidence": "moderate",
		"rationale": "CONFIDENTIAL: the crater faces Afghan positions.", "rulebook_version": 1})
	salt := bytes.Repeat([]byte{5}, 32)
	msg, err := m.Sign(mechanism.KindSealed, "qatar-investigator-1", at, map[string]any{"sealed_kind": mechanism.KindFinding, "case": c,
		"visibility": []string{"turkiye", "board", "pakistan", "afghanistan"}, "digest": mechanism.SealDigest(salt, body)}, "turkiye-investigator-1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Log.SubmitSealed(ctx, msg, salt, body)
	if err != nil {
		t.Fatal(err)
	}
	finding := r.Index
	window := advance("party_reply")
	for _, p := range []string{"pakistan-liaison-1", "afghanistan-liaison-1"} {
		file(mechanism.KindReply, p, map[string]any{"case": c, "position": "no_comment", "text": "Noted, " + p + ".", "language": "en"})
	}
	advance("technical_committee")
	board := advance("board")
	if err := m.Log.WaitViews(ctx, board+1); err != nil {
		t.Fatal(err)
	}
	db := m.Log.DB
	due := statement.FormatTime(demo.Start.Add(24*time.Hour + 6*time.Hour).Add(72 * time.Hour))
	both := []string{"afghanistan", "pakistan"}
	wantWindow := store.Event{Kind: store.EventReplyWindow, Index: window, Case: c, Bodies: both, Due: due,
		Text: fmt.Sprintf("afghanistan and pakistan may reply on case %d until %s.", c, due)}
	// Before the endorsement: the window, and nothing of what the
	// finding says.
	events, err := db.Events(ctx, c, board)
	if err != nil {
		t.Fatal(err)
	}
	var decisions []store.Event
	for _, e := range events {
		if slices.Contains(decisionKinds, e.Kind) {
			decisions = append(decisions, store.Event{Kind: e.Kind, Index: e.Index, Case: e.Case, Bodies: e.Bodies, Due: e.Due, Text: e.Text})
		}
		if strings.Contains(e.Text, "attribut") || strings.Contains(e.Text, "CONFIDENTIAL") {
			t.Errorf("an event tells what the confidential finding says: %+v", e)
		}
	}
	if !reflect.DeepEqual(decisions, []store.Event{wantWindow}) {
		t.Errorf("the decisions told before the endorsement: %+v; want only %+v", decisions, wantWindow)
	}
	for _, body := range []string{"afghanistan", "pakistan", "qatar", "monitors", "board"} {
		notices, err := db.Inbox(ctx, body, m.Log.Rulebook(), 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notices {
			if n.Kind == store.EventFinding || strings.Contains(n.Text, "attribut") {
				t.Errorf("%s's inbox tells the confidential finding before its endorsement: %+v", body, n)
			}
		}
	}

	endorsement := file(mechanism.KindEndorsement, "board-qatar-1", map[string]any{"case": c, "finding": finding,
		"salt": hex.EncodeToString(salt), "body": json.RawMessage(body)}, "board-turkiye-1")
	if err := m.Log.WaitViews(ctx, endorsement+1); err != nil {
		t.Fatal(err)
	}
	findingText := fmt.Sprintf("Finding %d on case %d attributes the violation to afghanistan (moderate confidence). "+
		"afghanistan may reply on case %d; its window to reply opens when the case enters the reply stage.", finding, c, c)
	endorsementText := fmt.Sprintf("Endorsement %d on case %d endorses finding %d, which attributes the violation to afghanistan (moderate confidence). "+
		"afghanistan may reply on case %d at any time.", endorsement, c, finding, c)
	events, err = db.Events(ctx, board, endorsement)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Event{
		{Kind: store.EventEndorsement, Index: endorsement, Case: c, Bodies: []string{"pakistan", "afghanistan"}, At: statement.FormatTime(at), Text: endorsementText},
		{Kind: store.EventFinding, Index: finding, Case: c, Bodies: []string{"pakistan", "afghanistan"}, At: statement.FormatTime(demo.Start.Add(29 * time.Hour)), Text: findingText},
	}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("the endorsement tells\n%+v\nwant\n%+v", events, want)
	}
	notices, err := db.Inbox(ctx, "afghanistan", m.Log.Rulebook(), 500)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Notice
	for _, n := range notices {
		if slices.Contains(decisionKinds, n.Kind) {
			got = append(got, n)
		}
	}
	wantNotices := []store.Notice{
		{Kind: store.EventEndorsement, Case: c, Index: endorsement, At: statement.FormatTime(at), Text: endorsementText},
		{Kind: store.EventReplyWindow, Case: c, Index: window, At: statement.FormatTime(demo.Start.Add(30 * time.Hour)), Text: wantWindow.Text,
			Due: due, Status: mechanism.DeadlineMet},
		{Kind: store.EventFinding, Case: c, Index: finding, At: statement.FormatTime(demo.Start.Add(29 * time.Hour)), Text: findingText,
			Due: due, Status: mechanism.DeadlineMet},
	}
	if !reflect.DeepEqual(got, wantNotices) {
		t.Errorf("afghanistan's inbox after the endorsement:\n%+v\nwant\n%+v", got, wantNotices)
	}
}
