package store

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzAppendQuoted: the digest quotes text as strconv.AppendQuote does,
// byte for byte, whatever the text: printable ASCII, quotes, backslashes,
// control characters, other scripts, invalid UTF-8.
func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "plain text", `a "quoted" word`, `back\slash`, "tab\there", "new\nline", "del\x7f",
		"Spīn Boldak", "طورخم", "\xff\xfe", "\u2028", "~ and space"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prefix := []byte("[1,")
		want := strconv.AppendQuote(bytes.Clone(prefix), s)
		if got := appendQuoted(bytes.Clone(prefix), s); !bytes.Equal(got, want) {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
		if got := appendQuoted(bytes.Clone(prefix), []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("appendQuoted([]byte(%q)) = %s, want %s", s, got, want)
		}
	})
}
