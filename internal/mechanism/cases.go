package mechanism

import (
	"container/heap"
	"net/url"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// Case is an incident as the mechanism handles it: opened by a report, moved
// through the rulebook's stages, answered, decided.
type Case struct {
	// ID is the log index of the report that opened the case.
	ID int64
	// Stage is the case's current stage; Entered the index of the statement
	// that moved it there.
	Stage   string
	Entered int64
	// Opened is the log time of the opening report.
	Opened   time.Time
	Reporter string // the body of the opening report's author
	Accused  string // the party the case holds answerable, or ""
	Reports  []int64
	Replies  []int64
	Findings []int64
	// Finding is the index of the latest finding, or -1; Outcome and Party
	// are its own, and Blamed the bodies it blames.
	Finding        int64
	Outcome, Party string
	Blamed         []string
	// Answerable are the bodies with a right of reply on the case: the
	// accused party and every body a finding on it blamed.
	Answerable []string
	// Endorsed is the index of the endorsement of Finding, or -1.
	Endorsed  int64
	Penalties []int64
	Deadlines []*Deadline
	// Updated is the index of the last statement about the case.
	Updated int64
}

// Deadline states.
const (
	DeadlineOpen   = "open"
	DeadlineMet    = "met"
	DeadlineMissed = "missed"
)

// Deadline is a time by which a body must act. It is met by a statement
// filed no later than Due in log time; once the log's time passes Due
// while it is open, it is missed. A missed deadline is state, not an
// error: the late statement is still accepted.
type Deadline struct {
	// Subject is the index of the case or commitment the deadline belongs
	// to; Opened is the index of the statement that set it.
	Subject, Opened int64
	Name            string   // the rulebook's deadline name, or "commitment"
	Stage           string   // for a stage's deadline, the stage to reach
	Bodies          []string // who must act
	// Acted are those of Bodies that acted in time; the deadline is met
	// once all have.
	Acted  []string
	Due    time.Time
	Status string
	// Closed is the index at which the deadline was met or missed, or -1.
	Closed int64

	heapIndex int
}

// DeadlineCommitment is the name of a commitment's own deadline.
const DeadlineCommitment = "commitment"

// deadlines is a min-heap of open deadlines by due time.
type deadlines []*Deadline

func (h deadlines) Len() int { return len(h) }
func (h deadlines) Less(i, j int) bool {
	if !h[i].Due.Equal(h[j].Due) {
		return h[i].Due.Before(h[j].Due)
	}
	if h[i].Opened != h[j].Opened {
		return h[i].Opened < h[j].Opened
	}
	return h[i].Name < h[j].Name
}
func (h deadlines) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}
func (h *deadlines) Push(x any) {
	d := x.(*Deadline)
	d.heapIndex = len(*h)
	*h = append(*h, d)
}
func (h *deadlines) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	d.heapIndex = -1
	return d
}

// Case returns the case with id id.
func (s *State) Case(id int64) (*Case, bool) {
	c, ok := s.cases[id]
	return c, ok
}

// ChangedCases returns the cases the last Apply changed, including those
// whose deadlines it found missed. The slice is valid until the next Apply.
func (s *State) ChangedCases() []*Case { return s.changedCases }

// ChangedDeadlines returns the deadlines the last Apply opened, met or
// found missed. The slice is valid until the next Apply.
func (s *State) ChangedDeadlines() []*Deadline { return s.changedDeadlines }

// Subjects returns the cases the last statement applied is about. The
// slice is valid until the next Apply.
func (s *State) Subjects() []int64 { return s.subjects }

// Payload returns the decoded fields of the last statement applied: a
// *Report, *Reply, *Finding and so on, or nil for the kinds of membership
// and rulebook.
func (s *State) Payload() any { return s.payload }

// Commitment returns the party that made the commitment at index idx and its
// deadline.
func (s *State) Commitment(idx int64) (party string, d *Deadline, ok bool) {
	c, ok := s.commitments[idx]
	if !ok {
		return "", nil, false
	}
	return c.party, c.deadline, true
}

