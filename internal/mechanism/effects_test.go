package mechanism_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// TestEffects: Apply says what a statement did, with values that later
// statements do not change.
func TestEffects(t *testing.T) {
	f := setUpRules2(t)
	st, err := f.st.Open(f.reply("bob", caseID, nil))
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.st.Apply(st)
	if err != nil {
		t.Fatal(err)
	}
	f.log = append(f.log, st.Signed)
	if _, ok := e.Payload.(*mechanism.Reply); !ok || e.Kind != mechanism.KindReply || e.Author != "bob" || e.Body != "party-b" || e.Index != caseID+1 {
		t.Fatalf("effects of a reply: %+v", e)
	}
	if len(e.Cases) != 1 || e.Cases[0].ID != caseID || e.Cases[0].Replies != 1 || len(e.Subjects) != 1 || e.Subjects[0] != caseID {
		t.Errorf("the reply's case: %+v, subjects %v", e.Cases, e.Subjects)
	}
	if len(e.Deadlines) != 1 || e.Deadlines[0].Name != mechanism.DeadlineReply || e.Deadlines[0].Status != mechanism.DeadlineMet {
		t.Errorf("the reply's deadlines: %+v", e.Deadlines)
	}
	if len(e.Signers) != 1 || e.Signers[0].Counts != "author" {
		t.Errorf("the reply's signers: %+v", e.Signers)
	}
	f.must(f.reply("bob", caseID, map[string]any{"text": "And again."}))
	if e.Cases[0].Replies != 1 || e.Deadlines[0].Status != mechanism.DeadlineMet {
		t.Errorf("a later statement changed the effects of an earlier one: %+v %+v", e.Cases[0], e.Deadlines[0])
	}
}

func TestOverdueAndPublished(t *testing.T) {
	due := time.Date(2025, 10, 20, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status string
		now    time.Time
		want   bool
	}{
		{mechanism.DeadlineOpen, due.Add(time.Second), true},
		{mechanism.DeadlineOpen, due, false},
		{mechanism.DeadlineMet, due.Add(time.Hour), false},
		{mechanism.DeadlineMissed, due.Add(time.Hour), false},
	} {
		if got := mechanism.Overdue(tc.status, due, tc.now); got != tc.want {
			t.Errorf("Overdue(%s, due, due%+v) = %v", tc.status, tc.now.Sub(due), got)
		}
	}
	f := newFixture(t)
	if got := f.rulebook().Published(); got != "published" {
		t.Errorf("Published() = %q, want the last stage", got)
	}
}

