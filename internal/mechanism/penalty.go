package mechanism

import (
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindPenalty attaches one of the rulebook's penalties to an endorsed
// finding.
const KindPenalty = "penalty"

// Penalty attaches one of the rulebook's penalties to an endorsed finding.
type Penalty struct {
	statement.Fields
	Case    int64  `json:"case"`
	Finding int64  `json:"finding"`
	Penalty string `json:"penalty"`
	Party   string `json:"party"`
	Text    string `json:"text,omitempty"`
}

func (s *State) applyPenalty(st *statement.Statement, now time.Time) error {
	const k = KindPenalty
	p := new(Penalty)
	if err := st.Decode(p); err != nil {
		return err
	}
	c, err := s.caseFor(k, p.Case)
	if err != nil {
		return err
	}
	if err := s.notClosed(k, c); err != nil {
		return err
	}
	if c.Endorsed < 0 || p.Finding != c.Finding {
		return field(k, "finding", "a penalty attaches only to an endorsed finding, and %d is not the endorsed finding of case %d", p.Finding, c.ID)
	}
	if c.Outcome != OutcomeAttributed {
		return field(k, "finding", "the finding of case %d attributes no violation (%s)", c.ID, c.Outcome)
	}
	if p.Party != c.Party {
		return field(k, "party", "the finding attributes the violation to %q, not %q", c.Party, p.Party)
	}
	if s.rules() >= Rules2 {
		if !slices.Contains(c.Blamed, p.Party) {
			return field(k, "party", "the finding at %d does not blame %q", c.Finding, p.Party)
		}
		if err := s.heard(k, c, c.Blamed, now); err != nil {
			return err
		}
	}
	if !hasID(s.Rulebook.Penalties, p.Penalty) {
		return field(k, "penalty", "%q is not one of the rulebook's penalties", p.Penalty)
	}
	if err := s.quorum(QuorumPenalty, st); err != nil {
		return err
	}
	if err := s.checkText(k, "text", p.Text, maxText, false); err != nil {
		return err
	}
	c.Penalties = append(c.Penalties, s.Size)
	s.tellPenalty(c, p)
	s.touch(c)
	s.payload = p
	return nil
}
