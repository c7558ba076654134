package mechanism

import (
	"strings"
	"testing"
)

// TestSharedChecksOfRules3 checks the checks of places and actors that
// kinds born under rules 3 call (Place.check, Actor.check, checkActors):
// they count characters, as checkText does, and refuse one too many.
func TestSharedChecksOfRules3(t *testing.T) {
	name := strings.Repeat("ب", maxName)
	for _, tc := range []struct {
		name string
		ok   bool
	}{{name, true}, {name + "ب", false}} {
		p := Place{Name: tc.name, GeoPrecision: 2}
		a := Actor{ID: "ttp", Label: tc.name}
		for what, err := range map[string]error{
			"Place.check":  p.check("x"),
			"Actor.check":  a.check("x", "group"),
			"checkActors":  checkActors("x", []Actor{a}),
			"Place, bytes": p.checkWith("x", checkTextBytes),
		} {
			want := tc.ok && what != "Place, bytes"
			if (err == nil) != want {
				t.Errorf("%s of a name of %d characters: %v; want accepted %v", what, len([]rune(tc.name)), err, want)
			}
		}
	}
}
