package report

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// column is a column of the cases' exports: its name (the CSV's header
// and the GeoJSON's property), its HXL hashtag, and its value for a case:
// nil for none, a string (text), an int64 or a float64.
type column struct {
	name, tag string
	value     func(*caseRec) any
}

func text(col string) func(*caseRec) any {
	return func(c *caseRec) any { return c.str(col) }
}

func integer(col string) func(*caseRec) any {
	return func(c *caseRec) any {
		if n, ok := c.int(col); ok {
			return n
		}
		return nil
	}
}

func decimal(col string) func(*caseRec) any {
	return func(c *caseRec) any {
		if f, ok := c.float(col); ok {
			return f
		}
		return nil
	}
}

// caseColumns are the columns of a case that every export has, before the
// figures. Each column's hashtag is of the HXL standard
// (https://hxlstandard.org/standard/dictionary/): #event for the incident,
// #date, #org for bodies and armed groups, #loc, #adm1, #adm2, #country
// and #geo for the place, #status, #description, #meta for what is about
// the record itself, and #affected+killed / +injured for the figures.
func (e *Exporter) caseColumns() []column {
	return []column{
		{"id", "#event+id", func(c *caseRec) any { return c.id() }},
		{"url", "#meta+url", func(c *caseRec) any { return e.caseURL(c.id()) }},
		{"event_date", "#date+occurred", func(c *caseRec) any { return date(c.str("event_at")) }},
		{"event_time", "#date+occurred+utc", text("event_at")},
		{"event_precision", "#date+occurred+precision", text("event_precision")},
		{"opened_at", "#date+reported+utc", text("opened_at")},
		{"reporter", "#org+reporter+code", text("reporter")},
		{"accused", "#org+accused+code", text("accused")},
		{"channel", "#meta+channel", text("channel")},
		{"event_type", "#event+type+code", text("event_type")},
		{"sub_event_type", "#event+type+sub+code", text("sub_event_type")},
		{"categories", "#event+category+code", func(c *caseRec) any {
			var cats []string
			if raw, ok := c.row["categories"].(json.RawMessage); ok {
				json.Unmarshal(raw, &cats)
			}
			return strings.Join(cats, ";")
		}},
		{"actors", "#org+actor+code", func(c *caseRec) any { return strings.Join(c.actors, ";") }},
		{"country", "#country+code", func(c *caseRec) any { return c.admin.Country }},
		{"admin1", "#adm1+name", func(c *caseRec) any { return c.admin.Admin1 }},
		{"admin2", "#adm2+name", func(c *caseRec) any { return c.admin.Admin2 }},
		{"location", "#loc+name", text("place_name")},
		{"latitude", "#geo+lat", decimal("lat")},
		{"longitude", "#geo+lon", decimal("lon")},
		{"geo_precision", "#geo+precision", integer("geo_precision")},
		{"stage", "#status+stage", text("stage")},
		{"status", "#status+case", text("status")},
		{"outcome", "#status+finding", text("outcome")},
		{"responsible", "#org+responsible+code", text("party")},
		{"duplicate_of", "#event+id+duplicate_of", integer("duplicate_of")},
		{"reports", "#meta+reports+num", integer("report_count")},
		{"replies", "#meta+replies+num", integer("reply_count")},
		{"summary", "#description", text("summary")},
		{"figures", "#description+figures", func(c *caseRec) any { return c.figuresText() }},
	}
}

