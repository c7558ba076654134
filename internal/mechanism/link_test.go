package mechanism_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// setUpRules3 returns a fixture under rules 3 with a monitor body:
// alice in party-a (index 1), bob in party-b (2), carol in monitors (3).
func setUpRules3(t *testing.T) *fixture {
	f := newFixture(t)
	f.newKey("admin-mon", "admin-mon")
	rb := f.rulebook()
	rb.Rules = mechanism.Rules3
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	f.must(f.rulebookMsg(rb))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	f.must(f.enrolMsg("admin-mon", "monitors", "carol"))
	return f
}

// link is a case.link of a and b by author, with extra fields.
func (f *fixture) link(author string, a, b int64, relation string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindCaseLink, with(fields{"case": a, "other": b, "relation": relation,
		"text": "The two reports are about the night of 5 December."}, extra), author)
}

func (f *fixture) unlink(author string, a, b int64) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindCaseUnlink, fields{"case": a, "other": b, "text": "Linked in error."}, author)
}

// applyEffects files msg and returns its effects.
func (f *fixture) applyEffects(msg []byte) *mechanism.Effects {
	f.t.Helper()
	st, err := f.st.Open(msg)
	if err != nil {
		f.t.Fatal(err)
	}
	e, err := f.st.Apply(st)
	if err != nil {
		f.t.Fatalf("refused: %v\n%s", err, msg)
	}
	f.log = append(f.log, msg)
	return e
}

// TestCaseLink: monitors and mediators link cases; every way to link
// wrongly is refused with the field, the rule and a way to do it right; a
// duplicate link makes one case stand for the other, and an unlink undoes
// it. The state read back from a snapshot at every step takes the rest
// alike.
func TestCaseLink(t *testing.T) {
	f := setUpRules3(t)
	f.must(f.report("alice", fields{"at": after(time.Hour)}))                         // 4
	f.must(f.report("bob", fields{"accused": "party-a", "at": after(2 * time.Hour)})) // 5
	f.must(f.report("alice", fields{"at": after(3 * time.Hour), "event": event(fields{"time": "2025-03-01T06:30:00Z"})}))
	const a, b, dup = 4, 5, 6

	inv, forb := statement.CodeInvalid, statement.CodeForbidden
	for _, tc := range []struct {
		name string
		msg  []byte
		code statement.Code
		want []string
	}{
		{"to itself", f.link("carol", a, a, "related", nil), inv, []string{"case.link: other: a case cannot be linked to itself"}},
		{"unknown case", f.link("carol", 99, a, "related", nil), inv, []string{"case.link: case: there is no case 99"}},
		{"unknown other", f.link("carol", a, 99, "related", nil), inv, []string{"case.link: other: there is no case 99"}},
		{"a party's key", f.link("alice", a, b, "counter_claim", nil), forb, []string{"case.link statements are filed by members of a body of type [monitor mediator]", `"party-a" is a party`}},
		{"another body's key as co-signer", f.stmt(mechanism.KindCaseLink, fields{"case": a, "other": b, "relation": "related", "text": "x"}, "carol", "bob"), forb, []string{`the signature by "bob" counts toward nothing`}},
		{"unknown relation", f.link("carol", a, b, "same", nil), inv, []string{`case.link: relation: "same" is not one of [counter_claim duplicate related]`}},
		{"no text", f.link("carol", a, b, "related", fields{"text": ""}), inv, []string{"case.link: text: is required"}},
		{"duplicate without stands", f.link("carol", a, dup, "duplicate", nil), inv, []string{"case.link: stands: a duplicate says which case stands: 4 or 6"}},
		{"stands on a counter-claim", f.link("carol", a, b, "counter_claim", fields{"stands": a}), inv, []string{"case.link: stands: is given only for a duplicate"}},
		{"stands elsewhere", f.link("carol", a, dup, "duplicate", fields{"stands": b}), inv, []string{"case.link: stands: 5 is neither of the linked cases; give 4 or 6"}},
		{"unlink what is not linked", f.unlink("carol", a, b), inv, []string{"case.unlink: other: cases 4 and 5 are not linked"}},
		{"unlink by a party", f.unlink("bob", a, b), forb, []string{"case.unlink statements are filed by members of a body of type [monitor mediator]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := f.st.Size
			wantError(t, f.submit(tc.msg), tc.code, tc.want...)
			if f.st.Size != size || f.st.DuplicateOf(dup) != -1 {
				t.Errorf("a refused statement changed the state")
			}
		})
	}

	e := f.applyEffects(f.link("carol", a, b, "counter_claim", nil))
	if !slices.Equal(e.Subjects, []int64{a, b}) {
		t.Errorf("a link's subjects = %v, want both cases", e.Subjects)
	}
	wantError(t, f.submit(f.link("carol", a, b, "related", fields{"text": "again"})), inv, "case.link: cases 4 and 5 are already linked (counter_claim, by the statement at index", "file a case.unlink of them first")
	wantError(t, f.submit(f.link("admin-m1", b, a, "counter_claim", nil)), inv, "cases 5 and 4 are already linked")

	e = f.applyEffects(f.link("admin-m1", dup, a, "duplicate", fields{"stands": a}))
	for _, c := range e.Cases {
		want := int64(-1)
		if c.ID == dup {
			want = a
		}
		if c.DuplicateOf != want {
			t.Errorf("case %d: DuplicateOf = %d, want %d", c.ID, c.DuplicateOf, want)
		}
	}
	if got := f.st.DuplicateOf(dup); got != a {
		t.Errorf("DuplicateOf(%d) = %d, want %d", dup, got, a)
	}
	// A chain would hide which case stands; a case stands for others only
	// if it is no duplicate itself.
	f.must(f.report("alice", fields{"at": after(4 * time.Hour)}))
	third := f.st.Size - 1
	wantError(t, f.submit(f.link("carol", third, dup, "duplicate", fields{"stands": dup})), inv, "case.link: stands: case 6 is itself a duplicate of case 4; let case 4 stand")
	wantError(t, f.submit(f.link("carol", dup, third, "duplicate", fields{"stands": third})), inv, "case.link: stands: case 6 is already a duplicate of case 4")

	// A wrong link is undone, and the cases linked again as they should.
	f.must(f.unlink("carol", a, dup))
	if got := f.st.DuplicateOf(dup); got != -1 {
		t.Errorf("after the unlink, DuplicateOf(%d) = %d, want -1", dup, got)
	}
	f.must(f.link("carol", a, dup, "duplicate", fields{"stands": dup}))
	if got := f.st.DuplicateOf(a); got != dup {
		t.Errorf("DuplicateOf(%d) = %d, want %d", a, got, dup)
	}
	checkEveryPrefix(t, f.log)
}

