package statement

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// fastJSON reports whether b is certainly what checkJSON accepts: exactly
// one JSON object, keys that are lower-case identifiers, written without
// escapes, no key twice in an object, at most maxDepth levels, nothing
// before or after. It reads b once, without allocating but for objects with
// many keys; a false is not a refusal: checkJSON then walks b with
// encoding/json, which decides and says why.
func fastJSON(b []byte) bool {
	return fastScan(b, nil)
}

// fastScan is fastJSON, and records in top, if not nil, where the values
// of the common fields are.
func fastScan(b []byte, top *[len(fieldNames)][2]int) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	s := scanner{b: b, top: top}
	return s.object(0) && s.i == len(b)
}

// fastFields reads the common fields of b, an object that fastScan
// accepted and found them in at top, as encoding/json would decode them
// into Fields, when that is certain: each string written without escapes
// in valid UTF-8, which encoding/json takes as it is. It reports false
// when any is otherwise (a number, null, an escape), and the caller then
// decodes them with encoding/json, which decides and says why.
func fastFields(b []byte, top *[len(fieldNames)][2]int, f *Fields) bool {
	for i, dst := range [...]*string{&f.Mechanism, &f.Kind, &f.Author, &f.At} {
		span := top[i]
		if span[1] == 0 {
			continue // absent: the zero value, as encoding/json leaves it
		}
		v := b[span[0]:span[1]]
		if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v) {
			return false
		}
		*dst = string(v[1 : len(v)-1])
	}
	if span := top[len(fieldNames)-1]; span[1] != 0 {
		// refs: read without reflection where it is certain, by
		// encoding/json otherwise.
		v := b[span[0]:span[1]]
		var ok bool
		if f.Refs, ok = readRefs(v); !ok {
			f.Refs = nil
			if json.Unmarshal(v, &f.Refs) != nil {
				return false
			}
		}
	}
	return true
}

// readRefs reads v, the value of a statement's "refs", as the Reader
// reads it in a payload, and reports whether it could.
func readRefs(v []byte) ([]Ref, bool) {
	r := Reader{scanner: scanner{b: v}}
	refs := r.refs()
	r.space()
	return refs, !r.failed && r.i == len(r.b)
}

type scanner struct {
	b []byte
	i int
	// top, if not nil, receives where the values of the outermost
	// object's common fields are (fieldNames), as b[start:end].
	top *[len(fieldNames)][2]int
}

// fieldNames are the keys of Fields, in the order of scanner.top.
var fieldNames = [...]string{"mechanism", "kind", "author", "at", "refs"}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) value(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

// object reads an object; s.b[s.i] is its '{'.
func (s *scanner) object(depth int) bool {
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	// Keys are compared with the ones before them, and in a map past 32
	// (a report has about 20).
	var few [32][]byte
	keys := few[:0]
	var many map[string]bool
	for {
		if s.peek() != '"' {
			return false
		}
		k, ok := s.str()
		if !ok || !isID(k) {
			return false
		}
		if many != nil {
			if many[string(k)] {
				return false
			}
			many[string(k)] = true
		} else {
			for _, seen := range keys {
				if bytes.Equal(seen, k) {
					return false
				}
			}
			if keys = append(keys, k); len(keys) == len(few) {
				many = make(map[string]bool, 2*len(keys))
				for _, seen := range keys {
					many[string(seen)] = true
				}
			}
		}
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		start := s.i
		if !s.value(depth + 1) {
			return false
		}
		if depth == 0 && s.top != nil {
			for f, name := range fieldNames {
				if string(k) == name {
					s.top[f] = [2]int{start, s.i}
				}
			}
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array; s.b[s.i] is its '['.
func (s *scanner) array(depth int) bool {
	s.i++
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth + 1) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string, s.b[s.i] being its opening quote, and returns what
// is between the quotes, escapes unread.
func (s *scanner) str() ([]byte, bool) {
	b, i := s.b, s.i+1
	start := i
	for i < len(b) {
		c := b[i]
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			s.i = i + 1
			return b[start:i], true
		case c < 0x20:
			return nil, false
		}
		// A backslash.
		if i+1 >= len(b) {
			return nil, false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(b) {
				return nil, false
			}
			for _, h := range b[i+2 : i+6] {
				if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
					return nil, false
				}
			}
			i += 6
		default:
			return nil, false
		}
	}
	return nil, false
}

// plain marks the bytes that a string holds as they are written: not a
// quote, a backslash or a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < len(t); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}
