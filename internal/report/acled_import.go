package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Limits of an ACLED file that sulh import acled reads.
const (
	// MaxACLEDField is the longest field, in bytes: longer is refused.
	MaxACLEDField = 32 << 10
	// maxACLEDColumns is the most columns a row may have.
	maxACLEDColumns = 200
)

// acledRequired are the columns an ACLED file must have to be imported.
var acledRequired = []string{"event_id_cnty", "event_date", "event_type", "sub_event_type", "location"}

// ACLEDRow is a row of an ACLED file, by column name, and the line of the
// file it starts on.
type ACLEDRow struct {
	Line   int
	Fields map[string]string
}

// ACLEDReader reads an ACLED export (ACLEDColumns, in any order, with
// other columns allowed) one row at a time.
type ACLEDReader struct {
	r      *csv.Reader
	header []string
}

// NewACLEDReader reads the header of an ACLED file and refuses a file
// that lacks a column sulh needs.
func NewACLEDReader(r io.Reader) (*ACLEDReader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty: an ACLED file starts with a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the header row: %w", err)
	}
	if len(header) > maxACLEDColumns {
		return nil, fmt.Errorf("the header has %d columns; at most %d", len(header), maxACLEDColumns)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte order mark
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	var missing []string
	for _, c := range acledRequired {
		if !slices.Contains(header, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header lacks ACLED's columns %s: is it an ACLED export?", strings.Join(missing, ", "))
	}
	return &ACLEDReader{r: cr, header: header}, nil
}

// Next returns the next row, io.EOF after the last, or an error that says
// what is wrong with a row and on which line; the rows after it can
// still be read, unless the error is a *csv.ParseError of the file's
// quoting.
func (a *ACLEDReader) Next() (ACLEDRow, error) {
	rec, err := a.r.Read()
	if err == io.EOF {
		return ACLEDRow{}, io.EOF
	}
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		return ACLEDRow{Line: pe.StartLine}, fmt.Errorf("has %d fields; the header has %d", len(rec), len(a.header))
	case errors.As(err, &pe):
		return ACLEDRow{Line: pe.StartLine}, fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	case err != nil:
		return ACLEDRow{}, err
	}
	line, _ := a.r.FieldPos(0)
	row := ACLEDRow{Line: line, Fields: make(map[string]string, len(rec))}
	for i, v := range rec {
		if len(v) > MaxACLEDField {
			return row, fmt.Errorf("%s is %d bytes long; at most %d", a.header[i], len(v), MaxACLEDField)
		}
		row.Fields[a.header[i]] = strings.TrimSpace(v)
	}
	return row, nil
}

// acledDates are the forms of event_date in ACLED's exports: the API's
// and the export tool's, and the codebook's day-month-year.
var acledDates = []string{"2006-01-02", "02 January 2006", "2 January 2006", "02-01-2006", "02/01/2006"}

// clean removes from s the characters a statement's text may not hold
// (control and bidi override characters), keeping newlines and tabs when
// long: a text of an ACLED file is the record of an event, and its
// stray controls are no part of it.
func clean(s string, long bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			if long {
				return r
			}
			return ' '
		case r == '\r':
			return -1
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
}

// cut shortens s to at most n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// acledTypeIDs returns sulh's ids of an event type and sub-event type that
// ACLED names.
func acledTypeIDs(t, sub string) (string, string, error) {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		return strings.ReplaceAll(s, "protestors", "protesters")
	}
	for _, et := range mechanism.EventTypes {
		if norm(et.Name) != norm(t) && et.ID != t {
			continue
		}
		for _, s := range et.SubTypes {
			if norm(s.Name) == norm(sub) || s.ID == sub {
				return et.ID, s.ID, nil
			}
		}
		return "", "", fmt.Errorf("sub_event_type %q is not one of ACLED's for %q", sub, et.Name)
	}
	return "", "", fmt.Errorf("event_type %q is not one of ACLED's six", t)
}

// alpha2 returns the ISO 3166-1 alpha-2 code of a country ACLED names, or
// gives by its numeric code.
func alpha2(name, iso string) string {
	for code, c := range countries {
		if strings.EqualFold(c.name, strings.TrimSpace(name)) || iso != "" && strconv.Itoa(c.numeric) == strings.TrimLeft(iso, "0") {
			return code
		}
	}
	return ""
}

