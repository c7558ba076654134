package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// needsRules3 refuses a field that rules 3 added, filed under earlier
// rules, which refused it as unknown: the log a mechanism kept before
// rules 3 then replays the same, and the message says how to use it.
func (s *State) needsRules3(kind, name string, present bool) error {
	if present && s.rules() < Rules3 {
		return field(kind, name, "is a field of rules 3; this mechanism follows rules %d: the founders amend the rulebook to \"rules\": 3 first", s.rules())
	}
	return nil
}

// checkPrecision checks an optional precision of a time field: one of
// Precisions, under rules 3 only. Empty says nothing of the precision.
func (s *State) checkPrecision(kind, name, v string) error {
	if v == "" {
		return nil
	}
	if err := s.needsRules3(kind, name, true); err != nil {
		return err
	}
	return checkEnum(kind, name, v, Precisions)
}

// bindsBefore refuses a clause cited for an event that ended before the
// clause bound (rules 3): event is the event's time, precision how well
// it is known, and the event may have happened at any time of its span.
func (s *State) bindsBefore(kind string, clauses []string, event time.Time, precision string) error {
	if s.rules() < Rules3 {
		return nil
	}
	_, last := Span(event, precision)
	for _, id := range clauses {
		c, ok := s.Rulebook.Clause(id)
		if !ok || c.BindsFrom == "" {
			continue
		}
		from, err := statement.ParseTime(c.BindsFrom)
		if err != nil {
			continue // the rulebook's check refuses it
		}
		if last.Before(from) {
			return field(kind, "clauses", "clause %q binds from %s, and the event (%s, known to the %s) is before it; cite only clauses that bound at the time, such as one with no binds_from",
				id, c.BindsFrom, statement.FormatTime(event), precisionWord(precision))
		}
	}
	return nil
}

// precisionWord names the unit a time is known to.
func precisionWord(p string) string {
	if p == "" || p == "exact" {
		return "minute"
	}
	return p
}

// anyParty returns the id of the rulebook's first party, for examples.
func (s *State) anyParty() string {
	for _, b := range s.Rulebook.Bodies {
		if b.Type == BodyParty {
			return b.ID
		}
	}
	return "pakistan"
}
