package store

import (
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestEveryKindProjects: every kind of statement has a projection into
// the views, so that a new kind cannot silently write nothing.
func TestEveryKindProjects(t *testing.T) {
	for _, k := range mechanism.Kinds {
		if projections[k] == nil {
			t.Errorf("kind %q has no projection", k)
		}
	}
	if len(projections) != len(mechanism.Kinds) {
		t.Errorf("%d projections for %d kinds", len(projections), len(mechanism.Kinds))
	}
}
