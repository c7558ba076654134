package mechanism

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindEndorsement is the board's approval of a finding.
const KindEndorsement = "endorsement"

// Endorsement is the board's approval of a finding.
type Endorsement struct {
	statement.Fields
	Case    int64  `json:"case"`
	Finding int64  `json:"finding"`
	Text    string `json:"text,omitempty"`
	// Salt and Body disclose a confidential finding as it is endorsed:
	// the sealed finding's salt (hex) and body.
	Salt string          `json:"salt,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

func (s *State) applyEndorsement(st *statement.Statement, now time.Time) error {
	const k = KindEndorsement
	e := new(Endorsement)
	if err := st.Decode(e); err != nil {
		return err
	}
	c, err := s.caseFor(k, e.Case)
	if err != nil {
		return err
	}
	if err := s.decisionStage(k, c); err != nil {
		return err
	}
	if c.Finding < 0 || e.Finding != c.Finding {
		return field(k, "finding", "%d is not the latest finding on case %d", e.Finding, c.ID)
	}
	if c.Endorsed >= 0 {
		return field(k, "finding", "the finding at %d was already endorsed at index %d", c.Finding, c.Endorsed)
	}
	if err := s.quorum(QuorumEndorsement, st); err != nil {
		return err
	}
	sealed, err := s.discloseFinding(c, e)
	if err != nil {
		return err
	}
	if s.rules() >= Rules2 {
		blamed := c.Blamed
		if sealed != nil {
			blamed = sealed.finding.Blames()
		}
		if err := s.heard(k, c, blamed, now); err != nil {
			return err
		}
	}
	if err := s.checkText(k, "text", e.Text, maxText, false); err != nil {
		return err
	}
	if sealed != nil {
		sealed.apply(c, s.Size)
		// Disclosed, the finding is told as it is told when filed public.
		s.tellFinding(c, c.Finding, sealed.finding)
	}
	c.Endorsed = s.Size
	s.tellEndorsement(c, c.Confidence)
	s.touch(c)
	s.payload = e
	return nil
}

// heard checks that every body the latest finding of c blames has had its
// full window to answer that finding: a window opened after the finding
// that it used, or that has passed.
func (s *State) heard(kind string, c *Case, blamed []string, now time.Time) error {
	for _, b := range blamed {
		ok := false
		for _, d := range c.Deadlines {
			if d.Name == DeadlineReply && d.Opened >= c.Finding && slices.Contains(d.Bodies, b) &&
				(slices.Contains(d.Acted, b) || now.After(d.Due)) {
				ok = true
				break
			}
		}
		if !ok {
			return statement.Invalid("%s: %q, which the finding at %d blames, has not yet had its window to reply to it", kind, b, c.Finding)
		}
	}
	return nil
}
