package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Story is what Scenario filed: the log indexes of the cases it leaves in
// telling states, and the periodic summary whose hash it published.
type Story struct {
	// Statements is the number of statements Scenario filed.
	Statements int
	// Cases are the ids of every case it opened, in order.
	Cases []int64
	// Published is the case taken through every stage to "published", with
	// an endorsed finding and a penalty.
	Published int64
	// Pending is a case left in investigation.
	Pending int64
	// Unanswered is a case whose accused party never replies: its reply
	// deadline is missed in log time.
	Unanswered int64
	// Sealed is a confidential report, visible to the mediators only.
	Sealed int64
	// Publication is the index of the publication statement; Summary is the
	// text whose SHA-256 it records.
	Publication int64
	Summary     string
	// Claimed is a case an armed group claimed and then retracted, and
	// another denied: the bombing at the G-11 court in Islamabad.
	Claimed int64
	// End is the time of the last statement filed: the log's time after the
	// scenario.
	End time.Time
}

// Demo members who sign the scenario's statements; Members enrols them.
const (
	liaisonPK      = "pakistan-liaison-1"
	liaisonAF      = "afghanistan-liaison-1"
	investigatorQA = "qatar-investigator-1"
	investigatorTR = "turkiye-investigator-1"
	fieldMonitor   = "monitors-field-1"
	boardQA        = "board-qatar-1"
	boardTR        = "board-turkiye-1"
)

// scenarioStart is how long after Start the scenario's first statement
// may be: after Members has run.
const scenarioStart = 2 * time.Hour

// Full creates the demo mechanism in dataDir with the default rulebook,
// enrols its members and files its scenario: the demo that sulh demo
// serves and most tests start from. The views hold every statement when
// it returns. On an error nothing is left open.
func Full(ctx context.Context, dataDir string, opts ledger.Options) (*Mechanism, *Story, error) {
	m, err := Create(ctx, dataDir, mechanism.DefaultRulebook, Start, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := m.Members(ctx); err != nil {
		m.Log.Close()
		return nil, nil, err
	}
	story, err := m.Scenario(ctx)
	if err != nil {
		m.Log.Close()
		return nil, nil, fmt.Errorf("couldn't file the demo scenario: %w", err)
	}
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		m.Log.Close()
		return nil, nil, err
	}
	return m, story, nil
}

// Scenario files, through Submit, a scenario built from the public record of
// the Pakistan–Afghanistan truce of October–November 2025: the rounds of
// talks, the crossings' closures, both parties' reports and replies with
// their own figures and labels, one case taken through every stage, one left
// in investigation, one never answered, a commitment, an action and its
// check, and a publication. Findings, penalties and the board's acts are
// illustrative, and every text says so. Members must have run.
func (m *Mechanism) Scenario(ctx context.Context) (*Story, error) {
	for _, name := range []string{liaisonPK, liaisonAF, investigatorQA, investigatorTR, fieldMonitor, boardQA, boardTR} {
		if _, ok := m.Keys.Signers[name]; !ok {
			return nil, fmt.Errorf("couldn't run the scenario: there is no key for %s; run Members first", name)
		}
	}
	rb := m.Log.Rulebook()
	if rb == nil {
		return nil, fmt.Errorf("couldn't run the scenario: the log is empty")
	}
	s := &scenario{m: m, ctx: ctx, last: Start.Add(scenarioStart), story: &Story{Published: -1, Pending: -1, Unanswered: -1, Publication: -1, Claimed: -1}}
	s.talksAndCrossings()
	s.beforeTheCeasefire()
	a := s.infiltration()
	s.istanbul(a)
	b := s.spinBoldak(rb.Version, a)
	p := s.lateNovember()
	s.publish()
	s.places()
	s.story.Claimed = s.g11()
	s.chamanSpinBoldak()
	s.bothSidesAndOutOfScope()
	if s.err != nil {
		return nil, fmt.Errorf("couldn't run the scenario: %w", s.err)
	}
	s.story.Published, s.story.Pending, s.story.Unanswered = b, a, p
	s.story.Statements = s.n
	s.story.End = s.last
	return s.story, nil
}

// scenario files statements in order of time and keeps the first error, so
// that the scenario reads as a script.
type scenario struct {
	m     *Mechanism
	ctx   context.Context
	last  time.Time // the time of the latest statement, or the earliest allowed
	n     int
	err   error
	story *Story
	// digest lists what was filed, for the periodic summary.
	digest []string
	// beforeTruce are the cases about events before the ceasefire.
	beforeTruce []int64
}

// file signs and submits a statement of kind by author at time at, with the
// fields of v (one of mechanism's payload structs), and returns its index.
func (s *scenario) file(kind, author string, at time.Time, v any, cosigners ...string) int64 {
	if s.err != nil {
		return -1
	}
	if at.Before(s.last) {
		s.err = fmt.Errorf("a %s by %s at %s is earlier than the statement before it (%s)", kind, author, at.Format(time.RFC3339), s.last.Format(time.RFC3339))
		return -1
	}
	fields, err := fieldsOf(v)
	if err != nil {
		s.err = fmt.Errorf("couldn't encode a %s: %w", kind, err)
		return -1
	}
	r, err := s.m.Submit(s.ctx, kind, author, at, fields, cosigners...)
	if err != nil {
		s.err = err
		return -1
	}
	s.last = at
	s.n++
	return r.Index
}

// EvidenceNotes is the demo's evidence file: the monitors' notes of their
// open-source review of the Spin Boldak exchange of 6 November 2025. The
// scenario registers its SHA-256; a store may hold the file itself.
var EvidenceNotes = []byte("DEMO evidence file, built from public reporting (Al Jazeera; AFP via India Today); illustrative.\n" +
	"Joint field monitoring team: open-source review, 7 November 2025.\n" +
	"1. Afghan account (spokesman Zabihullah Mujahid, 6 November): Pakistani forces opened fire on Spin Boldak in the afternoon.\n" +
	"2. Pakistani account (Ministry of Information and Broadcasting, 6 November): firing was initiated from the Afghan side.\n" +
	"3. A hospital official told AFP: 5 killed (4 women, 1 man) and 6 injured on the Afghan side.\n" +
	"4. Residents told AFP the exchange lasted 10 to 15 minutes.\n")

// evidence registers the monitors' notes on case c, hands them to the
// mediators, and files the mediators' verification of them.
func (s *scenario) evidence(c int64) {
	sum := sha256.Sum256(EvidenceNotes)
	hash := hex.EncodeToString(sum[:])
	captured := mechanism.EventTime{Time: "2025-11-07T08:00:00Z", Precision: "exact"}
	at := place("Spin Boldak", 30.93, 66.44, 2, af("Kandahar", "Spin Boldak"))
	s.file(mechanism.KindEvidence, fieldMonitor, on(11, 7, 10, 30), &mechanism.Evidence{
		SHA256: hash, Size: int64(len(EvidenceNotes)), MediaType: "text/plain; charset=utf-8", Name: "spin-boldak-review.txt",
		Collector: "Joint field monitoring team", Tool: "open-source review of press reports", SourceURL: "https://www.aljazeera.com/",
		Captured: &captured, Place: &at, Case: &c,
		Custody: &mechanism.Custody{Event: "collected", To: "Joint field monitoring team", Note: demoText("Al Jazeera; AFP", "Notes written by the monitors.")},
	})
	s.file(mechanism.KindEvidence, fieldMonitor, on(11, 7, 11, 0), &mechanism.Evidence{
		SHA256:  hash,
		Custody: &mechanism.Custody{Event: "transferred", From: "Joint field monitoring team", To: "Qatar's investigators", Note: "Handed over for verification (illustrative)."},
	})
	s.file(mechanism.KindVerification, investigatorQA, on(11, 8, 9, 0), &mechanism.Verification{
		Evidence: hash, Analyst: "Investigator of Qatar", Date: "2025-11-08T09:00:00Z",
		Source:    mechanism.Check{Result: "passed", Notes: "Both parties' statements and the AFP report were found at their original outlets (illustrative)."},
		Technical: mechanism.Check{Result: "passed", Notes: "A plain-text file; its hash matches the one registered (illustrative)."},
		Content:   mechanism.Check{Result: "inconclusive", Notes: "The accounts agree on an exchange of fire and disagree on who fired first; no imagery (illustrative)."},
		Result:    "inconclusive",
	})
	s.note("Case %d: the monitors' notes registered as evidence (sha256 %s), handed to the mediators and verified: inconclusive.", c, hash[:12])
}

