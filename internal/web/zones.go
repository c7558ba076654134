package web

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// timeColumns are the view columns that hold times.
var timeColumns = []string{"at", "opened_at", "event_at", "due", "since", "start", "end", "deadline",
	"period_from", "period_to", "captured_at", "date", "expires", "said_at"}

// precisionColumns name, for the time columns whose precision a row
// gives, the column that gives it.
var precisionColumns = map[string]string{"event_at": "event_precision"}

// LocalSuffix ends the name of the field beside each time that gives it in
// every time zone of the rulebook: "event_at_local": {"Pakistan":
// "2025-10-20T22:00:00+05:00", "Afghanistan": "2025-10-20T21:30:00+04:30"}.
// An event time known only to the day, the week or the month has none:
// its hour is not known, so neither is its hour in any zone.
const LocalSuffix = "_local"

// ShownSuffix ends the name of the field beside each time with a
// precision that says it as precisely as it is known (see showTime):
// "event_at_shown": "2025-12-05".
const ShownSuffix = "_shown"

// zones returns the rulebook's time zones as locations, in its order.
func (s *Server) zones() []*time.Location {
	rb := s.log.Rulebook()
	if rb == nil {
		return nil
	}
	return rb.Locations()
}

// addLocalTimes adds, beside every time in rows, the same time in each
// zone, where its hour is known; and beside every time with a precision,
// the time as it is known.
func addLocalTimes(rows []store.Row, zones []*time.Location) {
	for _, r := range rows {
		for _, c := range timeColumns {
			v, ok := r[c].(string)
			if !ok {
				continue
			}
			t, err := statement.ParseTime(v)
			if err != nil {
				continue
			}
			precision := "exact"
			if pc, ok := precisionColumns[c]; ok {
				if p, ok := r[pc].(string); ok && p != "" {
					precision = p
				}
				r[c+ShownSuffix] = showTime(t, precision)
			}
			if precision == "exact" && len(zones) > 0 {
				r[c+LocalSuffix] = inZones(t, zones)
			}
		}
	}
}

// inZones gives t in each zone, by zone name.
func inZones(t time.Time, zones []*time.Location) map[string]string {
	m := make(map[string]string, len(zones))
	for _, z := range zones {
		m[z.String()] = t.In(z).Format(time.RFC3339)
	}
	return m
}

// showTime says t, known at precision, as precisely as it is known and
// no more: an exact time to the minute in UTC ("2025-12-05 17:00 UTC"), a
// day as its date ("2025-12-05"), a week as the week from its first day
// ("week of 2025-12-01"), a month as the month ("2025-12"). The day, week
// and month are those of t in UTC, as reports give them (00:00 UTC of the
// day).
func showTime(t time.Time, precision string) string {
	t = t.UTC()
	switch precision {
	case "day":
		return t.Format("2006-01-02")
	case "week":
		return "week of " + t.Format("2006-01-02")
	case "month":
		return t.Format("2006-01")
	}
	return t.Format("2006-01-02 15:04") + " UTC"
}