// TestCaseLinkNeedsRules3: a mechanism under older rules refuses the new
// kinds and says how to take them.
func TestCaseLinkNeedsRules3(t *testing.T) {
	f := setUp(t)
	f.must(f.enrolMsg("admin-m1", "mediator-1", "carol"))
	f.must(f.report("alice", nil))
	f.must(f.report("bob", fields{"accused": "party-a"}))
	f.refuse(f.link("carol", 4, 5, "related", nil), statement.CodeInvalid, "case.link: this kind of statement came with rules 3, and this mechanism follows rules 1", `amend the rulebook to "rules": 3`)
	f.refuse(f.unlink("carol", 4, 5), statement.CodeInvalid, "case.unlink: this kind of statement came with rules 3")
}

// TestPossibleDuplicate: a report that matches an open case its body
// opened, by type, time and place, is told to its filer and the monitors;
// one that differs in any of them, or comes from another body, is not.
func TestPossibleDuplicate(t *testing.T) {
	f := setUpRules3(t)
	f.must(f.report("alice", fields{"at": after(time.Hour)}))
	for i, tc := range []struct {
		name    string
		author  string
		extra   fields
		flagged bool
	}{
		{"re-filed half an hour later", "alice", fields{"event": event(fields{"time": "2025-03-01T06:30:00Z"})}, true},
		{"the same place by its coordinates alone", "alice", fields{"place": place(fields{"id": nil, "lat": 34.15, "lon": 71.05})}, true},
		{"the day, not the hour", "alice", fields{"event": event(fields{"time": "2025-03-01T00:00:00Z", "precision": "day"})}, true},
		{"another body", "bob", fields{"accused": "party-a"}, false},
		{"another type", "alice", fields{"event_type": "battles", "sub_event_type": "armed_clash"}, false},
		{"a day later", "alice", fields{"event": event(fields{"time": "2025-03-02T06:00:00Z"})}, false},
		{"far away", "alice", fields{"place": place(fields{"id": nil, "lat": 34.1, "lon": 71.3})}, false},
		{"far away, another gazetteer place", "alice", fields{"place": place(fields{"id": "landi-kotal", "lat": 35.1, "lon": 71.1})}, false},
		{"another name, without coordinates", "alice", fields{"place": fields{"name": "Landi Kotal", "geo_precision": 2}}, false},
		{"the same place by name, without coordinates", "alice", fields{"place": fields{"name": "torkham", "geo_precision": 2}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			e := f.applyEffects(f.report(tc.author, with(fields{"at": after(time.Duration(24+i) * time.Hour), "summary": tc.name}, tc.extra)))
			var got *mechanism.Event
			for i := range e.Events {
				if e.Events[i].Kind == mechanism.EventPossibleDuplicate {
					got = &e.Events[i]
				}
			}
			if (got != nil) != tc.flagged {
				t.Fatalf("flagged = %v, want %v (events %+v)", got != nil, tc.flagged, e.Events)
			}
			if got == nil {
				return
			}
			if got.Case != e.Index || !slices.Equal(got.Bodies, []string{"party-a", "monitors"}) {
				t.Errorf("event on case %d for %v, want case %d for the filer and the monitors", got.Case, got.Bodies, e.Index)
			}
			if !containsAll(got.Text, "may report the same event as case", "case.link") {
				t.Errorf("text %q", got.Text)
			}
		})
	}
	f.t = t
	checkEveryPrefix(t, f.log)

	// A case linked as a duplicate is not offered again: the case that
	// stands for it is.
	f = setUpRules3(t)
	f.must(f.report("alice", fields{"at": after(time.Hour)}))
	e := f.applyEffects(f.report("alice", fields{"at": after(2 * time.Hour), "summary": "again"}))
	if len(e.Events) != 2 || !strings.Contains(e.Events[1].Text, "as case 4, which party-a opened") {
		t.Fatalf("events %+v, want an allegation and a possible duplicate of case 4", e.Events)
	}
	f.must(f.link("carol", 5, 4, "duplicate", fields{"stands": 4}))
	e = f.applyEffects(f.report("alice", fields{"at": after(3 * time.Hour), "summary": "and again"}))
	if len(e.Events) != 2 || !strings.Contains(e.Events[1].Text, "as case 4, which") {
		t.Errorf("events %+v, want a possible duplicate of case 4 alone", e.Events)
	}
	checkEveryPrefix(t, f.log)
}

