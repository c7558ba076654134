package store

import (
	"bytes"
	"strings"
)

// The views keep times as RFC 3339 in UTC, as statements write them and
// statement.FormatTime does: "2025-10-20T14:30:00Z",
// "2025-10-20T14:30:00.5Z". As text they sort as time does, except within
// a second: "…:00.5Z" sorts before "…:00Z", as '.' comes before 'Z'.
// Without the Z they sort as time does: the date and the second are
// fixed-width, and two fractions compare digit by digit, a shorter one
// that the other extends being the earlier ("…:00" < "…:00.25" <
// "…:00.5"), as long as the bound has no trailing zeros, which
// statement.FormatTime leaves none of.

// atOrAfter is the SQL condition that col holds a time at or after the
// one the placeholder param gives, formatted by statement.FormatTime. It
// also bounds col itself, to the bound's second, so that SQLite can walk
// an index on col.
func atOrAfter(col, param string) string {
	return "(" + col + " >= substr(" + param + ", 1, 19) AND " + later(col, param) + ")"
}

// before is the SQL condition that col holds a time before the one the
// placeholder param gives, as atOrAfter.
func before(col, param string) string {
	return "(" + col + " < substr(" + param + ", 1, 19) || '~' AND NOT " + later(col, param) + ")"
}

// after and atOrBefore are the conditions that col holds a time after, or
// at or before, the one param gives: atOrAfter and before with the roles
// turned, so that col, not param, must have no trailing zeros, as the
// times that sulh computes (deadlines, deliveries) have none.
func after(col, param string) string {
	return "(" + col + " >= substr(" + param + ", 1, 19) AND NOT " + exactlyLater(param, col) + ")"
}

func atOrBefore(col, param string) string {
	return "(" + col + " < substr(" + param + ", 1, 19) || '~' AND " + exactlyLater(param, col) + ")"
}

// later is the SQL expression, 1 or 0, that col holds a time at or after
// the one param gives: exactlyLater, worked out only for a time in the
// second of param's. A time in a later second is later as text than that
// second followed by '~', which sorts after '.' and 'Z'. So the rows of
// a period, which a report counts by the million, are compared with a
// constant, not trimmed one by one.
func later(col, param string) string {
	return "(" + col + " > substr(" + param + ", 1, 19) || '~' OR " + col + " >= substr(" + param + ", 1, 19) AND " + exactlyLater(col, param) + ")"
}

// exactlyLater is the SQL expression, 1 or 0, that a holds a time at or
// after the one b gives; exact, but no index can answer it.
func exactlyLater(a, b string) string {
	return "rtrim(" + a + ", 'Z') >= rtrim(" + b + ", 'Z')"
}

// timeBound is a bound as the SQL conditions atOrAfter, before and later
// compare a time with it, for Go to work them out as SQL would: b as
// statement.FormatTime writes it (ASCII, so that SQLite's substr, which
// counts characters, cuts it where Go cuts bytes), its second, the
// second followed by '~', and b without trailing Zs. SQLite compares text
// byte by byte, as Go does, and rtrim(x, 'Z') is bytes.TrimRight(x, "Z").
// TestTimeBoundsInGo holds the methods to the SQL.
type timeBound struct{ sec, secEnd, trimmed string }

func newTimeBound(b string) timeBound {
	sec := b[:min(19, len(b))]
	return timeBound{sec: sec, secEnd: sec + "~", trimmed: strings.TrimRight(b, "Z")}
}

// later is later(t, b).
func (b timeBound) later(t []byte) bool {
	return string(t) > b.secEnd || string(t) >= b.sec && string(bytes.TrimRight(t, "Z")) >= b.trimmed
}

// atOrAfter is atOrAfter(t, b).
func (b timeBound) atOrAfter(t []byte) bool { return string(t) >= b.sec && b.later(t) }

// before is before(t, b).
func (b timeBound) before(t []byte) bool { return string(t) < b.secEnd && !b.later(t) }
