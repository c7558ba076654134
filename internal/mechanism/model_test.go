package mechanism_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// The model's holes, closed under rules 3: each test attacks one rule.

// setUpWorkflowRules3 is setUpWorkflow under rules 3, the rulebook changed by
// change: the rulebook (0), alice in party-a (1), bob in party-b (2), bea
// in the board (3) and mo in the monitors (4).
func setUpWorkflowRules3(t *testing.T, change func(*mechanism.Rulebook)) *fixture {
	f := newFixture(t)
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules = mechanism.Rules3
	if change != nil {
		change(rb)
	}
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		f.must(msg)
	}
	return f
}

// deny submits msg, checks that it is refused with code and a reason
// that mentions want, and that the state did not change.
func (f *fixture) deny(msg []byte, code statement.Code, want ...string) {
	f.t.Helper()
	before := f.snapshot()
	wantError(f.t, f.submit(msg), code, want...)
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		f.t.Errorf("a refused statement changed the state:\nbefore %+v\nafter  %+v", before, after)
	}
}

// sides3 are fullReport's figures as rules 3 files them.
func sides3() fields {
	return fields{"sides": []fields{
		with(fig(2, 3, 5), fields{"measure": "killed_civilian", "country": "PK"}),
		{"measure": "injured_combatant", "party": "party-a", "best": 1},
		with(fig(0, 2, 4), fields{"measure": "killed_combatant", "actor": "ttp"}),
	}}
}

// report3 is alice's full report under rules 3.
func (f *fixture) report3(extra fields) []byte {
	f.t.Helper()
	return f.report("alice", with(fields{"casualties": sides3()}, extra))
}

// TestFiguresSayWhose: under rules 3 a figure says whose dead or injured
// it counts; figures that do not, and figures read as 0 by omission, are
// refused.
func TestFiguresSayWhose(t *testing.T) {
	f := setUpWorkflowRules3(t, nil)
	side := func(s ...fields) fields { return fields{"casualties": fields{"sides": s}} }
	for _, tc := range []struct {
		name  string
		extra fields
		want  string
	}{
		{"the figures of the rules before", fields{"casualties": fields{"killed": fields{"civilian": fig(1, 1, 1)}}},
			`casualties.killed.civilian: says civilian or combatant but not whose`},
		{"a civilian figure without its country", side(fields{"measure": "killed_civilian", "best": 2}), `counts civilians: say of which country`},
		{"a civilian figure with a party", side(fields{"measure": "killed_civilian", "country": "AF", "party": "party-a", "best": 2}), `counts civilians`},
		{"a combatant figure without its side", side(fields{"measure": "killed_combatant", "best": 2}), `counts combatants: say whose`},
		{"a combatant figure with two sides", side(fields{"measure": "killed_combatant", "party": "party-a", "actor": "ttp", "best": 2}), `one of the two`},
		{"a combatant figure with a country", side(fields{"measure": "killed_combatant", "country": "PK", "best": 2}), `counts combatants`},
		{"a party that is not one", side(fields{"measure": "killed_combatant", "party": "monitors", "best": 2}), `casualties.sides[0].party: "monitors" is not a party`},
		{"an actor that is not an identifier", side(fields{"measure": "killed_combatant", "actor": "T T P", "best": 2}), `casualties.sides[0].actor`},
		{"a country that is not a code", side(fields{"measure": "injured_civilian", "country": "Pakistan", "best": 2}), `ISO 3166-1 alpha-2`},
		{"no best: read as 0 before", side(fields{"measure": "killed_civilian", "country": "AF", "low": 1, "high": 3}), `casualties.sides[0].best: is required: a figure that is not known is left out, never filed as 0`},
		{"a side given twice", side(fields{"measure": "killed_civilian", "country": "AF", "best": 1}, fields{"measure": "killed_civilian", "country": "AF", "best": 2}),
			`killed_civilian of AF is given twice`},
		{"best above high", side(fields{"measure": "killed_civilian", "country": "AF", "best": 5, "high": 3}), `low ≤ best ≤ high (got 5, 5, 3)`},
		{"negative", side(fields{"measure": "killed_civilian", "country": "AF", "best": -1}), `counts cannot be negative`},
		{"over a million", side(fields{"measure": "killed_civilian", "country": "AF", "best": 1_000_001}), `at most 1000000`},
		{"an unknown measure", side(fields{"measure": "missing", "country": "AF", "best": 1}), `casualties.sides[0].measure`},
		{"an empty list", side(), `lists at least one figure`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.deny(f.report("alice", tc.extra), inv, "report: casualties", tc.want)
		})
	}
	// A reply's figures are checked alike.
	f.must(f.report3(nil)) // 5
	f.deny(f.reply("bob", 5, side(fields{"measure": "killed_combatant", "best": 0})), inv, "reply: casualties.sides[0]: counts combatants")

	// Each side's figure of one measure stands apart; a figure with only
	// best keeps low and high absent.
	f.must(f.report3(fields{"summary": "both sides", "casualties": fields{"sides": []fields{
		{"measure": "killed_combatant", "party": "party-a", "best": 23},
		{"measure": "killed_combatant", "party": "party-b", "low": 200, "best": 200},
		{"measure": "killed_civilian", "country": "AF", "best": 0},
	}}}))
	c, _ := f.st.Payload().(*mechanism.Report)
	if c == nil || len(c.Casualties.Sides) != 3 || c.Casualties.Sides[0].Low != nil || c.Casualties.Sides[0].High != nil || *c.Casualties.Sides[1].Low != 200 {
		t.Errorf("payload figures = %+v; want three, the first with no low or high", c)
	}
}

