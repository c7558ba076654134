package mechanism

import (
	"slices"
	"time"
)

// registries is the state that the kinds of rules 3 keep beside the cases
// (actors and their claims, links between cases, added places and the
// like): small next to the cases and the log, so a snapshot keeps it as
// one JSON block. Each field is a map or a slice that stays nil until a
// statement fills them, and has no omitempty, so that a state read back from
// a snapshot equals the state that wrote it.
type registries struct {
	// Actors are the registered actors, by id (actor.go).
	Actors map[string]*RegisteredActor `json:"actors"`
	// Said is what actors said about each case, by case id, in the order
	// it was recorded (actor_claim.go).
	Said map[int64][]ActorSaid `json:"said"`
	// Places are the places added to the gazetteer (place.go): each id,
	// with the index of the statement that added it.
	Places map[string]int64 `json:"places"`
	// Links are the links between cases (case.link), under each of the
	// two cases they link, oldest first.
	Links map[int64][]Link `json:"links"`
	// Reported are, by body, the events of the newest cases the body
	// opened under rules 3 (at least duplicateRecent of them), oldest
	// first, which the duplicate rule compares each new report with.
	Reported map[string][]ReportedEvent `json:"reported"`
	// Events are the event times of the cases opened under rules 3 while
	// a clause of the rulebook had binds_from, by case id: a finding's
	// clauses must bind at that time. Kept only then, so that the
	// registries stay small where no clause has a date.
	Events map[int64]*CaseEvent `json:"events"`
	// Closures are the cases closed as out of scope, by case id.
	Closures map[int64]*Closure `json:"closures"`
}

// CaseEvent is when the event a case is about happened, as its opening
// report gave it.
type CaseEvent struct {
	Time      time.Time `json:"time"`
	Precision string    `json:"precision"`
}

// keepEvent keeps the event time of a case opened under rules 3, if a
// clause of the rulebook binds from a date.
func (s *State) keepEvent(id int64, t time.Time, precision string) {
	if s.rules() < Rules3 || !slices.ContainsFunc(s.Rulebook.Clauses, func(c Clause) bool { return c.BindsFrom != "" }) {
		return
	}
	if s.reg.Events == nil {
		s.reg.Events = map[int64]*CaseEvent{}
	}
	s.reg.Events[id] = &CaseEvent{Time: t, Precision: precision}
}