// confidential files a sealed report: intelligence a party shares with the
// mediators only. The log holds its digest; the body stays beside it.
func (s *scenario) confidential(at time.Time) {
	if s.err != nil {
		return
	}
	if at.Before(s.last) {
		s.err = fmt.Errorf("the sealed report at %s is earlier than the statement before it", at.Format(time.RFC3339))
		return
	}
	body, err := json.Marshal(map[string]any{
		"mechanism": s.m.Log.Rulebook().ID, "kind": mechanism.KindReport, "author": liaisonPK, "at": statement.FormatTime(at), "refs": []any{},
		"channel": "party", "accused": "afghanistan", "language": "en",
		"event":      map[string]any{"time": "2025-11-07T00:00:00Z", "precision": "day"},
		"place":      map[string]any{"id": "ghulam-khan", "name": "Ghulam Khan", "geo_precision": 2},
		"event_type": "strategic_developments", "sub_event_type": "other", "categories": []string{"militant_infiltration"},
		"summary": "[Demo, invented] Intelligence shared with the mediators only: a group gathering across from Ghulam Khan.",
	})
	if err != nil {
		s.err = err
		return
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	msg, err := s.m.Sign(mechanism.KindSealed, liaisonPK, at, map[string]any{
		"sealed_kind": mechanism.KindReport, "visibility": []string{"qatar", "turkiye"}, "digest": mechanism.SealDigest(salt, body)})
	if err != nil {
		s.err = err
		return
	}
	r, err := s.m.Log.SubmitSealed(s.ctx, msg, salt, body)
	if err != nil {
		s.err = fmt.Errorf("couldn't file the sealed report: %w", err)
		return
	}
	s.last = at
	s.n++
	s.story.Sealed = r.Index
	s.note("Statement %d: a report sealed for the mediators (invented for the demo); its body is not public.", r.Index)
}

// report files a report and, when it opens a case, records the case.
func (s *scenario) report(author string, at time.Time, r *mechanism.Report) int64 {
	r.Language = "en"
	idx := s.file(mechanism.KindReport, author, at, r)
	if idx >= 0 && r.Case == nil {
		s.story.Cases = append(s.story.Cases, idx)
		s.note("Case %d opened %s by %s (accusing %s): %s", idx, day(at), bodyOf(author), r.Accused, r.Summary)
	}
	return idx
}

func (s *scenario) reply(author string, at time.Time, r *mechanism.Reply) int64 {
	r.Language = "en"
	idx := s.file(mechanism.KindReply, author, at, r)
	if idx >= 0 {
		s.note("Case %d: reply by %s on %s (%s).", r.Case, bodyOf(author), day(at), strings.Join(r.Stances(), ", "))
	}
	return idx
}

// advance moves case c to stage to.
func (s *scenario) advance(author string, at time.Time, c int64, to, note string) int64 {
	idx := s.file(mechanism.KindCaseAdvance, author, at, &mechanism.CaseAdvance{Case: c, To: to, Note: note})
	if idx >= 0 {
		s.note("Case %d moved to %q on %s.", c, to, day(at))
	}
	return idx
}

func (s *scenario) meeting(author string, at time.Time, m *mechanism.Meeting) int64 {
	idx := s.file(mechanism.KindMeeting, author, at, m)
	if idx >= 0 {
		s.note("Round %d of talks, %s, %s to %s (agenda: cases %v), recorded by %s.", m.Round, m.Place, m.Start[:10], m.End[:10], m.Agenda, bodyOf(author))
	}
	return idx
}

func (s *scenario) crossing(author string, at time.Time, c *mechanism.CrossingStatus) int64 {
	idx := s.file(mechanism.KindCrossingStatus, author, at, c)
	if idx >= 0 {
		allowed := ""
		if len(c.Allowed) > 0 {
			allowed = " (" + strings.Join(c.Allowed, ", ") + ")"
		}
		s.note("Crossing %s: %s%s since %s, per %s.", c.Name, c.Status, allowed, c.Since[:10], bodyOf(author))
	}
	return idx
}

func (s *scenario) note(format string, args ...any) {
	s.digest = append(s.digest, fmt.Sprintf(format, args...))
}

// fieldsOf turns a payload struct into the fields Submit takes, without the
// common fields that Sign sets.
func fieldsOf(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var fields map[string]any
	if err := d.Decode(&fields); err != nil {
		return nil, err
	}
	for _, k := range []string{"mechanism", "kind", "author", "at", "refs"} {
		delete(fields, k)
	}
	return fields, nil
}

// bodyOf returns the body of a demo member, from its name.
func bodyOf(member string) string {
	body, _, _ := strings.Cut(member, "-")
	return body
}

func day(t time.Time) string { return t.Format("2 January") }

// on returns a time in 2025, in UTC.
func on(month time.Month, d, hour, min int) time.Time {
	return time.Date(2025, month, d, hour, min, 0, 0, time.UTC)
}

func ts(t time.Time) string { return t.Format(time.RFC3339) }

// The measures of casualty figures.
const (
	killedCivilian   = "killed_civilian"
	killedCombatant  = "killed_combatant"
	injuredCivilian  = "injured_civilian"
	injuredCombatant = "injured_combatant"
)

// sides are casualty figures, each of one side.
func sides(figs ...mechanism.SideFigure) *mechanism.Casualties {
	return &mechanism.Casualties{Sides: figs}
}

// forces is a figure of a party's forces.
func forces(measure, party string, low, best, high int64) mechanism.SideFigure {
	return mechanism.SideFigure{Measure: measure, Party: party, Low: &low, Best: &best, High: &high}
}

// fighters is a figure of an armed group's fighters.
func fighters(measure, actor string, low, best, high int64) mechanism.SideFigure {
	return mechanism.SideFigure{Measure: measure, Actor: actor, Low: &low, Best: &best, High: &high}
}

// civilians is a figure of a country's civilians.
func civilians(measure, country string, low, best, high int64) mechanism.SideFigure {
	return mechanism.SideFigure{Measure: measure, Country: country, Low: &low, Best: &best, High: &high}
}

func ptr[T any](v T) *T { return &v }

// place is a place with coordinates; noCoords one whose coordinates the
// public record does not confirm.
func place(name string, lat, lon float64, precision int, admin ...mechanism.AdminUnit) mechanism.Place {
	return mechanism.Place{Name: name, Lat: &lat, Lon: &lon, GeoPrecision: precision, Admin: admin}
}

func noCoords(name string, precision int, admin ...mechanism.AdminUnit) mechanism.Place {
	return mechanism.Place{Name: name, GeoPrecision: precision, Admin: admin}
}

func pk(admin ...string) mechanism.AdminUnit { return unit("PK", admin) }
func af(admin ...string) mechanism.AdminUnit { return unit("AF", admin) }

func unit(country string, admin []string) mechanism.AdminUnit {
	u := mechanism.AdminUnit{Country: country}
	for i, a := range admin {
		switch i {
		case 0:
			u.Admin1 = a
		case 1:
			u.Admin2 = a
		case 2:
			u.Admin3 = a
		}
	}
	return u
}

// demoText prefixes a text with the note that it is a demo built from public
// reporting by the outlets named.
func demoText(sources, text string) string {
	return "DEMO, built from public reporting (" + sources + "); not a statement filed by anyone named. " + text
}

// The scenario's actors, by canonical id; each report keeps its author's
// own label.
const (
	actorTTP       = "ttp"        // Tehrik-i-Taliban Pakistan
	actorHGB       = "hgb"        // the Hafiz Gul Bahadur group
	actorAfghan    = "afg-forces" // the forces of the Kabul authorities
	actorPakistani = "pak-forces" // Pakistan's military and security forces
)

// The scenario's border crossings.
const (
	crossingTorkham = "torkham"
	crossingChaman  = "chaman"
	crossingGhulam  = "ghulam-khan"
	crossingAngoor  = "angoor-adda"
	crossingKharla  = "kharlachi"
)

var bothParties = []string{"pakistan", "afghanistan", "qatar", "turkiye"}

// talksAndCrossings files the Doha round, the crossings' state on the day of
// the ceasefire, and Afghanistan's undertaking.
func (s *scenario) talksAndCrossings() {
	s.meeting(investigatorQA, on(10, 19, 14, 0), &mechanism.Meeting{
		Round: 1, Place: "Doha, Qatar",
		Start: "2025-10-18T00:00:00Z", End: "2025-10-19T12:00:00Z",
		Bodies: bothParties,
		Outcome: demoText("Qatar's foreign ministry via Hindustan Times and Caliber.az; Ariana News; KDP News; Arab News; Dunya News",
			"Talks of more than 13 hours on 18–19 October 2025, mediated by Qatar and Türkiye; Pakistan's delegation led by Defence Minister Khawaja Muhammad Asif, "+
				"Afghanistan's by acting Defence Minister Mullah Mohammad Yaqoob. Qatar's foreign ministry announced an \"immediate ceasefire and the establishment of "+
				"mechanisms to consolidate lasting peace and stability\", with follow-up meetings \"to ensure sustainability of the ceasefire and verify its "+
				"implementation in a reliable and sustainable manner\". Asif: \"The terrorist attacks from Afghanistan on Pakistan's soil will cease immediately. "+
				"Both neighbouring countries will respect each other's territory.\" Spokesman Zabihullah Mujahid: no hostile actions by either side, no support for "+
				"\"groups carrying out attacks on the government of Pakistan\", a mechanism mediated by Qatar and Türkiye to assess claims. Next round: Istanbul, "+
				"25 October. The hours of the talks were not reported: start is the first day at 00:00 UTC, end the time of the genesis."),
	})
	closed := []struct {
		author, id, name, since, text string
	}{
		{liaisonPK, crossingTorkham, "Torkham", "2025-10-12T00:00:00Z", demoText("Dawn; The News; Pakinomist",
			"Closed to all movement after the exchange of fire on the night of 11/12 October. Sources differ on the day: 11 October (Khyber deputy commissioner, "+
				"via Dawn), \"since October 12\" (The News), \"since October 13\" (Dawn, 27 October). On 20 October Geo's sources said it was \"likely to reopen "+
				"within 24 to 36 hours\"; it did not.")},
		{liaisonPK, crossingChaman, "Chaman – Spin Boldak (Friendship Gate)", "2025-10-11T00:00:00Z", demoText("Burak Baloch; Dawn; Express Tribune",
			"Bab-e-Dosti closed to all movement on Saturday 11 October. On 13 October the gate opened for about 2.5 hours, from about 15:00 PKT, for Afghan "+
				"refugees only (about 200 families, said Chaman's deputy commissioner Habibullah Bangulzai), then closed again. On 15 October the ISPR said the "+
				"Afghan side \"destroyed the Pak-Afghan Friendship Gate\".")},
		{liaisonPK, crossingGhulam, "Ghulam Khan", "2025-10-12T00:00:00Z", demoText("Pakinomist; Gulf News",
			"One of the four major trade crossings \"closed indefinitely\" after the late-night exchange of fire on 11 October.")},
		{fieldMonitor, crossingAngoor, "Angoor Adda", "2025-10-12T00:00:00Z", demoText("Dawn",
			"\"Closed for the eighth consecutive day\" as of 19 October; trade halted, with losses reported in Wana's Rustam Bazaar. No reopening found in the public record.")},
		{fieldMonitor, crossingKharla, "Kharlachi", "2025-10-12T00:00:00Z", demoText("Pakinomist; Nukta",
			"Trade crossing in Kurram, reopened in May 2025 after a closure since October 2024; closed again after 11 October 2025. No reopening found in the public record.")},
	}
	for i, c := range closed {
		// The monitors saw the Pakistani side; the day of each closure
		// is known, not its hour.
		s.crossing(c.author, on(10, 19, 14, 10+5*i), &mechanism.CrossingStatus{Crossing: c.id, Name: c.name, Side: "pakistan", Status: mechanism.CrossingClosed,
			Since: c.since, SincePrecision: "day", Text: c.text})
	}
	commitment := s.file(mechanism.KindCommitment, liaisonAF, on(10, 19, 15, 0), &mechanism.Commitment{
		Group:    mechanism.Actor{ID: actorTTP, Label: "groups carrying out attacks on the government of Pakistan"},
		Place:    ptr(noCoords("Territory of Afghanistan", 3, af())),
		Deadline: "2026-01-19T12:00:00Z",
		Clauses:  []string{"c4"},
		Text: demoText("Ariana News; Kursiv; Atlas Press",
			"Undertaking as the Islamic Emirate's spokesman Zabihullah Mujahid described the Doha agreement: no support for \"groups carrying out attacks on the "+
				"government of Pakistan\", and no attacks on each other's forces, civilians or infrastructure. Kabul's stated position is that Afghan soil \"will not "+
				"be used against anyone\". The deadline (three months) is illustrative: no deadline was published."),
	})
	if commitment >= 0 {
		s.note("Commitment %d by afghanistan on 19 October: no support for groups attacking Pakistan (illustrative deadline 19 January 2026).", commitment)
	}
}

// beforeTheCeasefire files, for the record, each side's account of three
// clashes of 11–17 October, with their diverging figures and the other
// side's reply. They predate the Doha ceasefire, so no clause is cited.
func (s *scenario) beforeTheCeasefire() {
	posts := s.report(liaisonPK, on(10, 19, 16, 0), &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event: mechanism.EventTime{Time: "2025-10-11T18:00:00Z", Precision: "day"},
		Place: place("Angoor Adda and other sectors of the frontier", 32.51556, 69.28250, 2,
			pk("Khyber Pakhtunkhwa", "Lower South Waziristan"), af("Paktika", "Barmal")),
		EventType: "battles", SubEventType: "armed_clash",
		Categories: []string{"cross_border_fire", "attack_from_territory"},
		Actors: []mechanism.Actor{
			{ID: actorAfghan, Label: "Afghan Taliban", Role: "actor1"},
			{ID: actorTTP, Label: "Indian-sponsored Fitna al-Khwarij", Role: "associated"},
			{ID: actorPakistani, Label: "Pakistan Army", Role: "actor2"},
		},
		Casualties: sides(
			forces(killedCombatant, "pakistan", 23, 23, 23),
			forces(killedCombatant, "afghanistan", 200, 200, 200),
			forces(injuredCombatant, "pakistan", 29, 29, 29),
		),
		Weapons:     []string{"small_arms", "artillery", "armour", "drones"},
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "afghanistan", Place: "Paktika, Khost, Kunar, Nangarhar and Helmand"},
		Summary:     "[Demo] Night of 11/12 October: attacks on Pakistani border posts at several points (ISPR). Filed for the record; predates the ceasefire.",
		Text: demoText("The News; Nukta; Dawn via Mobicrazy",
			"ISPR, 12 October: on the night of 11/12 October \"Afghan Taliban and Indian-sponsored Fitna al-Khwarij\" attacked Pakistani posts at Angoor Adda, "+
				"Bajaur, Kurram, Dir, Chitral and Bahram Chah. 23 soldiers \"embraced shahadat\" and 29 were wounded; \"more than 200 Taliban and affiliated "+
				"terrorists have been neutralised\", and \"the number of injured is much higher\"; 21 hostile positions were \"briefly captured\". The figures "+
				"above give each side its own: killed 23 Pakistani soldiers and 200 (\"more than 200\") on the Afghan side, the Taliban's forces and their "+
				"affiliates counted together as the ISPR did; injured 29 Pakistani soldiers only (no number was given for the others). The event "+
				"predates the Doha ceasefire of 19 October: filed for the record, no clause cited."),
	})
	spin := s.report(liaisonAF, on(10, 19, 16, 30), &mechanism.Report{
		Channel: "party", Accused: "pakistan",
		Event:     mechanism.EventTime{Time: "2025-10-15T00:00:00Z", Precision: "day"},
		Place:     place("Spin Boldak", 31.00806, 66.39806, 1, af("Kandahar", "Spin Boldak"), pk("Balochistan", "Chaman")),
		EventType: "explosions_remote_violence", SubEventType: "shelling_artillery_missile_attack",
		Categories: []string{"cross_border_fire", "air_or_drone_strike"},
		Actors: []mechanism.Actor{
			{ID: actorPakistani, Label: "Pakistani aggressor soldiers", Role: "actor1"},
			{ID: actorAfghan, Label: "Mujahideen", Role: "associated"},
		},
		Casualties: sides(
			civilians(killedCivilian, "AF", 12, 15, 15),
			civilians(injuredCivilian, "AF", 100, 100, 100),
		),
		Weapons:     []string{"mortars", "artillery", "tanks", "drones"},
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "pakistan", Place: "Chaman"},
		Summary:     "[Demo] 15 October: fighting and strikes in and around Spin Boldak; civilians killed and wounded (Afghan officials). Filed for the record; predates the ceasefire.",
		Text: demoText("AFP; Tolo News via Voice of Vienna; Lokmat Times; India This Week",
			"Spokesman Zabihullah Mujahid: \"more than 12 civilians were martyred and more than 100 were injured\"; in retaliation \"multiple Pakistani aggressor "+
				"soldiers were killed\" and posts, weapons and tanks were captured. Spin Boldak information spokesman Ali Mohammad Haqmal: 15 civilians killed by "+
				"mortar fire. Hospital official Abdul Jan Barak (AFP): more than 80 women and children wounded. Killed: low 12 (\"more than 12\"), best and high 15 "+
				"(Haqmal). For comparison, not the party's claim: UNAMA's preliminary count of 16 October was at least 17 civilians killed and 346 injured in "+
				"Spin Boldak. Predates the Doha ceasefire: filed for the record, no clause cited."),
	})
	paktika := s.report(liaisonAF, on(10, 19, 17, 0), &mechanism.Report{
		Channel: "party", Accused: "pakistan",
		Event:     mechanism.EventTime{Time: "2025-10-17T16:00:00Z", Precision: "exact"},
		Place:     place("Khandaro village, Urgun district (also Barmal district)", 32.90060, 69.15690, 2, af("Paktika", "Urgun")),
		EventType: "explosions_remote_violence", SubEventType: "air_drone_strike",
		Categories: []string{"air_or_drone_strike"},
		Actors: []mechanism.Actor{
			{ID: actorPakistani, Label: "the Pakistani regime", Role: "actor1"},
		},
		Casualties: sides(
			civilians(killedCivilian, "AF", 8, 10, 17),
			civilians(injuredCivilian, "AF", 7, 7, 16),
		),
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "pakistan"},
		Summary:     "[Demo] 17 October, about 20:30 AFT: air strikes on homes in Urgun and Barmal, Paktika, during the 48-hour truce; three cricketers among the dead.",
		Text: demoText("Rediff; WION; Tolo News via NNN/BNA (Menafn); AFP and Reuters summaries",
			"Afghan authorities accused Pakistan of breaking the 48-hour truce of 15 October. A house in Khandaro (Khanadar) village, Urgun, was hit. The "+
				"Afghanistan Cricket Board: three players, Kabeer, Sibghatullah and Haroon, \"alongside 5 other fellow countrymen\" killed and 7 injured in \"a "+
				"cowardly attack carried out by the Pakistani regime\". Tolo (security sources): 17 killed, 16 injured. Afghan officials via AFP/Reuters: 10 killed, "+
				"including 2 children. Figures: low from the ACB, best from AFP/Reuters, high from Tolo. Predates the Doha ceasefire: filed for the record."),
	})

	s.beforeTruce = []int64{posts, spin, paktika}
	s.reply(liaisonAF, on(10, 20, 8, 0), &mechanism.Reply{
		Case: posts, Position: "partly_accepts",
		Actors: []mechanism.Actor{{ID: actorAfghan, Label: "Mujahideen", Role: "actor1"}},
		Casualties: sides(
			forces(killedCombatant, "pakistan", 58, 58, 58),
			forces(killedCombatant, "afghanistan", 9, 9, 9),
			forces(injuredCombatant, "pakistan", 30, 30, 30),
			forces(injuredCombatant, "afghanistan", 16, 16, 16),
		),
		Text: demoText("Shafaq News; Tolo News via India Blooms and Swarajya",
			"Spokesman Zabihullah Mujahid, press conference of 12 October: the operations were \"retaliatory operations\" against Pakistan's violations of "+
				"Afghan territory and airspace, and were paused at the request of Qatar and Saudi Arabia. 58 Pakistani soldiers killed and 30 wounded, 25 posts "+
				"seized (\"20 Pakistani security outposts were destroyed\", per Tolo); 9 Afghan soldiers \"martyred\" and 16 wounded. Figures above, each "+
				"side's own: killed 58 and 9, injured 30 and 16. An outlier report quoting \"at least 20 Taliban fighters\" killed is left out."),
	})
	s.reply(liaisonPK, on(10, 20, 9, 0), &mechanism.Reply{
		Case: spin, Position: "denies",
		Actors: []mechanism.Actor{{ID: actorAfghan, Label: "Afghan Taliban", Role: "actor1"}},
		Casualties: sides(
			forces(killedCombatant, "afghanistan", 15, 15, 20),
			civilians(injuredCivilian, "PK", 4, 4, 4),
		),
		Text: demoText("Dawn; TWF India; Caliber.az",
			"ISPR, 15 October: \"Afghan Taliban resorted to cowardly attack[s] at four locations in Spin Boldak area\"; the attacks were repulsed and \"15 to 20 "+
				"Afghan Taliban\" killed. The attack was \"orchestrated through divided villages… with no regard for the civil population\". Pakistan \"strongly "+
				"denied\" targeting civilians, and acknowledged 4 civilians injured on its side, in Chaman. Killed: low and best 15, high 20; there is no best "+
				"estimate in the statement, so the low one is given."),
	})
	s.reply(liaisonPK, on(10, 20, 10, 0), &mechanism.Reply{
		Case: paktika, Position: "partly_accepts",
		Actors: []mechanism.Actor{{ID: actorHGB, Label: "Hafiz Gul Bahadur group", Role: "actor2"}},
		Text: demoText("The Daily Jagran; Global Village Space; KDP News",
			"Pakistani officials: \"precision strikes\" on the \"Hafiz Gul Bahadur group\", in retaliation for the suicide attack on a security forces camp in "+
				"Mir Ali, North Waziristan, on 17 October. Pakistan gave no casualty figure."),
	})
	for i, c := range []int64{posts, spin, paktika} {
		s.advance(investigatorTR, on(10, 20, 12, 5*i), c, "preliminary", demoText("The News; AFP; Tolo News; Rediff",
			"Preliminary assessment (illustrative): the event predates the Doha ceasefire of 19 October 2025. Kept for the record and for the talks; no investigation under this rulebook."))
	}
	s.crossing(liaisonPK, on(10, 20, 15, 0), &mechanism.CrossingStatus{
		Crossing: crossingChaman, Name: "Chaman – Spin Boldak (Friendship Gate)", Status: mechanism.CrossingRestricted,
		Allowed: []string{"refugees_leaving", "empty_transit_trucks"}, Since: "2025-10-20T14:00:00Z",
		Text: demoText("The News; PTI via Millennium Post and Editorji",
			"\"Partially reopened\" on the evening of Monday 20 October: empty Afghan transit trucks let in and deportees out; no pedestrians. The Chaman "+
				"Chamber of Commerce later counted about 400 containers and about 550 families (about 3,400 people) through. The hour is approximate."),
	})
}

