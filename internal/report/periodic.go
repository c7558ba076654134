package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The periodic reports' kinds.
const (
	Daily   = "daily"
	Weekly  = "weekly"
	Monthly = "monthly"
)

// Kinds are the periodic reports' kinds, shortest period first.
var Kinds = []string{Daily, Weekly, Monthly}

// CutOff is the time of day at which a daily report's period ends, in the
// rulebook's first time zone (UTC when it names none), when the rulebook
// sets none (its report_cutoff, rules 5): 19:30, Pakistan time in the
// default rulebook.
const CutOff = mechanism.DefaultCutOff

// zone is the rulebook's first time zone, or UTC.
func zone(rb *mechanism.Rulebook) *time.Location {
	if locs := rb.Locations(); len(locs) > 0 {
		return locs[0]
	}
	return time.UTC
}

// cutOff is the time at (a cut-off) past the midnight that starts day d
// (its date only counts) in loc.
func cutOff(d time.Time, loc *time.Location, at time.Duration) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc).Add(at)
}

// Periods returns the period of a report of kind ending on the date
// (YYYY-MM-DD, a day of the rulebook's first time zone) and the one
// before it, each [From, To), every period ending at the rulebook's
// cut-off (mechanism.Rulebook.CutOff):
//   - daily: from the cut-off of the day before to the cut-off of date;
//   - weekly: the seven days to the cut-off of date;
//   - monthly: from the cut-off of the last day of the month before
//     date's month to the cut-off of the last day of date's month.
//
// The period before is as long (for a monthly report, the month before)
// and ends where this one starts.
func Periods(rb *mechanism.Rulebook, kind, date string) (this, last store.Period, err error) {
	loc := zone(rb)
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return this, last, fmt.Errorf("couldn't read the date %q: it must be YYYY-MM-DD", date)
	}
	at := rb.CutOff()
	end := func(d time.Time) time.Time { return cutOff(d, loc, at) }
	switch kind {
	case Daily:
		this = store.Period{From: end(d.AddDate(0, 0, -1)), To: end(d)}
		last = store.Period{From: end(d.AddDate(0, 0, -2)), To: this.From}
	case Weekly:
		this = store.Period{From: end(d.AddDate(0, 0, -7)), To: end(d)}
		last = store.Period{From: end(d.AddDate(0, 0, -14)), To: this.From}
	case Monthly:
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, loc)
		this = store.Period{From: end(first.AddDate(0, 0, -1)), To: end(first.AddDate(0, 1, -1))}
		last = store.Period{From: end(first.AddDate(0, -1, -1)), To: this.From}
	default:
		return this, last, fmt.Errorf("couldn't make a %q report: the kinds are daily, weekly and monthly", kind)
	}
	return this, last, nil
}

// Views is what a periodic report reads: store.DB is one.
type Views interface {
	Dashboard(ctx context.Context, q store.DashboardQuery) (*store.Dashboard, error)
	PeriodFigures(ctx context.Context, rb *mechanism.Rulebook, this, last store.Period) (*store.PeriodFigures, error)
	ViewsCursor(ctx context.Context) (int64, error)
	PeriodDetails(ctx context.Context, periods []store.Periods, flag string) ([]*store.PeriodDetail, error)
}

var _ Views = (*store.DB)(nil)

// Change is a count in a period beside the one before it.
type Change struct {
	Key, Name  string
	This, Last int64
}

// Delta is This - Last, signed: "+2", "-1", "0".
func (c Change) Delta() string {
	d := c.This - c.Last
	if d > 0 {
		return fmt.Sprintf("+%d", d)
	}
	return fmt.Sprint(d)
}

// Periodic is a periodic report's content: every list sorted, nothing
// read from the clock, so that the same views (the same log size) and
// period make the same report.
type Periodic struct {
	Mechanism, Title, Kind string
	Date, Zone             string
	// CutOff is the rulebook's cut-off, "19:30", in Zone.
	CutOff             string
	From, To, LastFrom time.Time
	// LogSize is the number of log entries the views held when the
	// report was made: every figure is of the statements [0, LogSize).
	LogSize    int64
	ByParty    []Change // complaints received, by party accused
	ByCategory []Change
	Complaints []store.PartyComplaints
	Findings   []store.PeriodFinding
	// Crossings are each side's latest status as of LogSize.
	Crossings []store.CrossingSide
	// ByRegion counts the events of each region: the province (admin1)
	// of the case's place, with its country, as the opening report gives
	// it or else the gazetteer its place; Key "" for the events whose
	// place has none known. Sorted by key, "" last.
	ByRegion []Change
	// AccessDenials counts the events of the category AccessDenied by
	// the party accused of denying access (Key "" when none is named).
	// HasAccessCategory is whether the rulebook has that category; when
	// it has not, AccessDenials is empty.
	AccessDenials     []Change
	HasAccessCategory bool
	// Commitments are the commitments whose deadline falls in the
	// period, oldest deadline first, with the status the core gave their
	// deadline; Due and Met count them in this period and the last.
	Commitments []store.PeriodCommitment
	Due, Met    Change
	// Incidents are the period's events whose place has coordinates (the
	// report's own, or else the gazetteer's), for the map; Unlocated
	// counts the others.
	Incidents []Incident
	Unlocated int64
	rulebook  *mechanism.Rulebook
	names     map[string]string
}

// AccessDenied is the category of the reports of monitors denied access
// to a site (clause c5 of the default rulebook).
const AccessDenied = "access_denied"