// TestRules3FieldsRefusedBefore: a mechanism under earlier rules refuses
// the fields and the kind of rules 3, as it did when they were unknown,
// and says how to use them.
func TestRules3FieldsRefusedBefore(t *testing.T) {
	f := setUpCase(t) // rules 1, case 5
	const amend = `amend the rulebook to "rules": 3`
	f.deny(f.report("alice", fields{"casualties": sides3()}), inv, "report: casualties.sides: is a field of rules 3", amend)
	f.deny(f.crossing("alice", fields{"side": "party-a"}), inv, "crossing.status: side: is a field of rules 3")
	f.deny(f.crossing("alice", fields{"since_precision": "day"}), inv, "crossing.status: since_precision: is a field of rules 3")
	f.deny(f.commitment("alice", fields{"deadline_precision": "month"}), inv, "commitment: deadline_precision: is a field of rules 3")
	f.deny(f.action("alice", fields{"time_precision": "day"}), inv, "action: time_precision: is a field of rules 3")
	f.deny(f.meeting("admin-m1", fields{"start_precision": "day"}), inv, "meeting: start_precision: is a field of rules 3")
	f.deny(f.stmt(mechanism.KindCaseClose, fields{"case": caseID, "reason": "before_truce", "note": "old"}, "admin-m1"), inv, "case.close is a statement of rules 3", amend)
	rb := f.amended()
	rb.Clauses[0].BindsFrom = "2025-01-01T00:00:00Z"
	f.deny(f.rulebookMsg(rb), inv, `rulebook: clause "no-shelling": binds_from is a field of rules 3`)
	// What rules 1 accepted, it still accepts: an observer with no
	// longitude is read as 0, as it always was.
	f.must(f.report("alice", fields{"observation": observation(fields{"observer": fields{"lat": 34.0}})}))
}

// TestCrossingSides: a crossing's status is per side. A party states its
// own side only; a monitor names the side it saw; both sides' statuses
// stand.
func TestCrossingSides(t *testing.T) {
	f := setUpWorkflowRules3(t, nil)
	f.deny(f.crossing("alice", fields{"side": "party-b"}), forb,
		`crossing.status: side: a party states the status of its own side of a crossing only; "party-a" may not state "party-b"'s`)
	f.deny(f.crossing("mo", nil), inv, `crossing.status: side: is required of a monitor`, `such as "party-a"`)
	f.deny(f.crossing("mo", fields{"side": "monitors"}), inv, `crossing.status: side: "monitors" is not a party`)
	f.deny(f.crossing("mo", fields{"side": "party-a", "since_precision": "hour"}), inv, `crossing.status: since_precision: "hour" is not one of`)

	// Pakistan says closed and Afghanistan open, at the same hour.
	same := fields{"allowed": nil, "since": "2025-03-01T05:00:00Z", "since_precision": "exact"}
	f.must(f.crossing("alice", with(same, fields{"status": mechanism.CrossingClosed})))
	if p := f.st.Payload().(*mechanism.CrossingStatus); p.Side != "party-a" {
		t.Errorf("a party's status with no side has side %q; want its own, party-a", p.Side)
	}
	f.must(f.crossing("bob", with(same, fields{"status": mechanism.CrossingOpen, "side": "party-b"})))
	f.must(f.crossing("mo", with(same, fields{"status": mechanism.CrossingOpen, "side": "party-a", "since_precision": "day"})))
	if p := f.st.Payload().(*mechanism.CrossingStatus); p.Side != "party-a" {
		t.Errorf("a monitor's status has side %q; want party-a, as filed", p.Side)
	}
}

