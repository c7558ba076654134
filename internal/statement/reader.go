package statement

import (
	"iter"
	"strconv"
	"unicode/utf8"
)

// Decoder is a payload that reads itself from a statement's JSON object
// without reflection: Decode uses it, for a zero payload, in place of
// encoding/json. DecodeJSON reads the object into the zero value it is
// called on, and calls r.Fail at anything it does not take (a key it does
// not know among them); Decode then zeroes the payload and decodes it with
// encoding/json, which decides and says why. So DecodeJSON must never
// succeed where encoding/json, refusing unknown fields, would decode
// otherwise or fail: each implementation is fuzzed against it.
type Decoder interface {
	DecodeJSON(r *Reader)
}

// A Reader reads a statement's JSON object, one that Parse accepted (no
// key twice in an object), into Go values. It takes only what
// encoding/json certainly decodes the same way into a zero value: objects
// whose keys are written without escapes, arrays, strings in valid UTF-8
// with any escape but that of a UTF-16 surrogate, and numbers that
// strconv parses as encoding/json does. At anything else (null, true or
// false, a value of another type, such an escape, invalid UTF-8, which
// encoding/json would replace) it fails, and from then on reads nothing.
type Reader struct {
	// scanner reads the literals, as the one-pass check does.
	scanner
	failed bool
	// buf holds a string's bytes while its escapes are read.
	buf []byte
}

// Fail marks the reading as failed: Decode falls back to encoding/json.
func (r *Reader) Fail() { r.failed = true }

// ReadJSON reads obj, a statement's JSON object that Parse accepted, into
// d, a zero payload, and reports whether d read all of it. When it did
// not, d holds a part of obj and must be zeroed before anything else
// decodes into it.
func ReadJSON(obj []byte, d Decoder) bool {
	r := Reader{scanner: scanner{b: obj}}
	d.DecodeJSON(&r)
	r.space()
	return !r.failed && r.i == len(r.b)
}

// next skips white space and reports whether the next byte is c, and
// fails if it is not.
func (r *Reader) next(c byte) bool {
	if r.failed || r.peek() != c {
		r.failed = true
		return false
	}
	return true
}

// Object reads an object, yielding each key; the loop's body must read
// the key's value, or call Fail for a key it does not know.
func (r *Reader) Object() iter.Seq[string] {
	return func(yield func(string) bool) {
		if !r.open('{', '}') {
			return
		}
		for {
			if !r.next('"') {
				return
			}
			k, ok := r.str()
			if !ok || !isID(k) || !r.next(':') {
				r.failed = true
				return
			}
			r.i++
			if !yield(string(k)) || !r.more('}') {
				return
			}
		}
	}
}

// Array reads an array, yielding once for each element; the loop's body
// must read the element.
func (r *Reader) Array() iter.Seq[int] {
	return func(yield func(int) bool) {
		if !r.open('[', ']') {
			return
		}
		for n := 0; yield(n) && r.more(']'); n++ {
		}
	}
}

// open reads the start of an object or an array, and reports whether an
// element follows, rather than the end.
func (r *Reader) open(start, end byte) bool {
	if !r.next(start) {
		return false
	}
	r.i++
	if r.space(); r.i < len(r.b) && r.b[r.i] == end {
		r.i++
		return false
	}
	return true
}

// more reads what follows an element of an object or an array, and
// reports whether another follows: a comma rather than the end.
func (r *Reader) more(end byte) bool {
	if r.space(); !r.failed && r.i < len(r.b) {
		switch r.b[r.i] {
		case ',':
			r.i++
			return true
		case end:
			r.i++
			return false
		}
	}
	r.failed = true
	return false
}

// String reads a string.
func (r *Reader) String() string {
	if !r.next('"') {
		return ""
	}
	v, ok := r.str()
	if !ok {
		r.failed = true
		return ""
	}
	for _, c := range v {
		if c == '\\' || c >= utf8.RuneSelf {
			return r.unquote(v)
		}
	}
	return string(v)
}

// unquote returns v, a string literal's contents that str accepted, with
// its escapes read, as encoding/json reads them; it fails at a surrogate
// escape or invalid UTF-8, which encoding/json replaces with U+FFFD.
func (r *Reader) unquote(v []byte) string {
	if !utf8.Valid(v) {
		r.failed = true
		return ""
	}
	out := r.buf[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch v[i] {
		case '"', '\\', '/':
			out = append(out, v[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			n, err := strconv.ParseUint(string(v[i+1:i+5]), 16, 32)
			if err != nil || n >= 0xd800 && n < 0xe000 {
				r.failed = true
				return ""
			}
			out = utf8.AppendRune(out, rune(n))
			i += 4
		}
	}
	r.buf = out
	return string(out)
}

// numeral reads a number's literal.
func (r *Reader) numeral() []byte {
	c := r.peek()
	start := r.i
	if r.failed || !(c == '-' || c >= '0' && c <= '9') || !r.number() {
		r.failed = true
		return nil
	}
	return r.b[start:r.i]
}

// Int reads an integer, as encoding/json reads one into an int64 (or an
// int, on a 64-bit machine): digits, with no fraction or exponent.
func (r *Reader) Int() int64 {
	v := r.numeral()
	if r.failed {
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.failed = true
	}
	return n
}

// Float reads a number, as encoding/json reads one into a float64.
func (r *Reader) Float() float64 {
	v := r.numeral()
	if r.failed {
		return 0
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		r.failed = true
	}
	return f
}

// IntPtr reads an integer into a new int64.
func (r *Reader) IntPtr() *int64 {
	n := r.Int()
	return &n
}

// FloatPtr reads a number into a new float64.
func (r *Reader) FloatPtr() *float64 {
	f := r.Float()
	return &f
}

// Strings reads an array of strings; an empty array is an empty slice,
// not nil, as encoding/json makes it.
func (r *Reader) Strings() []string {
	l := []string{}
	for range r.Array() {
		l = append(l, r.String())
	}
	return l
}

// Common reads the value of key into f, if key is one of the fields
// every statement carries, and fails otherwise: the default of a
// payload's switch on its keys.
func (r *Reader) Common(f *Fields, key string) {
	switch key {
	case "mechanism":
		f.Mechanism = r.String()
	case "kind":
		f.Kind = r.String()
	case "author":
		f.Author = r.String()
	case "at":
		f.At = r.String()
	case "refs":
		f.Refs = r.refs()
	default:
		r.failed = true
	}
}

// refs reads a statement's list of references as encoding/json decodes it
// into a nil []Ref: an array of objects whose only keys are "index", an
// integer, and "hash", a string as tlog.Hash's UnmarshalJSON reads it.
func (r *Reader) refs() []Ref {
	refs := []Ref{} // encoding/json makes an empty list of []
	for range r.Array() {
		var ref Ref
		for key := range r.Object() {
			switch key {
			case "index":
				ref.Index = r.Int()
			case "hash":
				// encoding/json hands the literal, quotes and all, to
				// tlog.Hash's UnmarshalJSON.
				if r.next('"') {
					start := r.i
					if _, ok := r.str(); !ok || ref.Hash.UnmarshalJSON(r.b[start:r.i]) != nil {
						r.failed = true
					}
				}
			default:
				r.failed = true
			}
		}
		refs = append(refs, ref)
	}
	return refs
}