type commitment struct {
	party    string
	deadline *Deadline
}

func (s *State) touch(c *Case) {
	c.Updated = s.Size
	if !slices.Contains(s.changedCases, c) {
		s.changedCases = append(s.changedCases, c)
	}
	if !slices.Contains(s.subjects, c.ID) {
		s.subjects = append(s.subjects, c.ID)
	}
}

func (s *State) openDeadline(d *Deadline) {
	d.Status, d.Closed, d.Opened = DeadlineOpen, -1, s.Size
	heap.Push(&s.open, d)
	s.changedDeadlines = append(s.changedDeadlines, d)
}

// meet closes d as met if it is open and due no earlier than now; a late
// action leaves it to be found missed.
func (s *State) meet(d *Deadline, now time.Time) {
	if d.Status != DeadlineOpen || now.After(d.Due) {
		return
	}
	d.Status, d.Closed = DeadlineMet, s.Size
	heap.Remove(&s.open, d.heapIndex)
	s.changedDeadlines = append(s.changedDeadlines, d)
}

// meetBody records that body acted on d; d is met once all its bodies have
// acted in time. A late action leaves it to be found missed.
func (s *State) meetBody(d *Deadline, body string, now time.Time) {
	if d.Status != DeadlineOpen || now.After(d.Due) || !slices.Contains(d.Bodies, body) || slices.Contains(d.Acted, body) {
		return
	}
	d.Acted = append(d.Acted, body)
	if len(d.Acted) < len(d.Bodies) {
		s.changedDeadlines = append(s.changedDeadlines, d)
		return
	}
	s.meet(d, now)
}

// sweep marks missed every open deadline due before now.
func (s *State) sweep(now time.Time) {
	for len(s.open) > 0 && s.open[0].Due.Before(now) {
		d := heap.Pop(&s.open).(*Deadline)
		d.Status, d.Closed = DeadlineMissed, s.Size
		s.changedDeadlines = append(s.changedDeadlines, d)
		if c, ok := s.cases[d.Subject]; ok {
			if !slices.Contains(s.changedCases, c) {
				s.changedCases = append(s.changedCases, c)
			}
		}
	}
}

// memberBody returns the author of st, who must be an active member of a
// body.
func (s *State) memberBody(st *statement.Statement) (*Member, *Body, error) {
	m, err := s.author(st)
	if err != nil {
		return nil, nil, err
	}
	b, ok := s.Rulebook.Body(m.Body)
	if !ok {
		return nil, nil, statement.Forbidden("%q belongs to no body and cannot file %s statements", m.Name, st.Kind)
	}
	return m, b, nil
}

// bodyOfType returns the author's body if its type is one of types.
func (s *State) bodyOfType(st *statement.Statement, types ...string) (*Body, error) {
	_, b, err := s.memberBody(st)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(types, b.Type) {
		return nil, statement.Forbidden("%s statements are filed by members of a body of type %v; %q is a %s", st.Kind, types, b.ID, b.Type)
	}
	return b, nil
}

func (s *State) party(kind, name, id string) error {
	b, ok := s.Rulebook.Body(id)
	if !ok || b.Type != BodyParty {
		return field(kind, name, "%q is not a party of this mechanism", id)
	}
	return nil
}

func (s *State) caseFor(kind string, id int64) (*Case, error) {
	c, ok := s.cases[id]
	if !ok {
		return nil, field(kind, "case", "there is no case %d", id)
	}
	return c, nil
}