// hxlAttr makes s an HXL attribute: lower-case letters, digits and '_'.
func hxlAttr(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// figureColumn is the column of one claimant's figure of one measure for
// one side: "killed_combatant_of_pakistan_per_afghanistan" is the number
// of Pakistan's forces killed, as Afghanistan's latest statement on the
// case gives it (its best figure). Each claimant's figures stay apart,
// never added to another's.
func figureColumn(k sideKey) column {
	name := k.measure
	if k.whose != "" {
		name += "_of_" + k.whose
	}
	name += "_per_" + k.body
	what, who, _ := strings.Cut(k.measure, "_") // killed, civilian
	tag := "#affected+" + hxlAttr(what) + "+" + hxlAttr(who)
	if k.whose != "" {
		tag += "+of_" + hxlAttr(k.whose)
	}
	tag += "+per_" + hxlAttr(k.body)
	return column{name, tag, func(c *caseRec) any {
		if cl, ok := c.latest()[k]; ok && cl.Best != nil {
			return *cl.Best
		}
		return nil
	}}
}

// casesQuery reads the figures' sides of the cases f selects, which make
// the columns, then walks the cases, up to the newest there was then, so
// that the columns are those of the cases written.
func (e *Exporter) casesQuery(ctx context.Context, f store.Filter, head func([]column) error, row func([]column, *caseRec) error) error {
	found, newest, err := e.Source.ClaimSides(ctx, f)
	if err != nil {
		return err
	}
	sides := map[sideKey]bool{}
	for _, s := range found {
		sides[sideKey{s.Body, s.Measure, claim{Party: s.Party, Actor: s.Actor, Country: s.Country}.whose()}] = true
	}
	keys := slices.SortedFunc(func(yield func(sideKey) bool) {
		for k := range sides {
			if !yield(k) {
				return
			}
		}
	}, func(a, b sideKey) int {
		return cmp.Or(cmp.Compare(e.bodyOrder(a.body), e.bodyOrder(b.body)), strings.Compare(a.body, b.body),
			cmp.Compare(slices.Index(mechanism.Measures, a.measure), slices.Index(mechanism.Measures, b.measure)),
			strings.Compare(a.measure, b.measure), strings.Compare(a.whose, b.whose))
	})
	cols := e.caseColumns()
	for _, k := range keys {
		cols = append(cols, figureColumn(k))
	}
	if err := head(cols); err != nil {
		return err
	}
	if newest == 0 {
		return nil
	}
	if f.Before == 0 || f.Before > newest+1 {
		f.Before = newest + 1
	}
	return e.Source.Each(ctx, "cases", f, func(r store.Row) error {
		c, err := e.record(r)
		if err != nil {
			return err
		}
		return row(cols, c)
	})
}

// cell writes a value as CSV text: a text cell neutralised against
// formulas, a number as Go writes it.
func cell(v any) string {
	switch v := v.(type) {
	case string:
		return neutralise(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// CasesCSV writes the cases that f selects (a filter of the list
// "cases", as the API's), newest first, as CSV: a header row, an HXL
// hashtag row, then one row per case. The figures of each claimant, for
// each measure and side, are columns of their own.
func (e *Exporter) CasesCSV(ctx context.Context, w io.Writer, f store.Filter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	var rec []string
	err := e.casesQuery(ctx, f, func(cols []column) error {
		names, tags := make([]string, len(cols)), make([]string, len(cols))
		for i, c := range cols {
			names[i], tags[i] = c.name, c.tag
		}
		if err := cw.Write(names); err != nil {
			return err
		}
		return cw.Write(tags)
	}, func(cols []column, c *caseRec) error {
		rec = rec[:0]
		for _, col := range cols {
			rec = append(rec, cell(col.value(c)))
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// CasesGeoJSON writes the cases that f selects as a GeoJSON
// FeatureCollection (RFC 7946), one Feature per case, newest first: a
// Point at the case's place, or no geometry (null) when the place has no
// coordinates; its properties are the columns of CasesCSV, with their
// values as JSON (null for none). The collection is written as it is
// read, a feature at a time.
func (e *Exporter) CasesGeoJSON(ctx context.Context, w io.Writer, f store.Filter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	err := e.casesQuery(ctx, f, func([]column) error {
		_, err := io.WriteString(bw, `{"type":"FeatureCollection","features":[`)
		return err
	}, func(cols []column, c *caseRec) error {
		props := make(map[string]any, len(cols))
		for _, col := range cols {
			v := col.value(c)
			if s, ok := v.(string); ok && s == "" {
				v = nil
			}
			props[col.name] = v
		}
		var geom any
		lat, okLat := c.float("lat")
		lon, okLon := c.float("lon")
		if okLat && okLon && !math.IsNaN(lat) && !math.IsNaN(lon) {
			geom = map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
		}
		b, err := json.Marshal(map[string]any{"type": "Feature", "id": c.id(), "geometry": geom, "properties": props})
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(bw, "]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}
