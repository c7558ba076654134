package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sulh-project/sulh/internal/ledger"
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
	if !ledger.Exists(*data) {
		return fmt.Errorf("%s holds no mechanism", *data)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(*data, ledger.DatabaseFile))
	if err != nil {
		return err
	}
	defer db.Close()
	ds, err := db.Deliveries(ctx, *n)
	if err != nil {
		return err
	}
	for _, d := range ds {
		line := fmt.Sprintf("%d %s %-15s entry %-6d %-9s attempts %d", d.ID, d.CreatedAt, d.Kind, d.Index, d.Status, d.Attempts)
		switch d.Status {
		case store.DeliveryDelivered:
			line += " delivered " + d.DeliveredAt
		case store.DeliveryPending:
			line += " next " + d.NextAt
		}
		if d.LastError != "" {
			line += " (" + d.LastError + ")"
		}
		fmt.Fprintf(stdout, "%s %s\n", line, d.URL)
	}
	return nil
}