// quorum checks that st is signed by the named quorum and that its author
// is one of the signers.
func (s *State) quorum(name string, st *statement.Statement) error {
	q := s.Rulebook.Quorums[name]
	var signers []string
	bodies := map[string]bool{}
	for _, sig := range st.Signers {
		m, ok := s.members[sig.Name]
		if !ok || !m.Active() || m.Key.Hash != sig.Hash || !slices.Contains(q.Bodies, m.Body) || slices.Contains(signers, m.Name) {
			continue
		}
		signers = append(signers, m.Name)
		bodies[m.Body] = true
	}
	if !slices.Contains(signers, st.Author) {
		return statement.Forbidden("%s: the author must be a member of %v; %q is not one", st.Kind, q.Bodies, st.Author)
	}
	if need := max(q.Signers, q.Min); len(bodies) < q.Min || len(signers) < need {
		return statement.Forbidden("%s: the %q quorum needs members of %d of %v and %d signers in all; signers: %d, from %d of those bodies",
			st.Kind, name, q.Min, q.Bodies, need, len(signers), len(bodies))
	}
	return nil
}

func (s *State) report(st *statement.Statement, now time.Time) error {
	const k = KindReport
	r := new(Report)
	if err := st.Decode(r); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	if err := checkEnum(k, "channel", r.Channel, Channels); err != nil {
		return err
	}
	switch want := r.Channel; {
	case want == "party" && b.Type != BodyParty, want == "mediator" && b.Type != BodyMediator:
		return statement.Forbidden("report: channel %q is for members of a %s body; %q is a %s", want, want, b.ID, b.Type)
	case want != "party" && want != "mediator" && b.Type != BodyMonitor && b.Type != BodyMediator:
		return statement.Forbidden("report: channel %q is for monitors and mediators; %q is a %s", want, b.ID, b.Type)
	}
	// Who told a monitor is part of the record; for the mechanism's own
	// members, the author is the source.
	if err := checkText(k, "source", r.Source, maxName, r.Channel != "party" && r.Channel != "mediator" && r.Channel != "monitor"); err != nil {
		return err
	}
	if r.Accused != "" {
		if err := s.party(k, "accused", r.Accused); err != nil {
			return err
		}
		if r.Accused == b.ID {
			return field(k, "accused", "a party cannot accuse itself")
		}
	}
	if err := checkEnum(k, "event.precision", r.Event.Precision, Precisions); err != nil {
		return err
	}
	if _, err := checkTime(k, "event.time", r.Event.Time, st.Time); err != nil {
		return err
	}
	if err := r.Place.check(k); err != nil {
		return err
	}
	switch t, sub := eventType(r.EventType, r.SubEventType); {
	case !t:
		return field(k, "event_type", "%q is not one of ACLED's event types", r.EventType)
	case !sub:
		return field(k, "sub_event_type", "%q is not a sub-event type of %q", r.SubEventType, r.EventType)
	}
	if err := checkIDs(k, "categories", r.Categories, func(id string) bool { return hasID(s.Rulebook.Categories, id) }, "one of the rulebook's categories"); err != nil {
		return err
	}
	if err := checkActors(k, r.Actors); err != nil {
		return err
	}
	if err := r.Casualties.check(k); err != nil {
		return err
	}
	if err := checkIDs(k, "weapons", r.Weapons, nil, ""); err != nil {
		return err
	}
	if err := r.Observation.check(k); err != nil {
		return err
	}
	if r.Origin != nil {
		if err := s.party(k, "origin.territory", r.Origin.Territory); err != nil {
			return err
		}
		if err := checkText(k, "origin.place", r.Origin.Place, maxName, false); err != nil {
			return err
		}
	}
	if err := checkIDs(k, "clauses", r.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses"); err != nil {
		return err
	}
	if err := checkEvidence(k, r.Evidence); err != nil {
		return err
	}
	if err := checkText(k, "summary", r.Summary, maxSummary, true); err != nil {
		return err
	}
	if err := checkText(k, "text", r.Text, maxText, false); err != nil {
		return err
	}
	if err := checkLanguage(k, r.Language); err != nil {
		return err
	}
	if r.Case != nil {
		c, err := s.caseFor(k, *r.Case)
		if err != nil {
			return err
		}
		if r.Accused != "" && r.Accused != c.Accused {
			return field(k, "accused", "a report added to case %d accuses the case's party (%q) or none", c.ID, c.Accused)
		}
		if s.dry {
			return nil
		}
		c.Reports = append(c.Reports, s.Size)
		s.touch(c)
		s.payload = r
		return nil
	}
	if s.dry {
		return nil
	}
	c := &Case{ID: s.Size, Stage: s.Rulebook.Stages[0].ID, Entered: s.Size, Opened: now, Reporter: b.ID,
		Accused: r.Accused, Reports: []int64{s.Size}, Finding: -1, Endorsed: -1}
	if c.Accused != "" {
		c.Answerable = []string{c.Accused}
	}
	if d, ok := s.Rulebook.Deadline(DeadlineReply); ok && c.Accused != "" {
		s.addDeadline(c, &Deadline{Name: DeadlineReply, Bodies: []string{c.Accused}, Due: now.Add(d)})
	}
	for _, stage := range s.Rulebook.Stages {
		if d, ok := s.Rulebook.Deadline(stage.Due); ok {
			s.addDeadline(c, &Deadline{Name: stage.Due, Stage: stage.ID, Bodies: s.bodiesMatching(stage.By), Due: now.Add(d)})
		}
	}
	s.cases[c.ID] = c
	s.touch(c)
	s.payload = r
	return nil
}

