package mechanism_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// releaseEntries returns the entries of the log that a release wrote, in
// the module's testdata/logs/<release>.
func releaseEntries(t testing.TB, release string) [][]byte {
	t.Helper()
	bundle, err := os.ReadFile(filepath.Join("..", "..", "testdata", "logs", release, "entries"))
	if err != nil {
		t.Fatal(err)
	}
	var entries [][]byte
	for len(bundle) > 0 {
		var entry []byte
		if entry, bundle, err = torchwood.ReadTileEntry(bundle); err != nil {
			t.Fatalf("%s: %v", release, err)
		}
		entries = append(entries, entry)
	}
	return entries
}

// reportObjects returns the JSON objects of reports: every report of every
// release's log, and the reports of the benchmarks.
func reportObjects(t testing.TB) [][]byte {
	t.Helper()
	releases, err := os.ReadDir(filepath.Join("..", "..", "testdata", "logs"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, rel := range releases {
		for _, e := range releaseEntries(t, rel.Name()) {
			st, err := statement.Parse(e)
			if err != nil {
				t.Fatalf("%s: %v", rel.Name(), err)
			}
			if st.Kind == mechanism.KindReport {
				out = append(out, st.JSON)
			}
		}
	}
	at := time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
	for i := range 7 {
		out = append(out, benchReport("m", "a", at, i))
	}
	return out
}

// decodeReport decodes obj as Statement.Decode did before reports read
// themselves: with encoding/json, refusing unknown fields.
func decodeReport(obj []byte) (*mechanism.Report, error) {
	r := new(mechanism.Report)
	d := json.NewDecoder(bytes.NewReader(obj))
	d.DisallowUnknownFields()
	return r, d.Decode(r)
}

// TestReportReadsItself: every report of every release's log, and of
// the benchmarks, reads itself without encoding/json, to the value
// encoding/json decodes.
func TestReportReadsItself(t *testing.T) {
	objs := reportObjects(t)
	if len(objs) < 60 {
		t.Fatalf("only %d reports", len(objs))
	}
	for _, obj := range objs {
		want, err := decodeReport(obj)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		got := new(mechanism.Report)
		if !statement.ReadJSON(obj, got) {
			t.Fatalf("does not read itself: %s", obj)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %+v, encoding/json decodes %+v", obj, got, want)
		}
	}
}

// FuzzReportReadsItself: whatever report reads itself, encoding/json
// decodes to the same value.
func FuzzReportReadsItself(f *testing.F) {
	for _, obj := range reportObjects(f) {
		f.Add(obj)
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		if _, err := statement.ParseObject(obj); err != nil {
			return // a payload reads only what Parse accepted
		}
		got := new(mechanism.Report)
		if !statement.ReadJSON(obj, got) {
			return
		}
		want, err := decodeReport(obj)
		if err != nil {
			t.Fatalf("%s: read %+v; encoding/json refuses it: %v", obj, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %+v; encoding/json decodes %+v", obj, got, want)
		}
	})
}
