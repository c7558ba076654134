package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindReport is an allegation or an observation; the first report about an
// incident opens a case.
const KindReport = "report"

// Report is an allegation or observation; the first report about an
// incident opens a case.
type Report struct {
	statement.Fields
	// Case attaches the report to an existing case instead of opening one.
	Case *int64 `json:"case,omitempty"`
	// Channel is how the report reached the mechanism.
	Channel string `json:"channel"`
	// Source names who told a monitor, for the public, NGO and UN channels.
	Source string `json:"source,omitempty"`
	// Accused is the party the report holds answerable, if any.
	Accused      string       `json:"accused,omitempty"`
	Event        EventTime    `json:"event"`
	Place        Place        `json:"place"`
	EventType    string       `json:"event_type"`
	SubEventType string       `json:"sub_event_type"`
	Categories   []string     `json:"categories,omitempty"`
	Actors       []Actor      `json:"actors,omitempty"`
	Casualties   *Casualties  `json:"casualties,omitempty"`
	Weapons      []string     `json:"weapons,omitempty"`
	Observation  *Observation `json:"observation,omitempty"`
	Origin       *Origin      `json:"origin,omitempty"`
	Clauses      []string     `json:"clauses,omitempty"`
	Evidence     []string     `json:"evidence,omitempty"`
	Summary      string       `json:"summary"`
	Text         string       `json:"text,omitempty"`
	Language     string       `json:"language"`
}

// DecodeJSON reads the report from r without reflection (see
// statement.Decoder): reports are most of a log.
func (x *Report) DecodeJSON(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "case":
			x.Case = r.IntPtr()
		case "channel":
			x.Channel = r.String()
		case "source":
			x.Source = r.String()
		case "accused":
			x.Accused = r.String()
		case "event":
			x.Event.read(r)
		case "place":
			x.Place.read(r)
		case "event_type":
			x.EventType = r.String()
		case "sub_event_type":
			x.SubEventType = r.String()
		case "categories":
			x.Categories = r.Strings()
		case "actors":
			x.Actors = readActors(r)
		case "casualties":
			x.Casualties = new(Casualties)
			x.Casualties.read(r)
		case "weapons":
			x.Weapons = r.Strings()
		case "observation":
			x.Observation = new(Observation)
			x.Observation.read(r)
		case "origin":
			x.Origin = new(Origin)
			x.Origin.read(r)
		case "clauses":
			x.Clauses = r.Strings()
		case "evidence":
			x.Evidence = r.Strings()
		case "summary":
			x.Summary = r.String()
		case "text":
			x.Text = r.String()
		case "language":
			x.Language = r.String()
		default:
			r.Common(&x.Fields, k)
		}
	}
}