// TestCaseClose: a case is closed as out of scope by the mediators or the
// owners of its stage; its open deadlines end closed, not missed; it takes
// no further stage or decision.
func TestCaseClose(t *testing.T) {
	// In investigation, party-a owns the stage beside the mediators.
	f := setUpWorkflowRules3(t, func(rb *mechanism.Rulebook) {
		rb.Stages[2].By = []string{mechanism.BodyMediator, "party-a"}
	})
	f.must(f.report3(nil)) // 5
	closeMsg := func(author string, extra fields) []byte {
		return f.stmt(mechanism.KindCaseClose, with(fields{"case": caseID, "reason": mechanism.CloseBeforeTruce, "note": "Before the truce."}, extra), author)
	}
	f.deny(closeMsg("alice", nil), forb, `case.close: case 5 is in stage "received", which [mediator] own; only they may close it as out of scope, and "party-a" may not`)
	f.deny(closeMsg("bob", nil), forb, `"party-b" may not`)
	f.deny(closeMsg("mo", nil), forb, `"monitors" may not`)
	f.deny(closeMsg("admin-m1", fields{"reason": "boring"}), inv, `case.close: reason: "boring" is not one of [before_truce outside_area not_a_violation]`)
	f.deny(closeMsg("admin-m1", fields{"note": ""}), inv, `case.close: note: is required`)
	f.deny(closeMsg("admin-m1", fields{"case": 4}), inv, `case.close: case: there is no case 4`)
	f.must(f.advance("admin-m1", caseID, "preliminary", nil))
	f.deny(closeMsg("alice", nil), forb, `which [mediator] own`)
	f.must(f.advance("admin-m2", caseID, "investigation", nil))
	open := 0
	for _, d := range f.getCase(caseID).Deadlines {
		if d.Status == mechanism.DeadlineOpen {
			open++
		}
	}
	// party-a owns investigation: it may close the case.
	f.must(closeMsg("alice", fields{"reason": mechanism.CloseOutsideArea}))
	cl, ok := f.st.Closure(caseID)
	if !ok || cl.Reason != mechanism.CloseOutsideArea || cl.Body != "party-a" || cl.Stage != "investigation" {
		t.Errorf("closure = %+v, %v", cl, ok)
	}
	closed := 0
	for _, d := range f.getCase(caseID).Deadlines {
		switch d.Status {
		case mechanism.DeadlineOpen, mechanism.DeadlineMissed:
			t.Errorf("deadline %s is %s after the case was closed", d.Name, d.Status)
		case mechanism.DeadlineClosed:
			closed++
		}
	}
	if open == 0 || closed != open {
		t.Errorf("%d deadlines closed; want the %d that were open", closed, open)
	}
	// Nothing moves or decides a closed case; time passing misses nothing.
	f.deny(closeMsg("admin-m1", nil), inv, `case 5 was closed as out of scope (outside_area) at index 8`)
	f.deny(f.advance("admin-m1", caseID, "draft", nil), inv, `case.advance: case 5 was closed as out of scope`)
	f.deny(f.finding(caseID, nil), inv, `finding: case 5 was closed as out of scope`)
	f.must(f.reply("bob", caseID, fields{"casualties": nil}))                 // the record still grows
	f.must(f.report3(fields{"summary": "a month on", "at": after(30 * day)})) // log time passes every due date
	for _, d := range f.getCase(caseID).Deadlines {
		if d.Status == mechanism.DeadlineOpen || d.Status == mechanism.DeadlineMissed {
			t.Errorf("deadline %s is %s a month after the case was closed; want closed or met", d.Name, d.Status)
		}
	}
}

// TestCloseAfterDue: a deadline already past due when the case is closed
// was missed, not closed.
func TestCloseAfterDue(t *testing.T) {
	f := setUpWorkflowRules3(t, nil)
	f.must(f.report3(nil)) // 5: reply due in 72h, team_dispatch in 48h
	f.must(f.stmt(mechanism.KindCaseClose, fields{"case": caseID, "reason": "not_a_violation", "note": "A drill.", "at": after(60 * time.Hour)}, "admin-m1"))
	got := map[string]string{}
	for _, d := range f.getCase(caseID).Deadlines {
		got[d.Name] = d.Status
	}
	if got["team_dispatch"] != mechanism.DeadlineMissed || got["reply"] != mechanism.DeadlineClosed || got["finding"] != mechanism.DeadlineClosed {
		t.Errorf("deadlines = %v; want team_dispatch missed (due at 48h), reply and finding closed", got)
	}
}

