package mechanism

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindActorClaim records what a registered actor said about a case: that
// it did it, that it did not, that it takes back an earlier claim, or that
// it condemns the act. It is a record of the actor's words, not a report
// of the event: it opens no case and does not count as a report of one.
const KindActorClaim = "actor.claim"

// What an actor said about a case.
const (
	ClaimClaimed   = "claimed"
	ClaimDenied    = "denied"
	ClaimRetracted = "retracted"
	ClaimCondemned = "condemned"
)

// ClaimPositions are what an actor may have said about a case.
var ClaimPositions = []string{ClaimClaimed, ClaimDenied, ClaimRetracted, ClaimCondemned}

// ClaimMedia are the ways an actor's words were published.
var ClaimMedia = []string{"written_statement", "social_media", "messaging_app", "video", "audio", "press_conference", "interview", "news_report", "other"}

// ActorClaim is what a registered actor said about a case, with its
// source, as a monitor or mediator recorded it.
type ActorClaim struct {
	statement.Fields
	Case     int64  `json:"case"`
	Actor    string `json:"actor"`
	Position string `json:"position"`
	// Speaker is who spoke for the actor, as the source names them, such
	// as "spokesman Sarbakaf Mohmand" or "a commander of the group".
	Speaker string      `json:"speaker,omitempty"`
	Source  ClaimSource `json:"source"`
}

// ClaimSource is where and when an actor's words were published, and the
// words themselves.
type ClaimSource struct {
	Medium string `json:"medium"`
	// Via is the outlet that carried the words, when they were not read
	// at the actor's own channel.
	Via string `json:"via,omitempty"`
	URL string `json:"url,omitempty"`
	// Time is when the actor said it, as precisely as that is known.
	Time     EventTime `json:"time"`
	Language string    `json:"language"`
	// Words are the words as published, in Language, verbatim.
	Words string `json:"words"`
	// Translation is the words in English, when they were published in
	// another language.
	Translation string `json:"translation,omitempty"`
}

// ActorSaid is one actor.claim on a case: who said what, at which index.
type ActorSaid struct {
	Actor    string `json:"actor"`
	Position string `json:"position"`
	Index    int64  `json:"index"`
}

// ActorClaims returns what actors said about case id, in the order it was
// recorded.
func (s *State) ActorClaims(id int64) []ActorSaid {
	return slices.Clone(s.reg.Said[id])
}

// maxURL is the longest link a statement may hold, in bytes.
const maxURL = 2000

// checkURL checks an optional http or https link.
func checkURL(kind, name, v string) error {
	if v == "" {
		return nil
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > maxURL {
		return field(kind, name, "must be an http or https address of at most %d bytes, such as \"https://example.org/statement\"", maxURL)
	}
	return nil
}

func (s *State) applyActorClaim(st *statement.Statement, _ time.Time) error {
	const k = KindActorClaim
	if err := s.needsActorRules(k); err != nil {
		return err
	}
	a := new(ActorClaim)
	if err := st.Decode(a); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, actorsFiledBy...); err != nil {
		return err
	}
	c, err := s.caseFor(k, a.Case)
	if err != nil {
		return err
	}
	pr := problems{kind: k}
	_, known := s.reg.Actors[a.Actor]
	if !known {
		pr.add(field(k, "actor", "%q is not in the registry of actors; add it with an actor statement first (registered: %s)", a.Actor, s.actorIDs()))
	}
	if pr.add(checkEnum(k, "position", a.Position, ClaimPositions)) && known &&
		a.Position == ClaimRetracted && !slices.ContainsFunc(s.reg.Said[c.ID], func(x ActorSaid) bool { return x.Actor == a.Actor && x.Position == ClaimClaimed }) {
		pr.add(field(k, "position", "%q has no claim on case %d to retract; record its claim first, with position \"claimed\"", a.Actor, c.ID))
	}
	pr.add(checkText(k, "speaker", a.Speaker, maxName, false))
	src := &a.Source
	pr.add(checkEnum(k, "source.medium", src.Medium, ClaimMedia))
	pr.add(checkText(k, "source.via", src.Via, maxName, false))
	pr.add(checkURL(k, "source.url", src.URL))
	pr.add(checkEnum(k, "source.time.precision", src.Time.Precision, Precisions))
	pr.add(errOf(checkTime(k, "source.time.time", src.Time.Time, st.Time)))
	if !languageRE.MatchString(src.Language) {
		pr.add(field(k, "source.language", "%q is not a language tag such as \"en\", \"ur\", \"ps\" or \"fa-AF\"", src.Language))
	}
	pr.add(checkText(k, "source.words", src.Words, maxText, true))
	pr.add(checkText(k, "source.translation", src.Translation, maxText, false))
	if err := pr.err(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	if s.reg.Said == nil {
		s.reg.Said = map[int64][]ActorSaid{}
	}
	s.reg.Said[c.ID] = append(s.reg.Said[c.ID], ActorSaid{Actor: a.Actor, Position: a.Position, Index: s.Size})
	// The case is touched, so that its history shows the claim; its
	// reports stay as they are.
	s.touch(c)
	s.payload = a
	return nil
}

// actorIDs lists the first registered actors' ids, for a message.
func (s *State) actorIDs() string {
	if len(s.reg.Actors) == 0 {
		return "none yet"
	}
	ids := make([]string, 0, len(s.reg.Actors))
	for id := range s.reg.Actors {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) > 20 {
		return strings.Join(ids[:20], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}