// infiltration files Pakistan's report of the infiltration attempts of
// 24–25 October, which Afghanistan never answers; the case is left in
// investigation. It returns the case.
func (s *scenario) infiltration() int64 {
	c := s.report(liaisonPK, on(10, 26, 10, 0), &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-10-25T00:00:00Z", Precision: "day"},
		Place:     noCoords("Spinwam", 2, pk("Khyber Pakhtunkhwa", "North Waziristan")),
		EventType: "battles", SubEventType: "armed_clash",
		Categories: []string{"militant_infiltration"},
		Actors: []mechanism.Actor{
			{ID: actorTTP, Label: "khwarij", Role: "actor1"},
			{ID: actorPakistani, Label: "Pakistan Army", Role: "actor2"},
		},
		Casualties:  sides(fighters(killedCombatant, actorTTP, 15, 15, 20)),
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "afghanistan"},
		Clauses:     []string{"c4"},
		Summary:     "[Demo] 24–25 October: a large group of militants trying to cross from Afghanistan engaged at Spinwam, North Waziristan (ISPR).",
		Text: demoText("Dawn; Free Press Journal; Outlook India",
			"ISPR, 26 October: Pakistani forces engaged \"two large groups of khwarij\" trying to cross from Afghanistan, at Spinwam and at Ghaki (Kurram), "+
				"while the Istanbul talks were under way. 15 killed at Spinwam, \"including four suicide bombers\". Five soldiers were killed in the two "+
				"engagements (Havildar Manzoor Hussain, Sepoy Nauman Ilyas Kiyani, Sepoy Muhammad Adil, Sepoy Shah Jehan, Sepoy Ali Asghar), without saying "+
				"where: the high figure counts them here. The ISPR said the attempts cast \"doubts on the intentions of the interim Afghan government\" and "+
				"invoked its Doha obligations. Spinwam's coordinates are not confirmed by a cited source and are left out."),
	})
	s.report(liaisonPK, on(10, 26, 10, 5), &mechanism.Report{
		Case: ptr(c), Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-10-25T00:00:00Z", Precision: "day"},
		Place:     place("Ghaki, near Parachinar", 33.9, 70.1, 3, pk("Khyber Pakhtunkhwa", "Kurram")),
		EventType: "battles", SubEventType: "armed_clash",
		Categories:  []string{"militant_infiltration"},
		Actors:      []mechanism.Actor{{ID: actorTTP, Label: "khwarij", Role: "actor1"}},
		Casualties:  sides(fighters(killedCombatant, actorTTP, 10, 10, 15)),
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "afghanistan"},
		Clauses:     []string{"c4"},
		Summary:     "[Demo] 24–25 October: the second group engaged at Ghaki, Kurram (ISPR).",
		Text: demoText("Dawn",
			"ISPR, 26 October: 10 killed at Ghaki. The high figure counts the five soldiers killed in the two engagements, whose place was not given. "+
				"Coordinates are Parachinar's, the district's anchor, at province-level precision."),
	})
	s.note("Case %d: a second report (Ghaki) attached.", c)
	s.advance(investigatorQA, on(10, 26, 14, 0), c, "preliminary", demoText("Dawn", "Preliminary assessment (illustrative): a post-ceasefire allegation under clause c4; Afghanistan's reply is awaited."))
	s.advance(investigatorTR, on(10, 27, 9, 0), c, "investigation", demoText("Dawn; Outlook India",
		"Investigation opened (illustrative): the monitors are asked to gather open-source material. No team could reach the sites; none was deployed in 2025."))
	return c
}

