package statement

import (
	"regexp"
	"testing"
)

// The forms the byte-by-byte checks stand for.
var (
	kindRE = regexp.MustCompile(`^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$`)
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$`)
)

var formSeeds = []string{
	"", "a", "A", "0", ".", "-", "_", "report", "case.advance", "case.", ".case", "case..advance", "c.a1", "c.1a", "a-b", "a_b", "1a",
	"pak-afg-2025", "-a", "a-", "a.b_c-d", "é", "a\n", "a\x00", "a b",
	string(make([]byte, 64)), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"2025-10-19T12:00:00Z", "2025-10-19T12:00:00.5Z", "2025-10-19T12:00:00.123456789Z", "2025-10-19T12:00:00.1234567890Z",
	"2025-10-19T12:00:00.Z", "2025-10-19T12:00:00", "2025-10-19T12:00:00+00:00", "2025-10-19 12:00:00Z", "2025-10-19t12:00:00Z",
	"2025-10-19T12:00:00Z\n", "2025-1-19T12:00:00Z", "٢٠٢٥-10-19T12:00:00Z", "2025-10-19T12:00:00.1a2Z", "99999-10-19T12:00:00Z",
}

func checkForms(t *testing.T, s string) {
	t.Helper()
	if got, want := isKind(s), kindRE.MatchString(s); got != want {
		t.Errorf("isKind(%q) = %v; the form says %v", s, got, want)
	}
	if got, want := isID(s), idRE.MatchString(s); got != want || isID([]byte(s)) != want {
		t.Errorf("isID(%q) = %v; the form says %v", s, got, want)
	}
	if got, want := isTime(s), timeRE.MatchString(s); got != want {
		t.Errorf("isTime(%q) = %v; the form says %v", s, got, want)
	}
}

func TestForms(t *testing.T) {
	for _, s := range formSeeds {
		checkForms(t, s)
	}
}

func FuzzForms(f *testing.F) {
	for _, s := range formSeeds {
		f.Add(s)
	}
	f.Fuzz(checkForms)
}
