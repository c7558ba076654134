package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindCommitment is a party's undertaking, with a deadline.
const KindCommitment = "commitment"

// Commitment is a party's undertaking about an armed group, with a
// deadline.
type Commitment struct {
	statement.Fields
	Group    Actor  `json:"group"`
	Place    *Place `json:"place,omitempty"`
	Deadline string `json:"deadline"`
	// DeadlinePrecision is how precisely the deadline was set (rules 3),
	// such as "month" for "by the end of November": one of Precisions;
	// empty when the statement does not say. The deadline falls due at
	// Deadline all the same.
	DeadlinePrecision string   `json:"deadline_precision,omitempty"`
	Text              string   `json:"text"`
	Clauses           []string `json:"clauses,omitempty"`
}

func (s *State) applyCommitment(st *statement.Statement, now time.Time) error {
	const k = KindCommitment
	c := new(Commitment)
	if err := st.Decode(c); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, BodyParty)
	if err != nil {
		return err
	}
	p := problems{kind: k}
	p.add(c.Group.checkWith(k, "group", s.textCheck()))
	if c.Place != nil {
		p.add(c.Place.checkWith(k, s.textCheck()))
	}
	due, err := checkTime(k, "deadline", c.Deadline, time.Time{})
	if p.add(err) && !due.After(now) {
		p.add(field(k, "deadline", "must be after the log's time, %s", statement.FormatTime(now)))
	}
	p.add(s.checkPrecision(k, "deadline_precision", c.DeadlinePrecision))
	p.add(s.checkText(k, "text", c.Text, maxText, true))
	p.add(checkIDs(k, "clauses", c.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses"))
	if err := p.err(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	d := &Deadline{Subject: s.Size, Name: DeadlineCommitment, Bodies: []string{b.ID}, Due: due}
	s.openDeadline(d)
	s.commitments[s.Size] = &commitment{party: b.ID, deadline: d}
	s.payload = c
	return nil
}

type commitment struct {
	party    string
	deadline *Deadline
}

// Commitment returns the party that made the commitment at index idx and its
// deadline.
func (s *State) Commitment(idx int64) (party string, d *Deadline, ok bool) {
	c, ok := s.commitments[idx]
	if !ok {
		return "", nil, false
	}
	return c.party, c.deadline, true
}

// DeadlineCommitment is the name of a commitment's own deadline.
const DeadlineCommitment = "commitment"