// ACLEDReport makes the fields of a report on channel open_source from an
// ACLED row, as a monitor files it: the event's date, with ACLED's
// precision; its place, with its coordinates, precision and, for a
// country sulh knows, its administrative units; ACLED's event type and
// sub-event type; ACLED's notes as the summary (cut to 500 characters)
// and, in the text, all that the row says, its actors and fatalities
// included (ACLED attributes no fatality to a side, so the report files
// no figures). now is the statement's time: an event after it is refused.
// The statement's mechanism, author and time are left to the sender.
func ACLEDReport(row ACLEDRow, now time.Time) (map[string]any, error) {
	f := func(k string) string { return row.Fields[k] }
	id := clean(f("event_id_cnty"), false)
	if id == "" {
		return nil, errors.New("event_id_cnty is empty")
	}
	var day time.Time
	var err error
	for _, layout := range acledDates {
		if day, err = time.Parse(layout, f("event_date")); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("event_date %q is not a date such as 2025-10-12", f("event_date"))
	}
	if day.After(now) || day.Year() < 1970 {
		return nil, fmt.Errorf("event_date %s is after today or before 1970", day.Format("2006-01-02"))
	}
	precision := "day"
	switch f("time_precision") {
	case "", "1":
	case "2":
		precision = "week"
	case "3":
		precision = "month"
	default:
		return nil, fmt.Errorf("time_precision %q is not 1, 2 or 3", f("time_precision"))
	}
	evType, subType, err := acledTypeIDs(f("event_type"), f("sub_event_type"))
	if err != nil {
		return nil, err
	}
	location := cut(clean(f("location"), false), 200)
	if location == "" {
		return nil, errors.New("location is empty")
	}
	place := map[string]any{"name": location}
	geo := 3
	if g := f("geo_precision"); g != "" {
		if geo, err = strconv.Atoi(g); err != nil || geo < 1 || geo > 3 {
			return nil, fmt.Errorf("geo_precision %q is not 1, 2 or 3", g)
		}
	}
	place["geo_precision"] = geo
	if la, lo := f("latitude"), f("longitude"); la != "" || lo != "" {
		lat, err1 := strconv.ParseFloat(la, 64)
		lon, err2 := strconv.ParseFloat(lo, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 || lat != lat || lon != lon {
			return nil, fmt.Errorf("latitude %q and longitude %q are not a point in degrees", la, lo)
		}
		place["lat"], place["lon"] = lat, lon
	}
	if c := alpha2(f("country"), f("iso")); c != "" {
		unit := map[string]any{"country": c}
		for _, k := range []string{"admin1", "admin2", "admin3"} {
			if v := cut(clean(f(k), false), 200); v != "" {
				unit[k] = v
			}
		}
		place["admin"] = []any{unit}
	}

	source := "ACLED " + id
	if s := clean(f("source"), false); s != "" {
		source += ": " + s
	}
	notes := clean(f("notes"), true)
	summary := cut(strings.Join(strings.Fields(notes), " "), 500)
	if summary == "" {
		summary = cut(clean(f("sub_event_type"), false)+" at "+location+" (ACLED "+id+")", 500)
	}
	var text strings.Builder
	fmt.Fprintf(&text, "ACLED event %s, %s (time precision %s)", id, day.Format("2006-01-02"), precision)
	for _, a := range [][3]string{{"actor1", "assoc_actor_1", "inter1"}, {"actor2", "assoc_actor_2", "inter2"}} {
		if v := clean(f(a[0]), false); v != "" {
			fmt.Fprintf(&text, "; %s: %s", a[0], v)
			if assoc := clean(f(a[1]), false); assoc != "" {
				fmt.Fprintf(&text, " (with %s)", assoc)
			}
			if inter := clean(f(a[2]), false); inter != "" {
				fmt.Fprintf(&text, ", inter %s", inter)
			}
		}
	}
	if fat := f("fatalities"); fat != "" {
		n, err := strconv.ParseInt(fat, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("fatalities %q is not a count", fat)
		}
		fmt.Fprintf(&text, "; fatalities reported: %d (ACLED attributes them to no side)", n)
	}
	for _, k := range []string{"civilian_targeting", "tags", "source_scale", "timestamp"} {
		if v := clean(f(k), false); v != "" {
			fmt.Fprintf(&text, "; %s: %s", k, v)
		}
	}
	text.WriteString(".")
	if notes != "" {
		text.WriteString("\n\n" + notes)
	}
	return map[string]any{
		"kind":    mechanism.KindReport,
		"channel": mechanism.ChannelOpenSource,
		"source":  cut(source, 200),
		"event":   map[string]any{"time": statement.FormatTime(day), "precision": precision},
		"place":   place, "event_type": evType, "sub_event_type": subType,
		"summary": summary, "text": cut(text.String(), 12000), "language": "en",
	}, nil
}
