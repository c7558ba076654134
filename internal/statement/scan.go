package statement

import "bytes"

// fastJSON reports whether b is certainly what checkJSON accepts: exactly
// one JSON object, keys that are lower-case identifiers, written without
// escapes, no key twice in an object, at most maxDepth levels, nothing
// before or after. It reads b once, without allocating but for objects with
// many keys; a false is not a refusal: checkJSON then walks b with
// encoding/json, which decides and says why.
func fastJSON(b []byte) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	s := scanner{b: b}
	return s.object(0) && s.i == len(b)
}

type scanner struct {
	b []byte
	i int
}

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
	var few [16][]byte
	keys := few[:0]
	var many map[string]bool
	for {
		if s.peek() != '"' {
			return false
		}
		k, ok := s.str()
		if !ok || !plainKey(k) {
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
		if !s.value(depth + 1) {
			return false
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
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return nil, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false
					}
				}
				s.i += 6
			default:
				return nil, false
			}
		default:
			s.i++
		}
	}
	return nil, false
}

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

// plainKey reports whether k, a key as written, is a lower-case identifier
// (keyRE) without escapes.
func plainKey(k []byte) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}
