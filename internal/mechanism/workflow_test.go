package mechanism_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// t0 is the fixture's default statement time, at.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// after is the statement time d after t0.
func after(d time.Duration) string { return statement.FormatTime(t0.Add(d)) }

const (
	day    = 24 * time.Hour
	caseID = int64(5) // the case setUpCase opens
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// with returns base with the fields of each extra set over it; a nil value
// removes the field when the statement is built.
func with(base fields, extra ...fields) fields {
	out := fields{}
	for k, v := range base {
		out[k] = v
	}
	for _, e := range extra {
		for k, v := range e {
			out[k] = v
		}
	}
	return out
}

func fig(low, best, high int64) fields { return fields{"low": low, "best": best, "high": high} }

func place(extra fields) fields {
	return with(fields{
		"id": "torkham", "name": "Torkham", "lat": 34.1, "lon": 71.1, "geo_precision": 1,
		"admin": []fields{{"country": "PK", "admin1": "Khyber Pakhtunkhwa", "admin2": "Khyber"}, {"country": "AF", "admin1": "Nangarhar"}},
	}, extra)
}

func event(extra fields) fields {
	return with(fields{"time": "2025-03-01T06:00:00Z", "precision": "exact"}, extra)
}

func observation(extra fields) fields {
	return with(fields{"method": "seen", "observer": fields{"lat": 34.0, "lon": 71.0}, "bearing": 270.0, "distance": 1500.0}, extra)
}

func actor(extra fields) fields {
	return with(fields{"id": "b-army", "label": "Army of Party B", "role": "actor1"}, extra)
}

// fullReport is a report that uses every field: party-a accuses party-b of
// shelling Torkham.
func fullReport() fields {
	return fields{
		"channel":        "party",
		"source":         "village elder",
		"accused":        "party-b",
		"event":          event(nil),
		"place":          place(nil),
		"event_type":     "explosions_remote_violence",
		"sub_event_type": "shelling_artillery_missile_attack",
		"categories":     []string{"cross_border_fire"},
		"actors":         []fields{actor(nil), {"id": "villagers", "label": "Villagers of Torkham", "role": "actor2"}},
		"casualties":     fields{"killed": fields{"civilian": fig(2, 3, 5)}, "injured": fields{"civilian": fig(4, 6, 10), "combatant": fig(0, 1, 1)}},
		"weapons":        []string{"mortar", "artillery"},
		"observation":    observation(nil),
		"origin":         fields{"territory": "party-b", "place": "Hill 4"},
		"clauses":        []string{"no-shelling"},
		"evidence":       []string{sha("photo 1"), sha("photo 2")},
		"summary":        "Mortar fire on Torkham",
		"text":           "Five mortar shells fell on the village from the west.",
		"language":       "en",
	}
}

// sideCasualties are fullReport's figures as rules 3 files them, each
// saying whose it counts.
func sideCasualties() fields {
	return fields{"sides": []fields{
		with(fig(2, 3, 5), fields{"measure": "killed_civilian", "country": "PK"}),
		with(fig(4, 6, 10), fields{"measure": "injured_civilian", "country": "PK"}),
		with(fig(0, 1, 1), fields{"measure": "injured_combatant", "party": "pakistan"}),
	}}
}

// stmt is a statement of kind written by the first signer and signed by
// every signer.
func (f *fixture) stmt(kind string, fs fields, signers ...string) []byte {
	f.t.Helper()
	return f.sign(f.obj(kind, f.k(signers[0]).name, fs), signers...)
}

// report is a full report by author, on the channel of its body.
func (f *fixture) report(author string, extra fields) []byte {
	f.t.Helper()
	base := with(fullReport(), fields{"channel": f.channel(author)})
	if f.rules3() {
		base["casualties"] = sides3() // rules 3 wants every figure's side
	}
	return f.stmt(mechanism.KindReport, with(base, extra), author)
}

// rules3 reports whether the fixture's mechanism follows rules 3 or later.
func (f *fixture) rules3() bool {
	return f.st.Rulebook != nil && f.st.Rulebook.RulesVersion() >= mechanism.Rules3
}

// reply is party-b's answer with counter-figures.
func (f *fixture) reply(author string, c int64, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindReply, with(fields{
		"case": c, "position": "denies", "text": "Our forces did not fire that day.", "language": "ps",
		"actors":     []fields{{"id": "ttp", "label": "TTP", "role": "actor1"}},
		"casualties": f.replyFigures(),
		"evidence":   []string{sha("log book")},
	}, extra), author)
}

// replyFigures are a reply's counter-figures, with their side under rules 3.
func (f *fixture) replyFigures() fields {
	if f.rules3() {
		return fields{"sides": []fields{with(fig(0, 0, 1), fields{"measure": "killed_civilian", "country": "PK"})}}
	}
	return fields{"killed": fields{"civilian": fig(0, 0, 1)}}
}

func (f *fixture) advance(author string, c int64, to string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindCaseAdvance, with(fields{"case": c, "to": to, "note": "moving on"}, extra), author)
}

// finding attributes case c to party-b, signed by both mediators' admins
// unless signers are given.
func (f *fixture) finding(c int64, extra fields, signers ...string) []byte {
	f.t.Helper()
	if len(signers) == 0 {
		signers = []string{"admin-m1", "admin-m2"}
	}
	return f.stmt(mechanism.KindFinding, with(fields{
		"case": c, "outcome": mechanism.OutcomeAttributed, "party": "party-b", "confidence": "high",
		"rationale": "The craters face party-b's positions.", "clauses": []string{"no-shelling"}, "rulebook_version": 1,
	}, extra), signers...)
}

// endorse is the board's endorsement of a finding, by admin-board and bea
// unless signers are given.
func (f *fixture) endorse(c, finding int64, extra fields, signers ...string) []byte {
	f.t.Helper()
	if len(signers) == 0 {
		signers = []string{"admin-board", "bea"}
	}
	return f.stmt(mechanism.KindEndorsement, with(fields{"case": c, "finding": finding, "text": "Endorsed."}, extra), signers...)
}

// penalize censures party-b, by admin-board and bea unless signers are
// given.
func (f *fixture) penalize(c, finding int64, extra fields, signers ...string) []byte {
	f.t.Helper()
	if len(signers) == 0 {
		signers = []string{"admin-board", "bea"}
	}
	return f.stmt(mechanism.KindPenalty, with(fields{"case": c, "finding": finding, "penalty": "censure", "party": "party-b", "text": "Censured."}, extra), signers...)
}

// commitment is a party's undertaking due a day after t0.
func (f *fixture) commitment(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindCommitment, with(fields{
		"group": fields{"id": "ttp", "label": "TTP", "role": "associated"}, "place": place(nil),
		"deadline": after(day), "text": "We will remove the TTP camp.", "clauses": []string{"no-shelling"},
	}, extra), author)
}

// action is a party's action against the TTP.
func (f *fixture) action(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindAction, with(fields{
		"group": fields{"id": "ttp", "label": "TTP"}, "place": place(nil), "time": "2025-03-01T10:00:00Z",
		"text": "The camp was raided.", "evidence": []string{sha("raid")},
	}, extra), author)
}

// verification is a mediator's or monitor's check of the action at idx.
func (f *fixture) verification(author string, idx int64, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindAction, with(fields{"verifies": idx, "result": "confirmed", "text": "Seen on site.", "evidence": []string{sha("site")}}, extra), author)
}

func (f *fixture) crossing(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindCrossingStatus, with(fields{
		"crossing": "torkham", "name": "Torkham", "status": mechanism.CrossingRestricted,
		"allowed": []string{"refugees_leaving", "trucks"}, "since": "2025-03-01T00:00:00Z", "text": "Open to refugees only.",
	}, extra), author)
}

func (f *fixture) meeting(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindMeeting, with(fields{
		"round": 2, "place": "Istanbul", "start": "2025-03-01T08:00:00Z", "end": "2025-03-01T18:00:00Z",
		"bodies": []string{"party-a", "party-b", "mediator-1"}, "agenda": []int64{}, "outcome": "The parties agreed to meet again.",
	}, extra), author)
}

func (f *fixture) publication(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindPublication, with(fields{
		"title": "February report", "sha256": sha("report.pdf"), "size": 12345,
		"from": "2025-02-01T00:00:00Z", "to": "2025-02-28T23:59:59Z", "url": "https://example.org/reports/2025-02.pdf",
	}, extra), author)
}

// workflowSetup returns the statements of setUpWorkflow: the fixture's
// rulebook plus a monitors body (0), alice in party-a (1), bob in party-b
// (2), bea in the board (3) and mo in the monitors (4).
func workflowSetup(f *fixture) [][]byte {
	f.t.Helper()
	for _, n := range []string{"admin-mon", "bea", "mo"} {
		if _, ok := f.keys[n]; !ok {
			f.newKey(n, n)
		}
	}
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	return [][]byte{
		f.rulebookMsg(rb),
		f.enrolMsg("admin-a", "party-a", "alice"),
		f.enrolMsg("admin-b", "party-b", "bob"),
		f.enrolMsg("admin-board", "board", "bea"),
		f.enrolMsg("admin-mon", "monitors", "mo"),
	}
}

func setUpWorkflow(t *testing.T) *fixture {
	f := newFixture(t)
	for _, msg := range workflowSetup(f) {
		f.must(msg)
	}
	return f
}

// setUpCase is setUpWorkflow plus alice's full report against party-b at
// t0, which opens case 5.
func setUpCase(t *testing.T) *fixture {
	f := setUpWorkflow(t)
	f.must(f.report("alice", nil))
	return f
}

func (f *fixture) getCase(id int64) *mechanism.Case {
	f.t.Helper()
	c, ok := f.st.Case(id)
	if !ok {
		f.t.Fatalf("no case %d", id)
	}
	return c
}

// toStage moves case c forward to stage, at t0, filing what each stage
// needs on the way: a finding, the accused's reply, an endorsement.
func (f *fixture) toStage(c int64, stage string) {
	f.t.Helper()
	rb := f.st.Rulebook
	for {
		cs := f.getCase(c)
		if cs.Stage == stage {
			return
		}
		cur := rb.Stage(cs.Stage)
		if cur < 0 || cur == len(rb.Stages)-1 {
			f.t.Fatalf("case %d in stage %q cannot reach %q", c, cs.Stage, stage)
		}
		next := rb.Stages[cur+1]
		if rb.Stages[cur].Reply && cs.Accused != "" && (len(cs.Replies) == 0 || cs.Replies[len(cs.Replies)-1] < cs.Entered) {
			f.must(f.reply("bob", c, nil))
		}
		switch {
		case next.Requires == mechanism.KindFinding && cs.Finding < 0:
			f.must(f.finding(c, nil))
		case next.Requires == mechanism.KindEndorsement && cs.Endorsed < 0:
			f.must(f.endorse(c, cs.Finding, nil))
		}
		f.must(f.advance("admin-m1", c, next.ID, nil))
	}
}

// refuseW submits msg and checks the refusal like refuse, and also that
// Apply reports no change.
func (f *fixture) refuseW(msg []byte, code statement.Code, want ...string) {
	f.t.Helper()
	before := f.snapshot()
	st, err := f.st.Open(msg)
	applied := err == nil
	if applied {
		_, err = f.st.Apply(st)
	}
	wantError(f.t, err, code, want...)
	if n := len(f.st.ChangedCases()) + len(f.st.ChangedDeadlines()) + len(f.st.Subjects()) + len(f.st.Changed()); applied && (n != 0 || f.st.Payload() != nil) {
		f.t.Errorf("a refused statement reports changes: cases %v, deadlines %v, subjects %v, payload %v",
			caseIDs(f.st.ChangedCases()), deadlineNames(f.st.ChangedDeadlines()), f.st.Subjects(), f.st.Payload())
	}
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		f.t.Errorf("a refused statement changed the state:\nbefore %+v\nafter  %+v", before, after)
	}
	f.must(f.reportMsg("admin-m1", "still working"))
}

type wcase struct {
	name  string
	setup func(f *fixture)
	msg   func(f *fixture) []byte
	code  statement.Code
	want  []string
}

