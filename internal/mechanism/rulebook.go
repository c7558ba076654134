package mechanism

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/statement"
)

// Rulebook is what a mechanism's parties agreed: who takes part, who
// administers each body, the quorums, time zones, deadlines and clauses.
// It is the log's first statement; amendments are later rulebook statements.
type Rulebook struct {
	// ID is the mechanism's identifier; every statement names it.
	ID string `json:"id"`
	// Version starts at 1 and grows by one with each amendment.
	Version int `json:"version"`
	// Rules is the version of sulh's statement rules the mechanism follows
	// (see RulesCurrent): a statement is judged by the rules in force when
	// it was filed, so a log stays valid under every later release. A
	// rulebook without it follows rules 1; an amendment may raise it, never
	// lower it.
	Rules int    `json:"rules,omitempty"`
	Title string `json:"title"`
	// LogOrigin is the origin line of the log's checkpoints
	// (c2sp.org/tlog-checkpoint), a schema-less URL.
	LogOrigin string `json:"log_origin"`
	// Founders sign the genesis rulebook and its amendments.
	Founders Group `json:"founders"`
	// Bodies are the parties, mediators, monitor teams, boards and witnesses.
	Bodies []Body `json:"bodies"`
	// Quorums name who must sign a decision, by decision kind.
	Quorums map[string]Quorum `json:"quorums"`
	// TimeZones are the zones in which times are shown.
	TimeZones []TimeZone `json:"time_zones"`
	// Deadlines are durations such as "72h", by name.
	Deadlines map[string]string `json:"deadlines"`
	// Clauses are the agreement's prohibited acts and commitments.
	Clauses []Clause `json:"clauses"`
	// Stages are the workflow a case follows, from the stage a report opens
	// it in to the last; a case moves one stage at a time.
	Stages []Stage `json:"stages"`
	// Categories are the agreement's own kinds of violation, beside ACLED's
	// event types, such as "cross_border_fire".
	Categories []Clause `json:"categories"`
	// Confidence is the scale a finding states its confidence on, lowest
	// first.
	Confidence []string `json:"confidence"`
	// Penalties are what the board may attach to an endorsed finding.
	Penalties []Clause `json:"penalties"`
	// ConfidentialFindings keeps a finding's text confidential until it is
	// endorsed (rules 2): findings are filed sealed, readable by the
	// mediators, the board and the case's parties, their quorum checked on
	// the sealed statement, and disclosed by the endorsement.
	ConfidentialFindings bool `json:"confidential_findings,omitempty"`
	// Area is where the mechanism looks (rules 3): searches of the
	// gazetteer rank the places in it first and say how far each place is
	// from its line.
	Area *Area `json:"area,omitempty"`
	// Witnesses cosign the log's checkpoints, and say how many
	// cosignatures a client requires (rules 3).
	Witnesses *Witnesses `json:"witnesses,omitempty"`
	// ReportCutOff is the time of day, "HH:MM" in the rulebook's first
	// time zone, at which a daily report's period ends (rules 5); empty
	// for DefaultCutOff.
	ReportCutOff string `json:"report_cutoff,omitempty"`
}

// DefaultCutOff is the cut-off of a rulebook that sets none: 19:30.
const DefaultCutOff = 19*time.Hour + 30*time.Minute

