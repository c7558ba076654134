package datadir_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

var recordViews = flag.Bool("record-views", false,
	"write views.txt for each log in testdata/logs that has none; run it only with the release that wrote the log")

// TestOldLogs opens, with this release, the log that each earlier release
// wrote (testdata/logs/<release>, at the top of the module; see its
// README.md): its entries go into a new data folder as that release stored
// them, and this release opens it. Every statement must replay (each is
// judged by the rules it was filed under), the tree must be the one that
// release's checkpoint signed, and the views must read, in every table and
// column that release had, exactly what that release's views read
// (views.txt, written by that release with -record-views).
func TestOldLogs(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "testdata", "logs")
	releases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(releases) < 2 {
		t.Fatalf("%s holds %d logs; every release since November 2026 keeps one", root, len(releases))
	}
	for _, r := range releases {
		t.Run(r.Name(), func(t *testing.T) {
			src := filepath.Join(root, r.Name())
			dir, size := mustOldLog(t, src)
			got := viewDigests(t, dir, nil)
			want := filepath.Join(src, "views.txt")
			if _, err := os.Stat(want); os.IsNotExist(err) {
				if *recordViews {
					writeViewDigests(t, want, got)
					return
				}
				t.Logf("%s has no views.txt: the release that wrote it kept none, so only its replay and its tree are checked", src)
				return
			}
			old := readViewDigests(t, want)
			now := viewDigests(t, dir, old)
			for _, o := range old {
				n := now[slices.IndexFunc(now, func(d viewDigest) bool { return d.table == o.table })]
				if n.rows != o.rows || n.sum != o.sum {
					t.Errorf("view %s (columns %s) of the log of %d entries: %d rows with digest %s; that release had %d rows with digest %s",
						o.table, strings.Join(o.cols, ","), size, n.rows, n.sum, o.rows, o.sum)
				}
			}
		})
	}
}

