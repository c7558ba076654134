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
	Text    string   `json:"text,omitempty"`
}

func (s *State) applyCrossingStatus(st *statement.Statement, _ time.Time) error {
	const k = KindCrossingStatus
	c := new(CrossingStatus)
	if err := st.Decode(c); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyParty, BodyMonitor); err != nil {
		return err
	}
	if !statement.ValidID(c.Crossing) {
		return field(k, "crossing", "%q is not an identifier such as \"torkham\"", c.Crossing)
	}
	if err := s.checkText(k, "name", c.Name, maxName, true); err != nil {
		return err
	}
	if err := checkEnum(k, "status", c.Status, Crossings); err != nil {
		return err
	}
	if err := checkIDs(k, "allowed", c.Allowed, nil, ""); err != nil {
		return err
	}
	if (c.Status == CrossingRestricted) != (len(c.Allowed) > 0) {
		return field(k, "allowed", "lists who may cross exactly when the status is %q", CrossingRestricted)
	}
	if _, err := checkTime(k, "since", c.Since, st.Time); err != nil {
		return err
	}
	if err := s.checkText(k, "text", c.Text, maxText, false); err != nil {
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
