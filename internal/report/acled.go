package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// ACLEDColumns are the columns of ACLED's data export, in its order: the
// variables of ACLED's codebook as the ACLED API and its data export
// give them (listed with their meanings in ACLED's own R package, acledR,
// https://rdrr.io/cran/acledR/man/acled_old_dummy.html, and unchanged in
// the API's revision of December 2025).
var ACLEDColumns = []string{
	"event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
	"actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
	"iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
	"source", "source_scale", "notes", "fatalities", "tags", "timestamp",
}

// acledNumeric are the columns of ACLEDColumns that hold numbers, which
// sulh writes itself: the others are text, neutralised against formulas.
var acledNumeric = map[string]bool{"year": true, "time_precision": true, "inter1": true, "inter2": true, "interaction": true,
	"iso": true, "latitude": true, "longitude": true, "geo_precision": true, "fatalities": true, "timestamp": true}

// country is what ACLED gives of a country: its ISO 3166-1 alpha-3 code
// (the prefix of its event ids), its numeric code, its name and ACLED's
// region.
type country struct {
	alpha3  string
	numeric int
	name    string
	region  string
}

// countries are the countries of the gazetteer and their neighbours, by
// ISO 3166-1 alpha-2 code, with ACLED's region of each.
var countries = map[string]country{
	"AF": {"AFG", 4, "Afghanistan", "South Asia"},
	"PK": {"PAK", 586, "Pakistan", "South Asia"},
	"IN": {"IND", 356, "India", "South Asia"},
	"IR": {"IRN", 364, "Iran", "Middle East"},
	"CN": {"CHN", 156, "China", "East Asia"},
	"TJ": {"TJK", 762, "Tajikistan", "Caucasus and Central Asia"},
	"TM": {"TKM", 795, "Turkmenistan", "Caucasus and Central Asia"},
	"UZ": {"UZB", 860, "Uzbekistan", "Caucasus and Central Asia"},
}

// ACLED's actor types (the inter1 and inter2 codes of its codebook).
const (
	interNone        = 0
	interState       = 1
	interMilitia     = 3
	interCivilians   = 7
	civilianTargeted = "Civilian targeting"
)

// disorderType is ACLED's disorder type of an event type and sub-event
// type: political violence, demonstrations (with both for the
// sub-event types in which force meets demonstrators), or strategic
// developments.
func disorderType(eventType, sub string) string {
	switch {
	case sub == "excessive_force_against_protesters" || sub == "mob_violence":
		return "Political violence; Demonstrations"
	case eventType == "protests" || eventType == "riots":
		return "Demonstrations"
	case eventType == "strategic_developments":
		return "Strategic developments"
	}
	return "Political violence"
}

// eventTypeNames returns the names in ACLED's codebook of an event type
// and sub-event type given by sulh's ids (mechanism.EventTypes).
func eventTypeNames(t, sub string) (string, string) {
	for _, et := range mechanism.EventTypes {
		if et.ID != t {
			continue
		}
		for _, s := range et.SubTypes {
			if s.ID == sub {
				return et.Name, s.Name
			}
		}
		return et.Name, sub
	}
	return t, sub
}

// timePrecision is ACLED's time precision of a sulh precision: 1 the day
// is known, 2 the week, 3 the month.
func timePrecision(p string) int {
	switch p {
	case "week":
		return 2
	case "month":
		return 3
	}
	return 1
}