// ParseCutOff reads a time of day written "HH:MM", from 00:00 to 23:59,
// as the time since midnight.
func ParseCutOff(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not a time of day written HH:MM, such as \"19:30\"", s)
	}
	digit := func(c byte) (int, bool) { return int(c - '0'), c >= '0' && c <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	h, m := h1*10+h2, m1*10+m2
	if !ok1 || !ok2 || !ok3 || !ok4 || h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day written HH:MM, such as \"19:30\"", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// CutOff is the time of day at which a daily report's period ends, in
// the rulebook's first time zone: its ReportCutOff, or DefaultCutOff.
func (r *Rulebook) CutOff() time.Duration {
	if d, err := ParseCutOff(r.ReportCutOff); err == nil {
		return d
	}
	return DefaultCutOff
}

// Area is the region a mechanism watches: every point within WithinKm of a
// line, such as a border, or of a single point, a centre.
type Area struct {
	// Name names the line, such as "Durand Line".
	Name string `json:"name"`
	// Line is the line's points in order, each [latitude, longitude] in
	// degrees WGS 84; one point is a centre.
	Line [][2]float64 `json:"line"`
	// WithinKm is how far from the line the area reaches, in kilometres.
	WithinKm float64 `json:"within_km"`
	// Source says where the line's points come from, and how precise
	// they are.
	Source string `json:"source"`
}

// Limits of an area.
const (
	maxAreaPoints = 1000
	maxAreaKm     = 5000
)

// check validates the area.
func (a *Area) check() error {
	const k = "rulebook"
	if err := checkText(k, "area.name", a.Name, maxName, true); err != nil {
		return err
	}
	if len(a.Line) == 0 || len(a.Line) > maxAreaPoints {
		return field(k, "area.line", "needs 1 to %d points [latitude, longitude], such as [[34.11, 71.08], [33.15, 70.03]]", maxAreaPoints)
	}
	for i, p := range a.Line {
		if err := checkCoord(k, fmt.Sprintf("area.line[%d]", i), p[0], p[1]); err != nil {
			return err
		}
	}
	if !(a.WithinKm > 0 && a.WithinKm <= maxAreaKm) {
		return field(k, "area.within_km", "must be more than 0 and at most %d kilometres, such as 200", maxAreaKm)
	}
	return checkText(k, "area.source", a.Source, 1000, true)
}

// Stage is one step of the workflow.
type Stage struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// By lists who moves a case into this stage: body ids or body types.
	// The first stage has none: a report opens the case there.
	By []string `json:"by,omitempty"`
	// Requires is a statement kind the case must hold before it enters:
	// "finding" or "endorsement".
	Requires string `json:"requires,omitempty"`
	// Allows lists the decisions that may be filed while a case is in this
	// stage: "finding", "endorsement".
	Allows []string `json:"allows,omitempty"`
	// Due names a deadline by which a case should reach this stage, counted
	// from the case's opening.
	Due string `json:"due,omitempty"`
	// Reply gives the accused party a new right of reply on entry, due after
	// the "reply" deadline; the case cannot leave the stage until that party
	// has replied or the deadline has passed.
	Reply bool `json:"reply,omitempty"`
}

// Group is a set of keys with a threshold.
type Group struct {
	Keys   []string `json:"keys"` // signed-note verifier keys
	Quorum int      `json:"quorum"`
}

// Body types.
const (
	BodyParty    = "party"
	BodyMediator = "mediator"
	BodyMonitor  = "monitor"
	BodyBoard    = "board"
	BodyWitness  = "witness"
	BodyOther    = "other"
)

var bodyTypes = []string{BodyParty, BodyMediator, BodyMonitor, BodyBoard, BodyWitness, BodyOther}

// Body is one participant in the mechanism.
type Body struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	// TimeZone names one of the rulebook's time zones, for parties.
	TimeZone string `json:"time_zone,omitempty"`
	// Administrators are the verifier keys that enrol and revoke the body's
	// members.
	Administrators []string `json:"administrators"`
}

// Quorum says who must sign a decision: members of at least Min of the
// listed bodies, and at least Signers distinct members in all (Min when
// zero).
type Quorum struct {
	Bodies  []string `json:"bodies"`
	Min     int      `json:"min"`
	Signers int      `json:"signers,omitempty"`
}

// Quorum names.
const (
	QuorumFinding     = "finding"
	QuorumEndorsement = "endorsement"
	QuorumPenalty     = "penalty"
)

// DeadlineReply is the deadline of a party's right of reply.
const DeadlineReply = "reply"

// TimeZone is a named fixed offset from UTC, such as "+05:00".
type TimeZone struct {
	Name   string `json:"name"`
	Offset string `json:"offset"`
}

// Clause is one article of the agreement.
type Clause struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	// BindsFrom is when a clause of the agreement starts to bind (rules
	// 3), such as the truce's start: a report or finding that cites it
	// for an event before then is refused. Empty: it binds for every
	// event. Categories and penalties have none.
	BindsFrom string `json:"binds_from,omitempty"`
}

// Clause returns the clause of the agreement with id id.
func (r *Rulebook) Clause(id string) (*Clause, bool) {
	for i := range r.Clauses {
		if r.Clauses[i].ID == id {
			return &r.Clauses[i], true
		}
	}
	return nil, false
}

