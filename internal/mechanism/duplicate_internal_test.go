package mechanism

import (
	"testing"
	"time"
)

// TestSameEventOrder holds sameEvent, which compares places before times,
// to the rule in SameEvent's comment taken in its order (the place last),
// over a grid of event types, precisions, times at and beside the window's
// edges, and places alike and not.
func TestSameEventOrder(t *testing.T) {
	rule := func(a, b ReportedEvent) bool {
		if a.EventType != b.EventType {
			return false
		}
		af, at := Span(a.Time, a.Precision)
		bf, bt := Span(b.Time, b.Precision)
		if bf.Sub(at) > DuplicateWindow || af.Sub(bt) > DuplicateWindow {
			return false
		}
		return samePlace(&a, &b)
	}
	f := func(x float64) *float64 { return &x }
	type place struct {
		id, name string
		lat, lon *float64
	}
	places := []place{
		{id: "torkham", name: "Torkham"},
		{id: "chaman", name: "Torkham"},
		{name: " torkham "},
		{name: "Chaman"},
		{name: "Torkham", lat: f(34.1), lon: f(71.1)},
		{id: "torkham", lat: f(34.19), lon: f(71.1)},
		{lat: f(34.21), lon: f(71.1)},
		{lat: f(34.1), lon: f(71.2000001)},
	}
	t0 := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	var times []time.Time
	for _, d := range []time.Duration{0, time.Second, 6 * time.Hour, 6*time.Hour + time.Second, 30 * time.Hour, 30*time.Hour + time.Second,
		7*24*time.Hour + 6*time.Hour, 7*24*time.Hour + 6*time.Hour + time.Second, 29 * 24 * time.Hour, 35 * 24 * time.Hour} {
		times = append(times, t0.Add(d), t0.Add(-d))
	}
	var events []ReportedEvent
	for _, typ := range []string{"battles", "riots"} {
		for _, p := range []string{"", "day", "week", "month"} {
			for _, tm := range times {
				for _, pl := range places {
					events = append(events, ReportedEvent{Time: tm, Precision: p, EventType: typ, PlaceID: pl.id, PlaceName: pl.name, Lat: pl.lat, Lon: pl.lon})
				}
			}
		}
	}
	matched := 0
	for i := range events {
		for j := range events {
			a, b := &events[i], &events[j]
			want := rule(*a, *b)
			if got := sameEvent(a, b); got != want {
				t.Fatalf("sameEvent(%+v, %+v) = %v, the rule says %v", *a, *b, got, want)
			}
			if want {
				matched++
			}
		}
	}
	if matched == 0 || matched == len(events)*len(events) {
		t.Fatalf("%d of %d pairs match: the grid tests nothing", matched, len(events)*len(events))
	}
}
