package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sulh-project/sulh/internal/store"
)

// TestDigestIsTheDump: the state digest is the SHA-256 of the dump that
// its documentation describes, made here apart, column by column through
// another connection: for each view in order its name, then each row in
// order as its values in brackets, text quoted as Go quotes it. The views
// are the demo's, which hold other scripts and coordinates, and a row
// written by hand with what text can hold (quotes, backslashes, control
// characters, a zero byte, invalid UTF-8), large and negative numbers
// and a null.
func TestDigestIsTheDump(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sulh.db")
	db, err := store.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries := demoEntries(t)
	projectAll(t, db, entries, len(entries))

	raw, err := sql.Open("sqlite", "file:"+store.ViewsFile(file))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `INSERT INTO members (name, body, roles, label, key, active, enrolled, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		"~zz back\\slash", "a \"quoted\" word", "tab\tnew\nline\x7f\x01", "\xff\xfe not UTF-8, طورخم \u2028", "nul\x00byte", int64(-1<<63), int64(1<<62), nil)
	if err != nil {
		t.Fatal(err)
	}

	want := sha256.New()
	seen := map[string]bool{}
	for _, v := range store.ViewTables {
		want.Write([]byte(v.Name + "\n"))
		rows, err := raw.QueryContext(ctx, "SELECT * FROM "+v.Name+" ORDER BY "+v.Order)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			line := []byte{'['}
			for i, x := range vals {
				if i > 0 {
					line = append(line, ',')
				}
				seen[fmt.Sprintf("%T", x)] = true
				switch x := x.(type) {
				case nil:
					line = append(line, "null"...)
				case int64:
					line = strconv.AppendInt(line, x, 10)
				case float64:
					line = strconv.AppendFloat(line, x, 'g', -1, 64)
				case string:
					line = strconv.AppendQuote(line, x)
				case []byte:
					line = strconv.AppendQuote(line, string(x))
				default:
					t.Fatalf("view %s: a value of type %T", v.Name, x)
				}
			}
			want.Write(append(line, "]\n"...))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}

	for _, kind := range []string{"<nil>", "int64", "float64", "string"} {
		if !seen[kind] {
			t.Errorf("the views hold no value of type %s", kind)
		}
	}

	size, got, err := db.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(entries)) {
		t.Errorf("the digest is of %d entries, want %d", size, len(entries))
	}
	if w := want.Sum(nil); string(got[:]) != string(w) {
		t.Errorf("the digest is %x, the dump's SHA-256 %x", got, w)
	}
}
