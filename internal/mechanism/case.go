package mechanism

import (
	"container/heap"
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
	// Finding is the index of the latest finding, or -1; Outcome, Party
	// and Confidence are its own, and Blamed the bodies it blames. A
	// confidential finding has none of them until it is disclosed, but
	// Blamed: the parties it may blame.
	Finding                    int64
	Outcome, Party, Confidence string
	Blamed                     []string
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
		s.tellMissed(d)
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
	if err := s.notClosed(kind, c); err != nil {
		return err
	}
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