// istanbul files the first Istanbul round, with the infiltration case on
// its agenda, and Torkham's opening for refugees leaving Pakistan.
func (s *scenario) istanbul(infiltration int64) {
	s.meeting(investigatorTR, on(10, 31, 6, 0), &mechanism.Meeting{
		Round: 2, Place: "Istanbul, Türkiye (venue undisclosed)",
		Start: "2025-10-25T11:30:00Z", End: "2025-10-30T21:00:00Z",
		Bodies: bothParties,
		Agenda: []int64{infiltration},
		Outcome: demoText("Business Recorder; Arab News; Aaj TV; Islamabad Post; Afghanistan International; Zarin TV; Pakistan Today",
			"Hosted by Türkiye with Qatar from about 14:30 local time on 25 October. Afghanistan's delegation was led by Deputy Interior Minister Rahmatullah "+
				"Najib; Pakistan's was not named publicly. Pakistan asked for \"a concrete and verifiable monitoring mechanism\" and \"verifiable action against "+
				"terrorist entities\"; per Taliban foreign-ministry sources, Kabul regards the TTP as Pakistan's internal matter. On 29 October Information "+
				"Minister Attaullah Tarar said the talks \"failed to bring about any workable solution\"; the delegations stayed at Türkiye's and Qatar's request. "+
				"Joint statement (Turkish foreign ministry, late 30 October): the ceasefire continues; \"All parties have agreed to put in place a monitoring and "+
				"verification mechanism that will ensure maintenance of peace and impose penalties on the violating party\"; modalities at a principals' meeting "+
				"in Istanbul on 6 November. The end time is approximate (late on 30 October)."),
	})
	s.crossing(liaisonPK, on(11, 1, 12, 0), &mechanism.CrossingStatus{
		Crossing: crossingTorkham, Name: "Torkham", Status: mechanism.CrossingRestricted,
		Allowed: []string{"refugees_leaving"}, Since: "2025-11-01T00:00:00Z", SincePrecision: "day",
		Text: demoText("Pakistan Post Canada; Pakinomist; Dawn; WE News",
			"Reopened on Saturday 1 November only for Afghan refugees and deportees returning to Afghanistan, after about 20 days, as the Khyber deputy "+
				"commissioner and Pakistan's embassy in Kabul confirmed. Trade stays suspended: \"border remains closed for trade for now\" (Foreign Office "+
				"spokesman Tahir Andrabi, 31 October). The hour is not known."),
	})
	s.crossing(liaisonAF, on(11, 1, 12, 30), &mechanism.CrossingStatus{
		Crossing: crossingTorkham, Name: "Torkham", Status: mechanism.CrossingRestricted,
		Allowed: []string{"refugees_leaving"}, Since: "2025-11-01T00:00:00Z", SincePrecision: "day",
		Text: demoText("Pakistan Post Canada",
			"Nangarhar's head of information, Qureshi Badloon: \"Torkham gate is now open for refugees\"."),
	})
}

