package main

import (
	"testing"
	"time"
)

func TestInZones(t *testing.T) {
	zones := []*time.Location{time.FixedZone("Pakistan", 5*3600), time.FixedZone("Afghanistan", 4*3600+1800)}
	for _, tc := range []struct{ in, want string }{
		{"2025-10-20T17:00:00Z", "2025-10-20T17:00:00Z (Pakistan 22:00, Afghanistan 21:30)"},
		{"2025-10-20T19:45:00Z", "2025-10-20T19:45:00Z (Pakistan Oct 21 00:45, Afghanistan Oct 21 00:15)"},
		{"not a time", "not a time"},
	} {
		if got := inZones(tc.in, zones); got != tc.want {
			t.Errorf("inZones(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := inZones("2025-10-20T17:00:00Z", nil); got != "2025-10-20T17:00:00Z" {
		t.Errorf("with no zones: %q", got)
	}
}
