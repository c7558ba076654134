package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Files in a mechanism's data folder.
const (
	DatabaseFile = "sulh.db"
	LogKeyFile   = "log.key"
	LockFile     = "sulh.lock"
)

// Exists reports whether dir holds a mechanism.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DatabaseFile))
	return err == nil
}

// Init creates a mechanism in dir, which must not hold one: a database, a
// new log key named after the rulebook's log origin, and genesis, the signed
// rulebook statement, as entry 0. The folder is made mode 0700, the key and
// the database files 0600. It returns the open log.
func Init(ctx context.Context, dir string, genesis []byte, opts Options) (*Log, error) {
	if Exists(dir) {
		return nil, fmt.Errorf("%s already holds a mechanism", dir)
	}
	var empty mechanism.State
	st, err := empty.Open(genesis)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the genesis rulebook: %w", err)
	}
	check := empty
	if _, err := check.Apply(st); err != nil {
		return nil, fmt.Errorf("the genesis rulebook is refused: %w", err)
	}
	// The folder holds the log key and sealed bodies: its owner's only,
	// even if it was there before.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't create data folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't make the data folder readable by its owner only: %w", err)
	}
	keyPath := filepath.Join(dir, LogKeyFile)
	if _, err := statement.GenerateKey(check.Rulebook.LogOrigin, keyPath); err != nil {
		return nil, fmt.Errorf("couldn't create the log key: %w", err)
	}
	l, err := OpenDir(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	if _, err := l.Submit(ctx, genesis); err != nil {
		l.Close()
		return nil, fmt.Errorf("couldn't append the genesis rulebook: %w", err)
	}
	return l, nil
}

// OpenDir opens the mechanism in dir.
func OpenDir(ctx context.Context, dir string, opts Options) (*Log, error) {
	b, err := os.ReadFile(filepath.Join(dir, LogKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no mechanism (no %s); create one with sulh init or sulh demo", dir, LogKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log key: %w", err)
	}
	// One process sequences a log: a second would fight it for every index.
	db, unlock, err := openLocked(ctx, dir)
	if err != nil {
		return nil, err
	}
	l, err := Open(ctx, db, strings.TrimSpace(string(b)), opts)
	if err != nil {
		db.Close()
		unlock()
		return nil, err
	}
	l.onClose = func() error { err := db.Close(); unlock(); return err }
	return l, nil
}
