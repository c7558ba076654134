package statement

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// probe is a payload with a value of each type a Reader reads.
type probe struct {
	Fields
	S  string      `json:"s"`
	I  int64       `json:"i"`
	N  int         `json:"n"`
	F  float64     `json:"f"`
	IP *int64      `json:"ip"`
	FP *float64    `json:"fp"`
	L  []string    `json:"l"`
	O  *probeItem  `json:"o"`
	LO []probeItem `json:"lo"`
}

type probeItem struct {
	A string `json:"a"`
	B int64  `json:"b"`
}

func (p *probe) DecodeJSON(r *Reader) {
	for k := range r.Object() {
		switch k {
		case "s":
			p.S = r.String()
		case "i":
			p.I = r.Int()
		case "n":
			p.N = int(r.Int())
		case "f":
			p.F = r.Float()
		case "ip":
			p.IP = r.IntPtr()
		case "fp":
			p.FP = r.FloatPtr()
		case "l":
			p.L = r.Strings()
		case "o":
			p.O = new(probeItem)
			p.O.read(r)
		case "lo":
			p.LO = []probeItem{}
			for range r.Array() {
				var it probeItem
				it.read(r)
				p.LO = append(p.LO, it)
			}
		default:
			r.Common(&p.Fields, k)
		}
	}
}

func (it *probeItem) read(r *Reader) {
	for k := range r.Object() {
		switch k {
		case "a":
			it.A = r.String()
		case "b":
			it.B = r.Int()
		default:
			r.Fail()
		}
	}
}

// strictly decodes b into v as Decode does with encoding/json.
func strictly(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// readerCases are objects a Reader reads (fast) or leaves to
// encoding/json.
var readerCases = []struct {
	obj  string
	fast bool
}{
	{`{}`, true},
	{`{ "s" : "x" ,
	"i" : -0 }`, true},
	{`{"s":"a\"b\\c\/d\be\ff\ng\rh\ti\u00e9\u0000\uffff"}`, true},
	{`{"s":"دعوى — ادعا","l":["ناوړه","","\u062f"]}`, true},
	{`{"i":9223372036854775807,"n":-9223372036854775808,"f":-1.5e-3,"ip":0,"fp":1e308}`, true},
	{`{"l":[],"lo":[],"o":{}}`, true},
	{`{"lo":[{"a":"x","b":2},{}],"o":{"b":1}}`, true},
	{`{"mechanism":"m","kind":"k","author":"a","at":"t","refs":[{"index":3,"hash":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}]}`, true},
	{`{"refs":[]}`, true},
	{`{"f":1e-400}`, true}, // underflows to 0 in both
	// Left to encoding/json, which decodes or refuses them.
	{`{"s":null}`, false},
	{`{"l":[null]}`, false},
	{`{"s":true}`, false},
	{`{"s":1}`, false},
	{`{"i":"1"}`, false},
	{`{"i":1.0}`, false},
	{`{"i":1e2}`, false},
	{`{"i":9223372036854775808}`, false},
	{`{"f":1e400}`, false},
	{`{"s":"\ud83d\ude00"}`, false},
	{`{"s":"\udc00"}`, false},
	{"{\"s\":\"\xff\"}", false},
	{`{"\u0073":"x"}`, false},
	{`{"x":1}`, false},
	{`{"o":{"c":1}}`, false},
	{`{"refs":[{"index":1,"hash":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=","x":1}]}`, false},
	{`{"refs":[{"hash":"AAA="}]}`, false},
	{`{"l":"x"}`, false},
	{`{"o":[]}`, false},
	{`{"lo":{}}`, false},
}

// TestReader checks that a Reader reads what it should, to what
// encoding/json decodes, and leaves the rest to encoding/json.
func TestReader(t *testing.T) {
	for _, c := range readerCases {
		if err := checkJSON([]byte(c.obj)); err != nil {
			t.Fatalf("%s: %v", c.obj, err)
		}
		var got, want probe
		ok := ReadJSON([]byte(c.obj), &got)
		err := strictly([]byte(c.obj), &want)
		if ok != c.fast {
			t.Errorf("%s: read %v, want %v", c.obj, ok, c.fast)
		}
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: read %+v; encoding/json: %+v, %v", c.obj, got, want, err)
		}
	}
}

// TestDecodeFallsBack: a statement a Reader cannot read decodes as
// encoding/json decodes it, and is refused as encoding/json refuses it.
func TestDecodeFallsBack(t *testing.T) {
	s := &Statement{JSON: []byte(`{"s":"x","o":{"a":"y"},"ip":null,"l":[null,"z"]}`)}
	var got probe
	if err := s.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := (probe{S: "x", O: &probeItem{A: "y"}, L: []string{"", "z"}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	s = &Statement{JSON: []byte(`{"s":"x","lo":[{"a":"y","c":1}]}`)}
	got = probe{}
	if err := s.Decode(&got); err == nil {
		t.Fatalf("decoded %+v, want unknown field refused", got)
	}
}

// FuzzReader: whatever a Reader reads from an object that checkJSON
// accepts, encoding/json decodes to the same value.
func FuzzReader(f *testing.F) {
	for _, c := range readerCases {
		f.Add([]byte(c.obj))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkJSON(b) != nil {
			return // Decode reads only what Parse accepted
		}
		var got, want probe
		if !ReadJSON(b, &got) {
			return
		}
		if err := strictly(b, &want); err != nil {
			t.Fatalf("%q: read %+v; encoding/json refuses it: %v", b, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read %+v; encoding/json decodes %+v", b, got, want)
		}
	})
}