const (
	inv  = statement.CodeInvalid
	forb = statement.CodeForbidden
	malf = statement.CodeMalformed
)

// runRefusals runs each case on setUpCase, after its setup, in parallel.
func runRefusals(t *testing.T, tests []wcase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setUpCase(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			f.refuseW(tt.msg(f), tt.code, tt.want...)
		})
	}
}

// rep is a report by alice with extra fields.
func rep(extra fields) func(f *fixture) []byte {
	return func(f *fixture) []byte { return f.report("alice", extra) }
}

func long(n int) string { return strings.Repeat("x", n) }

func TestReportRefusals(t *testing.T) {
	many := func(n int, item func(i int) any) []any {
		var out []any
		for i := range n {
			out = append(out, item(i))
		}
		return out
	}
	runRefusals(t, []wcase{
		{name: "by a founder", msg: func(f *fixture) []byte { return f.report("founder-1", nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file report statements`}},
		{name: "unknown field", msg: rep(fields{"severity": "high"}), code: malf, want: []string{"invalid report statement", "severity"}},
		{name: "count as a string", msg: rep(fields{"casualties": fields{"killed": fields{"civilian": fields{"low": "1"}}}}), code: malf, want: []string{"invalid report statement"}},
		{name: "unknown channel", msg: rep(fields{"channel": "radio"}), code: inv, want: []string{`report: channel: "radio" is not one of`}},
		{name: "no channel", msg: rep(fields{"channel": nil}), code: inv, want: []string{`report: channel: "" is not one of`}},
		{name: "party channel by a mediator", msg: func(f *fixture) []byte { return f.report("admin-m1", fields{"channel": "party"}) },
			code: forb, want: []string{`report: channel "party" is for members of a party body; "mediator-1" is a mediator`}},
		{name: "party channel by a monitor", msg: func(f *fixture) []byte { return f.report("mo", fields{"channel": "party"}) },
			code: forb, want: []string{`channel "party" is for members of a party body; "monitors" is a monitor`}},
		{name: "mediator channel by a party", msg: rep(fields{"channel": "mediator"}),
			code: forb, want: []string{`report: channel "mediator" is for members of a mediator body; "party-a" is a party`}},
		{name: "mediator channel by a monitor", msg: func(f *fixture) []byte { return f.report("mo", fields{"channel": "mediator"}) },
			code: forb, want: []string{`channel "mediator" is for members of a mediator body; "monitors" is a monitor`}},
		{name: "public channel by a party", msg: rep(fields{"channel": "public"}),
			code: forb, want: []string{`report: channel "public" is for monitors and mediators; "party-a" is a party`}},
		{name: "ngo channel by the board", msg: func(f *fixture) []byte { return f.report("bea", fields{"channel": "ngo"}) },
			code: forb, want: []string{`channel "ngo" is for monitors and mediators; "board" is a board`}},
		{name: "monitor channel by a party", msg: rep(fields{"channel": "monitor"}),
			code: forb, want: []string{`channel "monitor" is for monitors and mediators; "party-a" is a party`}},
		{name: "long source", msg: rep(fields{"source": long(201)}), code: inv, want: []string{"report: source: must be at most 200 bytes"}},
		{name: "accused is a mediator", msg: rep(fields{"accused": "mediator-1"}), code: inv, want: []string{`report: accused: "mediator-1" is not a party of this mechanism`}},
		{name: "accused is unknown", msg: rep(fields{"accused": "party-z"}), code: inv, want: []string{`report: accused: "party-z" is not a party`}},
		{name: "a party accuses itself", msg: func(f *fixture) []byte { return f.report("bob", fields{"origin": nil}) },
			code: inv, want: []string{"report: accused: a party cannot accuse itself"}},
		{name: "unknown precision", msg: rep(fields{"event": event(fields{"precision": "hour"})}), code: inv, want: []string{`report: event.precision: "hour" is not one of [exact day week month]`}},
		{name: "impossible date", msg: rep(fields{"event": event(fields{"time": "2025-02-30T00:00:00Z"})}),
			code: inv, want: []string{"report: event.time:", `"2025-02-30T00:00:00Z" is not an RFC 3339 time`, "day out of range"}},
		{name: "hour 24", msg: rep(fields{"event": event(fields{"time": "2025-03-01T24:00:00Z"})}),
			code: inv, want: []string{"report: event.time:", "hour out of range"}},
		{name: "event time with an offset", msg: rep(fields{"event": event(fields{"time": "2025-03-01T06:00:00+05:00"})}),
			code: inv, want: []string{"report: event.time:", "is not in UTC"}},
		{name: "no event time", msg: rep(fields{"event": event(fields{"time": nil})}), code: inv, want: []string{"report: event.time: time is missing"}},
		{name: "event time before 1970", msg: rep(fields{"event": event(fields{"time": "1899-12-31T00:00:00Z"})}),
			code: inv, want: []string{"report: event.time:", "out of range"}},
		{name: "event after the statement", msg: rep(fields{"event": event(fields{"time": "2025-03-01T12:00:01Z"})}),
			code: inv, want: []string{"report: event.time: 2025-03-01T12:00:01Z is after the statement's own time"}},
		{name: "place id", msg: rep(fields{"place": place(fields{"id": "Torkham Gate"})}), code: inv, want: []string{`report: place.id: "Torkham Gate" is not an identifier`}},
		{name: "no place name", msg: rep(fields{"place": place(fields{"name": nil})}), code: inv, want: []string{"report: place.name: is required"}},
		{name: "long place name", msg: rep(fields{"place": place(fields{"name": long(201)})}), code: inv, want: []string{"report: place.name: must be at most 200 bytes"}},
		{name: "lat without lon", msg: rep(fields{"place": place(fields{"lon": nil})}), code: inv, want: []string{"report: place: lat and lon go together"}},
		{name: "lat 91", msg: rep(fields{"place": place(fields{"lat": 91.0})}), code: inv, want: []string{"report: place: latitude must be within ±90 and longitude within ±180"}},
		{name: "lon -181", msg: rep(fields{"place": place(fields{"lon": -181.0})}), code: inv, want: []string{"report: place: latitude must be within"}},
		{name: "geo precision 0", msg: rep(fields{"place": place(fields{"geo_precision": 0})}), code: inv, want: []string{"report: place.geo_precision: must be 1"}},
		{name: "geo precision 4", msg: rep(fields{"place": place(fields{"geo_precision": 4})}), code: inv, want: []string{"report: place.geo_precision:"}},
		{name: "five admin units", msg: rep(fields{"place": place(fields{"admin": many(5, func(int) any { return fields{"country": "PK"} })})}),
			code: inv, want: []string{"report: place.admin: at most 4 units"}},
		{name: "lower-case country", msg: rep(fields{"place": place(fields{"admin": []fields{{"country": "pk"}}})}),
			code: inv, want: []string{`report: place.admin.country: "pk" is not an ISO 3166-1 alpha-2 code`}},
		{name: "long admin unit", msg: rep(fields{"place": place(fields{"admin": []fields{{"country": "PK", "admin3": long(201)}}})}),
			code: inv, want: []string{"report: place.admin: must be at most 200 bytes"}},
		{name: "unknown ACLED event type", msg: rep(fields{"event_type": "shelling"}), code: inv, want: []string{`report: event_type: "shelling" is not one of ACLED's event types`}},
		{name: "sub-event type of another type", msg: rep(fields{"event_type": "battles", "sub_event_type": "grenade"}),
			code: inv, want: []string{`report: sub_event_type: "grenade" is not a sub-event type of "battles"`}},
		{name: "no sub-event type", msg: rep(fields{"sub_event_type": nil}), code: inv, want: []string{`report: sub_event_type: "" is not a sub-event type of "explosions_remote_violence"`}},
		{name: "unknown category", msg: rep(fields{"categories": []string{"cross_border_fire", "drone_strike"}}),
			code: inv, want: []string{`report: categories: "drone_strike" is not one of the rulebook's categories`}},
		{name: "category twice", msg: rep(fields{"categories": []string{"incursion", "incursion"}}),
			code: inv, want: []string{`report: categories: "incursion" must be a unique identifier`}},
		{name: "33 categories", msg: rep(fields{"categories": many(33, func(i int) any { return "c" + string(rune('a'+i%26)) + string(rune('a'+i/26)) })}),
			code: inv, want: []string{"report: categories: at most 32 items"}},
		{name: "33 actors", msg: rep(fields{"actors": many(33, func(int) any { return actor(nil) })}), code: inv, want: []string{"report: actors: at most 32 items"}},
		{name: "actor id", msg: rep(fields{"actors": []fields{actor(fields{"id": "B Army"})}}), code: inv, want: []string{`report: actors.id: "B Army" is not an identifier`}},
		{name: "actor without label", msg: rep(fields{"actors": []fields{actor(fields{"label": nil})}}), code: inv, want: []string{"report: actors.label: is required"}},
		{name: "actor role", msg: rep(fields{"actors": []fields{actor(fields{"role": "victim"})}}), code: inv, want: []string{`report: actors.role: "victim" is not one of [actor1 actor2 associated]`}},
		{name: "negative casualties", msg: rep(fields{"casualties": fields{"killed": fields{"civilian": fig(-1, 0, 1)}}}),
			code: inv, want: []string{"report: casualties.killed_civilian: counts cannot be negative"}},
		{name: "negative high", msg: rep(fields{"casualties": fields{"injured": fields{"combatant": fig(0, 0, -3)}}}),
			code: inv, want: []string{"report: casualties.injured_combatant: counts cannot be negative"}},
		{name: "low above best", msg: rep(fields{"casualties": fields{"killed": fields{"combatant": fig(5, 3, 6)}}}),
			code: inv, want: []string{"report: casualties.killed_combatant: must have low ≤ best ≤ high (got 5, 3, 6)"}},
		{name: "best above high", msg: rep(fields{"casualties": fields{"injured": fields{"civilian": fig(0, 2, 1)}}}),
			code: inv, want: []string{"report: casualties.injured_civilian: must have low ≤ best ≤ high (got 0, 2, 1)"}},
		{name: "over a million", msg: rep(fields{"casualties": fields{"killed": fields{"civilian": fig(0, 0, 1_000_001)}}}),
			code: inv, want: []string{"report: casualties.killed_civilian: at most 1000000"}},
		{name: "weapon", msg: rep(fields{"weapons": []string{"AK 47"}}), code: inv, want: []string{`report: weapons: "AK 47" must be a unique identifier`}},
		{name: "observation method", msg: rep(fields{"observation": observation(fields{"method": "radar"})}), code: inv, want: []string{`report: observation.method: "radar" is not one of`}},
		{name: "observer off the globe", msg: rep(fields{"observation": observation(fields{"observer": fields{"lat": 100.0, "lon": 0.0}})}),
			code: inv, want: []string{"report: observation.observer: latitude must be within"}},
		{name: "bearing 360", msg: rep(fields{"observation": observation(fields{"bearing": 360.0})}), code: inv, want: []string{"report: observation.bearing: must be in degrees"}},
		{name: "negative bearing", msg: rep(fields{"observation": observation(fields{"bearing": -1.0})}), code: inv, want: []string{"report: observation.bearing:"}},
		{name: "negative distance", msg: rep(fields{"observation": observation(fields{"distance": -1.0})}), code: inv, want: []string{"report: observation.distance: must be in metres"}},
		{name: "distance over 1000 km", msg: rep(fields{"observation": observation(fields{"distance": 1e6 + 1})}), code: inv, want: []string{"report: observation.distance:"}},
		{name: "origin is not a party", msg: rep(fields{"origin": fields{"territory": "monitors"}}), code: inv, want: []string{`report: origin.territory: "monitors" is not a party`}},
		{name: "long origin place", msg: rep(fields{"origin": fields{"territory": "party-b", "place": long(201)}}), code: inv, want: []string{"report: origin.place: must be at most 200 bytes"}},
		{name: "unknown clause", msg: rep(fields{"clauses": []string{"no-drones"}}), code: inv, want: []string{`report: clauses: "no-drones" is not one of the rulebook's clauses`}},
		{name: "evidence not a hash", msg: rep(fields{"evidence": []string{"abc"}}), code: inv, want: []string{`report: evidence: "abc" must be a unique SHA-256 in lower-case hex`}},
		{name: "evidence in upper case", msg: rep(fields{"evidence": []string{strings.ToUpper(sha("x"))}}), code: inv, want: []string{"report: evidence:", "lower-case hex"}},
		{name: "evidence twice", msg: rep(fields{"evidence": []string{sha("x"), sha("x")}}), code: inv, want: []string{"report: evidence:", "must be a unique SHA-256"}},
		{name: "33 pieces of evidence", msg: rep(fields{"evidence": many(33, func(i int) any { return sha(string(rune('a' + i))) })}),
			code: inv, want: []string{"report: evidence: at most 32 items"}},
		{name: "no summary", msg: rep(fields{"summary": nil}), code: inv, want: []string{"report: summary: is required"}},
		{name: "long summary", msg: rep(fields{"summary": long(501)}), code: inv, want: []string{"report: summary: must be at most 500 bytes"}},
		{name: "long text", msg: rep(fields{"text": long(32<<10 + 1)}), code: inv, want: []string{"report: text: must be at most 32768 bytes"}},
		{name: "language name", msg: rep(fields{"language": "English"}), code: inv, want: []string{`report: language: "English" is not a language tag`}},
		{name: "language with underscore", msg: rep(fields{"language": "fa_AF"}), code: inv, want: []string{`report: language: "fa_AF"`}},
		{name: "no language", msg: rep(fields{"language": nil}), code: inv, want: []string{`report: language: "" is not a language tag`}},
		{name: "attached to no case", msg: rep(fields{"case": 99}), code: inv, want: []string{"report: case: there is no case 99"}},
		{name: "attached to an enrolment", msg: rep(fields{"case": 1}), code: inv, want: []string{"report: case: there is no case 1"}},
		{name: "attached, accusing another party", msg: func(f *fixture) []byte {
			return f.report("bob", fields{"case": caseID, "accused": "party-a", "origin": nil})
		}, code: inv, want: []string{`report: accused: a report added to case 5 accuses the case's party ("party-b") or none`}},
	})
}

func TestReplyRefusals(t *testing.T) {
	noAccused := func(f *fixture) { f.must(f.reportMsg("admin-m1", "no one accused")) } // case 6
	runRefusals(t, []wcase{
		{name: "by a party that was not accused", msg: func(f *fixture) []byte { return f.reply("alice", caseID, nil) },
			code: forb, want: []string{`reply: only the accused party may reply on case 5, and "party-a" is not accused in it`}},
		{name: "by the accused party's administrator of another body", msg: func(f *fixture) []byte { return f.reply("admin-m1", caseID, nil) },
			code: forb, want: []string{`only the accused party may reply on case 5, and "mediator-1" is not accused`}},
		{name: "on a case without an accused", setup: noAccused, msg: func(f *fixture) []byte { return f.reply("bob", 6, nil) },
			code: forb, want: []string{`only the accused party may reply on case 6, and "party-b" is not accused`}},
		{name: "by a founder", msg: func(f *fixture) []byte { return f.reply("founder-1", caseID, nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file reply statements`}},
		{name: "on no case", msg: func(f *fixture) []byte { return f.reply("bob", 99, nil) }, code: inv, want: []string{"reply: case: there is no case 99"}},
		{name: "unknown position", msg: func(f *fixture) []byte { return f.reply("bob", caseID, fields{"position": "rejects"}) },
			code: inv, want: []string{`reply: position: "rejects" is not one of [denies accepts partly_accepts no_comment]`}},
		{name: "no text", msg: func(f *fixture) []byte { return f.reply("bob", caseID, fields{"text": ""}) }, code: inv, want: []string{"reply: text: is required"}},
		{name: "bad language", msg: func(f *fixture) []byte { return f.reply("bob", caseID, fields{"language": "Pashto"}) },
			code: inv, want: []string{`reply: language: "Pashto" is not a language tag`}},
		{name: "bad actor", msg: func(f *fixture) []byte {
			return f.reply("bob", caseID, fields{"actors": []fields{{"id": "TTP", "label": "TTP"}}})
		},
			code: inv, want: []string{`reply: actors.id: "TTP" is not an identifier`}},
		{name: "negative casualties", msg: func(f *fixture) []byte {
			return f.reply("bob", caseID, fields{"casualties": fields{"injured": fields{"civilian": fig(0, -1, 0)}}})
		}, code: inv, want: []string{"reply: casualties.injured_civilian: counts cannot be negative"}},
		{name: "low above best", msg: func(f *fixture) []byte {
			return f.reply("bob", caseID, fields{"casualties": fields{"killed": fields{"civilian": fig(2, 1, 3)}}})
		}, code: inv, want: []string{"reply: casualties.killed_civilian: must have low ≤ best ≤ high"}},
		{name: "bad evidence", msg: func(f *fixture) []byte { return f.reply("bob", caseID, fields{"evidence": []string{"photo.jpg"}}) },
			code: inv, want: []string{`reply: evidence: "photo.jpg" must be a unique SHA-256`}},
		{name: "unknown field", msg: func(f *fixture) []byte { return f.reply("bob", caseID, fields{"mood": "angry"}) },
			code: malf, want: []string{"invalid reply statement", "mood"}},
	})
}

func TestAdvanceRefusals(t *testing.T) {
	to := func(stage string) func(f *fixture) { return func(f *fixture) { f.toStage(caseID, stage) } }
	adv := func(author, stage string, extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.advance(author, caseID, stage, extra) }
	}
	runRefusals(t, []wcase{
		{name: "by a founder", msg: adv("founder-1", "preliminary", nil), code: forb, want: []string{`"founder-1" belongs to no body and cannot file case.advance statements`}},
		{name: "no case", msg: func(f *fixture) []byte { return f.advance("admin-m1", 99, "preliminary", nil) }, code: inv, want: []string{"case.advance: case: there is no case 99"}},
		{name: "long note", msg: adv("admin-m1", "preliminary", fields{"note": long(32<<10 + 1)}), code: inv, want: []string{"case.advance: note: must be at most 32768 bytes"}},
		{name: "unknown stage", msg: adv("admin-m1", "appeal", nil), code: inv, want: []string{`case.advance: to: "appeal" is not a stage of the rulebook`}},
		{name: "skipping a stage", msg: adv("admin-m1", "investigation", nil),
			code: inv, want: []string{`case.advance: case 5 is in stage "received"; the next stage is "preliminary", and stages cannot be skipped or gone back to`}},
		{name: "skipping to the end", setup: to("preliminary"), msg: adv("admin-m1", "published", nil),
			code: inv, want: []string{`case 5 is in stage "preliminary"; the next stage is "investigation"`}},
		{name: "into the stage it is in", setup: to("preliminary"), msg: adv("admin-m1", "preliminary", nil),
			code: inv, want: []string{`case 5 is in stage "preliminary"; the next stage is "investigation"`}},
		{name: "going back", setup: to("investigation"), msg: adv("admin-m1", "preliminary", nil),
			code: inv, want: []string{`case 5 is in stage "investigation"; the next stage is "draft", and stages cannot be skipped or gone back to`}},
		{name: "back to the first stage", setup: to("draft"), msg: adv("admin-m1", "received", nil),
			code: inv, want: []string{`the next stage is "party_reply"`}},
		{name: "beyond the last stage", setup: to("published"), msg: adv("admin-m1", "received", nil),
			code: inv, want: []string{`case.advance: case 5 is already in the last stage, "published"`}},
		{name: "by a party", msg: adv("alice", "preliminary", nil),
			code: forb, want: []string{`case.advance: only [mediator] may move a case into stage "preliminary"; "party-a" may not`}},
		{name: "by the accused", msg: adv("bob", "preliminary", nil), code: forb, want: []string{`"party-b" may not`}},
		{name: "by a monitor", msg: adv("mo", "preliminary", nil), code: forb, want: []string{`only [mediator] may move`, `"monitors" may not`}},
		{name: "by another mediator than the one named", setup: func(f *fixture) {
			f.toStage(caseID, "party_reply")
			f.must(f.reply("bob", caseID, nil))
		}, msg: adv("admin-m2", "technical_committee", nil),
			code: forb, want: []string{`case.advance: only [mediator-1] may move a case into stage "technical_committee"; "mediator-2" may not`}},
		{name: "board into the board stage", setup: to("technical_committee"), msg: adv("bea", "board", nil),
			code: forb, want: []string{`only [mediator] may move a case into stage "board"; "board" may not`}},
		{name: "party_reply without a finding", setup: to("draft"), msg: adv("admin-m1", "party_reply", nil),
			code: inv, want: []string{`case.advance: stage "party_reply" needs a finding on case 5, and there is none`}},
		{name: "published without an endorsement", setup: to("board"), msg: adv("bea", "published", nil),
			code: inv, want: []string{`case.advance: stage "published" needs an endorsed finding on case 5, and the latest finding is not endorsed`}},
		{name: "leaving party_reply before the reply and its deadline", setup: to("party_reply"), msg: adv("admin-m1", "technical_committee", nil),
			code: inv, want: []string{`case.advance: [party-b] may reply on case 5 until 2025-03-04T12:00:00Z; the case cannot leave stage "party_reply" before then`}},
		{name: "leaving party_reply at the very deadline", setup: to("party_reply"), msg: adv("admin-m1", "technical_committee", fields{"at": after(72 * time.Hour)}),
			code: inv, want: []string{`may reply on case 5 until 2025-03-04T12:00:00Z`}},
		{name: "leaving party_reply after a reply filed before it", setup: func(f *fixture) {
			f.must(f.reply("bob", caseID, nil))
			f.toStage(caseID, "party_reply")
		}, msg: adv("admin-m1", "technical_committee", fields{"at": after(time.Hour)}),
			code: inv, want: []string{`the case cannot leave stage "party_reply" before then`}},
		{name: "unknown field", msg: adv("admin-m1", "preliminary", fields{"from": "received"}), code: malf, want: []string{"invalid case.advance statement", "from"}},
	})
}

// findingAt is the index of the first finding toStage files on case 5:
// preliminary (6), investigation (7), draft (8), finding (9), party_reply
// (10), reply (11), technical_committee (12), board (13).
const findingAt = int64(9)

// endorsed moves case 5 to the board stage and endorses its finding (14).
func endorsed(f *fixture) {
	f.toStage(caseID, "board")
	f.must(f.endorse(caseID, findingAt, nil))
}

func TestFindingRefusals(t *testing.T) {
	draft := func(f *fixture) { f.toStage(caseID, "draft") }
	find := func(extra fields, signers ...string) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.finding(caseID, extra, signers...) }
	}
	runRefusals(t, []wcase{
		{name: "on no case", setup: draft, msg: func(f *fixture) []byte { return f.finding(99, nil) }, code: inv, want: []string{"finding: case: there is no case 99"}},
		{name: "in the first stage", msg: find(nil),
			code: inv, want: []string{`finding: filed only while a case is in stage [draft technical_committee]; case 5 is in "received"`}},
		{name: "in party_reply", setup: func(f *fixture) { f.toStage(caseID, "party_reply") }, msg: find(nil),
			code: inv, want: []string{`case 5 is in "party_reply"`}},
		{name: "in the board stage", setup: func(f *fixture) { f.toStage(caseID, "board") }, msg: find(nil),
			code: inv, want: []string{`case 5 is in "board"`}},
		{name: "one mediator's signature", setup: draft, msg: find(nil, "admin-m1"),
			code: forb, want: []string{`finding: the "finding" quorum needs members of 2 of [mediator-1 mediator-2] and 2 signers in all; signers: 1, from 1 of those bodies`}},
		{name: "two signers of one mediator", setup: func(f *fixture) {
			f.must(f.enrolMsg("admin-m1", "mediator-1", "carol"))
			draft(f)
		}, msg: find(nil, "admin-m1", "carol"),
			code: forb, want: []string{`the "finding" quorum needs`, "signers: 2, from 1 of those bodies"}},
		{name: "a mediator and the board", setup: draft, msg: find(nil, "admin-m1", "admin-board"),
			code: forb, want: []string{"signers: 1, from 1 of those bodies"}},
		{name: "written by a party, signed by both mediators", setup: draft, msg: find(nil, "alice", "admin-m1", "admin-m2"),
			code: forb, want: []string{`finding: the author must be a member of [mediator-1 mediator-2]; "alice" is not one`}},
		{name: "unknown outcome", setup: draft, msg: find(fields{"outcome": "guilty"}),
			code: inv, want: []string{`finding: outcome: "guilty" is not one of [attributed not_attributable cleared]`}},
		{name: "not attributable, to a party", setup: draft, msg: find(fields{"outcome": mechanism.OutcomeNotAttributable}),
			code: inv, want: []string{"finding: party: a violation that is not attributable names no party"}},
		{name: "attributed to no one", setup: draft, msg: find(fields{"party": nil}),
			code: inv, want: []string{`finding: party: "" is not a party of this mechanism`}},
		{name: "clearing a mediator", setup: draft, msg: find(fields{"outcome": mechanism.OutcomeCleared, "party": "mediator-1"}),
			code: inv, want: []string{`finding: party: "mediator-1" is not a party`}},
		{name: "unknown confidence", setup: draft, msg: find(fields{"confidence": "certain"}),
			code: inv, want: []string{`finding: confidence: "certain" is not one of [low moderate high]`}},
		{name: "no rationale", setup: draft, msg: find(fields{"rationale": nil}), code: inv, want: []string{"finding: rationale: is required"}},
		{name: "unknown clause", setup: draft, msg: find(fields{"clauses": []string{"no-drones"}}),
			code: inv, want: []string{`finding: clauses: "no-drones" is not one of the rulebook's clauses`}},
		{name: "another rulebook version", setup: draft, msg: find(fields{"rulebook_version": 2}),
			code: inv, want: []string{"finding: rulebook_version: the finding applies version 2, but version 1 is in force"}},
		{name: "unknown field", setup: draft, msg: find(fields{"verdict": "x"}), code: malf, want: []string{"invalid finding statement", "verdict"}},
	})
}

func TestEndorsementRefusals(t *testing.T) {
	board := func(f *fixture) { f.toStage(caseID, "board") }
	runRefusals(t, []wcase{
		{name: "on no case", setup: board, msg: func(f *fixture) []byte { return f.endorse(99, findingAt, nil) }, code: inv, want: []string{"endorsement: case: there is no case 99"}},
		{name: "before the board stage", setup: func(f *fixture) { f.toStage(caseID, "technical_committee") },
			msg:  func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil) },
			code: inv, want: []string{"filed only while a case is in stage [board]", `case 5 is in "technical_committee"`}},
		{name: "a finding that is not the latest", setup: func(f *fixture) {
			f.toStage(caseID, "technical_committee")
			f.must(f.finding(caseID, fields{"confidence": "moderate"})) // 13
			f.toStage(caseID, "board")
		}, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil) },
			code: inv, want: []string{"endorsement: finding: 9 is not the latest finding on case 5"}},
		{name: "the report, not a finding", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, caseID, nil) },
			code: inv, want: []string{"endorsement: finding: 5 is not the latest finding on case 5"}},
		{name: "twice", setup: endorsed, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil) },
			code: inv, want: []string{"endorsement: finding: the finding at 9 was already endorsed at index 14"}},
		{name: "one board signer when two are needed", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil, "admin-board") },
			code: forb, want: []string{`the "endorsement" quorum needs members of 1 of [board] and 2 signers in all; signers: 1, from 1 of those bodies`}},
		{name: "a board signer and a mediator", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil, "bea", "admin-m1") },
			code: forb, want: []string{`the "endorsement" quorum needs`, "signers: 1"}},
		{name: "by the mediators", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, nil, "admin-m1", "admin-m2") },
			code: forb, want: []string{`endorsement: the author must be a member of [board]; "admin-m1" is not one`}},
		{name: "long text", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, fields{"text": long(32<<10 + 1)}) },
			code: inv, want: []string{"endorsement: text: must be at most 32768 bytes"}},
		{name: "finding as a string", setup: board, msg: func(f *fixture) []byte { return f.endorse(caseID, findingAt, fields{"finding": "9"}) },
			code: malf, want: []string{"invalid endorsement statement"}},
	})
}

