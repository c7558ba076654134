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