var offsetRE = regexp.MustCompile(`^[+-](0\d|1[0-4]):(00|15|30|45)$`)

// Location returns the zone as a fixed-offset location.
func (z TimeZone) Location() (*time.Location, error) {
	if !offsetRE.MatchString(z.Offset) {
		return nil, fmt.Errorf("time zone %q: offset %q must look like +05:00 or -03:30", z.Name, z.Offset)
	}
	h := int(z.Offset[1]-'0')*10 + int(z.Offset[2]-'0')
	m := int(z.Offset[4]-'0')*10 + int(z.Offset[5]-'0')
	secs := h*3600 + m*60
	if z.Offset[0] == '-' {
		secs = -secs
	}
	return time.FixedZone(z.Name, secs), nil
}

// Locations returns the rulebook's time zones as locations, in its order;
// each location's name is its zone's.
func (r *Rulebook) Locations() []*time.Location {
	var out []*time.Location
	for _, z := range r.TimeZones {
		if loc, err := z.Location(); err == nil {
			out = append(out, loc)
		}
	}
	return out
}

// Body returns the body with the given id.
func (r *Rulebook) Body(id string) (*Body, bool) {
	for i := range r.Bodies {
		if r.Bodies[i].ID == id {
			return &r.Bodies[i], true
		}
	}
	return nil, false
}

