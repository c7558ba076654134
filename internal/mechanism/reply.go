package mechanism

import (
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindReply is a party's answer on a case.
const KindReply = "reply"

// Reply is the answer of the accused party, or of a party a finding blames,
// on a case, kept word for word, with its own figures and evidence.
type Reply struct {
	statement.Fields
	Case     int64  `json:"case"`
	Position string `json:"position,omitempty"`
	// Positions are, under rules 3, every stance the reply takes, such as
	// ["condemns", "rejects_charge"]; Position, when also given, is one
	// of them.
	Positions  []string    `json:"positions,omitempty"`
	Text       string      `json:"text"`
	Language   string      `json:"language"`
	Actors     []Actor     `json:"actors,omitempty"`
	Casualties *Casualties `json:"casualties,omitempty"`
	Evidence   []string    `json:"evidence,omitempty"`
}

func (s *State) applyReply(st *statement.Statement, now time.Time) error {
	const k = KindReply
	r, err := predecoded[Reply](st)
	if err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	c, err := s.caseFor(k, r.Case)
	if err != nil {
		return err
	}
	if s.rules() < Rules2 && (c.Accused == "" || b.ID != c.Accused) {
		return statement.Forbidden("reply: only the accused party may reply on case %d, and %q is not accused in it", c.ID, b.ID)
	}
	if s.rules() >= Rules2 && !slices.Contains(c.Answerable, b.ID) {
		return statement.Forbidden("reply: only the accused party and the bodies a finding blames may reply on case %d; %q is neither", c.ID, b.ID)
	}
	p := problems{kind: k}
	p.add(s.checkPositions(r))
	p.add(s.checkText(k, "text", r.Text, maxText, true))
	p.add(checkLanguage(k, r.Language))
	p.add(checkActorsWith(k, r.Actors, s.textCheck()))
	p.add(s.checkCasualties(k, r.Casualties))
	p.add(checkEvidence(k, r.Evidence))
	if err := p.err(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	c.Replies = append(c.Replies, s.Size)
	for _, d := range c.Deadlines {
		if d.Name == DeadlineReply && slices.Contains(d.Bodies, b.ID) {
			if s.rules() >= Rules2 {
				s.meetBody(d, b.ID, now)
			} else {
				s.meet(d, now)
			}
		}
	}
	s.touch(c)
	s.payload = r
	return nil
}

// Positions are a reply's stances on what it answers, as its position.
var Positions = []string{"denies", "accepts", "partly_accepts", "no_comment"}

// ReplyPositions are the stances a reply may list in its positions, under
// rules 3: those of Positions, and that the party condemns the act or
// rejects the charge against it.
var ReplyPositions = []string{"denies", "accepts", "partly_accepts", "no_comment", "condemns", "rejects_charge"}

// contradicts pairs the stances one reply cannot take together.
var contradicts = map[string][]string{
	"accepts":        {"denies", "rejects_charge", "partly_accepts", "no_comment"},
	"partly_accepts": {"accepts", "no_comment"},
	"denies":         {"accepts", "no_comment"},
	"rejects_charge": {"accepts", "no_comment"},
	"condemns":       {"no_comment"},
	"no_comment":     {"denies", "accepts", "partly_accepts", "condemns", "rejects_charge"},
}

// checkPositions checks a reply's position and, under rules 3, its
// positions.
func (s *State) checkPositions(r *Reply) error {
	const k = KindReply
	if s.rules() < Rules3 {
		if r.Positions != nil {
			return field(k, "positions", "is filed under rules 3, and this mechanism follows rules %d; give one position, such as \"denies\"", s.rules())
		}
		return checkEnum(k, "position", r.Position, Positions)
	}
	if r.Position == "" && r.Positions == nil {
		return field(k, "position", "is required, or positions: such as \"position\": \"denies\" or \"positions\": [\"condemns\", \"rejects_charge\"]")
	}
	if r.Position != "" {
		if err := checkEnum(k, "position", r.Position, Positions); err != nil {
			return err
		}
	}
	if r.Positions == nil {
		return nil
	}
	if len(r.Positions) == 0 || len(r.Positions) > len(ReplyPositions) {
		return field(k, "positions", "lists from 1 to %d of %v, such as [\"condemns\", \"rejects_charge\"]", len(ReplyPositions), ReplyPositions)
	}
	for i, p := range r.Positions {
		if !slices.Contains(ReplyPositions, p) {
			return field(k, "positions", "%q is not one of %v", p, ReplyPositions)
		}
		if slices.Contains(r.Positions[:i], p) {
			return field(k, "positions", "%q is listed twice", p)
		}
		for _, q := range r.Positions[:i] {
			if slices.Contains(contradicts[p], q) {
				return field(k, "positions", "%q and %q contradict each other; a reply takes one of them", q, p)
			}
		}
	}
	if r.Position != "" && !slices.Contains(r.Positions, r.Position) {
		return field(k, "position", "%q is not among positions %v; leave position out, or list it there too", r.Position, r.Positions)
	}
	return nil
}

// Stances returns every stance the reply takes: its positions, or else
// its one position. The views list a reply's stances by it.
func (r *Reply) Stances() []string {
	if len(r.Positions) > 0 {
		return slices.Clone(r.Positions)
	}
	return []string{r.Position}
}