// fatalities returns, by ACLED's rule (its knowledge base on fatalities,
// 2024: when reports differ, the most conservative estimate, the dispute
// noted in notes), the reported fatalities of a case:
// each claimant's total of killed (civilians and combatants of every
// side, from its latest statement, each figure's lowest), and the lowest
// of those totals when claimants disagree. It also says the totals, by
// claimant in the rulebook's order, when they disagree, and whether any
// claimant gave a figure.
func (e *Exporter) fatalities(c *caseRec) (lowest int64, disputed []string, reported bool) {
	totals := map[string]int64{}
	for k, cl := range c.latest() {
		if strings.HasPrefix(k.measure, "killed") {
			totals[k.body] += cl.low()
		}
	}
	if len(totals) == 0 {
		return 0, nil, false
	}
	bodies := make([]string, 0, len(totals))
	lowest = -1
	distinct := map[int64]bool{}
	for b, n := range totals {
		bodies = append(bodies, b)
		distinct[n] = true
		if lowest < 0 || n < lowest {
			lowest = n
		}
	}
	if len(distinct) > 1 {
		slices.SortFunc(bodies, func(a, b string) int {
			if d := e.bodyOrder(a) - e.bodyOrder(b); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		for _, b := range bodies {
			disputed = append(disputed, fmt.Sprintf("%s %d", e.bodyName(b), totals[b]))
		}
	}
	return lowest, disputed, true
}

// acledRow is a case as a row of ACLED's columns.
func (e *Exporter) acledRow(c *caseRec) []string {
	id := c.id()
	ctry, known := countries[c.admin.Country]
	if !known {
		// The country of the civilians the case counts, if one.
		for _, cl := range c.claims {
			if x, ok := countries[cl.Country]; ok {
				ctry, known = x, true
				break
			}
		}
	}
	prefix := "SULH"
	if known {
		prefix = ctry.alpha3
	}
	evType, subType := eventTypeNames(c.str("event_type"), c.str("sub_event_type"))
	eventAt, _ := statement.ParseTime(c.str("event_at"))

	actor1, inter1 := "", interNone
	if a := c.str("accused"); a != "" {
		actor1, inter1 = "Military Forces of "+e.bodyName(a), interState
	} else {
		actor1, inter1 = "Unidentified Armed Group", interMilitia
		if known {
			actor1 += " (" + ctry.name + ")"
		}
	}
	actor2, inter2 := "", interNone
	civilians := c.str("event_type") == "violence_against_civilians"
	for _, cl := range c.claims {
		civilians = civilians || strings.HasSuffix(cl.Measure, "_civilian")
	}
	var reporter *mechanism.Body
	if e.Rulebook != nil {
		reporter, _ = e.Rulebook.Body(c.str("reporter"))
	}
	switch {
	case civilians:
		actor2, inter2 = "Civilians", interCivilians
		if known {
			actor2 += " (" + ctry.name + ")"
		}
	case reporter != nil && reporter.Type == mechanism.BodyParty && reporter.ID != c.str("accused"):
		actor2, inter2 = "Military Forces of "+e.bodyName(reporter.ID), interState
	}
	lo, hi := min(inter1, inter2), max(inter1, inter2)
	interaction := strconv.Itoa(hi * 10)
	if lo > 0 {
		interaction = strconv.Itoa(lo*10 + hi)
	}
	targeting := ""
	if c.str("event_type") == "violence_against_civilians" {
		targeting = civilianTargeted
	}

	var sources []string
	addSource := func(b string) {
		if n := e.bodyName(b); b != "" && !slices.Contains(sources, n) {
			sources = append(sources, n)
		}
	}
	addSource(c.str("reporter"))
	for _, cl := range c.claims {
		addSource(cl.Body)
	}

	fat, disputed, reported := e.fatalities(c)
	notes := c.str("summary")
	var tags []string
	switch {
	case len(disputed) > 0:
		notes += " Fatalities disputed: " + strings.Join(disputed, "; ") + "; the lowest is given."
		tags = append(tags, "disputed fatalities")
	case !reported:
		notes += " No fatality figure was reported."
	}
	if figs := c.figuresText(); figs != "" {
		notes += " Figures as each side gave them: " + figs + "."
	}
	notes += " sulh case " + strconv.FormatInt(id, 10) + ": " + e.caseURL(id)

	var timestamp string
	if t, err := statement.ParseTime(c.str("updated_at")); err == nil {
		timestamp = strconv.FormatInt(t.Unix(), 10)
	}
	num := func(col string) string { return cell(c.row[col]) }
	var iso, region, name string
	if known {
		iso, region, name = strconv.Itoa(ctry.numeric), ctry.region, ctry.name
	}
	eventDate, year := "", ""
	if !eventAt.IsZero() {
		local := eventAt.In(e.countryZone(ctry, known))
		eventDate, year = local.Format("2006-01-02"), strconv.Itoa(local.Year())
	}
	inter := func(n int) string {
		if n == interNone {
			return "0"
		}
		return strconv.Itoa(n)
	}
	out := []string{
		prefix + strconv.FormatInt(id, 10), eventDate, year, strconv.Itoa(timePrecision(c.str("event_precision"))),
		disorderType(c.str("event_type"), c.str("sub_event_type")), evType, subType,
		actor1, "", inter(inter1), actor2, "", inter(inter2), interaction, targeting,
		iso, region, name, c.admin.Admin1, c.admin.Admin2, c.admin.Admin3, c.str("place_name"), num("lat"), num("lon"), num("geo_precision"),
		strings.Join(sources, "; "), "Other", notes, strconv.FormatInt(fat, 10), strings.Join(tags, "; "), timestamp,
	}
	for i, v := range out {
		if !acledNumeric[ACLEDColumns[i]] {
			out[i] = neutralise(v)
		}
	}
	return out
}

// ACLED writes the cases that f selects, newest first, as ACLED's data
// export does: a header of ACLEDColumns, then one row per case, in
// ACLED's vocabulary. Fatalities follow ACLED's rule: when the figures of
// the claimants disagree, the lowest total, with the dispute in notes and
// tags; none reported is 0, said in notes.
func (e *Exporter) ACLED(ctx context.Context, w io.Writer, f store.Filter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(ACLEDColumns); err != nil {
		return err
	}
	err := e.Source.Each(ctx, "cases", f, func(r store.Row) error {
		c, err := e.record(r)
		if err != nil {
			return err
		}
		return cw.Write(e.acledRow(c))
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

// countryZone is the time zone of the event's country, for ACLED's
// event_date, which is the date where the event happened: the rulebook's
// zone named as the country is (the default rulebook's "Pakistan" and
// "Afghanistan"), or UTC for a country that no zone names.
func (e *Exporter) countryZone(c country, known bool) *time.Location {
	if known && e.Rulebook != nil {
		for _, z := range e.Rulebook.TimeZones {
			if strings.EqualFold(z.Name, c.name) {
				if loc, err := z.Location(); err == nil {
					return loc
				}
			}
		}
	}
	return time.UTC
}