func (s *State) addDeadline(c *Case, d *Deadline) {
	d.Subject = c.ID
	c.Deadlines = append(c.Deadlines, d)
	s.openDeadline(d)
}

// bodiesMatching lists the ids of the bodies that list names.
func (s *State) bodiesMatching(list []string) []string {
	var out []string
	for i := range s.Rulebook.Bodies {
		if matches(list, &s.Rulebook.Bodies[i]) {
			out = append(out, s.Rulebook.Bodies[i].ID)
		}
	}
	return out
}

func (s *State) reply(st *statement.Statement, now time.Time) error {
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

func (s *State) advance(st *statement.Statement, now time.Time) error {
	const k = KindCaseAdvance
	a := new(CaseAdvance)
	if err := st.Decode(a); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	c, err := s.caseFor(k, a.Case)
	if err != nil {
		return err
	}
	if err := checkText(k, "note", a.Note, maxText, false); err != nil {
		return err
	}
	stages := s.Rulebook.Stages
	cur := s.Rulebook.Stage(c.Stage)
	to := s.Rulebook.Stage(a.To)
	switch {
	case to < 0:
		return field(k, "to", "%q is not a stage of the rulebook", a.To)
	case cur < 0:
		return statement.Invalid("case.advance: case %d is in stage %q, which the rulebook in force no longer has", c.ID, c.Stage)
	case cur == len(stages)-1:
		return statement.Invalid("case.advance: case %d is already in the last stage, %q", c.ID, c.Stage)
	case to != cur+1:
		return statement.Invalid("case.advance: case %d is in stage %q; the next stage is %q, and stages cannot be skipped or gone back to", c.ID, c.Stage, stages[cur+1].ID)
	}
	next := &stages[to]
	if !matches(next.By, b) {
		return statement.Forbidden("case.advance: only %v may move a case into stage %q; %q may not", next.By, next.ID, b.ID)
	}
	switch next.Requires {
	case KindFinding:
		if c.Finding < 0 {
			return statement.Invalid("case.advance: stage %q needs a finding on case %d, and there is none", next.ID, c.ID)
		}
	case KindEndorsement:
		if c.Endorsed < 0 {
			return statement.Invalid("case.advance: stage %q needs an endorsed finding on case %d, and the latest finding is not endorsed", next.ID, c.ID)
		}
	}
	if stages[cur].Reply {
		for _, d := range c.Deadlines {
			if d.Name == DeadlineReply && d.Opened == c.Entered && d.Status == DeadlineOpen && !now.After(d.Due) {
				return statement.Invalid("case.advance: %v may reply on case %d until %s; the case cannot leave stage %q before then",
					d.Bodies, c.ID, statement.FormatTime(d.Due), c.Stage)
			}
		}
	}
	c.Stage, c.Entered = next.ID, s.Size
	for _, d := range c.Deadlines {
		if d.Stage == next.ID {
			s.meet(d, now)
		}
	}
	if next.Reply {
		s.openReply(c, s.replyBodies(c), now)
	}
	s.touch(c)
	s.payload = a
	return nil
}

// replyBodies lists who gets a new window to reply when c enters a reply
// stage: the accused party and, under rules 2, every body the current
// finding blames.
func (s *State) replyBodies(c *Case) []string {
	var out []string
	if c.Accused != "" {
		out = append(out, c.Accused)
	}
	if s.rules() >= Rules2 {
		for _, b := range c.Blamed {
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// openReply opens a window for bodies to reply on c.
func (s *State) openReply(c *Case, bodies []string, now time.Time) {
	if dur, ok := s.Rulebook.Deadline(DeadlineReply); ok && len(bodies) > 0 {
		s.addDeadline(c, &Deadline{Name: DeadlineReply, Bodies: bodies, Due: now.Add(dur)})
	}
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

// replyStageBefore returns the index of the last reply stage before stage
// id, or -1.
func (s *State) replyStageBefore(id string) int {
	for i := s.Rulebook.Stage(id) - 1; i >= 0; i-- {
		if s.Rulebook.Stages[i].Reply {
			return i
		}
	}
	return -1
}

// replyStageAfter reports whether a reply stage comes after stage id.
func (s *State) replyStageAfter(id string) bool {
	i := s.Rulebook.Stage(id)
	return i >= 0 && slices.ContainsFunc(s.Rulebook.Stages[i+1:], func(st Stage) bool { return st.Reply })
}

// decisionStage checks that c's stage allows kind.
func (s *State) decisionStage(kind string, c *Case) error {
	if i := s.Rulebook.Stage(c.Stage); i < 0 || !slices.Contains(s.Rulebook.Stages[i].Allows, kind) {
		var where []string
		for _, st := range s.Rulebook.Stages {
			if slices.Contains(st.Allows, kind) {
				where = append(where, st.ID)
			}
		}
		return statement.Invalid("%s: filed only while a case is in stage %v; case %d is in %q", kind, where, c.ID, c.Stage)
	}
	return nil
}

func (s *State) finding(st *statement.Statement, now time.Time) error {
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
	s.setFinding(c, f.Outcome, f.Party, f.Blames(), now)
	s.payload = f
	return nil
}

// checkFinding checks a finding's fields; version is the rulebook's
// version when the finding was filed.
func (s *State) checkFinding(f *Finding, version int) error {
	const k = KindFinding
	if err := checkEnum(k, "outcome", f.Outcome, Outcomes); err != nil {
		return err
	}
	if f.Outcome == OutcomeNotAttributable {
		if f.Party != "" {
			return field(k, "party", "a violation that is not attributable names no party")
		}
	} else if err := s.party(k, "party", f.Party); err != nil {
		return err
	}
	if err := checkEnum(k, "confidence", f.Confidence, s.Rulebook.Confidence); err != nil {
		return err
	}
	if err := checkText(k, "rationale", f.Rationale, maxText, true); err != nil {
		return err
	}
	if err := checkIDs(k, "clauses", f.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses"); err != nil {
		return err
	}
	if f.RulebookVersion != version {
		return field(k, "rulebook_version", "the finding applies version %d, but version %d is in force", f.RulebookVersion, version)
	}
	return nil
}

// setFinding makes the statement being applied c's latest finding, which
// blames the bodies blamed; under rules 2 they get their right of reply.
func (s *State) setFinding(c *Case, outcome, party string, blamed []string, now time.Time) {
	c.Findings = append(c.Findings, s.Size)
	// A new finding needs its own endorsement.
	c.Finding, c.Outcome, c.Party, c.Endorsed = s.Size, outcome, party, -1
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

func (s *State) endorse(st *statement.Statement, now time.Time) error {
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
	if sealed != nil {
		sealed.apply(c, s.Size)
	}
	if err := checkText(k, "text", e.Text, maxText, false); err != nil {
		return err
	}
	c.Endorsed = s.Size
	s.touch(c)
	s.payload = e
	return nil
}

func (s *State) penalty(st *statement.Statement, now time.Time) error {
	const k = KindPenalty
	p := new(Penalty)
	if err := st.Decode(p); err != nil {
		return err
	}
	c, err := s.caseFor(k, p.Case)
	if err != nil {
		return err
	}
	if c.Endorsed < 0 || p.Finding != c.Finding {
		return field(k, "finding", "a penalty attaches only to an endorsed finding, and %d is not the endorsed finding of case %d", p.Finding, c.ID)
	}
	if c.Outcome != OutcomeAttributed {
		return field(k, "finding", "the finding of case %d attributes no violation (%s)", c.ID, c.Outcome)
	}
	if p.Party != c.Party {
		return field(k, "party", "the finding attributes the violation to %q, not %q", c.Party, p.Party)
	}
	if s.rules() >= Rules2 {
		if !slices.Contains(c.Blamed, p.Party) {
			return field(k, "party", "the finding at %d does not blame %q", c.Finding, p.Party)
		}
		if err := s.heard(k, c, c.Blamed, now); err != nil {
			return err
		}
	}
	if !hasID(s.Rulebook.Penalties, p.Penalty) {
		return field(k, "penalty", "%q is not one of the rulebook's penalties", p.Penalty)
	}
	if err := s.quorum(QuorumPenalty, st); err != nil {
		return err
	}
	if err := checkText(k, "text", p.Text, maxText, false); err != nil {
		return err
	}
	c.Penalties = append(c.Penalties, s.Size)
	s.touch(c)
	s.payload = p
	return nil
}

func (s *State) commit(st *statement.Statement, now time.Time) error {
	const k = KindCommitment
	c := new(Commitment)
	if err := st.Decode(c); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, BodyParty)
	if err != nil {
		return err
	}
	if err := c.Group.check(k, "group"); err != nil {
		return err
	}
	if c.Place != nil {
		if err := c.Place.check(k); err != nil {
			return err
		}
	}
	due, err := checkTime(k, "deadline", c.Deadline, time.Time{})
	if err != nil {
		return err
	}
	if !due.After(now) {
		return field(k, "deadline", "must be after the log's time, %s", statement.FormatTime(now))
	}
	if err := checkText(k, "text", c.Text, maxText, true); err != nil {
		return err
	}
	if err := checkIDs(k, "clauses", c.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses"); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	d := &Deadline{Subject: s.Size, Name: DeadlineCommitment, Bodies: []string{b.ID}, Due: due}
	s.openDeadline(d)
	s.commitments[s.Size] = &commitment{party: b.ID, deadline: d}
	s.payload = c
	return nil
}

func (s *State) act(st *statement.Statement, now time.Time) error {
	const k = KindAction
	a := new(Action)
	if err := st.Decode(a); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, BodyParty, BodyMediator, BodyMonitor)
	if err != nil {
		return err
	}
	if err := checkText(k, "text", a.Text, maxText, true); err != nil {
		return err
	}
	if err := checkEvidence(k, a.Evidence); err != nil {
		return err
	}
	if b.Type != BodyParty {
		// A check of a party's action.
		if a.Verifies == nil {
			return field(k, "verifies", "mediators and monitors file actions only to verify a party's action")
		}
		if _, ok := s.actions[*a.Verifies]; !ok {
			return field(k, "verifies", "there is no party action at index %d", *a.Verifies)
		}
		if a.Commitment != nil || a.Group != nil || a.Place != nil || a.Time != "" {
			return field(k, "verifies", "a verification carries only verifies, result, text and evidence")
		}
		if err := checkEnum(k, "result", a.Result, ActionResults); err != nil {
			return err
		}
		s.payload = a
		return nil
	}
	if a.Verifies != nil || a.Result != "" {
		return field(k, "verifies", "a party reports its own actions; verification is for mediators and monitors")
	}
	var cm *commitment
	if a.Commitment != nil {
		var ok bool
		if cm, ok = s.commitments[*a.Commitment]; !ok {
			return field(k, "commitment", "there is no commitment at index %d", *a.Commitment)
		}
		if cm.party != b.ID {
			return field(k, "commitment", "the commitment at %d is %q's, not %q's", *a.Commitment, cm.party, b.ID)
		}
	}
	if a.Group == nil {
		return field(k, "group", "is required")
	}
	if err := a.Group.check(k, "group"); err != nil {
		return err
	}
	if a.Place != nil {
		if err := a.Place.check(k); err != nil {
			return err
		}
	}
	if _, err := checkTime(k, "time", a.Time, st.Time); err != nil {
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

func (s *State) crossing(st *statement.Statement) error {
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
	if err := checkText(k, "name", c.Name, maxName, true); err != nil {
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
	if err := checkText(k, "text", c.Text, maxText, false); err != nil {
		return err
	}
	s.payload = c
	return nil
}

func (s *State) meeting(st *statement.Statement) error {
	const k = KindMeeting
	m := new(Meeting)
	if err := st.Decode(m); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMediator); err != nil {
		return err
	}
	if m.Round < 1 || m.Round > 10000 {
		return field(k, "round", "must be from 1 to 10000")
	}
	if err := checkText(k, "place", m.Place, maxName, true); err != nil {
		return err
	}
	start, err := checkTime(k, "start", m.Start, time.Time{})
	if err != nil {
		return err
	}
	end, err := checkTime(k, "end", m.End, time.Time{})
	if err != nil {
		return err
	}
	if end.Before(start) {
		return field(k, "end", "is before start")
	}
	if err := checkIDs(k, "bodies", m.Bodies, func(id string) bool { _, ok := s.Rulebook.Body(id); return ok }, "a body of this mechanism"); err != nil {
		return err
	}
	if len(m.Agenda) > 256 {
		return field(k, "agenda", "at most 256 cases")
	}
	var agenda []*Case
	for i, id := range m.Agenda {
		c, ok := s.cases[id]
		if !ok || slices.Contains(m.Agenda[:i], id) {
			return field(k, "agenda", "%d is not a case, or is listed twice", id)
		}
		agenda = append(agenda, c)
	}
	if err := checkText(k, "outcome", m.Outcome, maxText, true); err != nil {
		return err
	}
	for _, c := range agenda {
		s.touch(c)
	}
	s.payload = m
	return nil
}

func (s *State) publication(st *statement.Statement) error {
	const k = KindPublication
	p := new(Publication)
	if err := st.Decode(p); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMediator); err != nil {
		return err
	}
	if err := checkText(k, "title", p.Title, maxName, true); err != nil {
		return err
	}
	if !sha256RE.MatchString(p.SHA256) {
		return field(k, "sha256", "must be a SHA-256 in lower-case hex")
	}
	if p.Size < 0 {
		return field(k, "size", "cannot be negative")
	}
	from, err := checkTime(k, "from", p.From, time.Time{})
	if err != nil {
		return err
	}
	to, err := checkTime(k, "to", p.To, time.Time{})
	if err != nil {
		return err
	}
	if to.Before(from) {
		return field(k, "to", "is before from")
	}
	if err := checkText(k, "url", p.URL, 2000, false); err != nil {
		return err
	}
	if p.URL != "" {
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return field(k, "url", "must be an http or https address")
		}
	}
	s.payload = p
	return nil
}