// spinBoldak files both sides' accounts of the exchange of fire of
// 6 November, a monitor's and a public report, the second Istanbul round,
// and takes the Afghan report through every stage to publication. It
// returns that case.
func (s *scenario) spinBoldak(rulebookVersion int, infiltration int64) int64 {
	border := func(name string) mechanism.Place {
		p := place(name, 30.93, 66.44, 2, af("Kandahar", "Spin Boldak"), pk("Balochistan", "Chaman"))
		p.ID = "chaman" // the gazetteer's Chaman–Spin Boldak crossing
		return p
	}
	b := s.report(liaisonAF, on(11, 6, 17, 0), &mechanism.Report{
		Channel: "party", Accused: "pakistan",
		Event:     mechanism.EventTime{Time: "2025-11-06T10:00:00Z", Precision: "day"},
		Place:     border("Spin Boldak, near the Chaman crossing"),
		EventType: "explosions_remote_violence", SubEventType: "shelling_artillery_missile_attack",
		Categories: []string{"cross_border_fire"},
		Actors: []mechanism.Actor{
			{ID: actorPakistani, Label: "Pakistani forces", Role: "actor1"},
			{ID: actorAfghan, Label: "IEA forces", Role: "associated"},
		},
		Casualties: sides(
			civilians(killedCivilian, "AF", 5, 5, 5),
			civilians(injuredCivilian, "AF", 6, 6, 6),
		),
		Weapons:     []string{"small_arms", "heavy_weapons"},
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "pakistan", Place: "Chaman"},
		Clauses:     []string{"c1"},
		Summary:     "[Demo] 6 November: fire from across the frontier on Spin Boldak on the opening day of the Istanbul talks (Afghan account).",
		Text: demoText("Al Jazeera; AFP via India Today; Rediff",
			"Spokesman Zabihullah Mujahid: \"Pakistani forces once again opened fire on Spin Boldak\" \"this afternoon\"; IEA forces \"have so far shown no "+
				"reaction\". An Afghan military source: \"light and heavy weapons… targeted civilian areas\". A hospital official quoted by AFP: 5 killed (4 "+
				"women, 1 man) and 6 injured on the Afghan side. Residents told AFP the exchange lasted 10–15 minutes. The hour is approximate."),
	})
	c := s.report(liaisonPK, on(11, 6, 18, 0), &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-11-06T13:00:00Z", Precision: "day"},
		Place:     border("Tasadduq Gate, Mazaal Gali Iqbal Post, Chaman"),
		EventType: "battles", SubEventType: "armed_clash",
		Categories: []string{"cross_border_fire"},
		Actors: []mechanism.Actor{
			{ID: actorAfghan, Label: "Afghan side", Role: "actor1"},
			{ID: actorPakistani, Label: "our security forces", Role: "actor2"},
		},
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "afghanistan", Place: "Spin Boldak"},
		Clauses:     []string{"c1"},
		Summary:     "[Demo] 6 November: firing initiated from the Afghan side at Chaman; Pakistani forces responded (Pakistani account).",
		Text: demoText("Al Jazeera; WE News; Abbtakk",
			"Ministry of Information and Broadcasting: \"Firing was initiated from the Afghan side… our security forces responded… in a measured and "+
				"responsible manner… ceasefire remains intact\". Chaman's deputy commissioner Habibullah Bangulzai placed it near \"Tasadduq Gate, Mazaal Gali "+
				"Iqbal Post\" on Thursday evening; other reports name Killi Mazal village. Pakistan gave no casualty figure."),
	})
	s.reply(liaisonAF, on(11, 7, 6, 0), &mechanism.Reply{
		Case: c, Position: "denies",
		Actors: []mechanism.Actor{{ID: actorPakistani, Label: "Pakistani forces", Role: "actor1"}},
		Casualties: sides(
			civilians(killedCivilian, "AF", 5, 5, 5),
			civilians(injuredCivilian, "AF", 6, 6, 6),
		),
		Text: demoText("Al Jazeera; AFP via India Today",
			"Zabihullah Mujahid: \"Pakistani forces once again opened fire on Spin Boldak\"; the IEA forces \"have so far shown no reaction\". Figures: the "+
				"hospital official quoted by AFP."),
	})
	s.reply(liaisonPK, on(11, 7, 7, 0), &mechanism.Reply{
		Case: b, Position: "partly_accepts",
		Actors: []mechanism.Actor{{ID: actorAfghan, Label: "Afghan side", Role: "actor1"}},
		Text: demoText("Al Jazeera; WE News",
			"Ministry of Information and Broadcasting, 6 November: \"Firing was initiated from the Afghan side… our security forces responded… in a measured "+
				"and responsible manner… ceasefire remains intact\". Pakistan accepts that its forces fired, in response, and denies opening fire. It gave no "+
				"casualty figure."),
	})
	s.report(fieldMonitor, on(11, 7, 8, 0), &mechanism.Report{
		Case: ptr(b), Channel: "monitor",
		Event:     mechanism.EventTime{Time: "2025-11-06T10:00:00Z", Precision: "day"},
		Place:     border("Chaman – Spin Boldak frontier"),
		EventType: "battles", SubEventType: "armed_clash",
		Categories: []string{"cross_border_fire"},
		Casualties: sides(
			civilians(killedCivilian, "AF", 0, 5, 5),
			civilians(injuredCivilian, "AF", 0, 6, 6),
		),
		Observation: &mechanism.Observation{Method: "open_source"},
		Clauses:     []string{"c1"},
		Summary:     "[Demo] Monitor's open-source note: a brief exchange of fire on 6 November; casualty accounts conflict.",
		Text: demoText("Al Jazeera; AFP via India Today; Jazzbaat24; Newsable",
			"Open-source review (illustrative: no field team was deployed in 2025). Both sides confirm firing across the Chaman–Spin Boldak frontier on the "+
				"afternoon or evening of 6 November, 10–15 minutes by residents' account; each says the other began. Casualties conflict: 5 killed and 6 "+
				"injured on the Afghan side (AFP, hospital official) against \"no casualties were reported\" (Jazzbaat24). Low figures 0, best figures AFP's."),
	})
	s.report(fieldMonitor, on(11, 7, 8, 30), &mechanism.Report{
		Case: ptr(b), Channel: "public",
		Source:    "AFP, citing a hospital official in Spin Boldak (as carried by India Today)",
		Event:     mechanism.EventTime{Time: "2025-11-06T10:00:00Z", Precision: "day"},
		Place:     place("Spin Boldak", 31.00806, 66.39806, 2, af("Kandahar", "Spin Boldak")),
		EventType: "explosions_remote_violence", SubEventType: "shelling_artillery_missile_attack",
		Casualties: sides(
			civilians(killedCivilian, "AF", 5, 5, 5),
			civilians(injuredCivilian, "AF", 6, 6, 6),
		),
		Observation: &mechanism.Observation{Method: "hearsay"},
		Summary:     "[Demo] Public report via the monitors: 5 killed (4 women, 1 man) and 6 injured in Spin Boldak, per a hospital official (AFP).",
		Text:        demoText("AFP via India Today", "A hospital official told AFP that 5 people were killed, 4 women and 1 man, and 6 injured on the Afghan side."),
	})
	s.note("Case %d: a monitor's report and a public report attached.", b)
	s.advance(investigatorQA, on(11, 7, 9, 0), b, "preliminary", demoText("Al Jazeera; AFP", "Preliminary assessment (illustrative): both parties confirm an exchange of fire after the ceasefire; clause c1."))
	s.advance(investigatorTR, on(11, 7, 10, 0), b, "investigation", demoText("Al Jazeera; AFP", "Investigation (illustrative): open-source review of both parties' statements and of the press."))
	s.evidence(b)
	s.confidential(on(11, 8, 9, 30))

	s.meeting(investigatorQA, on(11, 8, 12, 0), &mechanism.Meeting{
		Round: 3, Place: "Istanbul, Türkiye",
		Start: "2025-11-06T00:00:00Z", End: "2025-11-07T21:00:00Z",
		Bodies: bothParties,
		Agenda: []int64{infiltration, b, c},
		Outcome: demoText("Pakistan Today; 9xm News; NDTV; Afghanistan International; Business Today; Türkiye Today",
			"No agreement. Pakistan's delegation was led by ISI Director General Lt Gen Asim Malik, Afghanistan's by intelligence chief Mawlawi Abdul Haq "+
				"Wasiq. Defence Minister Asif, 7 November: \"Right now, as we speak, negotiations are over\"; the Afghan side refused a written agreement; the "+
				"ceasefire \"technically stands\". Spokesman Mujahid, 8 November: the Afghans attended \"in good faith and with appropriate authority\"; Pakistan "+
				"showed an \"irresponsible and non-cooperative attitude\" and sought \"to refer all responsibilities regarding its security to the Afghan "+
				"government\"; \"for now the meeting is suspended\". The hours were not reported: start and end are the days of the talks."),
	})

	s.advance(investigatorQA, on(11, 10, 9, 0), b, "draft", demoText("Al Jazeera; AFP", "Draft finding in preparation (illustrative)."))
	finding := s.file(mechanism.KindFinding, investigatorQA, on(11, 10, 15, 0), &mechanism.Finding{
		Case: b, Outcome: mechanism.OutcomeAttributed, Party: "pakistan", Confidence: "low",
		Clauses: []string{"c1"}, RulebookVersion: rulebookVersion,
		Rationale: demoText("Al Jazeera; AFP via India Today; WE News; Jazzbaat24",
			"ILLUSTRATIVE, NOT A REAL FINDING. No joint monitoring mechanism operated in November 2025 and no mediator made any finding on this incident; "+
				"this shows how a finding is recorded and signed by both mediators. The public record: Afghanistan says Pakistani forces opened fire and its "+
				"own forces did not respond; Pakistan says the firing was initiated from the Afghan side and that its forces responded. Both accounts agree "+
				"that Pakistani forces fired across the frontier; who fired first is not established. Casualty accounts conflict (5 killed and 6 injured per "+
				"AFP's hospital source; none per another outlet). For the demo, on Pakistan's own statement alone, the finding attributes a breach of clause c1 "+
				"to Pakistan with LOW confidence. The outcome was chosen so that one case goes through every stage, including a penalty, which the rulebook "+
				"attaches only to an attributed finding. It is not a judgement on the real events."),
	}, investigatorTR)
	s.note("Case %d: finding (illustrative) by qatar and turkiye on %s: attributed to pakistan, low confidence, clause c1.", b, day(on(11, 10, 15, 0)))
	s.advance(investigatorTR, on(11, 10, 16, 0), b, "party_reply", demoText("Al Jazeera; AFP via India Today; WE News", "The finding is put to Pakistan for its reply (illustrative)."))
	s.reply(liaisonPK, on(11, 12, 10, 0), &mechanism.Reply{
		Case: b, Position: "denies",
		Text: demoText("Al Jazeera; WE News",
			"No finding was put to Pakistan in 2025: this reply repeats Pakistan's public position of 6 November word for word. Ministry of Information and "+
				"Broadcasting: \"Firing was initiated from the Afghan side… our security forces responded… in a measured and responsible manner… ceasefire "+
				"remains intact\"."),
	})
	s.advance(investigatorQA, on(11, 12, 12, 0), b, "technical_committee", demoText("Al Jazeera; AFP via India Today; WE News", "Technical committee (illustrative): the finding stands; Pakistan's reply is attached to the record."))
	s.advance(investigatorTR, on(11, 14, 9, 0), b, "board", demoText("Al Jazeera; AFP via India Today; WE News", "Sent to the joint board (illustrative)."))
	s.file(mechanism.KindEndorsement, boardQA, on(11, 17, 9, 0), &mechanism.Endorsement{
		Case: b, Finding: finding,
		Text: demoText("Al Jazeera; AFP via India Today; WE News", "ILLUSTRATIVE: no board existed in 2025. The board endorses the finding, to show the workflow."),
	}, boardTR)
	s.file(mechanism.KindPenalty, boardQA, on(11, 17, 10, 0), &mechanism.Penalty{
		Case: b, Finding: finding, Penalty: "censure", Party: "pakistan",
		Text: demoText("Al Jazeera; AFP via India Today; WE News", "ILLUSTRATIVE: no penalty was imposed on anyone in 2025. Censure, a public statement of the violation by the mediators, shown to demonstrate the workflow."),
	}, boardTR)
	s.note("Case %d: endorsed and censure attached by the board (illustrative) on %s.", b, day(on(11, 17, 9, 0)))
	s.advance(boardQA, on(11, 17, 11, 0), b, "published", demoText("Al Jazeera; AFP via India Today; WE News", "Published (illustrative): the finding, the reply, the endorsement and the penalty are public."))
	return b
}