// TestSameEvent: the rule's bounds, and that it is symmetric.
func TestSameEvent(t *testing.T) {
	lat, lon := 30.91, 66.45
	far := lon + mechanism.DuplicateDegrees + 0.001
	t0 := time.Date(2025, 12, 5, 17, 0, 0, 0, time.UTC)
	base := mechanism.ReportedEvent{Time: t0, Precision: "exact", EventType: "battles", PlaceName: "Badani", Lat: &lat, Lon: &lon}
	for _, tc := range []struct {
		name string
		b    func(*mechanism.ReportedEvent)
		want bool
	}{
		{"itself", func(*mechanism.ReportedEvent) {}, true},
		{"at the window", func(e *mechanism.ReportedEvent) { e.Time = t0.Add(mechanism.DuplicateWindow) }, true},
		{"past the window", func(e *mechanism.ReportedEvent) { e.Time = t0.Add(mechanism.DuplicateWindow + time.Second) }, false},
		{"the month before, known to the month", func(e *mechanism.ReportedEvent) {
			e.Time, e.Precision = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "month"
		}, true},
		{"the week before", func(e *mechanism.ReportedEvent) {
			e.Time, e.Precision = t0.Add(-7*24*time.Hour-mechanism.DuplicateWindow-time.Hour), "week"
		}, false},
		{"a degree and a bit east", func(e *mechanism.ReportedEvent) { e.Lon = &far }, false},
		{"no coordinates, another name", func(e *mechanism.ReportedEvent) { e.Lat, e.Lon, e.PlaceName = nil, nil, "Chaman" }, false},
		{"the same gazetteer place far off", func(e *mechanism.ReportedEvent) { e.PlaceID, e.Lon = "badani", &far }, false},
	} {
		b := base
		tc.b(&b)
		if tc.name == "the same gazetteer place far off" {
			// The same id is the same place, whatever the coordinates say.
			a := base
			a.PlaceID = "badani"
			if !mechanism.SameEvent(a, b) || !mechanism.SameEvent(b, a) {
				t.Errorf("%s: two reports of one gazetteer place do not match", tc.name)
			}
			continue
		}
		if got, back := mechanism.SameEvent(base, b), mechanism.SameEvent(b, base); got != tc.want || back != tc.want {
			t.Errorf("%s: SameEvent = %v, and the other way %v; want %v", tc.name, got, back, tc.want)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
