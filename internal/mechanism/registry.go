package mechanism

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
}
