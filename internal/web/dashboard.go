package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The dashboard: where the truce stands, in a period of event time that
// ends at a reference moment. That moment is ?at= when given (a date, the
// end of that day in UTC, or an RFC 3339 time), and otherwise the log's
// time: the latest time a statement claims, which the core's deadlines
// also run on. A live mechanism's log time is about now; a log replayed
// from the past, such as the demo's of October–December 2025, shows the
// figures as they stood when its last statement was filed.

// periods are the spans the dashboard compares, by the period parameter.
var periods = map[string]time.Duration{"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour}

// periodNames are periods' names in the order the menu shows them.
var periodNames = []string{"day", "week", "month"}

// chartWeeks is how many weeks the weekly chart shows.
const chartWeeks = 12

// dashOverdue is how many overdue deadlines the dashboard lists, those due
// first; it counts them all.
const dashOverdue = 20

// refTime is the moment the page's periods end at: ?at= or the log's time.
// fromLog says it is the log's.
func (s *Server) refTime(ctx context.Context, q url.Values) (at time.Time, fromLog bool, err error) {
	if v := q.Get("at"); v != "" || q.Has("at") {
		if len(q["at"]) != 1 || len(v) > 40 {
			return time.Time{}, false, badRequest("at must be given once, as a date such as 2025-12-06 or a time such as 2025-12-06T12:00:00Z")
		}
		if d, err := time.Parse(time.DateOnly, v); err == nil {
			return d.Add(24*time.Hour - time.Second), false, nil
		}
		t, err := statement.ParseTime(v)
		if err != nil {
			return time.Time{}, false, badRequest("at %q is neither a date such as 2025-12-06 nor a time such as 2025-12-06T12:00:00Z", v)
		}
		return t.UTC(), false, nil
	}
	t, err := s.views.LogTime(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	if t.IsZero() {
		return time.Now().UTC(), false, nil
	}
	return t.UTC(), true, nil
}

// window is the period that ends at at (included), of the named span, and
// the one before it.
type window struct {
	Name       string
	At         time.Time
	FromLog    bool
	This, Last store.Period
}

func (s *Server) window(ctx context.Context, q url.Values, def string) (window, error) {
	name := q.Get("period")
	if name == "" && !q.Has("period") {
		name = def
	}
	span, ok := periods[name]
	if !ok || len(q["period"]) > 1 {
		return window{}, badRequest("period must be one of day, week or month")
	}
	at, fromLog, err := s.refTime(ctx, q)
	if err != nil {
		return window{}, err
	}
	to := at.Truncate(time.Second).Add(time.Second)
	return window{Name: name, At: at, FromLog: fromLog, This: store.Period{From: to.Add(-span), To: to}, Last: store.Period{From: to.Add(-2 * span), To: to.Add(-span)}}, nil
}

// periodRow is a row of a table of figures: what is counted and its
// counts in both periods.
type periodRow struct {
	ID, Name   string
	This, Last int64
	Trend      string // "up", "down" or "same"
}

func trend(this, last int64) string {
	switch {
	case this > last:
		return "up"
	case this < last:
		return "down"
	}
	return "same"
}

// sinceRow is, for a category, the latest verified event.
type sinceRow struct {
	ID, Name string
	Case     int64 // -1 for none
	Days     int
	EventAt  time.Time
}

// crossingRow is a crossing with each side's status.
type crossingRow struct {
	ID, Name string
	Sides    []crossingSide
}

type crossingSide struct {
	Side, SideName, Status string
	Since                  time.Time
	Allowed                []string
}

// deadlineRow is a deadline as the page lists it.
type deadlineRow struct {
	Case   int64
	Name   string
	Bodies []string
	Due    time.Time
}

// dashboardData is the page's.
type dashboardData struct {
	Window              window
	Periods             []string
	Parties, Categories []periodRow
	Standing            []standingRow
	Since               []sinceRow
	Overdue, Upcoming   []deadlineRow
	// OverdueCount and OverdueReplies count every overdue deadline and
	// reply window; Overdue lists the first dashOverdue of them, and
	// OverdueAll is where the API lists them all.
	OverdueCount, OverdueReplies int64
	OverdueAll                   string
	Missed                       []periodRow
	Chart                        *weekChart
	Map                          *smallMap
	Crossings                    []crossingRow
	Next, Last                   *store.Meeting
	MapQuery                     string
}

type standingRow struct {
	ID               string
	This, Last, All  int64
	Verified, Closed bool
}

// dashboard is the front page.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	win, err := s.window(r.Context(), r.URL.Query(), "week")
	if err != nil {
		return err
	}
	d, err := s.views.Dashboard(r.Context(), store.DashboardQuery{This: win.This, Last: win.Last, Weeks: chartWeeks, At: win.At, Overdue: dashOverdue, Upcoming: 5})
	if err != nil {
		return err
	}
	data := dashboardData{Window: win, Periods: periodNames}
	bodyName := func(id string) string {
		if b, ok := rb.Body(id); ok {
			return b.Name
		}
		return id
	}
	// Every party, then any other body that reported.
	var parties []string
	for _, b := range rb.Bodies {
		if b.Type == mechanism.BodyParty {
			parties = append(parties, b.ID)
		}
	}
	byKey := func(l []store.Figure) map[string]store.Figure {
		m := map[string]store.Figure{}
		for _, f := range l {
			m[f.Key] = f
		}
		return m
	}
	rep := byKey(d.ByReporter)
	reporters := slices.Clone(parties)
	for _, f := range d.ByReporter {
		if !slices.Contains(reporters, f.Key) {
			reporters = append(reporters, f.Key)
		}
	}
	for _, id := range reporters {
		f := rep[id]
		data.Parties = append(data.Parties, periodRow{ID: id, Name: bodyName(id), This: f.This, Last: f.Last, Trend: trend(f.This, f.Last)})
	}
	cat := byKey(d.ByCategory)
	for _, c := range rb.Categories {
		f := cat[c.ID]
		data.Categories = append(data.Categories, periodRow{ID: c.ID, Name: c.Text, This: f.This, Last: f.Last, Trend: trend(f.This, f.Last)})
	}
	st := byKey(d.ByStanding)
	for _, id := range mechanism.Standings {
		data.Standing = append(data.Standing, standingRow{ID: id, This: st[id].This, Last: st[id].Last, All: d.Standing[id],
			Verified: id == mechanism.StandingVerified, Closed: id == mechanism.StandingClosed})
	}
	last := map[string]store.LastVerified{}
	for _, l := range d.LastVerified {
		last[l.Category] = l
	}
	for _, c := range rb.Categories {
		row := sinceRow{ID: c.ID, Name: c.Text, Case: -1}
		if l, ok := last[c.ID]; ok {
			row.Case, row.EventAt = l.Case, l.EventAt
			row.Days = max(0, int(win.At.Sub(l.EventAt)/(24*time.Hour)))
		}
		data.Since = append(data.Since, row)
	}
	data.OverdueCount, data.OverdueReplies = d.OverdueCount, d.OverdueReplies
	// Open and due before the dashboard's time: mechanism.Overdue.
	data.OverdueAll = "/api/v1/deadlines?" + url.Values{"status": {mechanism.DeadlineOpen}, "due_to": {statement.FormatTime(win.At)}, "limit": {"500"}}.Encode()
	for _, dl := range d.Overdue {
		data.Overdue = append(data.Overdue, deadlineRow{Case: dl.Subject, Name: dl.Name, Bodies: names(dl.Bodies, bodyName), Due: dl.Due})
	}
	for _, dl := range d.Upcoming {
		data.Upcoming = append(data.Upcoming, deadlineRow{Case: dl.Subject, Name: dl.Name, Bodies: names(dl.Bodies, bodyName), Due: dl.Due})
	}
	for _, f := range d.Missed {
		data.Missed = append(data.Missed, periodRow{ID: f.Key, Name: f.Key, This: f.This, Last: f.Last, Trend: trend(f.This, f.Last)})
	}
	data.Crossings = crossingRows(d.Crossings, bodyName)
	data.Next, data.Last = d.Next, d.Last
	data.Chart = newWeekChart(d.Weekly, parties, bodyName, win.This.To)
	// The small map: the period's latest incidents and the crossings.
	data.MapQuery = "period=" + win.Name
	if r.URL.Query().Has("at") {
		data.MapQuery += "&at=" + url.QueryEscape(r.URL.Query().Get("at"))
	}
	rows, err := s.views.PeriodCases(r.Context(), win.This, maxLimit)
	if err != nil {
		return err
	}
	page := store.Page{Rows: rows}
	s.resolvePlaces(r.Context(), page.Rows)
	data.Map = s.newSmallMap(r.Context(), rb, mapPoints(page.Rows), d.Crossings)
	return s.render(w, r, "dashboard.html", "dash.title", "dashboard", data)
}

func names(ids []string, name func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = name(id)
	}
	return out
}

