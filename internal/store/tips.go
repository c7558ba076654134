package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Tip is what someone without an account told the mechanism through its
// public form. A tip is not a statement: it is kept apart from the log and
// its views, only monitors read it, and it enters the log only when a
// monitor files it as a report of channel "public".
type Tip struct {
	ID         int64  `json:"id"`
	ReceivedAt string `json:"received_at"`
	Text       string `json:"text"`
	// Place and EventAt (RFC 3339, UTC) are "" when the tip gives none.
	Place    string `json:"place"`
	EventAt  string `json:"event_at"`
	Contact  string `json:"contact"`
	Language string `json:"language"` // the interface's, when it was sent
	// Files are its photos, in the evidence store under their hashes.
	Files []TipFile `json:"files"`
}

// TipFile is a file sent with a tip.
type TipFile struct {
	SHA256    string `json:"sha256"`
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// AddTip keeps a tip and returns its id.
func (db *DB) AddTip(ctx context.Context, t Tip) (int64, error) {
	if t.Files == nil {
		t.Files = []TipFile{}
	}
	files, err := json.Marshal(t.Files)
	if err != nil {
		return 0, fmt.Errorf("couldn't keep a tip: %w", err)
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO tips (received_at, text, place, event_at, contact, language, files) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ReceivedAt, t.Text, t.Place, t.EventAt, t.Contact, t.Language, string(files))
	if err != nil {
		return 0, fmt.Errorf("couldn't keep a tip: %w", err)
	}
	return res.LastInsertId()
}

const tipColumns = `id, received_at, text, place, event_at, contact, language, files`

// Tips returns the latest tips, newest first, at most limit, with ids
// below before if it is positive.
func (db *DB) Tips(ctx context.Context, before int64, limit int) ([]Tip, error) {
	q := `SELECT ` + tipColumns + ` FROM tips ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if before > 0 {
		q = `SELECT ` + tipColumns + ` FROM tips WHERE id < ? ORDER BY id DESC LIMIT ?`
		args = []any{before, limit}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the tips: %w", err)
	}
	defer rows.Close()
	out := []Tip{}
	for rows.Next() {
		t, err := scanTip(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tip returns tip id, or ErrNotFound.
func (db *DB) Tip(ctx context.Context, id int64) (Tip, error) {
	t, err := scanTip(db.r.QueryRowContext(ctx, `SELECT `+tipColumns+` FROM tips WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Tip{}, ErrNotFound
	}
	return t, err
}

func scanTip(row interface{ Scan(...any) error }) (Tip, error) {
	var t Tip
	var files string
	if err := row.Scan(&t.ID, &t.ReceivedAt, &t.Text, &t.Place, &t.EventAt, &t.Contact, &t.Language, &files); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, err
		}
		return t, fmt.Errorf("couldn't read a tip: %w", err)
	}
	if err := json.Unmarshal([]byte(files), &t.Files); err != nil {
		return t, fmt.Errorf("couldn't read tip %d's files: %w", t.ID, err)
	}
	return t, nil
}