func TestPenaltyRefusals(t *testing.T) {
	pen := func(finding int64, extra fields, signers ...string) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.penalize(caseID, finding, extra, signers...) }
	}
	withFinding := func(extra fields) func(f *fixture) {
		return func(f *fixture) {
			f.toStage(caseID, "draft")
			f.must(f.finding(caseID, extra))
			endorsed(f)
		}
	}
	runRefusals(t, []wcase{
		{name: "on no case", setup: endorsed, msg: func(f *fixture) []byte { return f.penalize(99, findingAt, nil) }, code: inv, want: []string{"penalty: case: there is no case 99"}},
		{name: "on a case without a finding", msg: pen(-1, nil),
			code: inv, want: []string{"penalty: finding: a penalty attaches only to an endorsed finding, and -1 is not the endorsed finding of case 5"}},
		{name: "on an unendorsed finding", setup: func(f *fixture) { f.toStage(caseID, "board") }, msg: pen(findingAt, nil),
			code: inv, want: []string{"penalty: finding: a penalty attaches only to an endorsed finding, and 9 is not the endorsed finding of case 5"}},
		{name: "on another index than the endorsed finding", setup: endorsed, msg: pen(14, nil),
			code: inv, want: []string{"and 14 is not the endorsed finding of case 5"}},
		{name: "on a not_attributable finding", setup: withFinding(fields{"outcome": mechanism.OutcomeNotAttributable, "party": nil}), msg: pen(findingAt, nil),
			code: inv, want: []string{"penalty: finding: the finding of case 5 attributes no violation (not_attributable)"}},
		{name: "on a finding that clears", setup: withFinding(fields{"outcome": mechanism.OutcomeCleared}), msg: pen(findingAt, nil),
			code: inv, want: []string{"attributes no violation (cleared)"}},
		{name: "for the wrong party", setup: endorsed, msg: pen(findingAt, fields{"party": "party-a"}),
			code: inv, want: []string{`penalty: party: the finding attributes the violation to "party-b", not "party-a"`}},
		{name: "unknown penalty", setup: endorsed, msg: pen(findingAt, fields{"penalty": "fine"}),
			code: inv, want: []string{`penalty: penalty: "fine" is not one of the rulebook's penalties`}},
		{name: "one board signer", setup: endorsed, msg: pen(findingAt, nil, "bea"),
			code: forb, want: []string{`penalty: the "penalty" quorum needs members of 1 of [board] and 2 signers in all; signers: 1`}},
		{name: "by the mediators", setup: endorsed, msg: pen(findingAt, nil, "admin-m1", "admin-m2"),
			code: forb, want: []string{`penalty: the author must be a member of [board]; "admin-m1" is not one`}},
		{name: "long text", setup: endorsed, msg: pen(findingAt, fields{"text": long(32<<10 + 1)}), code: inv, want: []string{"penalty: text: must be at most 32768 bytes"}},
		{name: "unknown field", setup: endorsed, msg: pen(findingAt, fields{"amount": 100}), code: malf, want: []string{"invalid penalty statement", "amount"}},
	})
}