// mustOldLog stores the log in src (its entry bundle, the sealed bodies
// kept beside it, its checkpoint) into a new data folder, as the release
// that wrote it did, opens it with this release, waits for the views and
// closes it. It returns the folder and the log's size.
func mustOldLog(t *testing.T, src string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	bundle, err := os.ReadFile(filepath.Join(src, "entries"))
	if err != nil {
		t.Fatal(err)
	}
	var entries [][]byte
	for len(bundle) >= 2 {
		n := int(binary.BigEndian.Uint16(bundle))
		if 2+n > len(bundle) {
			t.Fatalf("%s: the entry bundle is cut short", src)
		}
		entries = append(entries, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	size := int64(len(entries))

	// The tree the entries make is the one the release signed.
	vkey, _ := os.ReadFile(filepath.Join(src, "key"))
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(filepath.Join(src, "checkpoint"))
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatalf("%s: the checkpoint: %v", src, err)
	}
	var hashes []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = hashes[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, reader)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	tree, err := tlog.TreeHash(size, reader)
	if err != nil {
		t.Fatal(err)
	}
	cp := torchwood.Checkpoint{Origin: v.Name(), Tree: tlog.Tree{N: size, Hash: tree}}.String()
	if n.Text != cp {
		t.Fatalf("%s: the checkpoint signs %q; the entries make %q", src, n.Text, cp)
	}

	// The log key: the release's own where it was kept (then the
	// checkpoint is signed again byte for byte), a new one of the same
	// name otherwise.
	dir := t.TempDir()
	logKey, err := os.ReadFile(filepath.Join(src, "log.key"))
	if os.IsNotExist(err) {
		skey, _, err := note.GenerateKey(rand.Reader, v.Name())
		if err != nil {
			t.Fatal(err)
		}
		logKey = []byte(skey)
		signer, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		if signed, err = note.Sign(&note.Note{Text: cp}, signer); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, datadir.LogKeyFile), logKey, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err := store.OpenSQLite(ctx, filepath.Join(dir, datadir.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		st, err := statement.Parse(e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if err := tx.AppendEntry(int64(i), tlog.RecordHash(e), e, st.Time); err != nil {
			t.Fatal(err)
		}
		if st.Kind == mechanism.KindSealed {
			salt, errS := os.ReadFile(filepath.Join(src, "sealed", fmt.Sprintf("%d.salt", i)))
			body, errB := os.ReadFile(filepath.Join(src, "sealed", fmt.Sprintf("%d.body", i)))
			if errS == nil && errB == nil {
				s, err := hex.DecodeString(strings.TrimSpace(string(salt)))
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.PutSealedBody(int64(i), s, body); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for id, h := range hashes {
		if err := tx.PutHash(int64(id), h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.SetCheckpoint(size, signed); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	node, err := datadir.Open(ctx, dir, ledger.Options{SnapshotEvery: -1})
	if err != nil {
		t.Fatalf("%s: this release cannot open the log: %v", src, err)
	}
	defer node.Close()
	if got := node.Checkpoint(); got.N != size || got.Hash != tree {
		t.Fatalf("%s: opened at size %d, root %v; want %d, %v", src, got.N, got.Hash, size, tree)
	}
	if err := node.WaitViews(ctx, size); err != nil {
		t.Fatal(err)
	}
	return dir, size
}

// viewDigest is the SHA-256 of a view's rows, in the columns cols, in the
// order the state digest reads them.
type viewDigest struct {
	table string
	cols  []string
	rows  int64
	sum   string
}

// viewDigests reads the views of the mechanism in dir: the tables and
// columns of want, or every view and column when want is nil.
func viewDigests(t *testing.T, dir string, want []viewDigest) []viewDigest {
	t.Helper()
	file := store.ViewsFile(filepath.Join(dir, datadir.DatabaseFile))
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	order := map[string]string{}
	for _, v := range store.ViewTables {
		order[v.Name] = v.Order
	}
	if want == nil {
		for _, v := range store.ViewTables {
			rows, err := db.Query("SELECT name FROM pragma_table_info(?) ORDER BY cid", v.Name)
			if err != nil {
				t.Fatal(err)
			}
			d := viewDigest{table: v.Name}
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				d.cols = append(d.cols, c)
			}
			rows.Close()
			want = append(want, d)
		}
	}
	var out []viewDigest
	for _, w := range want {
		ord, ok := order[w.table]
		if !ok {
			t.Errorf("view %s is gone; an older release's log has it", w.table)
			continue
		}
		rows, err := db.Query("SELECT " + strings.Join(w.cols, ", ") + " FROM " + w.table + " ORDER BY " + ord)
		if err != nil {
			t.Errorf("view %s, columns %v: %v", w.table, w.cols, err)
			continue
		}
		h := sha256.New()
		d := viewDigest{table: w.table, cols: w.cols}
		vals := make([]any, len(w.cols))
		ptrs := make([]any, len(w.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b []byte
			for i, x := range vals {
				if i > 0 {
					b = append(b, '\t')
				}
				switch x := x.(type) {
				case nil:
					b = append(b, "null"...)
				case int64:
					b = strconv.AppendInt(b, x, 10)
				case float64:
					b = strconv.AppendFloat(b, x, 'g', -1, 64)
				case string:
					b = strconv.AppendQuote(b, x)
				case []byte:
					b = strconv.AppendQuote(b, string(x))
				default:
					t.Fatalf("view %s: a value of type %T", w.table, x)
				}
			}
			h.Write(append(b, '\n'))
			d.rows++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		d.sum = hex.EncodeToString(h.Sum(nil))
		out = append(out, d)
	}
	return out
}

// views.txt holds one line per view: its name, its columns separated by
// commas, its number of rows and their digest.

func writeViewDigests(t *testing.T, file string, ds []viewDigest) {
	t.Helper()
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s %d %s\n", d.table, strings.Join(d.cols, ","), d.rows, d.sum)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", file)
}

func readViewDigests(t *testing.T, file string) []viewDigest {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []viewDigest
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 4 {
			t.Fatalf("%s: %q is not a view, its columns, its rows and its digest", file, sc.Text())
		}
		n, err := strconv.ParseInt(p[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range strings.Split(p[1], ",") {
			if !statement.ValidID(strings.ReplaceAll(c, "_", "-")) {
				t.Fatalf("%s: %q is not a column name", file, c)
			}
		}
		out = append(out, viewDigest{table: p[0], cols: strings.Split(p[1], ","), rows: n, sum: p[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
