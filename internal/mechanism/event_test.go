package mechanism_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// tell applies msg and returns the events it told.
func (f *fixture) tell(msg []byte) []mechanism.Event {
	f.t.Helper()
	st, err := f.st.Open(msg)
	if err != nil {
		f.t.Fatal(err)
	}
	e, err := f.st.Apply(st)
	if err != nil {
		f.t.Fatalf("statement %d refused: %v\n%s", f.st.Size, err, msg)
	}
	f.log = append(f.log, msg)
	return e.Events
}

// wantEvents checks that got are want, in order.
func wantEvents(t *testing.T, name string, got []mechanism.Event, want ...mechanism.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s told %d events, want %d:\n got %+v\nwant %+v", name, len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s's event %d:\n got %+v\nwant %+v", name, i, got[i], want[i])
		}
	}
}

// rules2Fixture is the workflow's mechanism under rules 2, its findings
// confidential if confidential, with no case yet.
func rules2Fixture(t *testing.T, confidential bool) *fixture {
	f := newFixture(t)
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules, rb.ConfidentialFindings = mechanism.Rules2, confidential
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		f.must(msg)
	}
	return f
}

// TestEvents takes a case through every kind of event: its allegation, a
// finding before the reply stage, the window the reply stage opens, a
// finding re-filed that sends the case back there with a window of its
// own, that window missed, the endorsement, a penalty and the
// publication. Each tells what was so when it was filed, and a state
// read back from a snapshot tells the same.
func TestEvents(t *testing.T) {
	f := rules2Fixture(t, false)
	both := []string{"party-a", "party-b"}
	wantEvents(t, "the report", f.tell(f.report("alice", nil)), mechanism.Event{Kind: mechanism.EventAllegation, Index: caseID, Case: caseID,
		Bodies: []string{"party-b"}, Finding: -1, Text: "party-a: Mortar fire on Torkham"})
	f.must(f.reply("bob", caseID, nil))
	for _, to := range []string{"preliminary", "investigation", "draft"} {
		wantEvents(t, "the advance to "+to, f.tell(f.advance("admin-m1", caseID, to, nil)))
	}
	first := f.st.Size
	wantEvents(t, "the first finding", f.tell(f.finding(caseID, nil)), mechanism.Event{Kind: mechanism.EventFinding, Index: first, Case: caseID,
		Bodies: both, Finding: first, Outcome: mechanism.OutcomeAttributed, Party: "party-b", Blamed: []string{"party-b"},
		Text: "Finding 10 on case 5 attributes the violation to party-b (high confidence). " +
			"party-b may reply on case 5; its window to reply opens when the case enters the reply stage."})
	window := f.st.Size
	wantEvents(t, "the advance to the reply stage", f.tell(f.advance("admin-m1", caseID, "party_reply", nil)),
		mechanism.Event{Kind: mechanism.EventReplyWindow, Index: window, Case: caseID, Bodies: []string{"party-b"}, Finding: -1,
			Due: t0.Add(72 * time.Hour), Text: "party-b may reply on case 5 until 2025-03-04T12:00:00Z."})
	wantEvents(t, "the reply", f.tell(f.reply("bob", caseID, fields{"text": "We answered fire."})))
	f.must(f.advance("admin-m1", caseID, "technical_committee", nil))

	// Re-filed, the finding blames the reporter: the case goes back to
	// the reply stage, with a window for it that the finding tells.
	second := f.st.Size
	due := t0.Add(73 * time.Hour)
	wantEvents(t, "the second finding", f.tell(f.finding(caseID, fields{"party": "party-a", "confidence": "moderate", "at": after(time.Hour)})),
		mechanism.Event{Kind: mechanism.EventReplyWindow, Index: second, Case: caseID, Bodies: []string{"party-a"}, Finding: -1,
			Due: due, Text: "party-a may reply on case 5 until 2025-03-04T13:00:00Z."},
		mechanism.Event{Kind: mechanism.EventFinding, Index: second, Case: caseID, Bodies: both, Finding: second,
			Outcome: mechanism.OutcomeAttributed, Party: "party-a", Blamed: []string{"party-a"}, Due: due,
			Text: "Finding 14 on case 5 attributes the violation to party-a (moderate confidence). party-a may reply on case 5 until 2025-03-04T13:00:00Z."})
	late := after(80 * time.Hour)
	wantEvents(t, "the advance past the window", f.tell(f.advance("admin-m1", caseID, "technical_committee", fields{"at": late})),
		mechanism.Event{Kind: mechanism.EventDeadlineMissed, Index: second + 1, Case: caseID, Bodies: []string{"party-a"}, Finding: -1,
			Due: due, Text: mechanism.DeadlineReply})
	f.must(f.advance("admin-m1", caseID, "board", fields{"at": late}))

	// A state read back from a snapshot tells the endorsement as this one
	// does: with its finding's confidence.
	snap, err := f.st.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	back, err := mechanism.UnmarshalSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	msg := f.endorse(caseID, second, fields{"at": late})
	st, err := back.Open(msg)
	if err != nil {
		t.Fatal(err)
	}
	fromSnapshot, err := back.Apply(st)
	if err != nil {
		t.Fatal(err)
	}
	endorsement := f.st.Size
	told := f.tell(msg)
	wantEvents(t, "the endorsement", told, mechanism.Event{Kind: mechanism.EventEndorsement, Index: endorsement, Case: caseID, Bodies: both,
		Finding: second, Outcome: mechanism.OutcomeAttributed, Party: "party-a", Blamed: []string{"party-a"},
		Text: "Endorsement 17 on case 5 endorses finding 14, which attributes the violation to party-a (moderate confidence). party-a may reply on case 5 at any time."})
	wantEvents(t, "the endorsement, from a snapshot", fromSnapshot.Events, told...)

	wantEvents(t, "the penalty", f.tell(f.penalize(caseID, second, fields{"party": "party-a", "at": late})),
		mechanism.Event{Kind: mechanism.EventPenalty, Index: endorsement + 1, Case: caseID, Bodies: both, Finding: second,
			Outcome: mechanism.OutcomeAttributed, Party: "party-a", Blamed: []string{"party-a"},
			Text: "Penalty 18 on case 5: censure (Public statement of the violation) on party-a, for finding 14. party-a may reply on case 5 at any time."})
	wantEvents(t, "the publication", f.tell(f.advance("admin-m1", caseID, "published", fields{"at": late})),
		mechanism.Event{Kind: mechanism.EventPublished, Index: endorsement + 2, Case: caseID, Bodies: both, Finding: -1,
			Outcome: mechanism.OutcomeAttributed, Party: "party-a"})
	if got := mechanism.PublishedText(mechanism.OutcomeAttributed, "party-a", "Mortar fire on Torkham"); got != "attributed party-a: Mortar fire on Torkham" {
		t.Errorf("PublishedText = %q", got)
	}
}

