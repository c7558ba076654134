package blob

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest file name, in bytes, that the store accepts.
const MaxNameLen = 255

// CheckName reports whether name is acceptable as the name of an uploaded
// file or a working copy: not empty, at most MaxNameLen bytes of valid UTF-8,
// no path separator, no "..", no leading dot, and no control or bidirectional
// override character. The error wraps ErrBadName.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the name is empty", ErrBadName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: the name is %d bytes long, over the limit of %d", ErrBadName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: the name is not valid UTF-8", ErrBadName)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%w: the name %q holds a path separator", ErrBadName, name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%w: the name %q holds \"..\"", ErrBadName, name)
	case name[0] == '.':
		return fmt.Errorf("%w: the name %q starts with a dot", ErrBadName, name)
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return fmt.Errorf("%w: the name %q holds a control character", ErrBadName, name)
		}
		if isBidiOverride(c) {
			return fmt.Errorf("%w: the name %q holds a bidirectional override (U+%04X), which can disguise its extension", ErrBadName, name, c)
		}
	}
	return nil
}

// isBidiOverride reports whether c is one of the embedding, override and
// isolate controls that can make "photo\u202Egpj.exe" read as a JPEG. The
// marks U+200E and U+200F and the joiners U+200C and U+200D stay allowed:
// Persian and Dari names use them.
func isBidiOverride(c rune) bool {
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)
}

// ValidHash reports whether s is a SHA-256 hash as the store names its
// files: 64 lower-case hexadecimal digits.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkHash(s string) error {
	if !ValidHash(s) {
		if len(s) > 80 {
			s = s[:80] + "…"
		}
		return fmt.Errorf("%w: %q", ErrBadHash, s)
	}
	return nil
}
