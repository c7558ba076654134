package mechanism

import (
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindMeeting records a round of talks.
const KindMeeting = "meeting"

// Meeting is a round of talks.
type Meeting struct {
	statement.Fields
	Round   int      `json:"round"`
	Place   string   `json:"place"`
	Start   string   `json:"start"`
	End     string   `json:"end"`
	Bodies  []string `json:"bodies,omitempty"`
	Agenda  []int64  `json:"agenda,omitempty"` // case ids
	Outcome string   `json:"outcome"`
	// StartPrecision and EndPrecision are how well Start and End are
	// known (rules 3): each one of Precisions; empty when the statement
	// does not say.
	StartPrecision string `json:"start_precision,omitempty"`
	EndPrecision   string `json:"end_precision,omitempty"`
}

func (s *State) applyMeeting(st *statement.Statement, _ time.Time) error {
	const k = KindMeeting
	m := new(Meeting)
	if err := st.Decode(m); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMediator); err != nil {
		return err
	}
	p := problems{kind: k}
	if m.Round < 1 || m.Round > 10000 {
		p.add(field(k, "round", "must be from 1 to 10000"))
	}
	p.add(s.checkText(k, "place", m.Place, maxName, true))
	start, err := checkTime(k, "start", m.Start, time.Time{})
	startOK := p.add(err)
	end, err := checkTime(k, "end", m.End, time.Time{})
	if p.add(err) && startOK && end.Before(start) {
		p.add(field(k, "end", "is before start"))
	}
	p.add(s.checkPrecision(k, "start_precision", m.StartPrecision))
	p.add(s.checkPrecision(k, "end_precision", m.EndPrecision))
	p.add(checkIDs(k, "bodies", m.Bodies, func(id string) bool { _, ok := s.Rulebook.Body(id); return ok }, "a body of this mechanism"))
	var agenda []*Case
	if len(m.Agenda) > 256 {
		p.add(field(k, "agenda", "at most 256 cases"))
	} else {
		for i, id := range m.Agenda {
			c, ok := s.cases[id]
			if !ok || slices.Contains(m.Agenda[:i], id) {
				p.add(field(k, "agenda", "%d is not a case, or is listed twice", id))
				break
			}
			agenda = append(agenda, c)
		}
	}
	p.add(s.checkText(k, "outcome", m.Outcome, maxText, true))
	if err := p.err(); err != nil {
		return err
	}
	for _, c := range agenda {
		s.touch(c)
	}
	s.payload = m
	return nil
}