// TestEventsConfidentialFinding: a confidential finding tells nobody what
// it says or whom it blames until its endorsement discloses it: before,
// its events are the windows every party of the case gets, with nothing
// of its outcome; the endorsement then tells the finding, as a public one
// is told, and itself.
func TestEventsConfidentialFinding(t *testing.T) {
	f := rules2Fixture(t, true)
	f.must(f.report("alice", nil)) // 5
	f.toStage(caseID, "draft")
	body := f.obj(mechanism.KindFinding, "admin-m1", fields{"case": caseID, "outcome": mechanism.OutcomeAttributed, "party": "party-b",
		"confidence": "high", "rationale": "The craters face party-b's positions.", "rulebook_version": 1})
	salt := bytes.Repeat([]byte{7}, 32)
	var before []mechanism.Event
	fi := f.st.Size
	before = append(before, f.tell(f.stmt(mechanism.KindSealed, fields{"sealed_kind": mechanism.KindFinding, "case": caseID,
		"visibility": []string{"board", "mediator-1", "mediator-2", "party-a", "party-b"}, "digest": mechanism.SealDigest(salt, body)},
		"admin-m1", "admin-m2"))...)
	window := f.st.Size
	before = append(before, f.tell(f.advance("admin-m1", caseID, "party_reply", nil))...)
	before = append(before, f.tell(f.reply("bob", caseID, nil))...)
	before = append(before, f.tell(f.reply("alice", caseID, fields{"text": "We stand by our report."}))...)
	before = append(before, f.tell(f.advance("admin-m1", caseID, "technical_committee", nil))...)
	before = append(before, f.tell(f.advance("admin-m1", caseID, "board", nil))...)
	wantEvents(t, "the confidential finding and what followed", before,
		mechanism.Event{Kind: mechanism.EventReplyWindow, Index: window, Case: caseID, Bodies: []string{"party-b", "party-a"}, Finding: -1,
			Due: t0.Add(72 * time.Hour), Text: "party-b and party-a may reply on case 5 until 2025-03-04T12:00:00Z."})

	endorsement := f.st.Size
	wantEvents(t, "the disclosing endorsement", f.tell(f.endorse(caseID, fi, fields{"salt": hexOf(salt), "body": json.RawMessage(body)})),
		mechanism.Event{Kind: mechanism.EventFinding, Index: fi, Case: caseID, Bodies: []string{"party-a", "party-b"}, Finding: fi,
			Outcome: mechanism.OutcomeAttributed, Party: "party-b", Blamed: []string{"party-b"},
			Text: fmt.Sprintf("Finding %d on case 5 attributes the violation to party-b (high confidence). "+
				"party-b may reply on case 5; its window to reply opens when the case enters the reply stage.", fi)},
		mechanism.Event{Kind: mechanism.EventEndorsement, Index: endorsement, Case: caseID, Bodies: []string{"party-a", "party-b"}, Finding: fi,
			Outcome: mechanism.OutcomeAttributed, Party: "party-b", Blamed: []string{"party-b"},
			Text: fmt.Sprintf("Endorsement %d on case 5 endorses finding %d, which attributes the violation to party-b (high confidence). "+
				"party-b may reply on case 5 at any time.", endorsement, fi)})
	if !slices.ContainsFunc(f.getCase(caseID).Deadlines, func(d *mechanism.Deadline) bool { return d.Opened == window }) {
		t.Error("the reply stage opened no window")
	}
}