// TestClauseBindsFrom: a clause cited for an event before the date from
// which it binds is refused, in a report and in a finding.
func TestClauseBindsFrom(t *testing.T) {
	const truce = "2025-03-01T00:00:00Z"
	f := setUpWorkflowRules3(t, func(rb *mechanism.Rulebook) { rb.Clauses[0].BindsFrom = truce })
	before := fields{"time": "2025-02-28T23:00:00Z", "precision": "exact"}
	f.deny(f.report3(fields{"event": before}), inv,
		`report: clauses: clause "no-shelling" binds from 2025-03-01T00:00:00Z, and the event (2025-02-28T23:00:00Z, known to the minute) is before it`)
	// The whole of the day before the truce is before it.
	f.deny(f.report3(fields{"event": fields{"time": "2025-02-28T00:00:00Z", "precision": "day"}}), inv, "known to the day) is before it")
	// An event known to the week that may fall after the truce is not.
	f.must(f.report3(fields{"event": fields{"time": "2025-02-27T00:00:00Z", "precision": "week"}})) // 5
	// A clause with no binds_from binds for every event.
	f.must(f.report3(fields{"event": before, "clauses": []string{"corridor"}, "summary": "earlier"})) // 6
	f.must(f.report3(fields{"event": fields{"time": truce, "precision": "exact"}, "summary": "at the truce"}))
	// A finding on the early event may not cite the clause.
	f.toStageRules3(6, "draft")
	f.deny(f.finding(6, nil), inv, `finding: clauses: clause "no-shelling" binds from`)
	f.must(f.finding(6, fields{"clauses": []string{"corridor"}}))

	// The rulebook's own checks.
	rb := f.amended()
	rb.Clauses[1].BindsFrom = "1 March"
	f.deny(f.rulebookMsg(rb), inv, `rulebook: clause "corridor": binds_from:`)
	rb = f.amended()
	rb.Categories[0].BindsFrom = truce
	f.deny(f.rulebookMsg(rb), inv, `rulebook: categories: "cross_border_fire": binds_from is for the agreement's clauses only`)
}

// toStageRules3 moves case c forward by the mediators to stage, through
// stages that need no decision.
func (f *fixture) toStageRules3(c int64, stage string) {
	f.t.Helper()
	rb := f.st.Rulebook
	for f.getCase(c).Stage != stage {
		f.must(f.advance("admin-m1", c, rb.Stages[rb.Stage(f.getCase(c).Stage)+1].ID, nil))
	}
}

// TestAbsentIsNotZero: under rules 3 an observer's position with a
// coordinate missing is refused rather than read as 0.
func TestAbsentIsNotZero(t *testing.T) {
	f := setUpWorkflowRules3(t, nil)
	for _, obs := range []fields{{"lat": 34.0}, {"lon": 71.0}, {}} {
		f.deny(f.report3(fields{"observation": observation(fields{"observer": obs})}), inv,
			`report: observation.observer: needs both lat and lon`)
	}
	f.must(f.report3(fields{"observation": observation(fields{"observer": nil})}))
	f.must(f.report3(fields{"observation": observation(fields{"observer": fields{"lat": 0.0, "lon": 0.0}}), "summary": "at 0, 0, said so"}))
}

// TestPrecisions: the precision fields of rules 3 take one of the
// precisions.
func TestPrecisions(t *testing.T) {
	f := setUpWorkflowRules3(t, nil)
	f.deny(f.commitment("alice", fields{"deadline_precision": "soon"}), inv, `commitment: deadline_precision: "soon" is not one of [exact day week month]`)
	f.deny(f.action("alice", fields{"time_precision": "hour"}), inv, `action: time_precision: "hour" is not one of`)
	f.must(f.commitment("alice", fields{"deadline_precision": "month"})) // 5
	f.must(f.action("alice", fields{"time_precision": "day"}))           // 6
	f.deny(f.meeting("admin-m1", fields{"end_precision": "hour"}), inv, `meeting: end_precision: "hour" is not one of`)
	f.must(f.meeting("admin-m1", fields{"start_precision": "day", "end_precision": "day"})) // 7
	f.deny(f.verification("mo", 6, fields{"time_precision": "day"}), inv, "action: verifies: a verification carries only")
	if p := f.st.Payload(); p != nil {
		t.Errorf("payload %v after a refusal", p)
	}
}