// lateNovember files the Peshawar attack (never answered), the strikes in
// Khost (answered and left in preliminary assessment), and a Pakistani
// action with a mediator's check. It returns the Peshawar case.
func (s *scenario) lateNovember() int64 {
	peshawar := s.report(liaisonPK, on(11, 24, 12, 0), &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-11-24T03:11:00Z", Precision: "exact"},
		Place:     noCoords("Federal Constabulary headquarters, Saddar, Peshawar", 2, pk("Khyber Pakhtunkhwa", "Peshawar")),
		EventType: "explosions_remote_violence", SubEventType: "suicide_bomb",
		Categories: []string{"attack_from_territory"},
		Actors: []mechanism.Actor{
			{ID: actorTTP, Label: "foreign-backed Fitna al-Khawarij", Role: "actor1"},
		},
		Casualties:  sides(forces(killedCombatant, "pakistan", 3, 3, 3), fighters(killedCombatant, actorTTP, 3, 3, 3)),
		Observation: &mechanism.Observation{Method: "camera"},
		Origin:      &mechanism.Origin{Territory: "afghanistan"},
		Clauses:     []string{"c4"},
		Summary:     "[Demo] 24 November, 08:11 PKT: two suicide bombers and a gunman attack the Federal Constabulary headquarters in Peshawar.",
		Text: demoText("Reuters via The Straits Times; Daily Pakistan; Al Jazeera via News.az",
			"A first blast at the main gate at about 08:11 PKT (CCTV), a second bomber inside near the motorcycle stand, then a gunman. Police and Reuters: "+
				"3 Federal Constabulary personnel killed and all three attackers killed; the figures above give each side its own. Injured: 5, 10–11 or 12 by source, "+
				"civilians and personnel not told apart, so left out of the figures. PTV said the attackers were Afghan nationals; President Zardari blamed the "+
				"\"foreign-backed Fitna al-Khawarij\". Jamaat-ul-Ahrar, a TTP splinter, claimed it (via Al Jazeera). Coordinates are not confirmed by a cited "+
				"source and are left out."),
	})
	khost := s.report(liaisonAF, on(11, 25, 6, 0), &mechanism.Report{
		Channel: "party", Accused: "pakistan",
		Event:     mechanism.EventTime{Time: "2025-11-24T19:30:00Z", Precision: "exact"},
		Place:     place("Mughalgai, Gurbuz district", 33.20, 70.05, 2, af("Khost", "Gurbuz")),
		EventType: "explosions_remote_violence", SubEventType: "air_drone_strike",
		Categories: []string{"air_or_drone_strike"},
		Actors: []mechanism.Actor{
			{ID: actorPakistani, Label: "Pakistani invading forces", Role: "actor1"},
		},
		Casualties: sides(
			civilians(killedCivilian, "AF", 10, 10, 10),
			civilians(injuredCivilian, "AF", 4, 4, 4),
		),
		Observation: &mechanism.Observation{Method: "seen"},
		Origin:      &mechanism.Origin{Territory: "pakistan"},
		Clauses:     []string{"c3"},
		Summary:     "[Demo] Night of 24/25 November: a house bombed in Gurbuz, Khost; 9 children and a woman killed; strikes also in Kunar and Paktika (Afghan account).",
		Text: demoText("Shafaq News; Arab News; News.az; Al Jazeera",
			"Spokesman Zabihullah Mujahid: \"the Pakistani invading forces bombed the house of a local civilian resident, Waliat Khan, son of Qazi Mir\"; 9 "+
				"children (5 boys, 4 girls) and 1 woman killed; 4 civilians injured in Kunar and Paktika. About midnight AFT (19:30 GMT, per Al Jazeera). Kunar "+
				"residents reported explosions at Marwara and Asadabad. Coordinates derived from Khost city and Gurbuz's place on the border (district level)."),
	})
	action := s.file(mechanism.KindAction, liaisonPK, on(11, 25, 12, 0), &mechanism.Action{
		Group: &mechanism.Actor{ID: actorTTP, Label: "Khwarij", Role: "actor2"},
		Place: ptr(noCoords("Bannu district", 3, pk("Khyber Pakhtunkhwa", "Bannu"))),
		Time:  "2025-11-24T00:00:00Z",
		Text: demoText("Arab News Pakistan",
			"ISPR, 25 November: in an operation in Bannu district \"twenty two Khwarij were sent to hell\"; the statement calls them an \"Indian proxy\". "+
				"The ISPR also said 206 militants had been killed in Khyber Pakhtunkhwa and Balochistan \"since November 4\" (PTV)."),
	})
	s.reply(liaisonPK, on(11, 25, 14, 0), &mechanism.Reply{
		Case: khost, Position: "denies",
		Text: demoText("Siasat; TRT World; ARY News",
			"DG ISPR Lt Gen Ahmed Sharif Chaudhry, 25 November: \"Pakistan Army has not attacked civilians inside Afghanistan… Whenever Pakistan attacks "+
				"someone, it announces it\". He called the claims \"baseless\"; the \"war is against terrorists, not the Afghans\"; no talks until Kabul takes "+
				"\"verifiable\" action."),
	})
	s.file(mechanism.KindAction, investigatorQA, on(11, 26, 9, 0), &mechanism.Action{
		Verifies: ptr(action), Result: "inconclusive",
		Text: demoText("Arab News Pakistan",
			"ILLUSTRATIVE check: the only source is the ISPR's own statement; no mediator or monitor had access to the area, and no independent account was found."),
	})
	s.note("Action %d by pakistan (Bannu, 24 November), checked by qatar: inconclusive (illustrative).", action)
	s.advance(investigatorTR, on(11, 26, 10, 0), khost, "preliminary", demoText("Shafaq News; Arab News",
		"Preliminary assessment (illustrative): an alleged air strike after the ceasefire, which Pakistan denies; clause c3."))
	return peshawar
}