// Options are what Make may be given beyond the views.
type Options struct {
	// Place returns the administrative unit and the coordinates of a
	// gazetteer place, when the gazetteer knows it; nil for none.
	Place func(id string) (admin mechanism.AdminUnit, lat, lon float64, ok bool)
}

// tries is how often Make reads the views again when they moved while it
// read them.
const tries = 5

// Make reads the report of kind for date from the views. The views follow
// the log and cannot be read as of an earlier size: the report is made at
// the size they hold, which it states (LogSize); if the views moved while
// it read them, it reads them again.
//
// At most one Options may be given.
func Make(ctx context.Context, v Views, rb *mechanism.Rulebook, kind, date string, opts ...Options) (*Periodic, error) {
	ps, err := MakeAll(ctx, v, rb, []Request{{kind, date}}, opts...)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// Request names a report to make: its kind and date.
type Request struct{ Kind, Date string }

// MakeAll makes the reports of reqs as Make makes each, in order, all at
// the same size of the views, and reads the cases of all their periods in
// one pass: the daily, weekly and monthly reports of a day read the cases
// of their two months once.
func MakeAll(ctx context.Context, v Views, rb *mechanism.Rulebook, reqs []Request, opts ...Options) ([]*Periodic, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	periods := make([]store.Periods, len(reqs))
	for i, r := range reqs {
		this, last, err := Periods(rb, r.Kind, r.Date)
		if err != nil {
			return nil, err
		}
		periods[i] = store.Periods{This: this, Last: last}
	}
	for range tries {
		before, err := v.ViewsCursor(ctx)
		if err != nil {
			return nil, err
		}
		dashboards := make([]*store.Dashboard, len(reqs))
		figures := make([]*store.PeriodFigures, len(reqs))
		for i, p := range periods {
			if dashboards[i], err = v.Dashboard(ctx, store.DashboardQuery{This: p.This, Last: p.Last, At: p.This.To, NoDeadlines: true}); err != nil {
				return nil, err
			}
			if figures[i], err = v.PeriodFigures(ctx, rb, p.This, p.Last); err != nil {
				return nil, err
			}
		}
		details, err := v.PeriodDetails(ctx, periods, AccessDenied)
		if err != nil {
			return nil, err
		}
		after, err := v.ViewsCursor(ctx)
		if err != nil {
			return nil, err
		}
		if after != before {
			continue
		}
		out := make([]*Periodic, len(reqs))
		for i, r := range reqs {
			out[i] = made(rb, r, periods[i], after, dashboards[i], figures[i], details[i], o)
		}
		return out, nil
	}
	return nil, fmt.Errorf("couldn't make the report: the views moved each of %d times it read them", tries)
}

// made is the report r of the periods p, from what the views held at
// size.
func made(rb *mechanism.Rulebook, r Request, p store.Periods, size int64, d *store.Dashboard, f *store.PeriodFigures, detail *store.PeriodDetail, o Options) *Periodic {
	this, last := p.This, p.Last
	out := &Periodic{
		Mechanism: rb.Title, Kind: r.Kind, Date: r.Date, Zone: zone(rb).String(), CutOff: this.To.Format("15:04"),
		From: this.From, To: this.To, LastFrom: last.From, LogSize: size,
		Complaints: detail.Complaints, Findings: f.Findings, Crossings: d.Crossings,
		names: map[string]string{}, rulebook: rb,
	}
	out.Title = fmt.Sprintf("%s: %s report to %s", rb.Title, r.Kind, r.Date)
	for _, b := range rb.Bodies {
		out.names[b.ID] = b.Name
	}
	for _, c := range detail.Complaints {
		out.ByParty = append(out.ByParty, Change{Key: c.Party, Name: out.Name(c.Party), This: c.Received, Last: c.Last})
	}
	for _, c := range d.ByCategory {
		out.ByCategory = append(out.ByCategory, Change{Key: c.Key, Name: c.Key, This: c.This, Last: c.Last})
	}
	slices.SortFunc(out.ByCategory, func(a, b Change) int { return strings.Compare(a.Key, b.Key) })
	out.detail(rb, detail, o)
	return out
}

// Name is a body's name in the rulebook, or its id.
func (p *Periodic) Name(id string) string {
	if n, ok := p.names[id]; ok && n != "" {
		return n
	}
	return id
}

//go:embed templates/periodic.html
var periodicHTML string

var periodicTmpl = template.Must(template.New("periodic").Funcs(template.FuncMap{
	"time":   func(t time.Time) string { return statement.FormatTime(t) },
	"num":    num,
	"add":    func(a, b float64) string { return num(round1(a + b)) },
	"plus":   func(a, b float64) float64 { return a + b },
	"points": svgPoints,
	"colour": func(standing string) string { return hex3(standingColour(standing)) },
	"hex":    hex3,
}).Parse(periodicHTML))

// HTML renders the report as one self-contained HTML page (its style
// inline, no script), every value escaped.
func (p *Periodic) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := periodicTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("couldn't render the report: %w", err)
	}
	return b.Bytes(), nil
}

// Publication returns the fields of the publication statement that
// records the rendered report b, made at url (empty for none).
func (p *Periodic) Publication(b []byte, url string) *mechanism.Publication {
	sum := sha256.Sum256(b)
	return &mechanism.Publication{
		Title:  p.Title,
		SHA256: hex.EncodeToString(sum[:]),
		Size:   int64(len(b)),
		From:   statement.FormatTime(p.From),
		To:     statement.FormatTime(p.To),
		URL:    url,
	}
}
