package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindAction is a party's action against an armed group, or a check of one.
const KindAction = "action"

// Action is what a party did against an armed group; or, filed by a
// mediator or monitor with Verifies, their check of such an action.
type Action struct {
	statement.Fields
	Commitment *int64 `json:"commitment,omitempty"`
	Group      *Actor `json:"group,omitempty"`
	Place      *Place `json:"place,omitempty"`
	Time       string `json:"time,omitempty"`
	// TimePrecision is how well Time is known (rules 3): one of
	// Precisions; empty when the statement does not say.
	TimePrecision string   `json:"time_precision,omitempty"`
	Text          string   `json:"text"`
	Evidence      []string `json:"evidence,omitempty"`
	Verifies      *int64   `json:"verifies,omitempty"`
	Result        string   `json:"result,omitempty"`
}

func (s *State) applyAction(st *statement.Statement, now time.Time) error {
	const k = KindAction
	a := new(Action)
	if err := st.Decode(a); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, BodyParty, BodyMediator, BodyMonitor)
	if err != nil {
		return err
	}
	pr := problems{kind: k}
	pr.add(s.checkText(k, "text", a.Text, maxText, true))
	pr.add(checkEvidence(k, a.Evidence))
	if b.Type != BodyParty {
		// A check of a party's action.
		if a.Verifies == nil {
			// Not a verification at all: its other fields say nothing.
			return field(k, "verifies", "mediators and monitors file actions only to verify a party's action")
		}
		if _, ok := s.actions[*a.Verifies]; !ok {
			pr.add(field(k, "verifies", "there is no party action at index %d", *a.Verifies))
		}
		if a.Commitment != nil || a.Group != nil || a.Place != nil || a.Time != "" || a.TimePrecision != "" {
			pr.add(field(k, "verifies", "a verification carries only verifies, result, text and evidence"))
		}
		pr.add(checkEnum(k, "result", a.Result, ActionResults))
		if err := pr.err(); err != nil {
			return err
		}
		s.payload = a
		return nil
	}
	if a.Verifies != nil || a.Result != "" {
		pr.add(field(k, "verifies", "a party reports its own actions; verification is for mediators and monitors"))
	}
	var cm *commitment
	if a.Commitment != nil {
		var ok bool
		if cm, ok = s.commitments[*a.Commitment]; !ok {
			pr.add(field(k, "commitment", "there is no commitment at index %d", *a.Commitment))
		} else if cm.party != b.ID {
			pr.add(field(k, "commitment", "the commitment at %d is %q's, not %q's", *a.Commitment, cm.party, b.ID))
		}
	}
	if a.Group == nil {
		pr.add(field(k, "group", "is required"))
	} else {
		pr.add(a.Group.checkWith(k, "group", s.textCheck()))
	}
	if a.Place != nil {
		pr.add(a.Place.checkWith(k, s.textCheck()))
	}
	pr.add(errOf(checkTime(k, "time", a.Time, st.Time)))
	pr.add(s.checkPrecision(k, "time_precision", a.TimePrecision))
	if err := pr.err(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	if cm != nil {
		s.meet(cm.deadline, now)
	}
	s.actions[s.Size] = b.ID
	s.payload = a
	return nil
}

// ActionResults are the results of a check of a party's action.
var ActionResults = []string{"confirmed", "not_confirmed", "inconclusive"}