func TestCommitmentRefusals(t *testing.T) {
	com := func(extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.commitment("alice", extra) }
	}
	runRefusals(t, []wcase{
		{name: "by a mediator", msg: func(f *fixture) []byte { return f.commitment("admin-m1", nil) },
			code: forb, want: []string{`commitment statements are filed by members of a body of type [party]; "mediator-1" is a mediator`}},
		{name: "by a founder", msg: func(f *fixture) []byte { return f.commitment("founder-1", nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file commitment statements`}},
		{name: "group id", msg: com(fields{"group": fields{"id": "TTP", "label": "TTP"}}), code: inv, want: []string{`commitment: group.id: "TTP" is not an identifier such as "ttp"`}},
		{name: "group without label", msg: com(fields{"group": fields{"id": "ttp"}}), code: inv, want: []string{"commitment: group.label: is required"}},
		{name: "group role", msg: com(fields{"group": fields{"id": "ttp", "label": "TTP", "role": "host"}}), code: inv, want: []string{`commitment: group.role: "host" is not one of`}},
		{name: "bad place", msg: com(fields{"place": place(fields{"geo_precision": 5})}), code: inv, want: []string{"commitment: place.geo_precision:"}},
		{name: "no deadline", msg: com(fields{"deadline": nil}), code: inv, want: []string{"commitment: deadline: time is missing"}},
		{name: "impossible deadline", msg: com(fields{"deadline": "2025-02-29T00:00:00Z"}), code: inv, want: []string{"commitment: deadline:", "day out of range"}},
		{name: "deadline at the statement's time", msg: com(fields{"deadline": at}), code: inv, want: []string{"commitment: deadline: must be after the log's time"}},
		{name: "deadline in the past", msg: com(fields{"deadline": "2025-02-01T00:00:00Z"}), code: inv, want: []string{"commitment: deadline: must be after"}},
		{name: "no text", msg: com(fields{"text": ""}), code: inv, want: []string{"commitment: text: is required"}},
		{name: "unknown clause", msg: com(fields{"clauses": []string{"no-drones"}}), code: inv, want: []string{`commitment: clauses: "no-drones" is not one of the rulebook's clauses`}},
		{name: "group as a string", msg: com(fields{"group": "ttp"}), code: malf, want: []string{"invalid commitment statement"}},
	})
}

func TestActionRefusals(t *testing.T) {
	// acts files alice's commitment (6), her action on it (7) and mo's
	// verification of that action (8).
	acts := func(f *fixture) {
		f.must(f.commitment("alice", nil))
		f.must(f.action("alice", fields{"commitment": 6}))
		f.must(f.verification("mo", 7, nil))
	}
	act := func(author string, extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.action(author, extra) }
	}
	verify := func(author string, idx int64, extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.verification(author, idx, extra) }
	}
	runRefusals(t, []wcase{
		{name: "by the board", msg: act("bea", nil),
			code: forb, want: []string{`action statements are filed by members of a body of type [party mediator monitor]; "board" is a board`}},
		{name: "no text", msg: act("alice", fields{"text": nil}), code: inv, want: []string{"action: text: is required"}},
		{name: "bad evidence", msg: act("alice", fields{"evidence": []string{"x"}}), code: inv, want: []string{`action: evidence: "x" must be a unique SHA-256`}},
		{name: "a mediator action without verifies", msg: act("admin-m1", nil),
			code: inv, want: []string{"action: verifies: mediators and monitors file actions only to verify a party's action"}},
		{name: "a monitor action without verifies", msg: act("mo", nil), code: inv, want: []string{"action: verifies: mediators and monitors file actions only"}},
		{name: "verifying a report", setup: acts, msg: verify("admin-m1", caseID, nil), code: inv, want: []string{"action: verifies: there is no party action at index 5"}},
		{name: "verifying a commitment", setup: acts, msg: verify("admin-m1", 6, nil), code: inv, want: []string{"there is no party action at index 6"}},
		{name: "verifying a verification", setup: acts, msg: verify("admin-m1", 8, nil), code: inv, want: []string{"there is no party action at index 8"}},
		{name: "verifying the future", setup: acts, msg: verify("admin-m1", 100, nil), code: inv, want: []string{"there is no party action at index 100"}},
		{name: "a verification with a group", setup: acts, msg: verify("mo", 7, fields{"group": fields{"id": "ttp", "label": "TTP"}}),
			code: inv, want: []string{"action: verifies: a verification carries only verifies, result, text and evidence"}},
		{name: "a verification with a commitment", setup: acts, msg: verify("mo", 7, fields{"commitment": 6}), code: inv, want: []string{"a verification carries only"}},
		{name: "a verification with a time", setup: acts, msg: verify("mo", 7, fields{"time": "2025-03-01T10:00:00Z"}), code: inv, want: []string{"a verification carries only"}},
		{name: "a verification with a place", setup: acts, msg: verify("mo", 7, fields{"place": place(nil)}), code: inv, want: []string{"a verification carries only"}},
		{name: "unknown result", setup: acts, msg: verify("mo", 7, fields{"result": "maybe"}),
			code: inv, want: []string{`action: result: "maybe" is not one of [confirmed not_confirmed inconclusive]`}},
		{name: "no result", setup: acts, msg: verify("mo", 7, fields{"result": nil}), code: inv, want: []string{`action: result: "" is not one of`}},
		{name: "a party action verifying", setup: acts, msg: act("bob", fields{"verifies": 7, "result": "not_confirmed"}),
			code: inv, want: []string{"action: verifies: a party reports its own actions; verification is for mediators and monitors"}},
		{name: "a party action with a result", msg: act("bob", fields{"result": "confirmed"}), code: inv, want: []string{"a party reports its own actions"}},
		{name: "on no commitment", msg: act("alice", fields{"commitment": caseID}), code: inv, want: []string{"action: commitment: there is no commitment at index 5"}},
		{name: "on another party's commitment", setup: acts, msg: act("bob", fields{"commitment": 6}),
			code: inv, want: []string{`action: commitment: the commitment at 6 is "party-a"'s, not "party-b"'s`}},
		{name: "no group", msg: act("alice", fields{"group": nil}), code: inv, want: []string{"action: group: is required"}},
		{name: "group without label", msg: act("alice", fields{"group": fields{"id": "ttp"}}), code: inv, want: []string{"action: group.label: is required"}},
		{name: "bad place", msg: act("alice", fields{"place": place(fields{"name": ""})}), code: inv, want: []string{"action: place.name: is required"}},
		{name: "no time", msg: act("alice", fields{"time": nil}), code: inv, want: []string{"action: time: time is missing"}},
		{name: "impossible time", msg: act("alice", fields{"time": "2025-02-30T10:00:00Z"}), code: inv, want: []string{"action: time:", "day out of range"}},
		{name: "time after the statement", msg: act("alice", fields{"time": "2025-03-01T13:00:00Z"}),
			code: inv, want: []string{"action: time: 2025-03-01T13:00:00Z is after the statement's own time"}},
		{name: "verifies as a list", msg: act("admin-m1", fields{"verifies": []int{7}}), code: malf, want: []string{"invalid action statement"}},
	})
}

