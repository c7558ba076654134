package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// eachColumns are the columns that Each adds to the rows of a list, for
// exports, each read in the same query and so from the same state of the
// views as its row.
var eachColumns = map[string]string{
	// A case's claims, oldest first, each as the claims list gives it; its
	// registered actors; the time of the statement that last changed it;
	// and the public report that opened it, whose index is its id.
	"cases": `, (SELECT json_group_array(json_object('idx', c.idx, 'body', c.body, 'kind', c.kind, 'measure', c.measure,
			'party', c.party, 'actor', c.actor, 'country', c.country, 'low', c.low, 'best', c.best, 'high', c.high))
		FROM (SELECT * FROM claims c WHERE c.case_id = cases.id ORDER BY c.idx, c.measure, c.party, c.actor, c.country) c) AS claims,
		(SELECT json_group_array(a.actor) FROM (SELECT actor FROM case_actors a WHERE a.case_id = cases.id ORDER BY actor) a) AS actors,
		(SELECT s.at FROM statements s WHERE s.idx = cases.updated) AS updated_at`,
}

// Each calls fn with each row of the named list that f selects, newest
// first, as the list's query reads them: no more than one row is held at
// a time, whatever the number of rows. Its rows are those List gives, by
// the same query; a case also has "claims" (its claims, oldest first, a
// JSON array of objects), "actors" (the actors named in it, a JSON array),
// "updated_at" (the time of the statement that last changed it) and
// "opening" (the entry of the report that opened it, as signed). f's
// Limit, if not 0, bounds the rows. An error fn returns stops the walk and
// is returned.
func (db *DB) Each(ctx context.Context, name string, f Filter, fn func(Row) error) error {
	l, ok := ListNamed(name)
	if !ok {
		return fmt.Errorf("no list %q", name)
	}
	for _, m := range f.Match {
		if p, ok := l.Param(m.Param); ok && p.known != "" {
			if err := db.checkKnown(ctx, p, m.Value); err != nil {
				return err
			}
		}
	}
	q, args, err := l.queryWith(f, eachColumns[name])
	if err != nil {
		return err
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("couldn't list %s: %w", name, err)
	}
	defer rows.Close()
	if err := eachRow(rows, func(r Row) error {
		delete(r, cursor)
		if name == "cases" {
			id, _ := r["id"].(int64)
			data, err := db.log.Entry(ctx, id)
			if err != nil {
				return fmt.Errorf("couldn't read the report that opened case %d: %w", id, err)
			}
			r["opening"] = string(data)
		}
		for _, c := range []string{"claims", "actors"} {
			if s, ok := r[c].(string); ok && name == "cases" {
				r[c] = json.RawMessage(s)
			}
		}
		return fn(r)
	}); err != nil {
		return fmt.Errorf("couldn't list %s: %w", name, err)
	}
	return nil
}

// eachRow scans rows one at a time into a Row, as scanRows does, and
// calls fn with each.
func eachRow(rows *sql.Rows, fn func(Row) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		r := make(Row, len(cols))
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if s, ok := v.(string); ok && jsonColumns[c] {
				v = json.RawMessage(s)
			}
			r[c] = v
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ClaimSide is a claimant's figure of one measure for one side, as the
// claims list keys it.
type ClaimSide struct {
	Body, Measure, Party, Actor, Country string
}

// ClaimSides returns every claimant, measure and side of the claims on
// the cases that f selects in the list "cases", and the newest of those
// cases' ids (0 for none), in one read of the views: an export's columns,
// before its rows.
func (db *DB) ClaimSides(ctx context.Context, f Filter) ([]ClaimSide, int64, error) {
	l, _ := ListNamed("cases")
	for _, m := range f.Match {
		if p, ok := l.Param(m.Param); ok && p.known != "" {
			if err := db.checkKnown(ctx, p, m.Value); err != nil {
				return nil, 0, err
			}
		}
	}
	q, args, err := l.query(f)
	if err != nil {
		return nil, 0, err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("couldn't read the claims of the cases: %w", err)
	}
	defer tx.Rollback()
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX("+cursor+") FROM ("+q+")", args...).Scan(&newest); err != nil {
		return nil, 0, fmt.Errorf("couldn't read the claims of the cases: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT c.body, c.measure, c.party, c.actor, c.country FROM claims c
		WHERE c.case_id IN (SELECT `+cursor+` FROM (`+q+`))`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("couldn't read the claims of the cases: %w", err)
	}
	defer rows.Close()
	var out []ClaimSide
	for rows.Next() {
		var s ClaimSide
		if err := rows.Scan(&s.Body, &s.Measure, &s.Party, &s.Actor, &s.Country); err != nil {
			return nil, 0, fmt.Errorf("couldn't read the claims of the cases: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("couldn't read the claims of the cases: %w", err)
	}
	return out, newest.Int64, nil
}
