package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindCrossingStatus says whether a border crossing is open.
const KindCrossingStatus = "crossing.status"

// CrossingStatus says whether a border crossing is open.
type CrossingStatus struct {
	statement.Fields
	Crossing string `json:"crossing"` // an identifier, such as "torkham"
	Name     string `json:"name"`
	Status   string `json:"status"`
	// Allowed lists who may cross when the status is restricted, such as
	// "refugees_leaving".
	Allowed []string `json:"allowed,omitempty"`
	Since   string   `json:"since"`
	// SincePrecision is how well Since is known (rules 3): one of
	// Precisions; empty when the statement does not say.
	SincePrecision string `json:"since_precision,omitempty"`
	// Side is the party whose side of the crossing the status is of
	// (rules 3): a party states its own side only, and when it names
	// none the core sets it to the party's; a monitor names the side it
	// saw. Each side's status stands beside the other's, as any claim.
	Side string `json:"side,omitempty"`
	Text string `json:"text,omitempty"`
}

func (s *State) applyCrossingStatus(st *statement.Statement, _ time.Time) error {
	const k = KindCrossingStatus
	c := new(CrossingStatus)
	if err := st.Decode(c); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, BodyParty, BodyMonitor)
	if err != nil {
		return err
	}
	if err := s.needsRules3(k, "side", c.Side != ""); err != nil {
		return err
	}
	switch {
	case b.Type == BodyParty && c.Side != "" && c.Side != b.ID:
		return statement.Forbidden("crossing.status: side: a party states the status of its own side of a crossing only; %q may not state %q's: leave side out, or give %q", b.ID, c.Side, b.ID)
	case b.Type == BodyParty && s.rules() >= Rules3:
		// Under earlier rules a status has no side, and the crossing's
		// latest status is anyone's: their logs read as they did.
		c.Side = b.ID
	case s.rules() >= Rules3 && c.Side == "":
		return field(k, "side", "is required of a monitor: the party whose side of the crossing it saw, such as %q", s.anyParty())
	case c.Side != "":
		if err := s.party(k, "side", c.Side); err != nil {
			return err
		}
	}
	p := problems{kind: k}
	if !statement.ValidID(c.Crossing) {
		p.add(field(k, "crossing", "%q is not an identifier such as \"torkham\"", c.Crossing))
	}
	p.add(s.checkText(k, "name", c.Name, maxName, true))
	statusOK := p.add(checkEnum(k, "status", c.Status, Crossings))
	p.add(checkIDs(k, "allowed", c.Allowed, nil, ""))
	if statusOK && (c.Status == CrossingRestricted) != (len(c.Allowed) > 0) {
		p.add(field(k, "allowed", "lists who may cross exactly when the status is %q", CrossingRestricted))
	}
	p.add(errOf(checkTime(k, "since", c.Since, st.Time)))
	p.add(s.checkPrecision(k, "since_precision", c.SincePrecision))
	p.add(s.checkText(k, "text", c.Text, maxText, false))
	if err := p.err(); err != nil {
		return err
	}
	s.payload = c
	return nil
}

// Crossing states.
const (
	CrossingOpen       = "open"
	CrossingClosed     = "closed"
	CrossingRestricted = "restricted"
)

// Crossings are the states of a border crossing.
var Crossings = []string{CrossingOpen, CrossingClosed, CrossingRestricted}
