package mechanism

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// Event kinds: what the mechanism tells the bodies a statement concerns.
const (
	// EventAllegation is a case opened that accuses a party; its window
	// to reply, if the rulebook gives one, is told with it.
	EventAllegation = "allegation"
	// EventDeadlineMissed is a deadline the log's time passed while it
	// was open.
	EventDeadlineMissed = "deadline_missed"
	// EventPublished is a case that reached the rulebook's last stage
	// (Rulebook.Published).
	EventPublished = "published"
	// EventFinding, EventEndorsement and EventPenalty are decisions on a
	// case, with what the bodies they concern may do and by when.
	EventFinding     = "finding"
	EventEndorsement = "endorsement"
	EventPenalty     = "penalty"
	// EventReplyWindow is a window to reply on a case opened after the
	// case's opening report (whose window the allegation tells).
	EventReplyWindow = "reply_window"
	// EventClosed is a case closed as out of scope (rules 3).
	EventClosed = "closed"
)

// Event is something that happened as a statement was applied, as it was
// then, so that it reads the same whenever it is told.
type Event struct {
	Kind string
	// Index is the statement the event tells of: the one applied or, for
	// a confidential finding that an endorsement discloses, the sealed
	// finding.
	Index int64
	// Case is the case; for a missed deadline, the deadline's subject (a
	// case or a commitment).
	Case int64
	// Bodies are the bodies the event concerns.
	Bodies []string
	// Finding is the finding a finding, endorsement or penalty is about,
	// or -1; Outcome and Party are its own, and Blamed the bodies it
	// blames (Finding.Blames). For a published case, Outcome and Party
	// are those of its latest finding.
	Finding        int64
	Outcome, Party string
	Blamed         []string
	// Due is when what the event tells falls due: the window to reply it
	// opened, or the deadline missed; zero for none.
	Due time.Time
	// Text says it in a sentence. For a published case it is empty: that
	// sentence ends with the case's summary, which the views keep and the
	// core does not (see PublishedText).
	Text string
}

// PublishedText is the sentence of a published case whose latest finding
// has outcome and party, about a case summed up as summary.
func PublishedText(outcome, party, summary string) string {
	return outcome + " " + party + ": " + summary
}

// tell records an event of the statement being applied.
func (s *State) tell(e Event) { s.events = append(s.events, e) }

