package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// NotifyCursor returns the index up to which events have been queued, and
// whether one was ever recorded.
func (db *DB) NotifyCursor(ctx context.Context) (int64, bool, error) {
	var c int64
	err := db.w.QueryRowContext(ctx, "SELECT cursor FROM notify_state WHERE id = 1").Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("couldn't read the notice cursor: %w", err)
	}
	return c, true, nil
}

// Delivery is one notice to one subscriber.
type Delivery struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Kind        string `json:"kind"`
	Index       int64  `json:"index"`
	Payload     []byte `json:"-"`
	Attempts    int    `json:"attempts"`
	NextAt      string `json:"next_at"`
	Status      string `json:"status"`
	LastError   string `json:"last_error"`
	CreatedAt   string `json:"created_at"`
	DeliveredAt string `json:"delivered_at"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Queue records deliveries and moves the notice cursor to cursor, in one
// transaction.
func (db *DB) Queue(ctx context.Context, ds []Delivery, cursor int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't queue notices: %w", err)
	}
	defer tx.Rollback()
	if err := insertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notify_state (id, cursor) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor`, cursor); err != nil {
		return fmt.Errorf("couldn't move the notice cursor: %w", err)
	}
	return tx.Commit()
}

// DueDeliveries returns pending deliveries due at or before now (times as
// statement.FormatTime writes them, compared as times.go says).
func (db *DB) DueDeliveries(ctx context.Context, now string, limit int) ([]Delivery, error) {
	return db.deliveries(ctx, "WHERE status = 'pending' AND "+atOrBefore("next_at", "?1")+" ORDER BY next_at, id LIMIT ?2", now, limit)
}

// Deliveries returns the latest deliveries, newest first: the delivery log.
func (db *DB) Deliveries(ctx context.Context, limit int) ([]Delivery, error) {
	return db.deliveries(ctx, "ORDER BY id DESC LIMIT ?", limit)
}

func (db *DB) deliveries(ctx context.Context, where string, args ...any) ([]Delivery, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, url, kind, idx, payload, attempts, next_at, status, last_error, created_at, delivered_at
		FROM deliveries `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("couldn't read deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.URL, &d.Kind, &d.Index, &d.Payload, &d.Attempts, &d.NextAt, &d.Status, &d.LastError, &d.CreatedAt, &d.DeliveredAt); err != nil {
			return nil, fmt.Errorf("couldn't read deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateDelivery records the outcome of an attempt.
func (db *DB) UpdateDelivery(ctx context.Context, d Delivery) error {
	_, err := db.w.ExecContext(ctx, `UPDATE deliveries SET attempts = ?, next_at = ?, status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
		d.Attempts, d.NextAt, d.Status, d.LastError, d.DeliveredAt, d.ID)
	if err != nil {
		return fmt.Errorf("couldn't record delivery %d: %w", d.ID, err)
	}
	return nil
}

func parseBodies(s string) []string {
	var out []string
	for _, b := range jsonStrings(s) {
		if b != "" {
			out = append(out, b)
		}
	}
	return out
}

// EventDeadlineNear is the kind of a deadline about to pass.
const EventDeadlineNear = "deadline_near"

// NearDeadlines returns the open deadlines due after now and by until
// (times as statement.FormatTime writes them, compared as times.go says)
// whose nearing has not been notified yet.
func (db *DB) NearDeadlines(ctx context.Context, now, until string) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT d.opened, d.subject, d.bodies, d.name, d.due FROM deadlines d
		WHERE d.status = 'open' AND `+after("d.due", "?1")+` AND `+atOrBefore("d.due", "?2")+`
		AND NOT EXISTS (SELECT 1 FROM notified_due n WHERE n.opened = d.opened AND n.name = d.name)
		ORDER BY rtrim(d.due, 'Z')`, now, until)
	if err != nil {
		return nil, fmt.Errorf("couldn't read deadlines: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var bodies string
		if err := rows.Scan(&e.Index, &e.Case, &bodies, &e.Text, &e.Due); err != nil {
			return nil, fmt.Errorf("couldn't read deadlines: %w", err)
		}
		e.Kind, e.Bodies, e.At = EventDeadlineNear, parseBodies(bodies), now
		out = append(out, e)
	}
	return out, rows.Err()
}

// QueueNear records deliveries of nearing deadlines and that they were
// notified, in one transaction.
func (db *DB) QueueNear(ctx context.Context, ds []Delivery, near []Event) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't queue notices: %w", err)
	}
	defer tx.Rollback()
	if err := insertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	for _, e := range near {
		if _, err := tx.ExecContext(ctx, "INSERT INTO notified_due (opened, name) VALUES (?, ?) ON CONFLICT DO NOTHING", e.Index, e.Text); err != nil {
			return fmt.Errorf("couldn't record a notified deadline: %w", err)
		}
	}
	return tx.Commit()
}

// insertDeliveries queues ds, pending, in tx.
func insertDeliveries(ctx context.Context, tx *sql.Tx, ds []Delivery) error {
	for _, d := range ds {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (url, kind, idx, payload, attempts, next_at, status, last_error, created_at, delivered_at)
			VALUES (?, ?, ?, ?, 0, ?, 'pending', '', ?, '')`, d.URL, d.Kind, d.Index, d.Payload, d.NextAt, d.CreatedAt)
		if err != nil {
			return fmt.Errorf("couldn't queue a notice: %w", err)
		}
	}
	return nil
}
