package statement

import (
	"strings"
	"testing"
)

// FuzzFastJSON: whatever the fast scan accepts, the walk with
// encoding/json accepts too, so that the fast path never lets through
// what checkJSON would refuse.
func FuzzFastJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"A":1}`, `{"a":[1,2,{"b":null}]}`, `{"a":"\u00e9\n"}`, `{"a":-0.5e+3}`,
		`{"a":01}`, `{"a":1.}`, `{"a":tru}`, `{"\u0061":1}`, `{"a":1} `, `{"a":"x\u001f"}`, `{"a":"` + "\x01" + `"}`,
		`{"a": {"b": {"c": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}`,
		`{"mechanism":"m","kind":"report","author":"a","at":"2025-01-01T00:00:00Z","refs":[{"index":1,"hash":"AAA="}],"x.y-z_1":true}`,
		`{` + strings.Repeat(`"k`+"0"+`":1,`, 3) + `"z":0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if fastJSON(b) {
			if err := walkJSON(b); err != nil {
				t.Fatalf("%q: the fast scan accepts it, the walk refuses it: %v", b, err)
			}
		}
	})
}

// TestFastJSONManyKeys: objects with more keys than the fast scan keeps in
// a list still find a key given twice.
func TestFastJSONManyKeys(t *testing.T) {
	var keys []string
	for i := range 40 {
		keys = append(keys, `"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1`)
	}
	if !fastJSON([]byte("{" + strings.Join(keys, ",") + "}")) {
		t.Error("40 distinct keys refused")
	}
	keys = append(keys, `"kba":2`) // the second key again
	if fastJSON([]byte("{" + strings.Join(keys, ",") + "}")) {
		t.Error("a key given twice, the 41st, accepted")
	}
}
