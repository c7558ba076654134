package statement_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/statement"
)

// explained is a payload with a field of each shape that statements use.
type explained struct {
	statement.Fields
	Case    *int64          `json:"case,omitempty"`
	Text    string          `json:"text"`
	Lat     *float64        `json:"lat,omitempty"`
	Done    bool            `json:"done"`
	Tags    []string        `json:"tags,omitempty"`
	Place   *explainedPlace `json:"place,omitempty"`
	Items   []explainedItem `json:"items,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
	Hash    tlog.Hash       `json:"hash"`
	Quorums map[string]int  `json:"quorums,omitempty"`
}

type explainedPlace struct {
	Name string `json:"name"`
	Lon  int    `json:"lon"`
}

type explainedItem struct {
	Low int64 `json:"low"`
}

// TestExplain checks that every unknown field and every value of the wrong
// type is named at once, with what it must be and an example, and that no
// message names a Go type.
func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name string
		json string
		want []string // one per problem, in order
	}{
		{"none", `{"case":54,"text":"x","done":true,"tags":["a"],"place":{"name":"y"},"items":[{"low":1}],"body":{"any":[1]},"quorums":{"a":1}}`, nil},
		{"nulls", `{"case":null,"text":null,"place":null,"items":[null]}`, nil},
		{"case as a string", `{"case":"54"}`, []string{"case: must be a number, such as 54; got a string"}},
		{"all at once", `{"case":"54","text":3,"mood":"x","place":{"nmae":"y","lon":1.5},"items":[{"low":1},{"low":"2"}],"tags":"a"}`, []string{
			"case: must be a number, such as 54; got a string",
			`text: must be a string, such as "Torkham"; got the number 3`,
			`mood: unknown field "mood"; the fields of a thing are mechanism, kind, author, at, refs, case, text, lat, done, tags, place, items, body, hash, quorums`,
			`place.nmae: unknown field "nmae"; did you mean "name"?; the fields of this object are name, lon`,
			"place.lon: must be a whole number within range, such as 54; got 1.5",
			"items[1].low: must be a number, such as 54; got a string",
			`tags: must be a list, such as ["Torkham"]; got a string`,
		}},
		{"object for a string", `{"at":{"t":1}}`, []string{`at: must be a string, such as "2025-10-20T17:00:00Z"; got an object`}},
		{"string for an object", `{"place":"Torkham"}`, []string{`place: must be an object, such as {"name": "Torkham", "lon": 54}; got a string`}},
		{"bool", `{"done":"yes"}`, []string{"done: must be true or false; got a string"}},
		{"hash", `{"hash":"nope"}`, []string{`hash: must be a SHA-256 hash in base64 (44 characters)`}},
		{"refs", `{"refs":[{"index":-0.5,"hash":1}]}`, []string{"refs[0].index: must be a whole number", "refs[0].hash: must be a hash in base64"}},
		{"too big", `{"case":1e30}`, []string{"case: must be a whole number within range, such as 54; got 1e30"}},
		{"map value", `{"quorums":{"a":"1"}}`, []string{"quorums.a: must be a number, such as 54; got a string"}},
		{"unknown listed once", `{"x":1,"y":2}`, []string{`x: unknown field "x"; the fields of a thing are`, `y: unknown field "y"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := statement.Explain([]byte(tc.json), new(explained), "a thing")
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems %q, want %d", len(ps), ps, len(tc.want))
			}
			for i, p := range ps {
				if !strings.HasPrefix(p.String(), tc.want[i]) {
					t.Errorf("problem %d is %q, want it to start %q", i, p, tc.want[i])
				}
				if i > 0 && tc.name == "unknown listed once" && strings.Contains(p.Msg, "the fields of") {
					t.Errorf("problem %d lists the fields again: %q", i, p)
				}
				for _, gotype := range []string{"int64", "float64", "Go struct", "struct", "string into", "main.", "statement."} {
					if strings.Contains(p.Msg, gotype) {
						t.Errorf("problem %q names a Go type (%q)", p, gotype)
					}
				}
			}
		})
	}
}

// TestDecodeExplains checks that a statement's Decode refuses with every
// problem at once, as malformed.
func TestDecodeExplains(t *testing.T) {
	st, err := statement.ParseObject([]byte(`{"mechanism":"m","kind":"reply","author":"a","at":"2025-01-01T00:00:00Z","refs":[],"case":"54","mood":1}`))
	if err != nil {
		t.Fatal(err)
	}
	err = st.Decode(new(explained))
	var e *statement.Error
	if !errors.As(err, &e) || e.Code != statement.CodeMalformed {
		t.Fatalf("Decode: %v, want a malformed refusal", err)
	}
	want := `invalid reply statement: 2 problems: case: must be a number, such as 54; got a string. mood: unknown field "mood"; the fields of a reply statement are`
	if !strings.HasPrefix(e.Reason, want) {
		t.Errorf("reason %q\nwant it to start %q", e.Reason, want)
	}
}

// FuzzExplain holds Explain to encoding/json: it finds a problem exactly
// when strict decoding fails on a well-formed object, and never panics.
func FuzzExplain(f *testing.F) {
	for _, s := range []string{
		`{"case":54,"text":"x"}`, `{"case":"54","mood":1}`, `{"place":{"name":"y","lon":1.5}}`, `{"items":[{"low":1},{"low":"2"}]}`,
		`{"hash":"lS57GlR27dV6mO2AwbefCV6Ux9Z6byCorO6FCCrv/yA="}`, `{"quorums":{"a":1e400}}`, `{"lat":1e400}`, `{"body":[1,{"a":2}]}`,
		`{"refs":[{"index":1,"hash":null}]}`, `{"tags":[null,"a"]}`, `{"case":-0}`, `{"case":1.0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || len(b) == 0 || b[0] != '{' {
			return
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		strictErr := d.Decode(new(explained))
		ps := statement.Explain(b, new(explained), "a thing")
		if strictErr == nil && len(ps) > 0 {
			t.Fatalf("%s decodes, but Explain finds %q", b, ps)
		}
		if strictErr != nil && len(ps) == 0 && !strings.Contains(strictErr.Error(), "nest") {
			t.Fatalf("%s does not decode (%v), but Explain finds nothing", b, strictErr)
		}
	})
}

// TestNotANote posts what is not a signed note: plain JSON is told to sign
// it with sulh submit, and so is a statement text without signatures.
func TestNotANote(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      string
	}{
		{"plain JSON", `{"kind":"report","summary":"x"}`, "this is plain JSON, not a signed statement"},
		{"plain JSON after spaces", "\n  {\"kind\":\"report\"}\n", "sign and send it with: sulh submit --key YOUR.key --server URL FILE.json (which"},
		{"a text without signatures", statement.Version + "\n{\"kind\":\"report\"}\n", "the statement has no signature"},
		{"anything else", "hello", "not a signed note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, open := range []func([]byte) (*statement.Statement, error){
				statement.Parse,
				func(b []byte) (*statement.Statement, error) { return statement.Open(b, nil) },
			} {
				_, err := open([]byte(tc.msg))
				var e *statement.Error
				if !errors.As(err, &e) || e.Code != statement.CodeMalformed || !strings.Contains(e.Reason, tc.want) {
					t.Errorf("%v; want a malformed refusal mentioning %q", err, tc.want)
				}
			}
		})
	}
}
