package web

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// timeColumns are the view columns that hold times.
var timeColumns = []string{"at", "opened_at", "event_at", "due", "since", "start", "end", "deadline",
	"period_from", "period_to", "captured_at", "date", "expires", "said_at"}

// LocalSuffix ends the name of the field beside each time that gives it in
// every time zone of the rulebook: "event_at_local": {"Pakistan":
// "2025-10-20T22:00:00+05:00", "Afghanistan": "2025-10-20T21:30:00+04:30"}.
const LocalSuffix = "_local"

// zones returns the rulebook's time zones as locations, in its order.
func (s *Server) zones() []*time.Location {
	rb := s.log.Rulebook()
	if rb == nil {
		return nil
	}
	return rb.Locations()
}

// addLocalTimes adds, beside every time in rows, the same time in each
// zone.
func addLocalTimes(rows []store.Row, zones []*time.Location) {
	if len(zones) == 0 {
		return
	}
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
			r[c+LocalSuffix] = inZones(t, zones)
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
