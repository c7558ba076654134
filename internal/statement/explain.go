package statement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// A Problem is one field of a statement's JSON that does not fit the kind:
// a field the kind does not have, or a value of the wrong type.
type Problem struct {
	// Field is the field's path, such as "place.lat" or "actors[1].label".
	Field string
	// Msg says what the field must be, with an example, and what it was.
	Msg string
}

func (p Problem) String() string { return p.Field + ": " + p.Msg }

// maxProblems is the most problems a refusal lists.
const maxProblems = 20

// Explain lists every problem that decoding the JSON object obj strictly
// into a value of v's type meets, in the order of the JSON: each unknown
// field and each value of the wrong type, in words that name no Go type.
// what names the object, as in "a report statement". It returns nil when
// obj is not valid JSON or has no such problem.
func Explain(obj []byte, v any, what string) []Problem {
	d := json.NewDecoder(bytes.NewReader(obj))
	d.UseNumber()
	n, err := readNode(d, 0)
	if err != nil {
		return nil
	}
	e := &explainer{listed: map[reflect.Type]bool{}}
	e.walk("", n, reflect.TypeOf(v), what)
	return e.problems
}

// explainError is the refusal for the problems ps, all at once, after
// prefix.
func explainError(prefix string, ps []Problem) *Error {
	var b strings.Builder
	b.WriteString(prefix + ": ")
	if len(ps) > 1 {
		fmt.Fprintf(&b, "%d problems: ", len(ps))
	}
	for i, p := range ps {
		if i > 0 {
			b.WriteString(". ")
		}
		if i == maxProblems {
			fmt.Fprintf(&b, "and %d more", len(ps)-i)
			break
		}
		b.WriteString(p.String())
	}
	return Malformed("%s", b.String())
}

// node is a JSON value, with its object's keys in the order written.
type node struct {
	kind byte // '{', '[', '"', '0' (number), 't' (true or false), 'n' (null)
	keys []string
	vals []*node
	str  string
	num  json.Number
	b    bool
}

func readNode(d *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("too deep")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(t)}
		for d.More() {
			if t == '{' {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				n.keys = append(n.keys, ks)
			}
			v, err := readNode(d, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &node{kind: '"', str: t}, nil
	case json.Number:
		return &node{kind: '0', num: t}, nil
	case bool:
		return &node{kind: 't', b: t}, nil
	case nil:
		return &node{kind: 'n'}, nil
	}
	return nil, io.ErrUnexpectedEOF
}

// what a JSON value is, in words.
func (n *node) what() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case '0':
		return "the number " + n.num.String()
	case 't':
		return "true or false"
	}
	return "null"
}

// value returns n as encoding/json would decode it into an any.
func (n *node) value() any {
	switch n.kind {
	case '{':
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = n.vals[i].value()
		}
		return m
	case '[':
		l := make([]any, len(n.vals))
		for i, v := range n.vals {
			l[i] = v.value()
		}
		return l
	case '"':
		return n.str
	case '0':
		return n.num
	case 't':
		return n.b
	}
	return nil
}

type explainer struct {
	problems []Problem
	// listed are the structs whose fields an unknown field's message
	// listed already.
	listed map[reflect.Type]bool
}

func (e *explainer) add(path, format string, args ...any) {
	if path == "" {
		path = "the statement"
	}
	e.problems = append(e.problems, Problem{Field: path, Msg: fmt.Sprintf(format, args...)})
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	hashType        = reflect.TypeFor[tlog.Hash]()
	rawType         = reflect.TypeFor[json.RawMessage]()
)

