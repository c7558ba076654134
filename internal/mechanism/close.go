package mechanism

import (
	"container/heap"
	"fmt"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindCaseClose closes a case as out of scope (rules 3).
const KindCaseClose = "case.close"

// CaseClose closes a case as out of scope: the event came before the
// truce, happened outside the area the agreement covers, or is not a
// violation by its nature. The case's open deadlines end, closed rather
// than missed, and the case takes no further stage or decision; its
// record stays, and reports, replies and evidence may still be added.
type CaseClose struct {
	statement.Fields
	Case int64 `json:"case"`
	// Reason is one of CloseReasons.
	Reason string `json:"reason"`
	// Note says why, in words.
	Note string `json:"note"`
}

// Reasons for closing a case as out of scope.
const (
	CloseBeforeTruce   = "before_truce"
	CloseOutsideArea   = "outside_area"
	CloseNotAViolation = "not_a_violation"
)

// DeadlineClosed is the status of a deadline whose case was closed as out
// of scope while it was open and not yet due: it ended, neither met nor
// missed.
const DeadlineClosed = "closed"

// Case statuses (CaseState.Status).
const (
	CaseStatusOpen       = "open"
	CaseStatusOutOfScope = "out_of_scope"
)

// CloseReasons are why a case may be closed as out of scope.
var CloseReasons = []string{CloseBeforeTruce, CloseOutsideArea, CloseNotAViolation}

// CaseStatuses are the statuses of a case: open, or closed as out of
// scope. A published case is open, in its last stage.
var CaseStatuses = []string{CaseStatusOpen, CaseStatusOutOfScope}

// Closure is how a case was closed as out of scope.
type Closure struct {
	// Index is the case.close statement's; Stage the stage the case was
	// in; Body the body that closed it.
	Index  int64  `json:"index"`
	Reason string `json:"reason"`
	Stage  string `json:"stage"`
	Body   string `json:"body"`
}

// Closure returns how the case id was closed as out of scope, if it was.
func (s *State) Closure(id int64) (*Closure, bool) {
	c, ok := s.reg.Closures[id]
	return c, ok
}

// Closers lists who may close a case in stage id as out of scope (by body
// id or type): the mediators, and the bodies that own the stage, those
// that move a case into it (for the first stage, which a report opens,
// into the next).
func (r *Rulebook) Closers(id string) []string {
	out := []string{BodyMediator}
	if i := r.Stage(id); i >= 0 {
		by := r.Stages[i].By
		if len(by) == 0 && i+1 < len(r.Stages) {
			by = r.Stages[i+1].By
		}
		for _, b := range by {
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// MayClose reports whether members of b may close some case as out of
// scope: b is among the Closers of a stage before the last.
func (r *Rulebook) MayClose(b Body) bool {
	for _, st := range r.Stages[:max(len(r.Stages)-1, 0)] {
		if matches(r.Closers(st.ID), &b) {
			return true
		}
	}
	return false
}

func (s *State) applyCaseClose(st *statement.Statement, now time.Time) error {
	const k = KindCaseClose
	if s.rules() < Rules3 {
		return statement.Invalid("case.close is a statement of rules 3; this mechanism follows rules %d: the founders amend the rulebook to \"rules\": 3 first", s.rules())
	}
	x := new(CaseClose)
	if err := st.Decode(x); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	c, err := s.caseFor(k, x.Case)
	if err != nil {
		return err
	}
	pr := problems{kind: k}
	pr.add(checkEnum(k, "reason", x.Reason, CloseReasons))
	pr.add(checkText(k, "note", x.Note, maxText, true))
	if err := pr.err(); err != nil {
		return err
	}
	if err := s.notClosed(k, c); err != nil {
		return err
	}
	if c.Stage == s.Rulebook.Published() {
		return statement.Invalid("case.close: case %d is published (stage %q); a published case is not closed as out of scope", c.ID, c.Stage)
	}
	if by := s.Rulebook.Closers(c.Stage); !matches(by, b) {
		return statement.Forbidden("case.close: case %d is in stage %q, which %v own; only they may close it as out of scope, and %q may not", c.ID, c.Stage, by, b.ID)
	}
	if s.reg.Closures == nil {
		s.reg.Closures = map[int64]*Closure{}
	}
	s.reg.Closures[c.ID] = &Closure{Index: s.Size, Reason: x.Reason, Stage: c.Stage, Body: b.ID}
	// A deadline that had passed by now was missed, and the log's time
	// moving to now finds it so.
	for _, d := range c.Deadlines {
		if d.Status == DeadlineOpen && !now.After(d.Due) {
			d.Status, d.Closed = DeadlineClosed, s.Size
			heap.Remove(&s.open, d.heapIndex)
			s.changedDeadlines = append(s.changedDeadlines, d)
		}
	}
	s.tell(Event{Kind: EventClosed, Index: s.Size, Case: c.ID, Bodies: caseBodies(c), Finding: -1,
		Text: fmt.Sprintf("Case %d is closed as out of scope (%s) by %s.", c.ID, x.Reason, b.ID)})
	s.touch(c)
	s.payload = x
	return nil
}

// notClosed refuses a statement of kind that moves or decides a case
// closed as out of scope.
func (s *State) notClosed(kind string, c *Case) error {
	if cl, ok := s.reg.Closures[c.ID]; ok {
		return statement.Invalid("%s: case %d was closed as out of scope (%s) at index %d; it takes no further stage or decision", kind, c.ID, cl.Reason, cl.Index)
	}
	return nil
}
