package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

func runNotices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notices", stderr)
	data := fs.String("data", "", "data folder of the mechanism (required)")
	n := fs.Int("n", 50, "how many of the latest deliveries to show")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data is required"}
	}
	db, closeViews, err := datadir.OpenViews(ctx, *data)
	if err != nil {
		return err
	}
	defer closeViews()
	ds, err := db.Deliveries(ctx, *n)
	if err != nil {
		return err
	}
	zones := rulebookZones(ctx, db)
	for _, d := range ds {
		line := fmt.Sprintf("%d %s %-15s entry %-6d %-9s attempts %d", d.ID, inZones(d.CreatedAt, zones), d.Kind, d.Index, d.Status, d.Attempts)
		switch d.Status {
		case store.DeliveryDelivered:
			line += " delivered " + inZones(d.DeliveredAt, zones)
		case store.DeliveryPending:
			line += " next " + inZones(d.NextAt, zones)
		}
		if d.LastError != "" {
			line += " (" + d.LastError + ")"
		}
		fmt.Fprintf(stdout, "%s %s\n", line, d.URL)
	}
	return nil
}

// rulebookZones returns the time zones of the rulebook in force, or none.
func rulebookZones(ctx context.Context, db *store.DB) []*time.Location {
	data, err := db.Rulebook(ctx)
	if err != nil {
		return nil
	}
	st, err := statement.Parse(data)
	if err != nil {
		return nil
	}
	var rs struct {
		Rulebook mechanism.Rulebook `json:"rulebook"`
	}
	if json.Unmarshal(st.JSON, &rs) != nil {
		return nil
	}
	return rs.Rulebook.Locations()
}

// inZones shows a UTC time as sulh's CLI shows every time: in UTC, then in
// each of the rulebook's zones, such as
// "2025-10-20T17:00:00Z (Pakistan 22:00, Afghanistan 21:30)".
func inZones(utc string, zones []*time.Location) string {
	t, err := statement.ParseTime(utc)
	if err != nil || len(zones) == 0 {
		return utc
	}
	var parts []string
	for _, z := range zones {
		local := t.In(z)
		p := z.String() + " " + local.Format("15:04")
		if local.YearDay() != t.YearDay() {
			p = z.String() + " " + local.Format("Jan 2 15:04")
		}
		parts = append(parts, p)
	}
	return statement.FormatTime(t.Truncate(time.Second)) + " (" + strings.Join(parts, ", ") + ")"
}
