package mechanism

import (
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindFinding is the mediators' conclusion on a case.
const KindFinding = "finding"

// Finding is the mediators' conclusion on a case.
type Finding struct {
	statement.Fields
	Case    int64  `json:"case"`
	Outcome string `json:"outcome"`
	// Party is the party the violation is attributed to, or that is
	// cleared.
	Party           string   `json:"party,omitempty"`
	Confidence      string   `json:"confidence"`
	Rationale       string   `json:"rationale"`
	Clauses         []string `json:"clauses,omitempty"`
	RulebookVersion int      `json:"rulebook_version"`
}

// Blames lists the bodies the finding names against themselves: the party
// a violation is attributed to. Each has the right to reply to it.
func (f *Finding) Blames() []string {
	if f.Outcome == OutcomeAttributed && f.Party != "" {
		return []string{f.Party}
	}
	return nil
}

func (s *State) applyFinding(st *statement.Statement, now time.Time) error {
	const k = KindFinding
	f := new(Finding)
	if err := st.Decode(f); err != nil {
		return err
	}
	if s.Rulebook.ConfidentialFindings {
		return statement.Invalid("finding: this mechanism's findings stay confidential until endorsed: file it sealed, with sealed_kind %q and its case", KindFinding)
	}
	c, err := s.caseFor(k, f.Case)
	if err != nil {
		return err
	}
	if err := s.decisionStage(k, c); err != nil {
		return err
	}
	if err := s.quorum(QuorumFinding, st); err != nil {
		return err
	}
	if err := s.checkFinding(f, s.Rulebook.Version); err != nil {
		return err
	}
	s.setFinding(c, f.Outcome, f.Party, f.Confidence, f.Blames(), now)
	s.tellFinding(c, s.Size, f)
	s.payload = f
	return nil
}

// checkFinding checks a finding's fields; version is the rulebook's
// version when the finding was filed.
func (s *State) checkFinding(f *Finding, version int) error {
	const k = KindFinding
	pr := problems{kind: k}
	if pr.add(checkEnum(k, "outcome", f.Outcome, Outcomes)) {
		if f.Outcome == OutcomeNotAttributable {
			if f.Party != "" {
				pr.add(field(k, "party", "a violation that is not attributable names no party"))
			}
		} else {
			pr.add(s.party(k, "party", f.Party))
		}
	}
	pr.add(checkEnum(k, "confidence", f.Confidence, s.Rulebook.Confidence))
	pr.add(s.checkText(k, "rationale", f.Rationale, maxText, true))
	if pr.add(checkIDs(k, "clauses", f.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses")) {
		if ev, ok := s.reg.Events[f.Case]; ok {
			pr.add(s.bindsBefore(k, f.Clauses, ev.Time, ev.Precision))
		}
	}
	if f.RulebookVersion != version {
		pr.add(field(k, "rulebook_version", "the finding applies version %d, but version %d is in force", f.RulebookVersion, version))
	}
	return pr.err()
}

// setFinding makes the statement being applied c's latest finding, which
// blames the bodies blamed; under rules 2 they get their right of reply.
func (s *State) setFinding(c *Case, outcome, party, confidence string, blamed []string, now time.Time) {
	c.Findings = append(c.Findings, s.Size)
	// A new finding needs its own endorsement.
	c.Finding, c.Outcome, c.Party, c.Confidence, c.Endorsed = s.Size, outcome, party, confidence, -1
	if s.rules() >= Rules2 {
		c.Blamed = blamed
		for _, b := range c.Blamed {
			if !slices.Contains(c.Answerable, b) {
				c.Answerable = append(c.Answerable, b)
			}
		}
		// A finding that blames anyone after the reply stage sends the
		// case back there, with a new window for those it blames.
		if back := s.replyStageBefore(c.Stage); back >= 0 && len(c.Blamed) > 0 {
			c.Stage, c.Entered = s.Rulebook.Stages[back].ID, s.Size
			s.openReply(c, c.Blamed, now)
		} else if len(c.Blamed) > 0 && !s.replyStageAfter(c.Stage) {
			// No reply stage is ahead either: the window opens now.
			s.openReply(c, c.Blamed, now)
		}
	}
	s.touch(c)
}

// Finding outcomes.
const (
	OutcomeAttributed      = "attributed"
	OutcomeNotAttributable = "not_attributable"
	OutcomeCleared         = "cleared"
)

// Outcomes are the conclusions a finding may reach.
var Outcomes = []string{OutcomeAttributed, OutcomeNotAttributable, OutcomeCleared}
