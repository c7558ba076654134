package mechanism

import (
	"maps"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindActor adds an actor to the mechanism's registry of actors, or amends
// one that the author's body added.
const KindActor = "actor"

// Actor types.
const (
	ActorStateForces = "state_forces"
	ActorArmedGroup  = "non_state_armed_group"
	ActorOther       = "other"
)

// ActorTypes are the types of a registered actor.
var ActorTypes = []string{ActorStateForces, ActorArmedGroup, ActorOther}

// ActorEntry adds an actor to the registry, or amends one: who it is, in
// every script it is written in, and what each party calls it. The id is
// the one reports, replies, commitments and actions name it by.
type ActorEntry struct {
	statement.Fields
	// ID is the actor's canonical id, such as "jamaat-ul-ahrar".
	ID   string `json:"id"`
	Type string `json:"type"`
	// Names are its names by language tag, such as {"en": "Jamaat-ul-Ahrar",
	// "ur": "جماعت الاحرار"}.
	Names map[string]string `json:"names"`
	// Aliases are other names it goes by.
	Aliases []string `json:"aliases,omitempty"`
	// Labels are each party's own label for it, by the party's id, kept
	// verbatim: {"pakistan": "Fitna al-Khawarij"}.
	Labels map[string]string `json:"labels,omitempty"`
	// Note says where the names and labels come from.
	Note string `json:"note,omitempty"`
}

// RegisteredActor is an actor of the registry as its latest actor
// statement describes it.
type RegisteredActor struct {
	ID      string            `json:"id"`
	Type    string            `json:"type"`
	Names   map[string]string `json:"names"`
	Aliases []string          `json:"aliases"`
	Labels  map[string]string `json:"labels"`
	// Body is the body whose member added it, the only one that may amend
	// it; Added is the index of the statement that added it and Amended
	// that of the latest that amended it, or -1.
	Body    string `json:"body"`
	Added   int64  `json:"added"`
	Amended int64  `json:"amended"`
}

// Actor returns the registered actor with id.
func (s *State) Actor(id string) (*RegisteredActor, bool) {
	a, ok := s.reg.Actors[id]
	return a, ok
}

// actorsFiledBy are the body types whose members keep the registry of
// actors and record what actors said: the mechanism's own eyes, not the
// parties, whose labels for an armed group are part of the dispute.
var actorsFiledBy = []string{BodyMonitor, BodyMediator}

// needsActorRules refuses a kind of the registry of actors under rules
// older than 3, which did not have it.
func (s *State) needsActorRules(kind string) error {
	if s.rules() < Rules3 {
		return statement.Invalid("%s: statements of this kind are filed under rules 3, and this mechanism follows rules %d; the founders amend the rulebook to \"rules\": 3 first", kind, s.rules())
	}
	return nil
}

func (s *State) applyActor(st *statement.Statement, _ time.Time) error {
	const k = KindActor
	if err := s.needsActorRules(k); err != nil {
		return err
	}
	a := new(ActorEntry)
	if err := st.Decode(a); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, actorsFiledBy...)
	if err != nil {
		return err
	}
	if !statement.ValidID(a.ID) {
		return field(k, "id", "%q is not an identifier such as \"jamaat-ul-ahrar\"", a.ID)
	}
	old, amend := s.reg.Actors[a.ID]
	if amend && old.Body != b.ID {
		return statement.Forbidden("actor: %q was added by %s, and only members of %s may amend it; file what %s says about it as a report or an actor.claim instead", a.ID, old.Body, old.Body, b.ID)
	}
	pr := problems{kind: k}
	pr.add(checkEnum(k, "type", a.Type, ActorTypes))
	pr.add(a.checkNames())
	pr.add(a.checkAliases())
	pr.add(s.checkActorLabels(a))
	pr.add(checkText(k, "note", a.Note, maxText, false))
	if err := pr.err(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	r := &RegisteredActor{ID: a.ID, Type: a.Type, Names: maps.Clone(a.Names), Aliases: slices.Clone(a.Aliases),
		Labels: maps.Clone(a.Labels), Body: b.ID, Added: s.Size, Amended: -1}
	if amend {
		r.Added, r.Amended = old.Added, s.Size
	}
	if s.reg.Actors == nil {
		s.reg.Actors = map[string]*RegisteredActor{}
	}
	s.reg.Actors[a.ID] = r
	s.payload = a
	return nil
}

// checkNames checks an actor's names by language.
func (a *ActorEntry) checkNames() error {
	const k = KindActor
	if len(a.Names) == 0 {
		return field(k, "names", "is required: the actor's name by language tag, such as {\"en\": \"Jamaat-ul-Ahrar\", \"ur\": \"جماعت الاحرار\"}")
	}
	if len(a.Names) > maxList {
		return field(k, "names", "at most %d names", maxList)
	}
	for _, lang := range slices.Sorted(maps.Keys(a.Names)) {
		if !languageRE.MatchString(lang) {
			return field(k, "names", "%q is not a language tag such as \"en\", \"ur\", \"ps\" or \"fa-AF\"", lang)
		}
		if err := checkText(k, "names."+lang, a.Names[lang], maxName, true); err != nil {
			return err
		}
	}
	return nil
}

// checkAliases checks the other names an actor goes by.
func (a *ActorEntry) checkAliases() error {
	const k = KindActor
	if len(a.Aliases) > maxList {
		return field(k, "aliases", "at most %d items", maxList)
	}
	for i, al := range a.Aliases {
		if err := checkText(k, "aliases", al, maxName, true); err != nil {
			return err
		}
		if slices.Contains(a.Aliases[:i], al) {
			return field(k, "aliases", "%q is listed twice", al)
		}
	}
	return nil
}

// checkActorLabels checks each party's label for an actor.
func (s *State) checkActorLabels(a *ActorEntry) error {
	const k = KindActor
	if len(a.Labels) > maxList {
		return field(k, "labels", "at most %d labels", maxList)
	}
	for _, party := range slices.Sorted(maps.Keys(a.Labels)) {
		if err := s.party(k, "labels", party); err != nil {
			return err
		}
		if err := checkText(k, "labels."+party, a.Labels[party], maxName, true); err != nil {
			return err
		}
	}
	return nil
}
