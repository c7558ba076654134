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
	Case       int64       `json:"case"`
	Position   string      `json:"position"`
	Text       string      `json:"text"`
	Language   string      `json:"language"`
	Actors     []Actor     `json:"actors,omitempty"`
	Casualties *Casualties `json:"casualties,omitempty"`
	Evidence   []string    `json:"evidence,omitempty"`
}

func (s *State) applyReply(st *statement.Statement, now time.Time) error {
	const k = KindReply
	r := new(Reply)
	if err := st.Decode(r); err != nil {
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
	if err := checkEnum(k, "position", r.Position, Positions); err != nil {
		return err
	}
	if err := checkText(k, "text", r.Text, maxText, true); err != nil {
		return err
	}
	if err := checkLanguage(k, r.Language); err != nil {
		return err
	}
	if err := checkActors(k, r.Actors); err != nil {
		return err
	}
	if err := r.Casualties.check(k); err != nil {
		return err
	}
	if err := checkEvidence(k, r.Evidence); err != nil {
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

// Positions are a reply's stances on what it answers.
var Positions = []string{"denies", "accepts", "partly_accepts", "no_comment"}