// crossingRows groups each side's status by crossing.
func crossingRows(l []store.CrossingSide, bodyName func(string) string) []crossingRow {
	var out []crossingRow
	for _, c := range l {
		if len(out) == 0 || out[len(out)-1].ID != c.Crossing {
			out = append(out, crossingRow{ID: c.Crossing, Name: c.Name})
		}
		row := &out[len(out)-1]
		since, _ := statement.ParseTime(c.Since)
		row.Sides = append(row.Sides, crossingSide{Side: c.Side, SideName: bodyName(c.Side), Status: c.Status, Since: since, Allowed: c.Allowed})
	}
	return out
}

// weekChart is the weekly chart's geometry, drawn by the template as SVG,
// and its table.
type weekChart struct {
	W, H, Top, Bottom, Left float64
	Series                  []chartSeries
	Weeks                   []chartWeek
	Ticks                   []chartTick
	Max                     int64
}

type chartSeries struct {
	ID, Name string
	Class    string
	Counts   []int64
}

type chartWeek struct {
	Start  time.Time
	X      float64
	Label  bool
	Bars   []chartBar
	Counts []int64
}

type chartBar struct {
	X, Y, W, H float64
	Class      string
	Count      int64
	Name       string
}

type chartTick struct {
	Y     float64
	Value int64
}