// chamanSpinBoldak files the two sides' accounts of the night of 5–6
// December 2025 at Chaman and Spin Boldak, each saying the other fired
// first, and Pakistan's account filed again at another time. The monitors
// first link the two accounts as merely related, undo that, and link them
// as counter-claims about one night; the re-filing, which the mechanism
// flags to Pakistan and the monitors as a possible duplicate, they link
// as a duplicate of the first, so that it is counted once.
func (s *scenario) chamanSpinBoldak() {
	pakistan := func(event string) *mechanism.Report {
		return &mechanism.Report{
			Channel: "party", Accused: "afghanistan",
			Event:     mechanism.EventTime{Time: event, Precision: "exact"},
			Place:     place("Badani area, Chaman", 30.92, 66.45, 2, pk("Balochistan", "Chaman")),
			EventType: "explosions_remote_violence", SubEventType: "shelling_artillery_missile_attack",
			Categories: []string{"cross_border_fire"},
			Actors:     []mechanism.Actor{{ID: actorAfghan, Label: "Afghan Taliban regime forces", Role: "actor1"}},
			Weapons:    []string{"mortar"},
			Origin:     &mechanism.Origin{Territory: "afghanistan"},
			Clauses:    []string{"c1"},
			Summary:    "[Demo] Night of 5 December: Afghan forces fired mortars into the Badani area near Chaman from about 22:00 PKT (Pakistani account).",
			Text: demoText("press reports of 6 December 2025",
				"Pakistan's account: unprovoked fire, mortars included, from the Afghan side into the Badani area of Chaman from about 22:00 Pakistan time; Pakistani forces responded. Coordinates of Chaman (near it)."),
		}
	}
	pk1 := s.report(liaisonPK, on(12, 6, 5, 0), pakistan("2025-12-05T17:00:00Z"))
	af1 := s.report(liaisonAF, on(12, 6, 6, 0), &mechanism.Report{
		Channel: "party", Accused: "pakistan",
		Event:     mechanism.EventTime{Time: "2025-12-05T18:00:00Z", Precision: "exact"},
		Place:     place("Spin Boldak", 31.005, 66.398, 2, af("Kandahar", "Spin Boldak")),
		EventType: "battles", SubEventType: "armed_clash",
		Categories: []string{"cross_border_fire"},
		Actors:     []mechanism.Actor{{ID: actorPakistani, Label: "Pakistani military regime", Role: "actor1"}},
		Origin:     &mechanism.Origin{Territory: "pakistan"},
		Clauses:    []string{"c1"},
		Summary:    "[Demo] Night of 5 December: Pakistani forces attacked Spin Boldak from about 22:30 AFT (Afghan account).",
		Text: demoText("press reports of 6 December 2025",
			"Afghanistan's account: Pakistani forces began attacks on Spin Boldak at about 22:30 Afghanistan time, and Afghan forces responded. Coordinates of Spin Boldak (near it)."),
	})
	s.file(mechanism.KindCaseLink, fieldMonitor, on(12, 6, 7, 0), &mechanism.CaseLink{Case: pk1, Other: af1, Relation: mechanism.RelationRelated,
		Text: "Fire across the border at Chaman and Spin Boldak on the night of 5 December."})
	s.file(mechanism.KindCaseUnlink, fieldMonitor, on(12, 6, 7, 30), &mechanism.CaseUnlink{Case: pk1, Other: af1,
		Text: "Linked in haste as related: the two cases are each side's account of one exchange of fire, and are linked again as counter-claims."})
	s.file(mechanism.KindCaseLink, fieldMonitor, on(12, 6, 7, 35), &mechanism.CaseLink{Case: pk1, Other: af1, Relation: mechanism.RelationCounterClaim,
		Text: "One exchange of fire across the border at Chaman and Spin Boldak, night of 5–6 December 2025; each side says the other fired first."})
	again := s.report(liaisonPK, on(12, 6, 9, 0), pakistan("2025-12-05T17:15:00Z"))
	s.file(mechanism.KindCaseLink, fieldMonitor, on(12, 6, 10, 0), &mechanism.CaseLink{Case: again, Other: pk1, Relation: mechanism.RelationDuplicate, Stands: ptr(pk1),
		Text: "Pakistan filed its account of the night of 5 December again, with a quarter of an hour later as the time: one event, counted once."})
	s.note("Cases %d (pakistan) and %d (afghanistan) linked as counter-claims about the night of 5 December; case %d, a re-filing, linked as a duplicate of case %d.", pk1, af1, again, pk1)
}

