package mechanism

import (
	"slices"
	"time"
)

// Effects is what applying one statement did, as values that stay true
// whatever the state does next: the views, the notices and the inbox read
// them, never the state itself.
type Effects struct {
	// Index is the statement's log index; Kind its kind; Author its
	// author and Body the author's body (empty for founders).
	Index        int64
	Kind         string
	Author, Body string
	// Payload is the statement's decoded fields: *Report, *Reply,
	// *Finding and so on, one type per kind (see Kinds); nil for the
	// rulebook and the kinds of membership, whose effects are Members.
	Payload any
	// Signers say what each signature counts toward.
	Signers []Signer
	// Members, Cases and Deadlines are the entities the statement created
	// or changed, as they are once it is applied: deadlines it opened, met
	// or, by moving the log's time, found missed, and the cases those
	// belong to.
	Members   []Member
	Cases     []CaseState
	Deadlines []Deadline
	// Subjects are the cases the statement is about.
	Subjects []int64
	// Events are what the statement tells the bodies it concerns, in the
	// order they happened: its own, then the deadlines it found missed.
	Events []Event
}

// CaseState is a case's workflow as of one statement.
type CaseState struct {
	ID              int64
	Stage           string
	Entered         int64
	Reports         int
	Replies         int
	Finding         int64 // -1 for none
	Outcome, Party  string
	Endorsed        int64 // -1 for none
	Penalties       int
	DeadlinesMissed int
	Updated         int64
	// DuplicateOf is the case that stands for this one when a case.link
	// made it a duplicate of it (State.DuplicateOf), or -1: the event is
	// counted once, under the case that stands.
	DuplicateOf int64
	// Status is one of CaseStatuses; Closed is the index of the
	// case.close that closed it as out of scope, or -1, and
	// ClosedReason its reason.
	Status       string
	Closed       int64
	ClosedReason string
	// Standing is where the case stands on the record (Standing).
	Standing string
}

// state returns c's workflow as a value.
func (c *Case) state() CaseState {
	missed := 0
	for _, d := range c.Deadlines {
		if d.Status == DeadlineMissed {
			missed++
		}
	}
	return CaseState{ID: c.ID, Stage: c.Stage, Entered: c.Entered, Reports: len(c.Reports), Replies: len(c.Replies),
		Finding: c.Finding, Outcome: c.Outcome, Party: c.Party, Endorsed: c.Endorsed, Penalties: len(c.Penalties),
		DeadlinesMissed: missed, Updated: c.Updated, DuplicateOf: -1, Status: CaseStatusOpen, Closed: -1}
}

// caseState returns c's workflow as a value, with its closure.
func (s *State) caseState(c *Case) CaseState {
	cs := c.state()
	if cl, ok := s.reg.Closures[c.ID]; ok {
		cs.Status, cs.Closed, cs.ClosedReason = CaseStatusOutOfScope, cl.Index, cl.Reason
	}
	cs.Standing = s.Rulebook.Standing(cs.Status, cs.Stage, cs.Outcome)
	return cs
}

// effects copies what the statement just applied at idx changed.
func (s *State) effects(idx int64, kind, author string) *Effects {
	e := &Effects{Index: idx, Kind: kind, Author: author, Payload: s.payload, Signers: slices.Clone(s.signed)}
	// nil when there are none, whatever the scratch slice held before.
	if len(s.subjects) > 0 {
		e.Subjects = slices.Clone(s.subjects)
	}
	if len(s.events) > 0 {
		e.Events = slices.Clone(s.events)
	}
	if m, ok := s.members[author]; ok {
		e.Body = m.Body
	}
	// Each list is made at its length: a report changes three deadlines.
	if n := len(s.changed); n > 0 {
		e.Members = make([]Member, 0, n)
	}
	if n := len(s.changedCases); n > 0 {
		e.Cases = make([]CaseState, 0, n)
	}
	if n := len(s.changedDeadlines); n > 0 {
		e.Deadlines = make([]Deadline, 0, n)
	}
	for _, m := range s.changed {
		c := *m
		c.Roles = slices.Clone(m.Roles)
		if m.Key != nil {
			k := *m.Key
			c.Key = &k
		}
		e.Members = append(e.Members, c)
	}
	for _, c := range s.changedCases {
		cs := s.caseState(c)
		cs.DuplicateOf = s.DuplicateOf(c.ID)
		e.Cases = append(e.Cases, cs)
	}
	for _, d := range s.changedDeadlines {
		c := *d
		c.Bodies, c.Acted = slices.Clone(d.Bodies), slices.Clone(d.Acted)
		c.heapIndex = 0
		e.Deadlines = append(e.Deadlines, c)
	}
	return e
}

// Overdue reports whether a deadline in status, due at due, has passed by
// the clock now while still open: before any statement has moved the log's
// time past it, which makes it missed.
func Overdue(status string, due, now time.Time) bool {
	return status == DeadlineOpen && now.After(due)
}

// Published returns the stage in which a case's finding is published: the
// rulebook's last.
func (r *Rulebook) Published() string {
	if len(r.Stages) == 0 {
		return ""
	}
	return r.Stages[len(r.Stages)-1].ID
}

// Standings of a case on the record (Rulebook.Standing).
const (
	StandingPending  = "pending"
	StandingVerified = "verified"
	StandingCleared  = "cleared"
	StandingClosed   = "closed"
)

// Standings are where a case may stand on the record.
var Standings = []string{StandingPending, StandingVerified, StandingCleared, StandingClosed}

// Standing says where a case stands on the record, given its status, its
// stage and the outcome of its latest finding: closed once it is closed as
// out of scope; verified once it reaches the stage in which findings are
// published (Published) with a finding that a violation happened, whether
// attributed to a party or not attributable to any; cleared once it
// reaches that stage with a finding that clears; pending until then,
// whatever findings it has.
func (r *Rulebook) Standing(status, stage, outcome string) string {
	switch {
	case status == CaseStatusOutOfScope:
		return StandingClosed
	case stage == "" || stage != r.Published():
		return StandingPending
	case outcome == OutcomeAttributed || outcome == OutcomeNotAttributable:
		return StandingVerified
	case outcome == OutcomeCleared:
		return StandingCleared
	default:
		// A case published with no finding it may show, such as one
		// still confidential: nothing is verified yet.
		return StandingPending
	}
}