// check validates the rulebook on its own, returning a sentence for the
// first problem it finds.
func (r *Rulebook) check() error {
	if !statement.ValidID(r.ID) {
		return statement.Invalid("rulebook: id %q must be an identifier (lower-case letters, digits, '.', '_', '-')", r.ID)
	}
	if r.Rules < 0 || r.Rules > RulesCurrent {
		return statement.Invalid("rulebook: rules must be from 1 to %d, not %d", RulesCurrent, r.Rules)
	}
	if r.ConfidentialFindings && r.RulesVersion() < Rules2 {
		return statement.Invalid("rulebook: confidential_findings needs rules 2")
	}
	if r.Area != nil {
		if r.RulesVersion() < Rules3 {
			return statement.Invalid("rulebook: area needs rules 3: set \"rules\": 3 too")
		}
		if err := r.Area.check(); err != nil {
			return err
		}
	}
	if r.Witnesses != nil {
		if r.RulesVersion() < Rules3 {
			return statement.Invalid("rulebook: witnesses needs rules 3: set \"rules\": 3 too")
		}
		if err := r.Witnesses.check(r.LogOrigin); err != nil {
			return err
		}
	}
	if r.ReportCutOff != "" {
		if r.RulesVersion() < Rules5 {
			return statement.Invalid("rulebook: report_cutoff needs rules 5: set \"rules\": 5 too")
		}
		if _, err := ParseCutOff(r.ReportCutOff); err != nil {
			return statement.Invalid("rulebook: report_cutoff: %v", err)
		}
	}
	if r.Version < 1 {
		return statement.Invalid("rulebook: version must be 1 or more")
	}
	if r.Title == "" || r.textLen(r.Title) > 200 {
		return statement.Invalid("rulebook: title must be 1 to 200 %s", r.textUnit())
	}
	if r.LogOrigin == "" || len(r.LogOrigin) > 200 || !statement.ValidKeyName(r.LogOrigin) {
		return statement.Invalid("rulebook: log_origin %q must be a schema-less URL with no spaces or '+'", r.LogOrigin)
	}
	seen := map[string]bool{}     // "body\x00vkey", to refuse a key listed twice
	keyOf := map[string]string{}  // key name -> verifier key
	bodyOf := map[string]string{} // key name -> body id
	addKey := func(vkey, body string) error {
		v, err := statement.ParseVerifierKey(vkey)
		if err != nil {
			return statement.Invalid("rulebook: %v", err)
		}
		name := v.Name()
		if seen[body+"\x00"+vkey] {
			return statement.Invalid("rulebook: key %q is listed twice", name)
		}
		seen[body+"\x00"+vkey] = true
		if prev, ok := keyOf[name]; ok && prev != vkey {
			return statement.Invalid("rulebook: two different keys are named %q; key names must be unique", name)
		}
		keyOf[name] = vkey
		if body != "" {
			if prev, ok := bodyOf[name]; ok {
				return statement.Invalid("rulebook: key %q administers both %q and %q; a key belongs to one body", name, prev, body)
			}
			bodyOf[name] = body
		}
		return nil
	}
	if len(r.Founders.Keys) == 0 {
		return statement.Invalid("rulebook: founders: at least one key is needed")
	}
	for _, k := range r.Founders.Keys {
		if err := addKey(k, ""); err != nil {
			return err
		}
	}
	if r.Founders.Quorum < 1 || r.Founders.Quorum > len(r.Founders.Keys) {
		return statement.Invalid("rulebook: founders: quorum must be between 1 and %d", len(r.Founders.Keys))
	}
	zones := map[string]bool{}
	for _, z := range r.TimeZones {
		if z.Name == "" || zones[z.Name] {
			return statement.Invalid("rulebook: time zone names must be present and unique, got %q", z.Name)
		}
		if _, err := z.Location(); err != nil {
			return statement.Invalid("rulebook: %v", err)
		}
		zones[z.Name] = true
	}
	if len(r.Bodies) == 0 {
		return statement.Invalid("rulebook: at least one body is needed")
	}
	ids := map[string]bool{}
	for _, b := range r.Bodies {
		if !statement.ValidID(b.ID) || ids[b.ID] {
			return statement.Invalid("rulebook: body id %q must be a unique identifier", b.ID)
		}
		ids[b.ID] = true
		if !slices.Contains(bodyTypes, b.Type) {
			return statement.Invalid("rulebook: body %q: type %q is not one of %v", b.ID, b.Type, bodyTypes)
		}
		if b.Name == "" {
			return statement.Invalid("rulebook: body %q has no name", b.ID)
		}
		if b.TimeZone != "" && !zones[b.TimeZone] {
			return statement.Invalid("rulebook: body %q: time zone %q is not in time_zones", b.ID, b.TimeZone)
		}
		if len(b.Administrators) == 0 {
			return statement.Invalid("rulebook: body %q has no administrators", b.ID)
		}
		for _, k := range b.Administrators {
			if err := addKey(k, b.ID); err != nil {
				return err
			}
		}
	}
	for name, q := range r.Quorums {
		if !statement.ValidID(name) {
			return statement.Invalid("rulebook: quorum name %q is not an identifier", name)
		}
		for _, id := range q.Bodies {
			if !ids[id] {
				return statement.Invalid("rulebook: quorum %q names unknown body %q", name, id)
			}
		}
		if q.Min < 1 || q.Min > len(q.Bodies) {
			return statement.Invalid("rulebook: quorum %q: min must be between 1 and %d", name, len(q.Bodies))
		}
		if q.Signers < 0 || q.Signers > 64 {
			return statement.Invalid("rulebook: quorum %q: signers must be between 0 and 64", name)
		}
	}
	for _, name := range []string{QuorumFinding, QuorumEndorsement, QuorumPenalty} {
		if _, ok := r.Quorums[name]; !ok {
			return statement.Invalid("rulebook: quorum %q is missing", name)
		}
	}
	for name, d := range r.Deadlines {
		if dur, err := time.ParseDuration(d); err != nil || dur <= 0 {
			return statement.Invalid("rulebook: deadline %q: %q is not a positive duration such as \"72h\"", name, d)
		}
	}
	clauses := map[string]bool{}
	for _, c := range r.Clauses {
		if !statement.ValidID(c.ID) || clauses[c.ID] || c.Text == "" {
			return statement.Invalid("rulebook: clause %q must have a unique identifier and a text", c.ID)
		}
		clauses[c.ID] = true
		if c.BindsFrom == "" {
			continue
		}
		if r.RulesVersion() < Rules3 {
			return statement.Invalid("rulebook: clause %q: binds_from is a field of rules 3; set \"rules\": 3 in the rulebook to use it", c.ID)
		}
		if _, err := statement.ParseTime(c.BindsFrom); err != nil {
			return statement.Invalid("rulebook: clause %q: binds_from: %v", c.ID, err)
		}
	}
	if err := r.checkList("categories", r.Categories); err != nil {
		return err
	}
	if err := r.checkList("penalties", r.Penalties); err != nil {
		return err
	}
	if len(r.Confidence) == 0 {
		return statement.Invalid("rulebook: confidence needs at least one level")
	}
	for i, c := range r.Confidence {
		if !statement.ValidID(c) || slices.Contains(r.Confidence[:i], c) {
			return statement.Invalid("rulebook: confidence level %q must be a unique identifier", c)
		}
	}
	return r.checkStages(ids)
}