// TestRulebookEffectsInOrder: the members a rulebook puts in force come
// out in name order, the same on every replay, so that whatever consumes
// the effects sees one history.
func TestRulebookEffectsInOrder(t *testing.T) {
	f := newFixture(t)
	msg := f.rulebookMsg(f.rulebook())
	var first []string
	for range 20 {
		var st mechanism.State
		s, err := st.Open(msg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := st.Apply(s)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range e.Members {
			names = append(names, m.Name)
		}
		if !slices.IsSorted(names) || len(names) < 2 {
			t.Fatalf("the genesis rulebook's members: %v, want two or more in name order", names)
		}
		if first == nil {
			first = names
		} else if !slices.Equal(names, first) {
			t.Fatalf("a replay gave the members %v, another %v", first, names)
		}
	}
}

// TestPredecoded: a statement opened by the keyring is decoded there, and
// the state applies that decoding without decoding the JSON again, into
// the payload its kind's handler uses.
func TestPredecoded(t *testing.T) {
	f := setUpRules2(t)
	for i, msg := range [][]byte{f.report("alice", nil), f.reply("bob", caseID, nil)} {
		st, err := f.st.Keys().Open(msg)
		if err != nil {
			t.Fatal(err)
		}
		// JSON that no longer decodes: only the decoding made when the
		// statement was opened can give the payload now.
		st.JSON = fmt.Appendf(nil, `{"kind": %d}`, i)
		e, err := f.st.Apply(st)
		if err != nil {
			t.Fatalf("%s applied from its decoding when opened: %v", st.Kind, err)
		}
		if want := reflect.TypeOf(mechanism.Payloads[st.Kind]()); reflect.TypeOf(e.Payload) != want {
			t.Errorf("%s: the handler's payload is a %T, the keyring decodes a %v", st.Kind, e.Payload, want)
		}
		f.log = append(f.log, msg)
	}
}

// TestPredecodedUnchanged: a handler that takes the payload decoded when
// its statement was opened shares it with the statement, so it must leave
// it as decoded. Each statement of the workflows that use every kind, and
// of the November 2026 log, is applied from its keyring's decoding; its
// payload must then equal one decoded afresh from its JSON.
func TestPredecodedUnchanged(t *testing.T) {
	logs := map[string][][]byte{"november 2026": novemberLog(t)}
	for _, w := range workflows {
		logs[w.name] = w.log(t)
	}
	for name, msgs := range logs {
		var st mechanism.State
		for i, msg := range msgs {
			s, err := st.Open(msg)
			if err != nil {
				continue
			}
			if _, err := st.Apply(s); err != nil {
				continue
			}
			shared, _ := s.Predecoded()
			if shared == nil {
				continue
			}
			fresh := mechanism.Payloads[s.Kind]()
			if err := s.Decode(fresh); err != nil {
				t.Fatal(err)
			}
			again, err := statement.Parse(msg)
			if err != nil {
				t.Fatal(err)
			}
			want := mechanism.Payloads[s.Kind]()
			if err := again.Decode(want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shared, want) || !reflect.DeepEqual(fresh, want) {
				t.Errorf("%s, entry %d (%s): applying it changed the payload decoded when it was opened:\n%+v\nnot\n%+v", name, i, s.Kind, shared, want)
			}
		}
	}
}

// TestStanding: a case is verified only in the stage that publishes
// findings, with a finding that a violation happened; cleared there with
// one that clears; closed once closed as out of scope, whatever its stage;
// pending otherwise, however far it went.
func TestStanding(t *testing.T) {
	rb := newFixture(t).rulebook()
	pub := rb.Published()
	for _, tc := range []struct {
		status, stage, outcome, want string
	}{
		{mechanism.CaseStatusOpen, pub, mechanism.OutcomeAttributed, mechanism.StandingVerified},
		{mechanism.CaseStatusOpen, pub, mechanism.OutcomeNotAttributable, mechanism.StandingVerified},
		{mechanism.CaseStatusOpen, pub, mechanism.OutcomeCleared, mechanism.StandingCleared},
		{mechanism.CaseStatusOpen, pub, "", mechanism.StandingPending},
		{mechanism.CaseStatusOpen, rb.Stages[0].ID, mechanism.OutcomeAttributed, mechanism.StandingPending},
		{mechanism.CaseStatusOpen, rb.Stages[len(rb.Stages)-2].ID, mechanism.OutcomeAttributed, mechanism.StandingPending},
		{mechanism.CaseStatusOutOfScope, rb.Stages[0].ID, "", mechanism.StandingClosed},
		{mechanism.CaseStatusOutOfScope, pub, mechanism.OutcomeAttributed, mechanism.StandingClosed},
		{mechanism.CaseStatusOpen, "", "", mechanism.StandingPending},
	} {
		if got := rb.Standing(tc.status, tc.stage, tc.outcome); got != tc.want {
			t.Errorf("Standing(%q, %q, %q) = %q, want %q", tc.status, tc.stage, tc.outcome, got, tc.want)
		}
	}
	var empty mechanism.Rulebook
	if got := empty.Standing(mechanism.CaseStatusOpen, "", mechanism.OutcomeAttributed); got != mechanism.StandingPending {
		t.Errorf("a rulebook without stages: %q, want pending", got)
	}
}
