package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/store"
)

// withUmask runs the rest of the test with the process's umask set to mask.
// The umask is the process's: tests that use it must not run in parallel.
func withUmask(t *testing.T, mask int) {
	t.Helper()
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// wantOwnerOnly fails the test for every file named that exists and grants
// any permission to its group or others. It returns how many exist.
func wantOwnerOnly(t *testing.T, names ...string) int {
	t.Helper()
	n := 0
	for _, name := range names {
		fi, err := os.Stat(name)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v; want no permission for group or others", filepath.Base(name), fi.Mode().Perm())
		}
	}
	return n
}

// TestSQLiteOwnerOnly checks that the database, its -wal and its -shm are
// created readable by their owner only, whatever the umask, and that a
// database made readable to others before is made private when opened.
func TestSQLiteOwnerOnly(t *testing.T) {
	ctx := context.Background()
	for _, mask := range []int{0o022, 0o000} {
		t.Run(fmt.Sprintf("umask %03o", mask), func(t *testing.T) {
			withUmask(t, mask)
			file := filepath.Join(t.TempDir(), "sulh.db")
			files := []string{file, file + "-wal", file + "-shm"}
			db, err := store.OpenSQLite(ctx, file)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := db.BeginLog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			data := []byte("entry")
			if err := tx.AppendEntry(0, tlog.RecordHash(data), data, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			// While the database is open, all three exist.
			if n := wantOwnerOnly(t, files...); n != 3 {
				t.Errorf("%d of sulh.db, -wal and -shm exist while it is open; want 3", n)
			}
			// Files that others could read, from before, are made private when
			// the database is opened.
			for _, f := range files {
				if err := os.Chmod(f, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			again, err := store.OpenSQLite(ctx, file)
			if err != nil {
				t.Fatal(err)
			}
			wantOwnerOnly(t, files...)
			again.Close()
			db.Close()
			wantOwnerOnly(t, files...)
		})
	}
}
