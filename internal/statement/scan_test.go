package statement

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/torchwood"
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
// a list, and with fewer, still find a key given twice.
func TestFastJSONManyKeys(t *testing.T) {
	for _, n := range []int{20, 40} {
		var keys []string
		for i := range n {
			keys = append(keys, `"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1`)
		}
		if !fastJSON([]byte("{" + strings.Join(keys, ",") + "}")) {
			t.Errorf("%d distinct keys refused", n)
		}
		keys = append(keys, `"kba":2`) // the second key again
		if fastJSON([]byte("{" + strings.Join(keys, ",") + "}")) {
			t.Errorf("a key given twice, the %dth, accepted", n+1)
		}
	}
}

// TestFastJSONReleases: the fast scan accepts every statement of every
// release's log, so that none of them waits for encoding/json's walk.
func TestFastJSONReleases(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "logs", "*", "entries"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no logs: %v", err)
	}
	for _, file := range logs {
		bundle, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for len(bundle) > 0 {
			var entry []byte
			if entry, bundle, err = torchwood.ReadTileEntry(bundle); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			text, _, _ := strings.Cut(string(entry), "\n\n")
			obj := strings.TrimPrefix(text, Version+"\n")
			if !fastJSON([]byte(obj)) {
				t.Errorf("%s: the fast scan leaves %.80s… to encoding/json", file, obj)
			}
		}
	}
}

// FuzzFastFields: whatever the one pass reads of the common fields is what
// encoding/json decodes from the same object, so that a statement means
// the same to this release as to those that decoded it with encoding/json
// alone; and parseText agrees with that older way, refusal for refusal.
func FuzzFastFields(f *testing.F) {
	for _, s := range []string{
		`{"mechanism":"m","kind":"report","author":"a","at":"2025-01-01T00:00:00Z","refs":[{"index":1,"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}],"x":{"kind":"inner"}}`,
		`{"mechanism":"m","kind":"report","author":"a","at":"2025-01-01T00:00:00Z"}`,
		`{"mechanism":"m\u0041","kind":"report","author":"a","at":"2025-01-01T00:00:00Z"}`,
		`{"mechanism":null,"kind":5,"author":"a","at":"2025-01-01T00:00:00Z","refs":null}`,
		`{"mechanism":"m","kind":"report","author":"` + "\xff" + `","at":"2025-01-01T00:00:00Z"}`,
		`{"refs":[{"index":1.5}],"kind":"k"}`, `{"refs":[{"index":1,"hash":"short"}]}`, `{"refs":{}}`, `{"at":"x"}`, `{}`,
		`{"a":{"mechanism":"inner"},"mechanism":"outer"}`,
		`{"refs":[]}`, `{"refs":[null]}`, `{"refs":[{}]}`, `{"refs":[{"index":1,"other":2}]}`, `{"refs":[{"index":-0}, {"index":9223372036854775808}]}`,
		`{"refs":[{"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","index":2},{"index":3,"hash":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`,
		`{"refs":[{"hash":"\u0041AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`, `{"refs":[{"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`,
		`{"refs":[{"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}]}`, `{"refs":[{"hash":null}]}`, `{"refs":[{"index":"1"}]}`, `{"refs":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var top [len(fieldNames)][2]int
		if fastScan(b, &top) {
			var got, want Fields
			if fastFields(b, &top, &got) {
				if err := json.Unmarshal(b, &want); err != nil {
					t.Fatalf("%q: read in one pass as %+v; encoding/json refuses it: %v", b, got, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%q: read in one pass as %+v; encoding/json decodes %+v", b, got, want)
				}
			}
		}
		text := Version + "\n" + string(b) + "\n"
		got, gotErr := parseText([]byte(text))
		want, wantErr := parseTextWithJSON(text)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: parseText says %v; with encoding/json alone: %v", b, gotErr, wantErr)
		}
		if gotErr == nil && (!reflect.DeepEqual(got.Fields, want.Fields) || !got.Time.Equal(want.Time) || string(got.JSON) != string(want.JSON)) {
			t.Fatalf("%q: parseText gives %+v; with encoding/json alone: %+v", b, got, want)
		}
	})
}

// parseTextWithJSON is parseText as it was before the one pass read the
// common fields: the object checked, then its fields decoded with
// encoding/json (decodeFields, which parseText still uses when the one
// pass cannot be sure).
func parseTextWithJSON(text string) (*Statement, error) {
	body := strings.TrimSuffix(strings.TrimPrefix(text, Version+"\n"), "\n")
	if body == "" {
		return nil, Malformed("statement has no JSON object")
	}
	if err := checkJSON([]byte(body)); err != nil {
		return nil, err
	}
	s := &Statement{JSON: []byte(body)}
	if err := s.decodeFields(); err != nil {
		return nil, err
	}
	return s, nil
}