// walk checks n against type t at path; what names a struct for the
// message of an unknown field.
func (e *explainer) walk(path string, n *node, t reflect.Type, what string) {
	if n.kind == 'n' && t.Kind() == reflect.Pointer {
		return // null leaves a pointer nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawType:
		return
	case t == hashType:
		if n.kind != '"' {
			e.add(path, "must be a hash in base64, such as %q; got %s", exampleHash, n.what())
			return
		}
		var h tlog.Hash
		if err := json.Unmarshal([]byte(strconv.Quote(n.str)), &h); err != nil {
			e.add(path, "must be a SHA-256 hash in base64 (44 characters), such as %q; got %q", exampleHash, n.str)
		}
		return
	case reflect.PointerTo(t).Implements(unmarshalerType):
		b, err := json.Marshal(n.value())
		if err == nil {
			err = json.Unmarshal(b, reflect.New(t).Interface())
		}
		if err != nil {
			e.add(path, "is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return
	case n.kind == 'n':
		return // null leaves any other field as it was
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != '{' {
			e.add(path, "must be an object, such as %s; got %s", exampleObject(t), n.what())
			return
		}
		fields := structFields(t)
		for i, k := range n.keys {
			f, ok := fields[k]
			if !ok {
				// encoding/json matches names without regard to case;
				// statements take only lower-case keys anyway.
				for name, g := range fields {
					if strings.EqualFold(name, k) {
						f, ok = g, true
						break
					}
				}
			}
			if !ok {
				e.unknown(join(path, k), k, t, fields, what)
				continue
			}
			e.walk(join(path, k), n.vals[i], f.Type, "")
		}
	case reflect.Map:
		if n.kind != '{' {
			e.add(path, "must be an object, such as %s; got %s", exampleOf(t, path), n.what())
			return
		}
		for i, k := range n.keys {
			e.walk(join(path, k), n.vals[i], t.Elem(), "")
		}
	case reflect.Slice, reflect.Array:
		if n.kind != '[' {
			e.add(path, "must be a list, such as %s; got %s", exampleOf(t, path), n.what())
			return
		}
		for i, v := range n.vals {
			e.walk(fmt.Sprintf("%s[%d]", path, i), v, t.Elem(), "")
		}
	case reflect.String:
		if n.kind != '"' {
			e.add(path, "must be a string, such as %s; got %s", exampleOf(t, path), n.what())
		}
	case reflect.Bool:
		if n.kind != 't' {
			e.add(path, "must be true or false; got %s", n.what())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != '0' {
			e.add(path, "must be a number, such as %s; got %s", exampleOf(t, path), n.what())
			return
		}
		if !fitsInt(n.num, t) {
			e.add(path, "must be a whole number within range, such as %s; got %s", exampleOf(t, path), n.num)
		}
	case reflect.Float32, reflect.Float64:
		if n.kind != '0' {
			e.add(path, "must be a number, such as %s; got %s", exampleOf(t, path), n.what())
			return
		}
		if f, err := strconv.ParseFloat(n.num.String(), t.Bits()); err != nil || math.IsInf(f, 0) {
			e.add(path, "must be a number within range, such as %s; got %s", exampleOf(t, path), n.num)
		}
	}
}

// unknown adds the problem of a field that the struct t does not have.
func (e *explainer) unknown(path, key string, t reflect.Type, fields map[string]reflect.StructField, what string) {
	names := structFieldNames(t)
	msg := fmt.Sprintf("unknown field %q", key)
	if near := nearest(key, names); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	if !e.listed[t] {
		e.listed[t] = true
		if what == "" {
			what = "this object"
		}
		msg += fmt.Sprintf("; the fields of %s are %s", what, strings.Join(names, ", "))
	}
	e.problems = append(e.problems, Problem{Field: path, Msg: msg})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structFields returns the fields of struct t by their JSON names, those
// of embedded structs included, as encoding/json decodes them.
func structFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue // its fields are visible in their own right
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := out[name]; !ok {
			out[name] = f
		}
	}
	return out
}

// structFieldNames lists the JSON names of t's fields, in order.
func structFieldNames(t reflect.Type) []string {
	var names []string
	seen := map[string]bool{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// nearest returns the name in names closest to key, if it is at most two
// edits away.
func nearest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(key, n); d < bestD && d < len(key)-1 {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func fitsInt(n json.Number, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := strconv.ParseUint(n.String(), 10, t.Bits())
		return err == nil
	}
	_, err := strconv.ParseInt(n.String(), 10, t.Bits())
	return err == nil
}

const exampleHash = "lS57GlR27dV6mO2AwbefCV6Ux9Z6byCorO6FCCrv/yA="

// timeFields are the names of fields that hold times.
var timeFields = map[string]bool{"at": true, "time": true, "date": true, "since": true, "until": true, "expires": true,
	"start": true, "end": true, "deadline": true, "from": true, "to": true, "period_from": true, "period_to": true}

// exampleOf returns an example of a valid value of type t, for the field
// at path, in JSON.
func exampleOf(t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := path
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		name = path[i+1:]
	}
	switch t.Kind() {
	case reflect.String:
		switch {
		case timeFields[name]:
			return `"2025-10-20T17:00:00Z"`
		case name == "language":
			return `"ur"`
		case name == "precision":
			return `"day"`
		case name == "id":
			return `"torkham"`
		case name == "kind":
			return `"report"`
		}
		return `"Torkham"`
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "54"
	case reflect.Float32, reflect.Float64:
		if name == "lon" {
			return "71.0918"
		}
		return "34.1008"
	case reflect.Bool:
		return "true"
	case reflect.Slice, reflect.Array:
		if t == hashType {
			return strconv.Quote(exampleHash)
		}
		return "[" + exampleOf(t.Elem(), name) + "]"
	case reflect.Map:
		return `{"name": ` + exampleOf(t.Elem(), "") + "}"
	case reflect.Struct:
		return exampleObject(t)
	}
	return "…"
}

// exampleObject returns an object of type t's first fields, as an example.
func exampleObject(t reflect.Type) string {
	names := structFieldNames(t)
	fields := structFields(t)
	var parts []string
	for _, n := range names {
		if len(parts) == 2 {
			parts = append(parts, "…")
			break
		}
		ft := fields[n].Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		var v string
		if ft.Kind() == reflect.Struct || ft.Kind() == reflect.Map {
			v = "{…}"
		} else if ft.Kind() == reflect.Slice && ft != hashType {
			v = "[…]"
		} else {
			v = exampleOf(ft, n)
		}
		parts = append(parts, strconv.Quote(n)+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