func (s *State) applyReport(st *statement.Statement, now time.Time) error {
	const k = KindReport
	r, err := predecoded[Report](st)
	if err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	if err := checkEnum(k, "channel", r.Channel, Channels); err != nil {
		return err
	}
	if r.Channel == ChannelOpenSource && s.rules() < Rules4 {
		// Earlier rules refused the channel as unknown: the logs they
		// kept replay the same.
		return field(k, "channel", "%q came with rules %d, and this mechanism follows rules %d; the founders amend the rulebook to \"rules\": %d first",
			r.Channel, Rules4, s.rules(), Rules4)
	}
	switch want := r.Channel; {
	case want == "party" && b.Type != BodyParty, want == "mediator" && b.Type != BodyMediator:
		return statement.Forbidden("report: channel %q is for members of a %s body; %q is a %s", want, want, b.ID, b.Type)
	case want != "party" && want != "mediator" && b.Type != BodyMonitor && b.Type != BodyMediator:
		return statement.Forbidden("report: channel %q is for monitors and mediators; %q is a %s", want, b.ID, b.Type)
	}
	// Every field's problems at once, before the case is looked at.
	p := problems{kind: k}
	// Who told a monitor is part of the record; for the mechanism's own
	// members, the author is the source.
	p.add(s.checkText(k, "source", r.Source, maxName, r.Channel != "party" && r.Channel != "mediator" && r.Channel != "monitor"))
	if r.Accused != "" && p.add(s.party(k, "accused", r.Accused)) && r.Accused == b.ID {
		p.add(field(k, "accused", "a party cannot accuse itself"))
	}
	precisionOK := p.add(checkEnum(k, "event.precision", r.Event.Precision, Precisions))
	eventAt, err := checkTime(k, "event.time", r.Event.Time, st.Time)
	timeOK := p.add(err)
	p.add(r.Place.checkWith(k, s.textCheck()))
	switch t, sub := eventType(r.EventType, r.SubEventType); {
	case !t:
		p.add(field(k, "event_type", "%q is not one of ACLED's event types", r.EventType))
	case !sub:
		p.add(field(k, "sub_event_type", "%q is not a sub-event type of %q", r.SubEventType, r.EventType))
	}
	p.add(checkIDs(k, "categories", r.Categories, func(id string) bool { return hasID(s.Rulebook.Categories, id) }, "one of the rulebook's categories"))
	p.add(checkActorsWith(k, r.Actors, s.textCheck()))
	p.add(s.checkCasualties(k, r.Casualties))
	p.add(checkIDs(k, "weapons", r.Weapons, nil, ""))
	p.add(r.Observation.check(k, s.rules()))
	if r.Origin != nil {
		p.add(s.party(k, "origin.territory", r.Origin.Territory))
		p.add(s.checkText(k, "origin.place", r.Origin.Place, maxName, false))
	}
	clausesOK := p.add(checkIDs(k, "clauses", r.Clauses, func(id string) bool { return hasID(s.Rulebook.Clauses, id) }, "one of the rulebook's clauses"))
	if clausesOK && timeOK && precisionOK {
		p.add(s.bindsBefore(k, r.Clauses, eventAt, r.Event.Precision))
	}
	p.add(checkEvidence(k, r.Evidence))
	p.add(s.checkText(k, "summary", r.Summary, maxSummary, true))
	p.add(s.checkText(k, "text", r.Text, maxText, false))
	p.add(checkLanguage(k, r.Language))
	if err := p.err(); err != nil {
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
	s.openCaseDeadlines(c, now)
	s.cases[c.ID] = c
	s.keepEvent(c.ID, eventAt, r.Event.Precision)
	s.tellAllegation(c, r.Summary)
	if s.rules() >= Rules3 {
		s.flagDuplicates(b.ID, reportedEvent(c.ID, eventAt, r))
	}
	s.touch(c)
	s.payload = r
	return nil
}

// newCaseDeadline is a deadline that the rulebook sets on every case a
// report opens: the accused party's reply, or a stage's.
type newCaseDeadline struct {
	name, stage string
	// bodies are a stage's bodies, shared by every case's deadline: none
	// changes a deadline's bodies.
	bodies []string
	after  time.Duration
	reply  bool
}

// newCaseDeadlines returns the deadlines that the rulebook in force sets
// on a new case, in the order the case lists them: worked out once for
// each rulebook, not for each report.
func (s *State) newCaseDeadlines() []newCaseDeadline {
	if s.caseDeadlinesOf == s.Rulebook {
		return s.caseDeadlines
	}
	var out []newCaseDeadline
	if d, ok := s.Rulebook.Deadline(DeadlineReply); ok {
		out = append(out, newCaseDeadline{name: DeadlineReply, after: d, reply: true})
	}
	for _, stage := range s.Rulebook.Stages {
		if d, ok := s.Rulebook.Deadline(stage.Due); ok {
			out = append(out, newCaseDeadline{name: stage.Due, stage: stage.ID, bodies: s.bodiesMatching(stage.By), after: d})
		}
	}
	s.caseDeadlines, s.caseDeadlinesOf = out, s.Rulebook
	return out
}

// openCaseDeadlines opens the deadlines of c, a case just opened at log
// time now: the accused party's reply, if there is one, and each stage's.
// They are made in one block of memory, as the case keeps them all.
func (s *State) openCaseDeadlines(c *Case, now time.Time) {
	plan := s.newCaseDeadlines()
	if c.Accused == "" && len(plan) > 0 && plan[0].reply {
		plan = plan[1:] // no one to reply
	}
	if len(plan) == 0 {
		return
	}
	block := make([]Deadline, 0, len(plan))
	c.Deadlines = make([]*Deadline, 0, len(plan))
	for _, p := range plan {
		bodies := p.bodies
		if p.reply {
			bodies = []string{c.Accused}
		}
		block = append(block, Deadline{Name: p.name, Stage: p.stage, Bodies: bodies, Due: now.Add(p.after)})
		s.addDeadline(c, &block[len(block)-1])
	}
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

// Channels are the ways a report reaches the mechanism.
var Channels = []string{"party", "mediator", "monitor", "public", "ngo", "un", ChannelOpenSource}

// ChannelOpenSource is the channel of an event a monitor or a mediator
// brings in from published data, such as an ACLED export (rules 4); its
// source names the data set and the event's id there.
const ChannelOpenSource = "open_source"