// caseBodies lists, once each and in order, the case's reporter and
// accused party, and then extra.
func caseBodies(c *Case, extra ...string) []string {
	var out []string
	for _, b := range append([]string{c.Reporter, c.Accused}, extra...) {
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// tellAllegation tells the party a new case c accuses, summed up as
// summary.
func (s *State) tellAllegation(c *Case, summary string) {
	if c.Accused != "" {
		s.tell(Event{Kind: EventAllegation, Index: s.Size, Case: c.ID, Bodies: []string{c.Accused}, Finding: -1, Text: c.Reporter + ": " + summary})
	}
}

// tellMissed tells the bodies of d that it was missed.
func (s *State) tellMissed(d *Deadline) {
	s.tell(Event{Kind: EventDeadlineMissed, Index: s.Size, Case: d.Subject, Bodies: slices.Clone(d.Bodies), Finding: -1, Due: d.Due, Text: d.Name})
}

// tellPublished tells c's reporter and accused party that c is published.
func (s *State) tellPublished(c *Case) {
	s.tell(Event{Kind: EventPublished, Index: s.Size, Case: c.ID, Bodies: caseBodies(c), Finding: -1, Outcome: c.Outcome, Party: c.Party})
}

// tellReplyWindow tells the bodies of w, a window to reply on c that the
// statement being applied opened, until when they may reply.
func (s *State) tellReplyWindow(c *Case, w *Deadline) {
	s.tell(Event{Kind: EventReplyWindow, Index: s.Size, Case: c.ID, Bodies: slices.Clone(w.Bodies), Finding: -1, Due: w.Due,
		Text: fmt.Sprintf("%s may reply on case %d until %s.", andList(w.Bodies), c.ID, statement.FormatTime(w.Due))})
}

// tellFinding tells the finding f at index idx on c, with confidence, to
// the bodies it concerns: the case's reporter and accused party, and those
// it blames, each with its window to reply: the one the finding opened
// for it, or under rules 2 the one the reply stage will open.
func (s *State) tellFinding(c *Case, idx int64, f *Finding) {
	blamed := f.Blames()
	e := Event{Kind: EventFinding, Index: idx, Case: c.ID, Bodies: caseBodies(c, blamed...), Finding: idx,
		Outcome: f.Outcome, Party: f.Party, Blamed: blamed}
	var t strings.Builder
	fmt.Fprintf(&t, "Finding %d on case %d %s (%s confidence).", idx, c.ID, findingSays(f.Outcome, f.Party), f.Confidence)
	for _, b := range blamed {
		i := slices.IndexFunc(c.Deadlines, func(d *Deadline) bool {
			return d.Name == DeadlineReply && d.Opened == idx && slices.Contains(d.Bodies, b)
		})
		switch {
		case i >= 0:
			fmt.Fprintf(&t, " %s may reply on case %d until %s.", b, c.ID, statement.FormatTime(c.Deadlines[i].Due))
			e.Due = c.Deadlines[i].Due
		case s.rules() >= Rules2:
			fmt.Fprintf(&t, " %s may reply on case %d; its window to reply opens when the case enters the reply stage.", b, c.ID)
		}
	}
	e.Text = t.String()
	s.tell(e)
}

// tellEndorsement tells the endorsement of c's latest finding, which has
// confidence, to the bodies it concerns.
func (s *State) tellEndorsement(c *Case, confidence string) {
	blamed := (&Finding{Outcome: c.Outcome, Party: c.Party}).Blames()
	var t strings.Builder
	fmt.Fprintf(&t, "Endorsement %d on case %d endorses finding %d, which %s (%s confidence).", s.Size, c.ID, c.Finding, findingSays(c.Outcome, c.Party), confidence)
	s.mayReply(&t, c, blamed)
	s.tell(Event{Kind: EventEndorsement, Index: s.Size, Case: c.ID, Bodies: caseBodies(c, blamed...), Finding: c.Finding,
		Outcome: c.Outcome, Party: c.Party, Blamed: blamed, Text: t.String()})
}

// tellPenalty tells penalty p on c's endorsed finding to the bodies it
// concerns, and the party it falls on.
func (s *State) tellPenalty(c *Case, p *Penalty) {
	blamed := (&Finding{Outcome: c.Outcome, Party: c.Party}).Blames()
	says := p.Penalty
	if i := slices.IndexFunc(s.Rulebook.Penalties, func(x Clause) bool { return x.ID == p.Penalty }); i >= 0 && s.Rulebook.Penalties[i].Text != "" {
		says = fmt.Sprintf("%s (%s)", p.Penalty, s.Rulebook.Penalties[i].Text)
	}
	var t strings.Builder
	fmt.Fprintf(&t, "Penalty %d on case %d: %s on %s, for finding %d.", s.Size, c.ID, says, p.Party, p.Finding)
	s.mayReply(&t, c, []string{p.Party})
	s.tell(Event{Kind: EventPenalty, Index: s.Size, Case: c.ID, Bodies: caseBodies(c, append(blamed, p.Party)...), Finding: p.Finding,
		Outcome: c.Outcome, Party: c.Party, Blamed: blamed, Text: t.String()})
}

// mayReply tells that each of bodies may reply on c with no time limit
// if it had a window to reply on it by now.
func (s *State) mayReply(t *strings.Builder, c *Case, bodies []string) {
	for _, b := range bodies {
		if slices.ContainsFunc(c.Deadlines, func(d *Deadline) bool { return d.Name == DeadlineReply && slices.Contains(d.Bodies, b) }) {
			fmt.Fprintf(t, " %s may reply on case %d at any time.", b, c.ID)
		}
	}
}

// findingSays says what a finding with outcome concludes about party.
func findingSays(outcome, party string) string {
	switch outcome {
	case OutcomeAttributed:
		return "attributes the violation to " + party
	case OutcomeCleared:
		return "clears " + party
	case OutcomeNotAttributable:
		return "finds the violation not attributable to any party"
	}
	return "concludes " + strings.TrimSpace(outcome+" "+party)
}

// andList joins l as "a", "a and b", "a, b and c".
func andList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}
