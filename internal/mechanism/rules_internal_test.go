package mechanism

import (
	"encoding/json"
	"testing"
)

// FuzzCleanFastPath: whatever text walkClean refuses, mayBeUnclean flags,
// so that checkClean's fast path never lets one through.
func FuzzCleanFastPath(f *testing.F) {
	for _, s := range []string{"Torkham", "Tor\u202ekham", "a\u001bb", "a\nb", "a\u0085b", "a\u2069", "a\u007fb", "مى\u200cخواهم", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, key := range []string{"name", "text"} {
			obj, err := json.Marshal(map[string]any{key: s, "list": []string{s}})
			if err != nil {
				return
			}
			if walkClean("report", obj) != nil && !mayBeUnclean(obj) {
				t.Fatalf("%q under %q: walkClean refuses it, mayBeUnclean lets it through", s, key)
			}
		}
	})
}

// TestEveryKindApplies: every kind the package names has a handler, and
// every handler is of a kind the package names.
func TestEveryKindApplies(t *testing.T) {
	for _, k := range Kinds {
		if kinds[k] == nil {
			t.Errorf("kind %q has no handler", k)
		}
	}
	if len(kinds) != len(Kinds) {
		t.Errorf("%d handlers for %d kinds", len(kinds), len(Kinds))
	}
}
