package store

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// EventWitnessRefusal is the kind of the notice that a witness refused
// one of the log's checkpoints; the server, not the log, tells of it.
const EventWitnessRefusal = "witness_refusal"

// WitnessRefusal is a witness's refusal of a checkpoint of the log.
type WitnessRefusal struct {
	Witness string `json:"witness"`
	Size    int64  `json:"size"`
	Hash    string `json:"hash"`
	// Known is the size the witness said it cosigned last, or -1.
	Known  int64  `json:"known"`
	Reason string `json:"reason"`
	At     string `json:"at"`
}

// Text says the refusal in a sentence.
func (r WitnessRefusal) Text() string {
	return fmt.Sprintf("witness %s refused the log's checkpoint of %d entries (root %s) as inconsistent with one it cosigned: %s",
		r.Witness, r.Size, r.Hash, r.Reason)
}

// AddWitnessRefusal records a witness's refusal.
func (db *DB) AddWitnessRefusal(ctx context.Context, r WitnessRefusal) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO witness_refusals (witness, size, hash, known, reason, at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.Witness, r.Size, r.Hash, r.Known, r.Reason, r.At)
	if err != nil {
		return fmt.Errorf("couldn't record witness %s's refusal: %w", r.Witness, err)
	}
	return nil
}

// WitnessRefusals returns the latest limit refusals, newest first.
func (db *DB) WitnessRefusals(ctx context.Context, limit int) ([]WitnessRefusal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT witness, size, hash, known, reason, at FROM witness_refusals ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("couldn't read witness refusals: %w", err)
	}
	defer rows.Close()
	out := []WitnessRefusal{}
	for rows.Next() {
		var r WitnessRefusal
		if err := rows.Scan(&r.Witness, &r.Size, &r.Hash, &r.Known, &r.Reason, &r.At); err != nil {
			return nil, fmt.Errorf("couldn't read witness refusals: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// QueueNotices records deliveries of notices the server tells rather than
// the log, such as a witness's refusal.
func (db *DB) QueueNotices(ctx context.Context, ds []Delivery) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't queue notices: %w", err)
	}
	defer tx.Rollback()
	if err := insertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	return tx.Commit()
}

// witnessNotices returns, for a mediator body of rb, the latest limit
// witness refusals as inbox notices; none for any other body.
func (db *DB) witnessNotices(ctx context.Context, body string, rb *mechanism.Rulebook, limit int) ([]Notice, error) {
	if rb == nil {
		return nil, nil
	}
	if b, ok := rb.Body(body); !ok || b.Type != mechanism.BodyMediator {
		return nil, nil
	}
	rs, err := db.WitnessRefusals(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, len(rs))
	for i, r := range rs {
		out[i] = Notice{Kind: EventWitnessRefusal, Index: r.Size - 1, At: r.At, Text: r.Text()}
	}
	return out, nil
}
