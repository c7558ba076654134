package mechanism

import (
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindCaseAdvance moves a case to the next stage of the workflow.
const KindCaseAdvance = "case.advance"

// CaseAdvance moves a case to the next stage of the workflow.
type CaseAdvance struct {
	statement.Fields
	Case int64  `json:"case"`
	To   string `json:"to"`
	Note string `json:"note,omitempty"`
}

func (s *State) applyCaseAdvance(st *statement.Statement, now time.Time) error {
	const k = KindCaseAdvance
	a := new(CaseAdvance)
	if err := st.Decode(a); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	c, err := s.caseFor(k, a.Case)
	if err != nil {
		return err
	}
	if err := s.checkText(k, "note", a.Note, maxText, false); err != nil {
		return err
	}
	if err := s.notClosed(k, c); err != nil {
		return err
	}
	stages := s.Rulebook.Stages
	cur := s.Rulebook.Stage(c.Stage)
	to := s.Rulebook.Stage(a.To)
	switch {
	case to < 0:
		return field(k, "to", "%q is not a stage of the rulebook", a.To)
	case cur < 0:
		return statement.Invalid("case.advance: case %d is in stage %q, which the rulebook in force no longer has", c.ID, c.Stage)
	case cur == len(stages)-1:
		return statement.Invalid("case.advance: case %d is already in the last stage, %q", c.ID, c.Stage)
	case to != cur+1:
		return statement.Invalid("case.advance: case %d is in stage %q; the next stage is %q, and stages cannot be skipped or gone back to", c.ID, c.Stage, stages[cur+1].ID)
	}
	next := &stages[to]
	if !matches(next.By, b) {
		return statement.Forbidden("case.advance: only %v may move a case into stage %q; %q may not", next.By, next.ID, b.ID)
	}
	switch next.Requires {
	case KindFinding:
		if c.Finding < 0 {
			return statement.Invalid("case.advance: stage %q needs a finding on case %d, and there is none", next.ID, c.ID)
		}
	case KindEndorsement:
		if c.Endorsed < 0 {
			return statement.Invalid("case.advance: stage %q needs an endorsed finding on case %d, and the latest finding is not endorsed", next.ID, c.ID)
		}
	}
	if stages[cur].Reply {
		for _, d := range c.Deadlines {
			if d.Name == DeadlineReply && d.Opened == c.Entered && d.Status == DeadlineOpen && !now.After(d.Due) {
				return statement.Invalid("case.advance: %v may reply on case %d until %s; the case cannot leave stage %q before then",
					d.Bodies, c.ID, statement.FormatTime(d.Due), c.Stage)
			}
		}
	}
	c.Stage, c.Entered = next.ID, s.Size
	for _, d := range c.Deadlines {
		if d.Stage == next.ID {
			s.meet(d, now)
		}
	}
	if next.Reply {
		s.openReply(c, s.replyBodies(c), now)
	}
	if next.ID == s.Rulebook.Published() {
		s.tellPublished(c)
	}
	s.touch(c)
	s.payload = a
	return nil
}

// replyBodies lists who gets a new window to reply when c enters a reply
// stage: the accused party and, under rules 2, every body the current
// finding blames.
func (s *State) replyBodies(c *Case) []string {
	var out []string
	if c.Accused != "" {
		out = append(out, c.Accused)
	}
	if s.rules() >= Rules2 {
		for _, b := range c.Blamed {
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// openReply opens a window for bodies to reply on c, and tells them.
func (s *State) openReply(c *Case, bodies []string, now time.Time) {
	if dur, ok := s.Rulebook.Deadline(DeadlineReply); ok && len(bodies) > 0 {
		d := &Deadline{Name: DeadlineReply, Bodies: bodies, Due: now.Add(dur)}
		s.addDeadline(c, d)
		s.tellReplyWindow(c, d)
	}
}
