package ledger_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sulh-project/sulh/internal/filelog"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestDataFolderOwnerOnly creates a mechanism with the common umask 0022,
// in a new folder and in one that was readable by all, files statements
// (sealed ones among them) and checks that the folder and everything in it,
// the database's -wal and -shm too, are its owner's only: folders 0700,
// files without any permission for group or others.
func TestDataFolderOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before func(dir string) error
	}{
		{"new folder", func(string) error { return nil }},
		{"folder readable by all", func(dir string) error { return os.Mkdir(dir, 0o755) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := tc.before(dir); err != nil {
				t.Fatal(err)
			}
			m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Members(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Scenario(ctx); err != nil {
				t.Fatal(err)
			}
			seen := wantOwnerOnlyTree(t, dir)
			for _, name := range []string{datadir.DatabaseFile, datadir.DatabaseFile + "-wal", datadir.DatabaseFile + "-shm", datadir.LogKeyFile, datadir.LockFile,
				datadir.LogFolder, filepath.Join(datadir.LogFolder, filelog.EntriesFile), filepath.Join(datadir.LogFolder, filelog.CheckpointFile)} {
				if !seen[name] {
					t.Errorf("%s is not in the data folder of an open mechanism", name)
				}
			}
			m.Log.Close()
			wantOwnerOnlyTree(t, dir)

			// Opened again, and written to, after SQLite removed its -wal
			// and -shm on closing.
			l, err := datadir.Open(ctx, dir, ledger.Options{})
			if err != nil {
				t.Fatal(err)
			}
			m.Log = l
			if _, err := l.Submit(ctx, report(t, m, "pakistan-liaison-1", 1000)); err != nil {
				t.Fatal(err)
			}
			wantOwnerOnlyTree(t, dir)
			l.Close()
		})
	}
}

// wantOwnerOnlyTree fails the test for every folder under dir, dir too,
// whose mode is not 0700 and every file that grants group or others any
// permission. It returns the paths it saw, relative to dir.
func wantOwnerOnlyTree(t *testing.T, dir string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		seen[rel] = true
		perm := fi.Mode().Perm()
		switch {
		case d.IsDir() && perm != 0o700:
			t.Errorf("folder %s has mode %v; want 0700", rel, perm)
		case !d.IsDir() && perm&0o077 != 0:
			t.Errorf("%s has mode %v; want no permission for group or others", rel, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}