func TestCrossingRefusals(t *testing.T) {
	cross := func(extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.crossing("mo", extra) }
	}
	runRefusals(t, []wcase{
		{name: "by a mediator", msg: func(f *fixture) []byte { return f.crossing("admin-m1", nil) },
			code: forb, want: []string{`crossing.status statements are filed by members of a body of type [party monitor]; "mediator-1" is a mediator`}},
		{name: "by the board", msg: func(f *fixture) []byte { return f.crossing("bea", nil) }, code: forb, want: []string{`"board" is a board`}},
		{name: "crossing id", msg: cross(fields{"crossing": "Torkham Gate"}), code: inv, want: []string{`crossing.status: crossing: "Torkham Gate" is not an identifier such as "torkham"`}},
		{name: "no name", msg: cross(fields{"name": nil}), code: inv, want: []string{"crossing.status: name: is required"}},
		{name: "unknown status", msg: cross(fields{"status": "half_open"}), code: inv, want: []string{`crossing.status: status: "half_open" is not one of [open closed restricted]`}},
		{name: "bad allowed", msg: cross(fields{"allowed": []string{"Refugees"}}), code: inv, want: []string{`crossing.status: allowed: "Refugees" must be a unique identifier`}},
		{name: "restricted without allowed", msg: cross(fields{"allowed": nil}),
			code: inv, want: []string{`crossing.status: allowed: lists who may cross exactly when the status is "restricted"`}},
		{name: "restricted with an empty allowed", msg: cross(fields{"allowed": []string{}}), code: inv, want: []string{"lists who may cross exactly when"}},
		{name: "open with allowed", msg: cross(fields{"status": mechanism.CrossingOpen}), code: inv, want: []string{"lists who may cross exactly when"}},
		{name: "no since", msg: cross(fields{"since": nil}), code: inv, want: []string{"crossing.status: since: time is missing"}},
		{name: "since after the statement", msg: cross(fields{"since": "2025-03-02T00:00:00Z"}),
			code: inv, want: []string{"crossing.status: since: 2025-03-02T00:00:00Z is after the statement's own time"}},
		{name: "long text", msg: cross(fields{"text": long(32<<10 + 1)}), code: inv, want: []string{"crossing.status: text: must be at most 32768 bytes"}},
		{name: "unknown field", msg: cross(fields{"queue": 3}), code: malf, want: []string{"invalid crossing.status statement", "queue"}},
	})
}

func TestMeetingRefusals(t *testing.T) {
	meet := func(extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.meeting("admin-m1", extra) }
	}
	var agenda []int64
	for range 257 {
		agenda = append(agenda, caseID)
	}
	runRefusals(t, []wcase{
		{name: "by a party", msg: func(f *fixture) []byte { return f.meeting("alice", nil) },
			code: forb, want: []string{`meeting statements are filed by members of a body of type [mediator]; "party-a" is a party`}},
		{name: "by a monitor", msg: func(f *fixture) []byte { return f.meeting("mo", nil) }, code: forb, want: []string{`"monitors" is a monitor`}},
		{name: "round 0", msg: meet(fields{"round": 0}), code: inv, want: []string{"meeting: round: must be from 1 to 10000"}},
		{name: "round 10001", msg: meet(fields{"round": 10001}), code: inv, want: []string{"meeting: round:"}},
		{name: "no place", msg: meet(fields{"place": nil}), code: inv, want: []string{"meeting: place: is required"}},
		{name: "bad start", msg: meet(fields{"start": "2025-03-01"}), code: inv, want: []string{"meeting: start:", "is not an RFC 3339 time in UTC"}},
		{name: "bad end", msg: meet(fields{"end": "2025-04-31T00:00:00Z"}), code: inv, want: []string{"meeting: end:", "day out of range"}},
		{name: "end before start", msg: meet(fields{"end": "2025-03-01T07:59:59Z"}), code: inv, want: []string{"meeting: end: is before start"}},
		{name: "unknown body", msg: meet(fields{"bodies": []string{"party-a", "party-z"}}), code: inv, want: []string{`meeting: bodies: "party-z" is not a body of this mechanism`}},
		{name: "body twice", msg: meet(fields{"bodies": []string{"party-a", "party-a"}}), code: inv, want: []string{`meeting: bodies: "party-a" must be a unique identifier`}},
		{name: "257 agenda items", msg: meet(fields{"agenda": agenda}), code: inv, want: []string{"meeting: agenda: at most 256 cases"}},
		{name: "unknown agenda case", msg: meet(fields{"agenda": []int64{caseID, 99}}), code: inv, want: []string{"meeting: agenda: 99 is not a case, or is listed twice"}},
		{name: "agenda case twice", msg: meet(fields{"agenda": []int64{caseID, caseID}}), code: inv, want: []string{"meeting: agenda: 5 is not a case, or is listed twice"}},
		{name: "no outcome", msg: meet(fields{"outcome": ""}), code: inv, want: []string{"meeting: outcome: is required"}},
		{name: "fractional round", msg: meet(fields{"round": 1.5}), code: malf, want: []string{"invalid meeting statement"}},
	})
}

func TestPublicationRefusals(t *testing.T) {
	pub := func(extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.publication("admin-m1", extra) }
	}
	runRefusals(t, []wcase{
		{name: "by the board", msg: func(f *fixture) []byte { return f.publication("bea", nil) },
			code: forb, want: []string{`publication statements are filed by members of a body of type [mediator]; "board" is a board`}},
		{name: "by a party", msg: func(f *fixture) []byte { return f.publication("alice", nil) }, code: forb, want: []string{`"party-a" is a party`}},
		{name: "no title", msg: pub(fields{"title": nil}), code: inv, want: []string{"publication: title: is required"}},
		{name: "short sha256", msg: pub(fields{"sha256": "e3b0c442"}), code: inv, want: []string{"publication: sha256: must be a SHA-256 in lower-case hex"}},
		{name: "upper-case sha256", msg: pub(fields{"sha256": strings.ToUpper(sha("report.pdf"))}), code: inv, want: []string{"publication: sha256:"}},
		{name: "no sha256", msg: pub(fields{"sha256": nil}), code: inv, want: []string{"publication: sha256:"}},
		{name: "negative size", msg: pub(fields{"size": -1}), code: inv, want: []string{"publication: size: cannot be negative"}},
		{name: "bad from", msg: pub(fields{"from": "yesterday"}), code: inv, want: []string{"publication: from:", `"yesterday"`}},
		{name: "no to", msg: pub(fields{"to": nil}), code: inv, want: []string{"publication: to: time is missing"}},
		{name: "to before from", msg: pub(fields{"to": "2025-01-31T00:00:00Z"}), code: inv, want: []string{"publication: to: is before from"}},
		{name: "long url", msg: pub(fields{"url": "https://example.org/" + long(2000)}), code: inv, want: []string{"publication: url: must be at most 2000 bytes"}},
		{name: "ftp url", msg: pub(fields{"url": "ftp://example.org/r.pdf"}), code: inv, want: []string{"publication: url: must be an http or https address"}},
		{name: "scheme only", msg: pub(fields{"url": "https://"}), code: inv, want: []string{"publication: url: must be an http or https address"}},
		{name: "relative url", msg: pub(fields{"url": "/reports/r.pdf"}), code: inv, want: []string{"publication: url:"}},
		{name: "unknown field", msg: pub(fields{"pages": 12}), code: malf, want: []string{"invalid publication statement", "pages"}},
	})
}