// newWeekChart lays out one bar per party in each of the weeks that end
// at end.
func newWeekChart(weekly []store.WeekCount, parties []string, bodyName func(string) string, end time.Time) *weekChart {
	c := &weekChart{W: 640, H: 220, Top: 10, Bottom: 30, Left: 40}
	for i, p := range parties {
		c.Series = append(c.Series, chartSeries{ID: p, Name: bodyName(p), Class: fmt.Sprintf("s%d", i%6), Counts: make([]int64, chartWeeks)})
	}
	for _, w := range weekly {
		if i := slices.Index(parties, w.Body); i >= 0 && w.Week >= 0 && w.Week < chartWeeks {
			c.Series[i].Counts[w.Week] = w.Count
			c.Max = max(c.Max, w.Count)
		}
	}
	top := max(c.Max, 1)
	plotH := c.H - c.Top - c.Bottom
	for _, v := range []int64{0, (top + 1) / 2, top} {
		c.Ticks = append(c.Ticks, chartTick{Y: c.Top + plotH - float64(v)/float64(top)*plotH, Value: v})
	}
	c.Ticks = slices.CompactFunc(c.Ticks, func(a, b chartTick) bool { return a.Value == b.Value })
	slot := (c.W - c.Left - 10) / chartWeeks
	barW := (slot - 6) / float64(max(len(parties), 1))
	start := end.Add(-chartWeeks * 7 * 24 * time.Hour)
	for wk := range chartWeeks {
		week := chartWeek{Start: start.Add(time.Duration(wk) * 7 * 24 * time.Hour), X: c.Left + float64(wk)*slot + slot/2, Label: wk%3 == 0}
		for i, s := range c.Series {
			n := s.Counts[wk]
			h := float64(n) / float64(top) * plotH
			week.Bars = append(week.Bars, chartBar{X: round1(c.Left + float64(wk)*slot + 3 + float64(i)*barW), Y: round1(c.Top + plotH - h),
				W: round1(barW - 1), H: round1(h), Class: s.Class, Count: n, Name: s.Name})
			week.Counts = append(week.Counts, n)
		}
		c.Weeks = append(c.Weeks, week)
	}
	return c
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
