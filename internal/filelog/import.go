package filelog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
)

// importChunk is about the most bytes of entries Import writes in one
// transaction.
const importChunk = 16 << 20

// Import copies the log that from holds (its entries, stored hashes and
// checkpoint) into a new folder dir, which must not hold a log: the way
// a log kept by other storage moves into files. It writes into a folder
// beside dir and renames it to dir once the copy is on the disk, so that
// a crash leaves either no log in dir or the whole of it. progress, if not
// nil, is called with the entries copied so far. The sealed bodies and the
// snapshot stay with side.
func Import(ctx context.Context, dir string, from ledger.Storage, side Side, progress func(done, total int64)) error {
	if Exists(dir) {
		return fmt.Errorf("%s already holds a log", dir)
	}
	size, signed, err := from.Checkpoint(ctx)
	if err != nil {
		return err
	}
	tmp := dir + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("couldn't remove a copy of the log left unfinished: %w", err)
	}
	l, err := Open(ctx, tmp, side)
	if err != nil {
		return err
	}
	defer l.Close()
	lt, _ := l.BeginLog(ctx)
	t := lt.(*tx)
	commit := func() error {
		if err := t.Commit(); err != nil {
			return err
		}
		next, err := l.BeginLog(ctx)
		t, _ = next.(*tx)
		return err
	}
	var last time.Time
	err = from.Entries(ctx, 0, size, func(i int64, data []byte) error {
		if err := t.AppendEntry(i, tlog.RecordHash(data), data, time.Time{}); err != nil {
			return err
		}
		if progress != nil && time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			progress(i, size)
		}
		if len(t.data) < importChunk {
			return nil
		}
		return commit()
	})
	if err == nil {
		err = from.HashRange(ctx, 0, tlog.StoredHashCount(size), func(id int64, h tlog.Hash) error {
			if err := t.PutHash(id, h); err != nil {
				return err
			}
			if len(t.hashes) < importChunk {
				return nil
			}
			return commit()
		})
	}
	if err == nil && size > 0 {
		err = t.SetCheckpoint(size, signed)
	}
	if err == nil {
		err = t.Commit()
	}
	if err == nil {
		err = l.Sync(ctx)
	}
	if err == nil {
		err = l.Close()
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = syncDir(filepath.Dir(dir))
	}
	if err != nil {
		return fmt.Errorf("couldn't copy the log into %s: %w", dir, err)
	}
	if progress != nil {
		progress(size, size)
	}
	return nil
}