// textLen is the length of a text of the rulebook as its rules count it:
// in characters under rules 3, in bytes before, as those releases did.
func (r *Rulebook) textLen(s string) int {
	if r.RulesVersion() >= Rules3 {
		return utf8.RuneCountInString(s)
	}
	return len(s)
}

// textUnit names what textLen counts.
func (r *Rulebook) textUnit() string {
	if r.RulesVersion() >= Rules3 {
		return "characters"
	}
	return "bytes"
}

// checkList checks a list of identified texts.
func (r *Rulebook) checkList(what string, l []Clause) error {
	seen := map[string]bool{}
	for _, c := range l {
		if !statement.ValidID(c.ID) || seen[c.ID] || c.Text == "" || r.textLen(c.Text) > 1000 {
			return statement.Invalid("rulebook: %s: %q must have a unique identifier and a text of at most 1000 %s", what, c.ID, r.textUnit())
		}
		if c.BindsFrom != "" {
			return statement.Invalid("rulebook: %s: %q: binds_from is for the agreement's clauses only", what, c.ID)
		}
		seen[c.ID] = true
	}
	return nil
}

func (r *Rulebook) checkStages(bodies map[string]bool) error {
	if len(r.Stages) < 2 {
		return statement.Invalid("rulebook: stages: at least two are needed")
	}
	seen := map[string]bool{}
	var allows []string
	for i, st := range r.Stages {
		if !statement.ValidID(st.ID) || seen[st.ID] || st.Name == "" {
			return statement.Invalid("rulebook: stage %q must have a unique identifier and a name", st.ID)
		}
		seen[st.ID] = true
		if i == 0 && (len(st.By) > 0 || st.Requires != "" || st.Due != "" || st.Reply) {
			return statement.Invalid("rulebook: stage %q: the first stage is where reports open cases; it takes no by, requires, due or reply", st.ID)
		}
		if i > 0 && len(st.By) == 0 {
			return statement.Invalid("rulebook: stage %q: by must name who moves a case into it", st.ID)
		}
		for _, b := range st.By {
			if !bodies[b] && !slices.Contains(bodyTypes, b) {
				return statement.Invalid("rulebook: stage %q: %q is neither a body id nor a body type", st.ID, b)
			}
		}
		if st.Requires != "" && st.Requires != KindFinding && st.Requires != KindEndorsement {
			return statement.Invalid("rulebook: stage %q: requires must be %q or %q", st.ID, KindFinding, KindEndorsement)
		}
		if st.Requires != "" && !slices.Contains(allows, st.Requires) {
			return statement.Invalid("rulebook: stage %q requires %s, but no earlier stage allows it", st.ID, st.Requires)
		}
		for _, a := range st.Allows {
			if a != KindFinding && a != KindEndorsement {
				return statement.Invalid("rulebook: stage %q: allows may list only %q and %q", st.ID, KindFinding, KindEndorsement)
			}
			allows = append(allows, a)
		}
		if _, ok := r.Deadlines[st.Due]; st.Due != "" && !ok {
			return statement.Invalid("rulebook: stage %q: due names deadline %q, which is not in deadlines", st.ID, st.Due)
		}
		if _, ok := r.Deadlines[DeadlineReply]; st.Reply && !ok {
			return statement.Invalid("rulebook: stage %q gives a right of reply, but deadlines has no %q", st.ID, DeadlineReply)
		}
	}
	return nil
}

// Stage returns the position of the stage id in the workflow, or -1.
func (r *Rulebook) Stage(id string) int {
	for i := range r.Stages {
		if r.Stages[i].ID == id {
			return i
		}
	}
	return -1
}

// Deadline returns the duration of the named deadline.
func (r *Rulebook) Deadline(name string) (time.Duration, bool) {
	d, ok := r.Deadlines[name]
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(d)
	return dur, err == nil
}

// matches reports whether body b is named in list, by id or by type.
func matches(list []string, b *Body) bool {
	return slices.Contains(list, b.ID) || slices.Contains(list, b.Type)
}

func hasID(l []Clause, id string) bool {
	return slices.ContainsFunc(l, func(c Clause) bool { return c.ID == id })
}
