package store

import (
	"database/sql/driver"
	"math"
	"reflect"
	"testing"
)

// writeRowLine is the line rowLine writes of values.
func writeRowLine(t testing.TB, values ...any) string {
	t.Helper()
	args := make([]driver.Value, len(values))
	for i, v := range values {
		args[i] = v
	}
	v, err := rowLine.Scalar(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	return string(v.([]byte))
}

// rowLineSeeds are rows as the views hold them, and values at the edges
// of how rowLine writes them.
var rowLineSeeds = [][]any{
	{},
	{nil},
	{"afghanistan", int64(1), int64(0), "pending", "", 31.5, 69.25, "AF", "AF-KAN"},
	{"", int64(0), int64(0), "verified", "pk-chaman", nil, nil, "", ""},
	{`a "quoted", word`, "back\\slash", "new\nline", "\xff\xfe", "طورخم", ",", "]", "\"]\n"},
	{float64(31), math.Copysign(0, -1), float64(999999), 1e6, 1e20, 1e21, 5e-324, math.MaxFloat64, math.Inf(1), math.Inf(-1), -31.000001, float64(math.MinInt64), -float64(math.MinInt64)},
	{int64(math.MinInt64), int64(math.MaxInt64), int64(0), int64(-1)},
}

// TestParseRowLine reads back what rowLine wrote: the same values, a
// whole real written without a point as an integer of its value.
func TestParseRowLine(t *testing.T) {
	for _, values := range rowLineSeeds {
		line := writeRowLine(t, values...)
		got, err := parseRowLine(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		want := make([]any, len(values))
		for i, v := range values {
			// strconv writes a whole real below a million without a point.
			if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1e6 {
				v = int64(f)
			}
			want[i] = v
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q read as %#v, want %#v", line, got, want)
		}
	}
	for _, bad := range []string{"", "[", "]\n", "[1]", "[1,]\n", "[,1]\n", "[1,,2]\n", `["open]` + "\n", `["a"1]` + "\n", "[1 2]\n", "[nul]\n", "[0x10]\n", "[1e]\n", "[1.5.2]\n"} {
		if v, err := parseRowLine(bad); err == nil {
			t.Errorf("%q read as %#v, not refused", bad, v)
		}
	}
}

// FuzzParseRowLine: whatever parseRowLine reads, rowLine writes again as a
// line that it reads and rowLine writes alike; and text and numbers that
// rowLine writes read back.
func FuzzParseRowLine(f *testing.F) {
	for _, values := range rowLineSeeds {
		f.Add(writeRowLine(f, values...), "", int64(0), 0.0)
	}
	f.Add("[1,2.5]\n", "x", int64(-7), 2.5)
	f.Fuzz(func(t *testing.T, line, s string, n int64, x float64) {
		if v, err := parseRowLine(line); err == nil {
			// Written again, the line is rowLine's: it reads as values
			// that rowLine writes as the same line. (Not the same values:
			// "0." reads as a real, written as "0", read as an integer.)
			again := writeRowLine(t, v...)
			w, err := parseRowLine(again)
			if err != nil || writeRowLine(t, w...) != again {
				t.Errorf("%q read as %#v, written again as %q, read as %#v (%v)", line, v, again, w, err)
			}
		}
		if math.IsNaN(x) {
			x = 0 // SQLite holds no NaN
		}
		line = writeRowLine(t, s, n, x, nil)
		v, err := parseRowLine(line)
		if err != nil || len(v) != 4 || v[0] != s || v[1] != n || v[3] != nil {
			t.Fatalf("%q read as %#v (%v)", line, v, err)
		}
		switch got := v[2].(type) {
		case float64:
			if got != x || math.Signbit(got) != math.Signbit(x) {
				t.Errorf("%v read as %v", x, got)
			}
		case int64:
			if float64(got) != x {
				t.Errorf("%v read as %v", x, got)
			}
		default:
			t.Errorf("%v read as %#v", x, got)
		}
	})
}
