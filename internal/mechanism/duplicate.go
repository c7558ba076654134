package mechanism

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EventPossibleDuplicate is a case opened by a report that closely
// matches an open case the same body opened (SameEvent): its filer and the
// monitors are told, so that a monitor or a mediator links the two with a
// case.link if they are one event.
const EventPossibleDuplicate = "possible_duplicate"

// The duplicate rule's bounds.
const (
	// DuplicateWindow is how far apart two events' times may be, beyond
	// the span each one's precision leaves open, and still match.
	DuplicateWindow = 6 * time.Hour
	// DuplicateDegrees is how far apart two places' coordinates may be, in
	// degrees of latitude and of longitude (0.1° is about 11 km north to
	// south, and 9 km east to west at the border's latitude), and still
	// match. Degrees, not kilometres, so that every machine agrees to the
	// last bit.
	DuplicateDegrees = 0.1
	// duplicateRecent is how many of the cases each body opened, its
	// newest, the rule compares a new report with, at least.
	duplicateRecent = 256
	// duplicateListed is how many matching cases a possible duplicate's
	// event names, the newest first.
	duplicateListed = 5
)

// ReportedEvent is what the duplicate rule compares of the report that
// opened a case.
type ReportedEvent struct {
	Case      int64     `json:"case"`
	Time      time.Time `json:"time"`
	Precision string    `json:"precision"`
	EventType string    `json:"event_type"`
	PlaceID   string    `json:"place_id"`
	PlaceName string    `json:"place_name"`
	Lat       *float64  `json:"lat"`
	Lon       *float64  `json:"lon"`
}

// reportedEvent is what the duplicate rule compares of r, which opens
// case id at event time t.
func reportedEvent(id int64, t time.Time, r *Report) ReportedEvent {
	return ReportedEvent{Case: id, Time: t, Precision: r.Event.Precision, EventType: r.EventType,
		PlaceID: r.Place.ID, PlaceName: r.Place.Name, Lat: r.Place.Lat, Lon: r.Place.Lon}
}

// Span returns the interval [from, to] an event time at precision leaves
// open: a day, a week or a month from t, or t alone when it is exact.
func Span(t time.Time, precision string) (from, to time.Time) {
	switch precision {
	case "day":
		return t, t.Add(24*time.Hour - time.Second)
	case "week":
		return t, t.Add(7*24*time.Hour - time.Second)
	case "month":
		return t, t.AddDate(0, 1, 0).Add(-time.Second)
	}
	return t, t
}

// SameEvent is the duplicate rule: whether two reports of one body
// closely match, so that the later may report the event of the earlier
// again. They match when they have the same event type; their times,
// each taken as the span its precision leaves open, are at most
// DuplicateWindow apart; and their places are the same gazetteer place,
// or lie within DuplicateDegrees of each other in latitude and in
// longitude, or, where either has no coordinates, have the same name.
func SameEvent(a, b ReportedEvent) bool { return sameEvent(&a, &b) }

// sameEvent is SameEvent without copying the events. It compares the
// places before the times, whose spans cost more to work out; the rule is
// the same, as it holds only when type, time and place all match.
func sameEvent(a, b *ReportedEvent) bool {
	if a.EventType != b.EventType || !samePlace(a, b) {
		return false
	}
	af, at := Span(a.Time, a.Precision)
	bf, bt := Span(b.Time, b.Precision)
	return bf.Sub(at) <= DuplicateWindow && af.Sub(bt) <= DuplicateWindow
}

// samePlace is SameEvent's rule for places.
func samePlace(a, b *ReportedEvent) bool {
	switch {
	case a.PlaceID != "" && a.PlaceID == b.PlaceID:
		return true
	case a.Lat != nil && b.Lat != nil:
		return within(*a.Lat, *b.Lat) && within(*a.Lon, *b.Lon)
	}
	return strings.EqualFold(strings.TrimSpace(a.PlaceName), strings.TrimSpace(b.PlaceName))
}

func within(x, y float64) bool { return x-y <= DuplicateDegrees && y-x <= DuplicateDegrees }

// caseOpen reports whether c is still open: not yet in the rulebook's last
// stage.
func (s *State) caseOpen(c *Case) bool { return c.Stage != s.Rulebook.Published() }

// flagDuplicates compares ev, the event of a case that body's report
// opens, with the open cases body opened before, tells its filer and the
// monitors of those it matches (the newest duplicateListed), and
// remembers ev for the reports to come.
func (s *State) flagDuplicates(body string, ev ReportedEvent) {
	recent := s.reg.Reported[body]
	var match []string
	for i := len(recent) - 1; i >= 0 && len(match) < duplicateListed; i-- {
		old := &recent[i]
		if !sameEvent(old, &ev) {
			continue
		}
		if c, ok := s.cases[old.Case]; ok && s.caseOpen(c) && s.DuplicateOf(old.Case) < 0 {
			match = append(match, strconv.FormatInt(old.Case, 10))
		}
	}
	// Each body's list is cut back to its newest duplicateRecent when it
	// holds twice as many, so that a report copies it rarely.
	if len(recent) >= 2*duplicateRecent {
		recent = append(recent[:0], recent[len(recent)-duplicateRecent+1:]...)
	}
	if s.reg.Reported == nil {
		s.reg.Reported = map[string][]ReportedEvent{}
	}
	s.reg.Reported[body] = append(recent, ev)
	if len(match) == 0 {
		return
	}
	cases := "case " + match[0]
	if len(match) > 1 {
		cases = "cases " + andList(match)
	}
	bodies := []string{body}
	for _, b := range s.bodiesOfType(BodyMonitor) {
		if !slices.Contains(bodies, b) {
			bodies = append(bodies, b)
		}
	}
	s.tell(Event{Kind: EventPossibleDuplicate, Index: ev.Case, Case: ev.Case, Bodies: bodies, Finding: -1,
		Text: fmt.Sprintf("Case %d, opened by %s, may report the same event as %s, which %s opened: the same type of event, at the same time and place. If it is one event, a monitor or a mediator links them with a case.link of relation %q.",
			ev.Case, body, cases, body, RelationDuplicate)})
}

// bodiesOfType lists the ids of the rulebook's bodies of type typ.
func (s *State) bodiesOfType(typ string) []string {
	var out []string
	for _, b := range s.Rulebook.Bodies {
		if b.Type == typ {
			out = append(out, b.ID)
		}
	}
	return out
}
