package store

import (
	"context"
	"database/sql"
)

// SetScanShare sets scanShare, for a test to read a period's cases by
// the table or by its index whatever their share; it returns the function
// that sets it back.
func SetScanShare(share float64) (restore func()) {
	old := scanShare
	scanShare = share
	return func() { scanShare = old }
}

// CasesBetween is casesBetween in a snapshot of its own.
func (db *DB) CasesBetween(ctx context.Context, from, to string) (string, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	return casesBetween(ctx, tx, from, to)
}
