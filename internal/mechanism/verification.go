package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindVerification records an analyst's checks of an evidence item.
const KindVerification = "verification"

// Enumerations of a verification's fields.
var (
	// CheckResults are the results of one of the Berkeley Protocol's checks.
	CheckResults = []string{"passed", "failed", "inconclusive", "not_done"}
	// VerificationResults are a verification's overall conclusion.
	VerificationResults = []string{"verified", "not_verified", "inconclusive"}
)

// Verification is an analyst's record of the Berkeley Protocol's checks of
// one evidence item: of its source, of the file itself, and of what it
// shows.
type Verification struct {
	statement.Fields
	Evidence  string `json:"evidence"` // the item's SHA-256
	Analyst   string `json:"analyst"`
	Date      string `json:"date"`
	Source    Check  `json:"source"`
	Technical Check  `json:"technical"`
	Content   Check  `json:"content"`
	Result    string `json:"result"`
}

// Check is the result of one step of verification, with what was done.
type Check struct {
	Result string `json:"result"`
	Notes  string `json:"notes,omitempty"`
}

func (s *State) applyVerification(st *statement.Statement, _ time.Time) error {
	const k = KindVerification
	v := new(Verification)
	if err := st.Decode(v); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMonitor, BodyMediator); err != nil {
		return err
	}
	pr := problems{kind: k}
	item, ok := s.evidence[v.Evidence]
	if !ok {
		pr.add(field(k, "evidence", "%q is not a registered evidence item", v.Evidence))
	}
	pr.add(s.checkText(k, "analyst", v.Analyst, maxName, true))
	pr.add(errOf(checkTime(k, "date", v.Date, st.Time)))
	checksOK := true
	for _, c := range []struct {
		name string
		c    Check
	}{{"source", v.Source}, {"technical", v.Technical}, {"content", v.Content}} {
		checksOK = pr.add(checkEnum(k, c.name+".result", c.c.Result, CheckResults)) && checksOK
		pr.add(s.checkText(k, c.name+".notes", c.c.Notes, maxText, false))
	}
	if pr.add(checkEnum(k, "result", v.Result, VerificationResults)) && checksOK &&
		v.Result == "verified" && (v.Source.Result != "passed" || v.Technical.Result != "passed" || v.Content.Result != "passed") {
		pr.add(field(k, "result", "an item is verified only when its source, technical and content checks all passed"))
	}
	if err := pr.err(); err != nil {
		return err
	}
	if c, ok := s.cases[item.Case]; ok && !s.dry {
		s.touch(c)
	}
	s.payload = v
	return nil
}