// TestWorkflowRulebookRefusals covers the rulebook's checks of the
// workflow, at genesis and in an amendment.
func TestWorkflowRulebookRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(rb *mechanism.Rulebook)
		want   []string
	}{
		{"negative signers", func(rb *mechanism.Rulebook) {
			rb.Quorums[mechanism.QuorumEndorsement] = mechanism.Quorum{Bodies: []string{"board"}, Min: 1, Signers: -1}
		}, []string{`quorum "endorsement": signers must be between 0 and 64`}},
		{"65 signers", func(rb *mechanism.Rulebook) {
			rb.Quorums[mechanism.QuorumPenalty] = mechanism.Quorum{Bodies: []string{"board"}, Min: 1, Signers: 65}
		}, []string{`quorum "penalty": signers must be between 0 and 64`}},
		{"no finding quorum", func(rb *mechanism.Rulebook) { delete(rb.Quorums, mechanism.QuorumFinding) }, []string{`rulebook: quorum "finding" is missing`}},
		{"no endorsement quorum", func(rb *mechanism.Rulebook) { delete(rb.Quorums, mechanism.QuorumEndorsement) }, []string{`quorum "endorsement" is missing`}},
		{"no penalty quorum", func(rb *mechanism.Rulebook) { delete(rb.Quorums, mechanism.QuorumPenalty) }, []string{`quorum "penalty" is missing`}},
		{"category id", func(rb *mechanism.Rulebook) { rb.Categories[0].ID = "Cross Border" },
			[]string{`rulebook: categories: "Cross Border" must have a unique identifier and a text of at most 1000 bytes`}},
		{"category twice", func(rb *mechanism.Rulebook) { rb.Categories[1].ID = "cross_border_fire" }, []string{`categories: "cross_border_fire" must have a unique identifier`}},
		{"category without text", func(rb *mechanism.Rulebook) { rb.Categories[1].Text = "" }, []string{`categories: "incursion"`}},
		{"long category text", func(rb *mechanism.Rulebook) { rb.Categories[1].Text = long(1001) }, []string{`categories: "incursion"`, "at most 1000 bytes"}},
		{"penalty twice", func(rb *mechanism.Rulebook) { rb.Penalties[1].ID = "censure" }, []string{`rulebook: penalties: "censure" must have a unique identifier`}},
		{"penalty without text", func(rb *mechanism.Rulebook) { rb.Penalties[0].Text = "" }, []string{`penalties: "censure"`}},
		{"no confidence levels", func(rb *mechanism.Rulebook) { rb.Confidence = nil }, []string{"rulebook: confidence needs at least one level"}},
		{"confidence level twice", func(rb *mechanism.Rulebook) { rb.Confidence = []string{"low", "high", "low"} },
			[]string{`rulebook: confidence level "low" must be a unique identifier`}},
		{"confidence level not an identifier", func(rb *mechanism.Rulebook) { rb.Confidence = []string{"Very High"} }, []string{`confidence level "Very High"`}},
		{"no stages", func(rb *mechanism.Rulebook) { rb.Stages = nil }, []string{"rulebook: stages: at least two are needed"}},
		{"one stage", func(rb *mechanism.Rulebook) { rb.Stages = rb.Stages[:1] }, []string{"stages: at least two are needed"}},
		{"stage id", func(rb *mechanism.Rulebook) { rb.Stages[2].ID = "Investigation" }, []string{`rulebook: stage "Investigation" must have a unique identifier and a name`}},
		{"stage twice", func(rb *mechanism.Rulebook) { rb.Stages[2].ID = "preliminary" }, []string{`stage "preliminary" must have a unique identifier`}},
		{"stage without name", func(rb *mechanism.Rulebook) { rb.Stages[3].Name = "" }, []string{`stage "draft" must have a unique identifier and a name`}},
		{"first stage with by", func(rb *mechanism.Rulebook) { rb.Stages[0].By = []string{"party"} },
			[]string{`stage "received": the first stage is where reports open cases; it takes no by, requires, due or reply`}},
		{"first stage with due", func(rb *mechanism.Rulebook) { rb.Stages[0].Due = "response" }, []string{`stage "received": the first stage`}},
		{"first stage with reply", func(rb *mechanism.Rulebook) { rb.Stages[0].Reply = true }, []string{`stage "received": the first stage`}},
		{"first stage with requires", func(rb *mechanism.Rulebook) { rb.Stages[0].Requires = mechanism.KindFinding }, []string{`stage "received": the first stage`}},
		{"stage without by", func(rb *mechanism.Rulebook) { rb.Stages[1].By = nil }, []string{`rulebook: stage "preliminary": by must name who moves a case into it`}},
		{"stage by an unknown body", func(rb *mechanism.Rulebook) { rb.Stages[1].By = []string{"mediator", "army"} },
			[]string{`rulebook: stage "preliminary": "army" is neither a body id nor a body type`}},
		{"stage requiring a report", func(rb *mechanism.Rulebook) { rb.Stages[4].Requires = mechanism.KindReport },
			[]string{`rulebook: stage "party_reply": requires must be "finding" or "endorsement"`}},
		{"stage requiring a finding no earlier stage allows", func(rb *mechanism.Rulebook) { rb.Stages[3].Allows = nil },
			[]string{`rulebook: stage "party_reply" requires finding, but no earlier stage allows it`}},
		{"stage requiring what it allows itself", func(rb *mechanism.Rulebook) {
			rb.Stages[3].Allows = nil
			rb.Stages[4].Allows = []string{mechanism.KindFinding}
		}, []string{`stage "party_reply" requires finding, but no earlier stage allows it`}},
		{"stage requiring an endorsement no earlier stage allows", func(rb *mechanism.Rulebook) { rb.Stages[6].Allows = nil },
			[]string{`stage "published" requires endorsement`, "endorsement, but no earlier stage allows it"}},
		{"stage allowing a penalty", func(rb *mechanism.Rulebook) {
			rb.Stages[3].Allows = []string{mechanism.KindFinding, mechanism.KindPenalty}
		},
			[]string{`rulebook: stage "draft": allows may list only "finding" and "endorsement"`}},
		{"stage due an unknown deadline", func(rb *mechanism.Rulebook) { rb.Stages[2].Due = "dispatch" },
			[]string{`rulebook: stage "investigation": due names deadline "dispatch", which is not in deadlines`}},
		{"right of reply without a reply deadline", func(rb *mechanism.Rulebook) { delete(rb.Deadlines, mechanism.DeadlineReply) },
			[]string{`rulebook: stage "party_reply" gives a right of reply, but deadlines has no "reply"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/genesis", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			rb := f.rulebook()
			tt.change(rb)
			wantError(t, f.submit(f.rulebookMsg(rb)), inv, tt.want...)
			if f.st.Size != 0 || f.st.Rulebook != nil {
				t.Errorf("a refused genesis changed the state")
			}
			f.must(f.rulebookMsg(f.rulebook()))
		})
		t.Run(tt.name+"/amendment", func(t *testing.T) {
			t.Parallel()
			f := setUp(t)
			rb := f.amended()
			tt.change(rb)
			f.refuseW(f.rulebookMsg(rb), inv, tt.want...)
		})
	}
}

// TestAmendStages: an amendment cannot remove a stage, since a case may be
// in it, but it may add one.
func TestAmendStages(t *testing.T) {
	f := setUpCase(t)
	f.toStage(caseID, "published")
	rb := f.amended()
	rb.Stages = slices.Delete(rb.Stages, 5, 6)
	f.refuseW(f.rulebookMsg(rb), inv, `an amendment cannot remove stage "technical_committee"; cases may be in it`)
	rb = f.amended()
	rb.Stages[7].ID = "public"
	f.refuseW(f.rulebookMsg(rb), inv, `an amendment cannot remove stage "published"`)

	rb = f.amended()
	rb.Stages = append(rb.Stages, mechanism.Stage{ID: "appeal", Name: "Appeal", By: []string{"board"}})
	f.must(f.rulebookMsg(rb))
	if f.st.Payload() != nil || len(f.st.ChangedCases()) != 0 {
		t.Errorf("an amendment reports payload %v and cases %v", f.st.Payload(), f.st.ChangedCases())
	}
	f.must(f.advance("bea", caseID, "appeal", nil))
	if c := f.getCase(caseID); c.Stage != "appeal" || c.Entered != f.st.Size-1 {
		t.Errorf("case after appeal = %+v", c)
	}
}

func caseIDs(cs []*mechanism.Case) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func deadlineNames(ds []*mechanism.Deadline) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name+"/"+d.Status)
	}
	return out
}

// changes checks what the last Apply reports it changed.
func (f *fixture) changes(cases []int64, deadlines []string, subjects []int64) {
	f.t.Helper()
	if got := caseIDs(f.st.ChangedCases()); !slices.Equal(got, cases) {
		f.t.Errorf("after statement %d: ChangedCases = %v, want %v", f.st.Size-1, got, cases)
	}
	if got := deadlineNames(f.st.ChangedDeadlines()); !slices.Equal(got, deadlines) {
		f.t.Errorf("after statement %d: ChangedDeadlines = %v, want %v", f.st.Size-1, got, deadlines)
	}
	if got := f.st.Subjects(); !slices.Equal(got, subjects) {
		f.t.Errorf("after statement %d: Subjects = %v, want %v", f.st.Size-1, got, subjects)
	}
}

func payload[T any](f *fixture) T {
	f.t.Helper()
	p, ok := f.st.Payload().(T)
	if !ok {
		var zero T
		f.t.Fatalf("after statement %d: Payload is %T, want %T", f.st.Size-1, f.st.Payload(), zero)
	}
	return p
}

// deadline returns case c's deadline named name opened at index opened.
func (f *fixture) deadline(c int64, name string, opened int64) *mechanism.Deadline {
	f.t.Helper()
	for _, d := range f.getCase(c).Deadlines {
		if d.Name == name && d.Opened == opened {
			return d
		}
	}
	f.t.Fatalf("case %d has no deadline %q opened at %d", c, name, opened)
	return nil
}

func wantDeadline(t *testing.T, d *mechanism.Deadline, status string, closed int64) {
	t.Helper()
	if d.Status != status || d.Closed != closed {
		t.Errorf("deadline %s of %d (due %s) is %s, closed at %d; want %s, closed at %d", d.Name, d.Subject, statement.FormatTime(d.Due), d.Status, d.Closed, status, closed)
	}
}

// TestWorkflow takes a case along the whole path and checks the case, its
// deadlines and what each Apply reports; then replays the log.
func TestWorkflow(t *testing.T) {
	f := newFixture(t)
	log := workflowSetup(f)
	for _, msg := range log {
		f.must(msg)
	}
	step := func(msg []byte) {
		t.Helper()
		f.must(msg)
		log = append(log, msg)
	}
	hour := time.Hour

	step(f.report("alice", nil)) // 5
	c := f.getCase(caseID)
	if c.ID != 5 || c.Stage != "received" || c.Entered != 5 || !c.Opened.Equal(t0) || c.Reporter != "party-a" || c.Accused != "party-b" ||
		!slices.Equal(c.Reports, []int64{5}) || c.Replies != nil || c.Finding != -1 || c.Endorsed != -1 || c.Updated != 5 {
		t.Errorf("opened case = %+v", c)
	}
	f.changes([]int64{5}, []string{"reply/open", "team_dispatch/open", "finding/open"}, []int64{5})
	if r := payload[*mechanism.Report](f); r.Accused != "party-b" || r.Casualties.Killed.Civilian.Best != 3 || r.Place.Admin[1].Country != "AF" {
		t.Errorf("Payload = %+v", r)
	}
	want := []struct {
		name, stage string
		bodies      []string
		due         time.Duration
	}{
		{"reply", "", []string{"party-b"}, 72 * hour},
		{"team_dispatch", "investigation", []string{"mediator-1", "mediator-2"}, 48 * hour},
		{"finding", "party_reply", []string{"mediator-1", "mediator-2"}, 336 * hour},
	}
	if len(c.Deadlines) != len(want) {
		t.Fatalf("deadlines = %v", deadlineNames(c.Deadlines))
	}
	for i, w := range want {
		d := c.Deadlines[i]
		if d.Subject != 5 || d.Opened != 5 || d.Name != w.name || d.Stage != w.stage || !slices.Equal(d.Bodies, w.bodies) ||
			!d.Due.Equal(t0.Add(w.due)) || d.Status != mechanism.DeadlineOpen || d.Closed != -1 {
			t.Errorf("deadline %d = %+v, want %+v", i, d, w)
		}
	}

	// party-b answers with its own figures, in time.
	step(f.reply("bob", caseID, fields{"at": after(hour)})) // 6
	f.changes([]int64{5}, []string{"reply/met"}, []int64{5})
	if r := payload[*mechanism.Reply](f); r.Casualties.Killed.Civilian.High != 1 || r.Position != "denies" || r.Language != "ps" {
		t.Errorf("reply payload = %+v", r)
	}
	wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMet, 6)

	step(f.advance("admin-m1", caseID, "preliminary", fields{"at": after(2 * hour)})) // 7
	f.changes([]int64{5}, nil, []int64{5})
	if a := payload[*mechanism.CaseAdvance](f); a.To != "preliminary" || a.Case != 5 {
		t.Errorf("advance payload = %+v", a)
	}
	step(f.advance("admin-m2", caseID, "investigation", fields{"at": after(3 * hour)})) // 8
	f.changes([]int64{5}, []string{"team_dispatch/met"}, []int64{5})
	wantDeadline(t, f.deadline(caseID, "team_dispatch", 5), mechanism.DeadlineMet, 8)
	step(f.advance("admin-m1", caseID, "draft", fields{"at": after(4 * hour)})) // 9

	step(f.finding(caseID, fields{"at": after(5 * hour)})) // 10
	f.changes([]int64{5}, nil, []int64{5})
	if p := payload[*mechanism.Finding](f); p.Outcome != mechanism.OutcomeAttributed || p.Party != "party-b" || p.RulebookVersion != 1 {
		t.Errorf("finding payload = %+v", p)
	}
	if c.Finding != 10 || !slices.Equal(c.Findings, []int64{10}) || c.Outcome != mechanism.OutcomeAttributed || c.Party != "party-b" || c.Endorsed != -1 {
		t.Errorf("case after the finding = %+v", c)
	}

	step(f.advance("admin-m2", caseID, "party_reply", fields{"at": after(6 * hour)})) // 11
	f.changes([]int64{5}, []string{"finding/met", "reply/open"}, []int64{5})
	wantDeadline(t, f.deadline(caseID, "finding", 5), mechanism.DeadlineMet, 11)
	if d := f.deadline(caseID, "reply", 11); !d.Due.Equal(t0.Add(78*hour)) || d.Status != mechanism.DeadlineOpen || !slices.Equal(d.Bodies, []string{"party-b"}) {
		t.Errorf("the new reply deadline = %+v", d)
	}
	step(f.reply("bob", caseID, fields{"position": "partly_accepts", "at": after(7 * hour)})) // 12
	f.changes([]int64{5}, []string{"reply/met"}, []int64{5})
	wantDeadline(t, f.deadline(caseID, "reply", 11), mechanism.DeadlineMet, 12)
	wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMet, 6)

	step(f.advance("admin-m1", caseID, "technical_committee", fields{"at": after(8 * hour)})) // 13
	step(f.advance("admin-m2", caseID, "board", fields{"at": after(9 * hour)}))               // 14
	step(f.endorse(caseID, 10, fields{"at": after(10 * hour)}))                               // 15
	f.changes([]int64{5}, nil, []int64{5})
	if e := payload[*mechanism.Endorsement](f); e.Finding != 10 {
		t.Errorf("endorsement payload = %+v", e)
	}
	step(f.penalize(caseID, 10, fields{"at": after(11 * hour)}, "bea", "admin-board")) // 16
	f.changes([]int64{5}, nil, []int64{5})
	if p := payload[*mechanism.Penalty](f); p.Penalty != "censure" || p.Party != "party-b" {
		t.Errorf("penalty payload = %+v", p)
	}
	step(f.penalize(caseID, 10, fields{"penalty": "compensation", "at": after(11 * hour)})) // 17
	step(f.advance("bea", caseID, "published", fields{"at": after(12 * hour)}))             // 18

	if c.Stage != "published" || c.Entered != 18 || c.Updated != 18 || c.Finding != 10 || c.Endorsed != 15 ||
		!slices.Equal(c.Penalties, []int64{16, 17}) || !slices.Equal(c.Replies, []int64{6, 12}) || !slices.Equal(c.Reports, []int64{5}) {
		t.Errorf("published case = %+v", c)
	}
	for _, d := range c.Deadlines {
		if d.Status != mechanism.DeadlineMet {
			t.Errorf("deadline %s opened at %d is %s", d.Name, d.Opened, d.Status)
		}
	}
	if !f.st.Time.Equal(t0.Add(12*hour)) || f.st.Size != 19 {
		t.Errorf("Time = %v, Size = %d", f.st.Time, f.st.Size)
	}

	// The same statements give the same state, wherever they are replayed.
	f2 := &fixture{t: t, keys: f.keys, order: f.order}
	for i, msg := range log {
		st, err := f2.st.Open(msg)
		if err != nil {
			t.Fatalf("replay %d: Open: %v", i, err)
		}
		if _, err := f2.st.Apply(st); err != nil {
			t.Fatalf("replay %d: Apply: %v", i, err)
		}
	}
	if a, b := f.snapshot(), f2.snapshot(); !reflect.DeepEqual(a, b) {
		t.Errorf("replayed state differs:\n%+v\n%+v", a, b)
	}
}

// TestWorkflowDefaultRulebook takes a case through the default rulebook's
// workflow, as shipped.
func TestWorkflowDefaultRulebook(t *testing.T) {
	f := newFixture(t)
	rb := f.filledDefaultRulebook()
	msg, err := mechanism.Genesis(rb, t0, f.k("founder-1").signer, f.k("founder-2").signer)
	if err != nil {
		t.Fatal(err)
	}
	f.must(msg)
	m := func(extra fields) fields { return with(extra, fields{"mechanism": rb.ID}) }
	const pk, af, qa, tr, bd = "default-admin-pakistan", "default-admin-afghanistan", "default-admin-qatar", "default-admin-turkiye", "default-admin-board"
	f.newKey("bea", "bea")
	f.must(f.stmt(mechanism.KindMemberEnrol, m(fields{"body": "board", "key": f.k("bea").vkey, "roles": []string{}, "label": "bea"}), bd))                             // 1
	f.must(f.report(pk, m(fields{"accused": "afghanistan", "origin": fields{"territory": "afghanistan"}, "clauses": []string{"c1"}, "casualties": sideCasualties()}))) // 2
	const c = 2
	if got := deadlineNames(f.getCase(c).Deadlines); !slices.Equal(got, []string{"reply/open", "team_dispatch/open", "finding/open"}) {
		t.Errorf("deadlines = %v", got)
	}
	wantError(t, f.submit(f.advance(pk, c, "preliminary", m(nil))), forb, `only [mediator] may move a case into stage "preliminary"; "pakistan" may not`)
	f.must(f.advance(qa, c, "preliminary", m(nil)))
	f.must(f.advance(tr, c, "investigation", m(nil)))
	f.must(f.advance(qa, c, "draft", m(nil)))
	find := m(fields{"party": "afghanistan", "clauses": []string{"c1", "c3"}})
	wantError(t, f.submit(f.finding(c, find, qa)), forb, `the "finding" quorum needs`)
	f.must(f.finding(c, find, qa, tr)) // 6
	f.must(f.advance(qa, c, "party_reply", m(nil)))
	wantError(t, f.submit(f.advance(qa, c, "technical_committee", m(nil))), inv, "[afghanistan] may reply on case 2 until 2025-03-04T12:00:00Z")
	f.must(f.reply(af, c, m(fields{"language": "fa-AF", "casualties": fields{"sides": []fields{with(fig(0, 0, 1), fields{"measure": "killed_civilian", "country": "AF"})}}})))
	f.must(f.advance(tr, c, "technical_committee", m(nil)))
	f.must(f.advance(qa, c, "board", m(nil)))
	wantError(t, f.submit(f.advance(bd, c, "published", m(nil))), inv, `stage "published" needs an endorsed finding on case 2`)
	wantError(t, f.submit(f.endorse(c, 6, m(nil), bd)), forb, `the "endorsement" quorum needs`)
	f.must(f.endorse(c, 6, m(nil), bd, "bea"))
	f.must(f.penalize(c, 6, m(fields{"penalty": "suspension", "party": "afghanistan"}), "bea", bd))
	f.must(f.advance(bd, c, "published", m(nil)))
	if cs := f.getCase(c); cs.Stage != "published" || cs.Finding != 6 || cs.Endorsed < 0 || len(cs.Penalties) != 1 || len(cs.Replies) != 1 {
		t.Errorf("case = %+v", cs)
	}
	for _, d := range f.getCase(c).Deadlines {
		if d.Status != mechanism.DeadlineMet {
			t.Errorf("deadline %s opened at %d is %s", d.Name, d.Opened, d.Status)
		}
	}
}

// TestReplyDeadline: a reply is due 72h after the case opens, in log time.
// A reply at the deadline meets it; a late reply is accepted, but its
// deadline stays missed.
func TestReplyDeadline(t *testing.T) {
	t.Run("at the deadline", func(t *testing.T) {
		f := setUpCase(t)
		f.must(f.crossing("mo", fields{"at": after(72 * time.Hour)})) // 6: the reply is not late yet
		f.changes([]int64{5}, []string{"team_dispatch/missed"}, nil)
		f.must(f.reply("bob", caseID, fields{"at": after(72 * time.Hour)})) // 7
		f.changes([]int64{5}, []string{"reply/met"}, []int64{5})
		wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMet, 7)
	})
	t.Run("one second late", func(t *testing.T) {
		f := setUpCase(t)
		f.must(f.reply("bob", caseID, fields{"at": after(72*time.Hour + time.Second)})) // 6
		f.changes([]int64{5}, []string{"team_dispatch/missed", "reply/missed"}, []int64{5})
		wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMissed, 6)
		if c := f.getCase(caseID); !slices.Equal(c.Replies, []int64{6}) {
			t.Errorf("Replies = %v", c.Replies)
		}
	})
	t.Run("after the log's time passed it", func(t *testing.T) {
		f := setUpCase(t)
		f.must(f.meeting("admin-m1", fields{"at": after(73 * time.Hour)})) // 6
		f.changes([]int64{5}, []string{"team_dispatch/missed", "reply/missed"}, nil)
		wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMissed, 6)
		if c := f.getCase(caseID); c.Updated != 5 {
			t.Errorf("a missed deadline made the meeting the case's last statement: Updated = %d", c.Updated)
		}
		// The reply claims an earlier time, but the log's time has passed
		// the deadline: the reply is late, and accepted.
		f.must(f.reply("bob", caseID, fields{"at": after(time.Hour)})) // 7
		f.changes([]int64{5}, nil, []int64{5})
		wantDeadline(t, f.deadline(caseID, "reply", 5), mechanism.DeadlineMissed, 6)
		if c := f.getCase(caseID); !slices.Equal(c.Replies, []int64{7}) || c.Updated != 7 {
			t.Errorf("case = %+v", c)
		}
		if !f.st.Time.Equal(t0.Add(73 * time.Hour)) {
			t.Errorf("an earlier statement moved the log's time back to %v", f.st.Time)
		}
	})
}

// TestDeadlinesMissed: a statement whose time passes several deadlines
// marks them missed, soonest first, and reports their cases.
func TestDeadlinesMissed(t *testing.T) {
	f := setUpCase(t)
	f.must(f.report("mo", fields{"accused": "party-a", "origin": nil, "at": after(time.Hour)})) // 6, against party-a
	f.changes([]int64{6}, []string{"reply/open", "team_dispatch/open", "finding/open"}, []int64{6})
	f.must(f.advance("admin-m1", 6, "preliminary", nil)) // 7
	f.must(f.advance("admin-m1", 6, "investigation", fields{"at": after(2 * time.Hour)}))
	wantDeadline(t, f.deadline(6, "team_dispatch", 6), mechanism.DeadlineMet, 8)
	f.must(f.publication("admin-m1", fields{"at": after(48*time.Hour + time.Second)})) // 9
	f.changes([]int64{5}, []string{"team_dispatch/missed"}, nil)
	if got := caseIDs(f.st.ChangedCases()); len(got) != 1 {
		t.Errorf("ChangedCases = %v", got)
	}
	// Case 5 enters investigation late: its deadline stays missed.
	f.must(f.advance("admin-m1", caseID, "preliminary", nil))
	f.must(f.advance("admin-m1", caseID, "investigation", nil)) // 11
	f.changes([]int64{5}, nil, []int64{5})
	wantDeadline(t, f.deadline(caseID, "team_dispatch", 5), mechanism.DeadlineMissed, 9)

	f.must(f.crossing("alice", fields{"at": after(400 * time.Hour)})) // 12
	f.changes([]int64{5, 6}, []string{"reply/missed", "reply/missed", "finding/missed", "finding/missed"}, nil)
	for _, c := range []int64{5, 6} {
		for _, d := range f.getCase(c).Deadlines {
			if d.Status == mechanism.DeadlineOpen {
				t.Errorf("case %d: deadline %s still open", c, d.Name)
			}
		}
	}
	if p := payload[*mechanism.CrossingStatus](f); p.Status != mechanism.CrossingRestricted || len(p.Allowed) != 2 {
		t.Errorf("crossing payload = %+v", p)
	}
	// Nothing is left to miss.
	f.must(f.crossing("alice", fields{"at": after(4000 * time.Hour)}))
	f.changes(nil, nil, nil)
}

// TestLeavePartyReply: a case leaves party_reply once the accused has
// replied, or once the reply deadline has passed in log time.
func TestLeavePartyReply(t *testing.T) {
	tests := []struct {
		name   string
		before func(f *fixture) // after entering party_reply at 10
		at     time.Duration    // of the advance
		status string           // of the reply deadline opened at 10
	}{
		{"after the reply", func(f *fixture) { f.must(f.reply("bob", caseID, fields{"at": after(time.Hour)})) }, 2 * time.Hour, mechanism.DeadlineMet},
		{"after a late reply", func(f *fixture) { f.must(f.reply("bob", caseID, fields{"at": after(80 * time.Hour)})) }, 80 * time.Hour, mechanism.DeadlineMissed},
		{"once its own time passes the deadline", nil, 72*time.Hour + time.Second, mechanism.DeadlineMissed},
		{"once the log's time passes the deadline", func(f *fixture) { f.must(f.meeting("admin-m2", fields{"at": after(100 * time.Hour)})) }, 0, mechanism.DeadlineMissed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setUpCase(t)
			f.toStage(caseID, "party_reply")
			if c := f.getCase(caseID); c.Entered != 10 {
				t.Fatalf("entered party_reply at %d", c.Entered)
			}
			if tt.before != nil {
				tt.before(f)
			}
			f.must(f.advance("admin-m1", caseID, "technical_committee", fields{"at": after(tt.at)}))
			if c := f.getCase(caseID); c.Stage != "technical_committee" {
				t.Errorf("stage = %q", c.Stage)
			}
			if d := f.deadline(caseID, "reply", 10); d.Status != tt.status {
				t.Errorf("reply deadline = %+v, want %s", d, tt.status)
			}
		})
	}
}

// TestCommitments: a commitment sets a deadline that the party's action on
// it meets; another party cannot act on it; a missed one stays missed.
func TestCommitments(t *testing.T) {
	f := setUpCase(t)
	f.must(f.commitment("alice", nil)) // 6
	f.changes(nil, []string{"commitment/open"}, nil)
	if p := payload[*mechanism.Commitment](f); p.Group.ID != "ttp" || p.Deadline != after(day) {
		t.Errorf("commitment payload = %+v", p)
	}
	party, d, ok := f.st.Commitment(6)
	if !ok || party != "party-a" || d.Subject != 6 || d.Opened != 6 || d.Name != mechanism.DeadlineCommitment ||
		!slices.Equal(d.Bodies, []string{"party-a"}) || !d.Due.Equal(t0.Add(day)) || d.Status != mechanism.DeadlineOpen {
		t.Errorf("Commitment(6) = %q, %+v, %v", party, d, ok)
	}
	if _, _, ok := f.st.Commitment(caseID); ok {
		t.Errorf("Commitment(5) found a commitment in a report")
	}
	f.must(f.action("alice", fields{"commitment": 6, "at": after(time.Hour)})) // 7
	f.changes(nil, []string{"commitment/met"}, nil)
	wantDeadline(t, d, mechanism.DeadlineMet, 7)
	if p := payload[*mechanism.Action](f); p.Commitment == nil || *p.Commitment != 6 {
		t.Errorf("action payload = %+v", p)
	}
	f.must(f.verification("mo", 7, fields{"result": "inconclusive"})) // 8
	if p := payload[*mechanism.Action](f); p.Verifies == nil || *p.Verifies != 7 || p.Result != "inconclusive" {
		t.Errorf("verification payload = %+v", p)
	}
	f.must(f.verification("admin-m1", 7, nil)) // 9: a mediator checks it too

	f.must(f.commitment("bob", nil))                                                                                      // 10
	f.must(f.crossing("bob", fields{"status": mechanism.CrossingClosed, "allowed": nil, "at": after(day + time.Second)})) // 11
	f.changes(nil, []string{"commitment/missed"}, nil)
	_, d, _ = f.st.Commitment(10)
	wantDeadline(t, d, mechanism.DeadlineMissed, 11)
	f.must(f.action("bob", fields{"commitment": 10, "at": after(2 * day)})) // 12: late, accepted
	f.changes(nil, nil, nil)
	wantDeadline(t, d, mechanism.DeadlineMissed, 11)
	f.must(f.action("bob", fields{"place": nil, "evidence": nil})) // an action on no commitment
}

// TestCaseSubjects: a report added to a case and a meeting's agenda are
// about cases; crossings and publications are not.
func TestCaseSubjects(t *testing.T) {
	f := setUpCase(t)
	f.must(f.reportMsg("admin-m1", "a second incident")) // 6
	if c := f.getCase(6); c.Accused != "" || len(c.Deadlines) != 2 || c.Reporter != "mediator-1" {
		t.Errorf("case without an accused = %+v, deadlines %v", c, deadlineNames(c.Deadlines))
	}
	f.must(f.report("mo", fields{"case": caseID, "accused": nil, "channel": "un", "source": "UNAMA"})) // 7
	f.changes([]int64{5}, nil, []int64{5})
	if _, ok := f.st.Case(7); ok {
		t.Errorf("a report added to a case opened one")
	}
	if c := f.getCase(caseID); !slices.Equal(c.Reports, []int64{5, 7}) || c.Updated != 7 || len(c.Deadlines) != 3 {
		t.Errorf("case = %+v", c)
	}
	f.must(f.report("admin-m2", fields{"case": caseID, "channel": "public"})) // 8: same accused
	f.must(f.meeting("admin-m1", fields{"agenda": []int64{6, caseID}}))       // 9
	f.changes([]int64{6, 5}, nil, []int64{6, 5})
	if p := payload[*mechanism.Meeting](f); p.Round != 2 || !slices.Equal(p.Agenda, []int64{6, 5}) {
		t.Errorf("meeting payload = %+v", p)
	}
	if f.getCase(6).Updated != 9 || f.getCase(caseID).Updated != 9 {
		t.Errorf("the meeting did not update its cases")
	}
	f.must(f.publication("admin-m1", fields{"url": nil}))
	f.changes(nil, nil, nil)
	if p := payload[*mechanism.Publication](f); p.Size != 12345 {
		t.Errorf("publication payload = %+v", p)
	}
	f.must(f.crossing("alice", fields{"status": mechanism.CrossingOpen, "allowed": nil}))
	f.changes(nil, nil, nil)
	f.must(f.enrolMsg("admin-m1", "mediator-1", "carol"))
	f.changes(nil, nil, nil)
	if f.st.Payload() != nil {
		t.Errorf("Payload after an enrolment = %v", f.st.Payload())
	}
}

// TestNewFindingAfterEndorsement: with a rulebook whose board stage allows
// both findings and endorsements (which checkStages accepts), a finding
// filed after an endorsement must not count as endorsed, since
// Case.Endorsed is "the endorsement of Finding, or -1".
func TestNewFindingAfterEndorsement(t *testing.T) {
	start := func(t *testing.T) *fixture {
		f := newFixture(t)
		for _, n := range []string{"admin-mon", "bea", "mo"} {
			f.newKey(n, n)
		}
		rb := f.rulebook()
		rb.Stages[6].Allows = []string{mechanism.KindFinding, mechanism.KindEndorsement}
		f.must(f.rulebookMsg(rb))
		f.must(f.enrolMsg("admin-a", "party-a", "alice"))
		f.must(f.enrolMsg("admin-b", "party-b", "bob"))
		f.must(f.enrolMsg("admin-board", "board", "bea"))
		f.must(f.reportMsg("admin-m1", "filler"))                                  // 4: keeps the case at index 5
		f.must(f.report("alice", nil))                                             // 5
		endorsed(f)                                                                // finding 9, endorsement 14
		f.must(f.finding(caseID, fields{"party": "party-a", "confidence": "low"})) // 15
		if c := f.getCase(caseID); c.Finding != 15 || c.Party != "party-a" {
			t.Fatalf("case = %+v", c)
		}
		return f
	}
	t.Run("Endorsed", func(t *testing.T) {
		f := start(t)
		if c := f.getCase(caseID); c.Endorsed != -1 {
			t.Errorf("the new finding 15 is taken as endorsed by %d, the endorsement of finding 9", c.Endorsed)
		}
	})
	t.Run("endorsing the new finding", func(t *testing.T) {
		f := start(t)
		f.must(f.endorse(caseID, 15, nil))
	})
	t.Run("penalty on the new finding", func(t *testing.T) {
		f := start(t)
		f.refuseW(f.penalize(caseID, 15, fields{"party": "party-a"}), inv, "a penalty attaches only to an endorsed finding")
	})
	t.Run("publishing the new finding", func(t *testing.T) {
		f := start(t)
		f.refuseW(f.advance("admin-m1", caseID, "published", nil), inv, `stage "published" needs an endorsed finding on case 5`)
	})
}

// TestDeadlineOrder: deadlines that fall due at once are missed in a fixed
// order: by due time, then by the statement that opened them, then by
// name.
func TestDeadlineOrder(t *testing.T) {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Stages[2].Due = "response" // 72h, as long as the reply
	f.must(f.rulebookMsg(rb))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	f.must(f.report("alice", nil))                                       // 3
	f.must(f.report("bob", fields{"accused": "party-a", "origin": nil})) // 4
	f.must(f.meeting("admin-m1", fields{"at": after(73 * time.Hour)}))
	var got []string
	for _, d := range f.st.ChangedDeadlines() {
		got = append(got, fmt.Sprintf("%d:%s", d.Subject, d.Name))
	}
	if want := []string{"3:reply", "3:response", "4:reply", "4:response"}; !slices.Equal(got, want) {
		t.Errorf("missed deadlines = %v, want %v", got, want)
	}
	f.changes([]int64{3, 4}, []string{"reply/missed", "response/missed", "reply/missed", "response/missed"}, nil)
}

func TestCasualtiesFigures(t *testing.T) {
	var none *mechanism.Casualties
	if got := none.Splits(); got != [4]*mechanism.Figure{} {
		t.Errorf("nil Casualties has figures %v", got)
	}
	a, b := &mechanism.Figure{Best: 1}, &mechanism.Figure{Best: 2}
	c := &mechanism.Casualties{Killed: mechanism.Split{Combatant: a}, Injured: mechanism.Split{Civilian: b}}
	if got := c.Splits(); got != [4]*mechanism.Figure{nil, a, b, nil} {
		t.Errorf("Figures = %v, want in the order of %v", got, mechanism.Measures)
	}
}

// TestAmendedCaseDeadlines: the deadlines that a report sets on the case it
// opens are those of the rulebook in force when it is applied, worked out
// once for each rulebook. An amendment that changes a stage's bodies and a
// deadline's length, and drops a stage's, sets the next case's deadlines by
// it, and leaves those of the cases before it as they were.
func TestAmendedCaseDeadlines(t *testing.T) {
	f := setUpCase(t)
	type deadline struct {
		name, stage string
		bodies      []string
		after       time.Duration
	}
	deadlinesOf := func(id int64) []deadline {
		c := f.getCase(id)
		var out []deadline
		for _, d := range c.Deadlines {
			out = append(out, deadline{d.Name, d.Stage, d.Bodies, d.Due.Sub(c.Opened)})
		}
		return out
	}
	mediators := []string{"mediator-1", "mediator-2"}
	want := []deadline{
		{mechanism.DeadlineReply, "", []string{"party-b"}, 72 * time.Hour},
		{"team_dispatch", "investigation", mediators, 48 * time.Hour},
		{"finding", "party_reply", mediators, 336 * time.Hour},
	}
	if got := deadlinesOf(caseID); !reflect.DeepEqual(got, want) {
		t.Fatalf("the first case's deadlines are %+v, want %+v", got, want)
	}
	rb := f.amended()
	rb.Stages[2].By = []string{"mediator-1"}
	rb.Deadlines["team_dispatch"] = "24h"
	rb.Stages[4].Due = ""
	delete(rb.Deadlines, "finding")
	f.must(f.rulebookMsg(rb))
	f.must(f.report("alice", nil))
	next := f.st.Size - 1
	if got, want := deadlinesOf(next), []deadline{
		{mechanism.DeadlineReply, "", []string{"party-b"}, 72 * time.Hour},
		{"team_dispatch", "investigation", []string{"mediator-1"}, 24 * time.Hour},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("the case opened after the amendment has the deadlines %+v, want %+v", got, want)
	}
	if got := deadlinesOf(caseID); !reflect.DeepEqual(got, want) {
		t.Errorf("after the amendment, the first case's deadlines are %+v, want %+v", got, want)
	}
}
