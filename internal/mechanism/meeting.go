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
	if m.Round < 1 || m.Round > 10000 {
		return field(k, "round", "must be from 1 to 10000")
	}
	if err := s.checkText(k, "place", m.Place, maxName, true); err != nil {
		return err
	}
	start, err := checkTime(k, "start", m.Start, time.Time{})
	if err != nil {
		return err
	}
	end, err := checkTime(k, "end", m.End, time.Time{})
	if err != nil {
		return err
	}
	if end.Before(start) {
		return field(k, "end", "is before start")
	}
	if err := s.checkPrecision(k, "start_precision", m.StartPrecision); err != nil {
		return err
	}
	if err := s.checkPrecision(k, "end_precision", m.EndPrecision); err != nil {
		return err
	}
	if err := checkIDs(k, "bodies", m.Bodies, func(id string) bool { _, ok := s.Rulebook.Body(id); return ok }, "a body of this mechanism"); err != nil {
		return err
	}
	if len(m.Agenda) > 256 {
		return field(k, "agenda", "at most 256 cases")
	}
	var agenda []*Case
	for i, id := range m.Agenda {
		c, ok := s.cases[id]
		if !ok || slices.Contains(m.Agenda[:i], id) {
			return field(k, "agenda", "%d is not a case, or is listed twice", id)
		}
		agenda = append(agenda, c)
	}
	if err := s.checkText(k, "outcome", m.Outcome, maxText, true); err != nil {
		return err
	}
	for _, c := range agenda {
		s.touch(c)
	}
	s.payload = m
	return nil
}
