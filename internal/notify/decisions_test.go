package notify_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
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