// publish files the hash of a periodic summary built from what the scenario
// filed.
func (s *scenario) publish() {
	if s.err != nil {
		return
	}
	var b strings.Builder
	b.WriteString("sulh demo: periodic summary, 19 October – 30 November 2025\n\n")
	b.WriteString("DEMO, built from public reporting (Dawn, The News, Al Jazeera, AFP, Reuters, Arab News, Tolo News, Shafaq News and others).\n")
	b.WriteString("The rounds of talks, the crossings' closures and each side's claims come from the public record; the findings, penalties,\n")
	b.WriteString("the board's acts and the mediators' checks are illustrative. No joint monitoring mechanism operated in 2025.\n\n")
	for _, l := range s.digest {
		b.WriteString("- " + l + "\n")
	}
	b.WriteString("\nAfghanistan's Deputy Prime Minister Mullah Abdul Ghani Baradar told traders on 12 November to find alternatives to routes\n")
	b.WriteString("through Pakistan within three months (Arab News). Torkham stayed closed to trade through November.\n")
	text := b.String()
	sum := sha256.Sum256([]byte(text))
	s.story.Summary = text
	s.story.Publication = s.file(mechanism.KindPublication, investigatorQA, on(12, 1, 9, 0), &mechanism.Publication{
		Title:  "Demo periodic summary, 19 October – 30 November 2025",
		SHA256: hex.EncodeToString(sum[:]),
		Size:   int64(len(text)),
		From:   ts(Start), To: "2025-12-01T00:00:00Z",
	})
}

// Jamaat-ul-Ahrar, a TTP splinter, as the registry of actors names it.
const actorJuA = "jamaat-ul-ahrar"

// g11 files, after the periodic summary and for the record, the suicide
// bombing at the G-11 district courts in Islamabad on 11 November 2025:
// Pakistan's allegation, Kabul's reply (it condemns the attack and
// rejects the charge), the two armed groups in the registry of actors,
// Jamaat-ul-Ahrar's claim, a commander's retraction of it and the TTP's
// denial, as the monitors recorded them. It returns the case.
func (s *scenario) g11() int64 {
	const sources = "Reuters; Al Jazeera; Dawn"
	c := s.report(liaisonPK, on(12, 2, 9, 0), &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-11-11T07:39:00Z", Precision: "exact"},
		Place:     noCoords("District courts, G-11, Islamabad", 1, pk("Islamabad Capital Territory")),
		EventType: "explosions_remote_violence", SubEventType: "suicide_bomb",
		Categories: []string{"attack_from_territory"},
		Actors: []mechanism.Actor{
			{ID: actorTTP, Label: "Fitna al-Khawarij", Role: "actor1"},
		},
		Casualties:  sides(civilians(killedCivilian, "PK", 12, 12, 12)),
		Observation: &mechanism.Observation{Method: "camera"},
		Origin:      &mechanism.Origin{Territory: "afghanistan"},
		Clauses:     []string{"c4"},
		Summary:     "[Demo] 11 November, 12:39 PKT: a suicide bombing at the G-11 district courts in Islamabad kills 12; Pakistan blames militants operating from Afghan soil.",
		Text: demoText(sources,
			"Filed late, for the record. A suicide bomber blew himself up beside a police vehicle at the gate of the district courts in G-11; 12 killed. "+
				"Pakistan's government blamed militants it says operate from Afghan soil. Coordinates are not confirmed by a cited source and are left out."),
	})
	s.file(mechanism.KindActor, fieldMonitor, on(12, 2, 9, 5), &mechanism.ActorEntry{
		ID: actorJuA, Type: mechanism.ActorArmedGroup,
		Names:   map[string]string{"en": "Jamaat-ul-Ahrar", "ur": "جماعت الاحرار"},
		Aliases: []string{"JuA", "Jamaat ul Ahrar"},
		Labels:  map[string]string{"pakistan": "Fitna al-Khawarij"},
		Note:    demoText(sources, "A splinter of the TTP. Pakistan calls the TTP and its splinters Fitna al-Khawarij."),
	})
	s.file(mechanism.KindActor, fieldMonitor, on(12, 2, 9, 6), &mechanism.ActorEntry{
		ID: actorTTP, Type: mechanism.ActorArmedGroup,
		Names:   map[string]string{"en": "Tehrik-i-Taliban Pakistan", "ur": "تحریک طالبان پاکستان"},
		Aliases: []string{"TTP", "Pakistani Taliban"},
		Labels:  map[string]string{"pakistan": "Fitna al-Khawarij"},
		Note:    demoText(sources, "The labels are those each party's own statements in this demo use."),
	})
	s.reply(liaisonAF, on(12, 2, 9, 10), &mechanism.Reply{
		Case: c, Positions: []string{"condemns", "rejects_charge"},
		Text: demoText(sources, "Kabul condemned the attack in Islamabad and rejected the charge that it was planned on Afghan soil."),
	})
	said := func(at time.Time, actor, position, speaker, words string) {
		s.file(mechanism.KindActorClaim, fieldMonitor, at, &mechanism.ActorClaim{
			Case: c, Actor: actor, Position: position, Speaker: speaker,
			Source: mechanism.ClaimSource{Medium: "news_report", Via: "Reuters",
				Time: mechanism.EventTime{Time: "2025-11-11T00:00:00Z", Precision: "day"}, Language: "en",
				Words: demoText(sources, "Paraphrased as reported, not the published words: "+words)},
		})
	}
	said(on(12, 2, 9, 15), actorJuA, mechanism.ClaimClaimed, "", "Jamaat-ul-Ahrar claimed the bombing.")
	said(on(12, 2, 9, 20), actorJuA, mechanism.ClaimRetracted, "a commander of Jamaat-ul-Ahrar", "one of the group's commanders then denied that it carried out the attack.")
	said(on(12, 2, 9, 25), actorTTP, mechanism.ClaimDenied, "", "the TTP denied any involvement.")
	return c
}

// places adds to the gazetteer two places that public reporting of
// November and December 2025 names and the embedded gazetteer lacks: the
// Badani area near Chaman (a monitor adds it) and the G-11 sector of
// Islamabad (a mediator does).
func (s *scenario) places() {
	s.file(mechanism.KindPlace, fieldMonitor, on(12, 1, 10, 0), &mechanism.AddedPlace{
		ID: "badani", Name: "Badani",
		Names:   map[string]string{"en": "Badani", "ur": "بادانی", "ps": "بادانی"},
		Aliases: []string{"Badani area", "Badanai"},
		Lat:     ptr(30.9), Lon: ptr(66.4), GeoPrecision: 2, Type: mechanism.PlaceArea,
		Admin: []mechanism.AdminUnit{pk("Balochistan", "Chaman")},
		Source: "An area of Chaman district (Killa Abdullah until 2021) near the Chaman crossing, which Pakistan's account of the night of " +
			"5-6 December 2025 names (Afghan mortars \"into the Badani area\"). Coordinates approximate, near 30.9N 66.4E, not read from a source: " +
			"check them. The Urdu and Pashto names are written from the Latin, not read.",
	})
	s.file(mechanism.KindPlace, investigatorQA, on(12, 1, 10, 30), &mechanism.AddedPlace{
		ID: "g-11", Name: "G-11",
		Names:   map[string]string{"en": "G-11", "ur": "جی الیون"},
		Aliases: []string{"G11", "Sector G-11", "G-11 Islamabad"},
		Lat:     ptr(33.668), Lon: ptr(72.999), GeoPrecision: 2, Type: mechanism.PlaceSector,
		Admin: []mechanism.AdminUnit{pk("Islamabad Capital Territory", "Islamabad")},
		Source: "Sector G-11 of Islamabad, where the judicial complex and the district courts are (The Nation, 1 November 2022; Pakistan Today, " +
			"7 January 2017). Coordinates approximate, the sector's middle, not read from a source. The Urdu name is written from the Latin.",
	})
}

// bothSidesAndOutOfScope files, after the publication, what rules 3 adds
// to the record: each side's own status of Torkham at the same hour, which
// differ and stand side by side, and the closing of the three cases about
// events before the ceasefire as out of scope.
func (s *scenario) bothSidesAndOutOfScope() {
	s.crossing(liaisonPK, on(12, 6, 11, 0), &mechanism.CrossingStatus{
		Crossing: crossingTorkham, Name: "Torkham", Status: mechanism.CrossingClosed, Since: "2025-12-06T05:00:00Z", SincePrecision: "exact",
		Text: demoText("illustrative", "[Demo, illustrative] The Khyber administration: the crossing is closed to all movement from 10:00 PKT."),
	})
	s.crossing(liaisonAF, on(12, 6, 11, 5), &mechanism.CrossingStatus{
		Crossing: crossingTorkham, Name: "Torkham", Status: mechanism.CrossingOpen, Since: "2025-12-06T05:00:00Z", SincePrecision: "exact",
		Text: demoText("illustrative", "[Demo, illustrative] Nangarhar's information department: the gate is open on the Afghan side from 09:30 AFT."),
	})
	for i, c := range s.beforeTruce {
		idx := s.file(mechanism.KindCaseClose, investigatorTR, on(12, 6, 12, 5*i), &mechanism.CaseClose{
			Case: c, Reason: mechanism.CloseBeforeTruce,
			Note: demoText("illustrative", "The event predates the Doha ceasefire of 19 October 2025: kept for the record, out of the mechanism's scope."),
		})
		if idx >= 0 {
			s.note("Case %d closed as out of scope: before the truce.", c)
		}
	}
}
