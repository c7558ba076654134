package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// httpGet returns the body of a 200 answer to url.
func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %.300s", url, resp.StatusCode, err, b)
	}
	return b
}

// mustFresh creates a mechanism from the default rulebook with the demo's
// members and no statement of its scenario, and serves it.
func mustFresh(t *testing.T) (*server, string) {
	t.Helper()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "fresh")
	m, err := demo.Create(ctx, data, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	m.Log.Close()
	return startServer(t, nil, "serve", "--data", data), data
}

// TestExportImportACLED exports the demo's cases in ACLED's columns with
// sulh export, which writes what the server serves, and imports the file
// into a fresh mechanism as its monitor: every row becomes a report on
// channel open_source, with its event type, place and date. Rows that are
// wrong are refused, each named with its line and why, and the command
// exits 1; a party's key, which may not file on that channel, has every
// row refused by the server.
func TestExportImportACLED(t *testing.T) {
	dir := t.TempDir()
	src := startServer(t, nil, "demo", "--data", filepath.Join(dir, "demo"))

	// sulh export writes the bytes the server serves, filters included.
	for _, name := range exports {
		out := filepath.Join(dir, name)
		mustSulh(t, "export", name, "--url", src.URL, "-o", out)
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if want := httpGet(t, src.URL+"/export/"+name); !bytes.Equal(got, want) || len(got) < 1000 {
			t.Errorf("sulh export %s wrote %d bytes; the server serves %d, not the same", name, len(got), len(want))
		}
	}
	filtered := mustSulh(t, "export", "cases.csv", "party=afghanistan", "--url", src.URL)
	if want := httpGet(t, src.URL+"/export/cases.csv?party=afghanistan"); filtered != string(want) {
		t.Errorf("sulh export cases.csv party=afghanistan is not what the server serves")
	}
	r := runSulh(t, runOpts{}, "export", "cases.csv", "--url", src.URL, "bogus=1")
	wantFailure(t, "an unknown filter", r, `unknown parameter "bogus"`)
	r = runSulh(t, runOpts{}, "export", "cases.xlsx", "--url", src.URL)
	if r.code != 2 {
		t.Errorf("an unknown export: %s", r)
	}

	file := filepath.Join(dir, "acled.csv")
	exported, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	events := recs[1:]
	// Two rows that are wrong, after the demo's.
	bad := strings.Join(recs[0], ",") + "\n" +
		"PAK9001,2025-10-20,2025,1,Political violence,Battles,Air/drone strike,,,0,,,0,0,,586,South Asia,Pakistan,,,,Chaman,30.92,66.45,1,Dawn,Other,A sub-event type of another type.,0,,\n" +
		"PAK9002,someday,2025,1,Political violence,Battles,Armed clash,,,0,,,0,0,,586,South Asia,Pakistan,,,,Chaman,30.92,66.45,1,Dawn,Other,No date.,0,,\n"
	var all bytes.Buffer
	all.Write(exported)
	all.WriteString(bad[strings.Index(bad, "\n")+1:])
	if err := os.WriteFile(file, all.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(exported, []byte("\n"))

	dst, data := mustFresh(t)
	r = runSulh(t, runOpts{timeout: 2 * time.Minute}, "import", "acled", file, "--key", filepath.Join(data, "keys", "monitors-field-1.key"), "--server", dst.URL)
	wantFailure(t, "import with two wrong rows", r, "2 rows refused")
	for _, want := range []string{"Filed " + itoa(len(events)) + " reports, at log indices ", "Refused 2 rows:",
		"line " + itoa(lines+1) + `: sub_event_type "Air/drone strike" is not one of ACLED's for "Battles"`,
		"line " + itoa(lines+2) + `: event_date "someday" is not a date`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, r)
		}
	}

	// Every event is a report of the monitors on channel open_source,
	// with the event's type, place and date.
	var cases struct {
		Items []struct {
			ID           int64    `json:"id"`
			Channel      string   `json:"channel"`
			Reporter     string   `json:"reporter"`
			EventType    string   `json:"event_type"`
			SubEventType string   `json:"sub_event_type"`
			PlaceName    string   `json:"place_name"`
			Lat          *float64 `json:"lat"`
			EventAt      string   `json:"event_at"`
		} `json:"items"`
	}
	if err := json.Unmarshal(httpGet(t, dst.URL+"/api/v1/cases?limit=500"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases.Items) != len(events) {
		t.Fatalf("the fresh mechanism has %d cases; the file has %d events", len(cases.Items), len(events))
	}
	byPlace := map[string]int{}
	for _, c := range cases.Items {
		if c.Channel != "open_source" || c.Reporter != "monitors" {
			t.Errorf("case %d: channel %q, reporter %q", c.ID, c.Channel, c.Reporter)
		}
		byPlace[c.EventType+"/"+c.SubEventType+"/"+c.PlaceName+"/"+c.EventAt[:10]]++
	}
	names := map[string]string{}
	for _, et := range mechanism.EventTypes {
		for _, s := range et.SubTypes {
			names[et.Name+"/"+s.Name] = et.ID + "/" + s.ID
		}
	}
	for _, e := range events { // event_date 1, event_type 5, sub_event_type 6, location 21
		key := names[e[5]+"/"+e[6]] + "/" + strings.TrimPrefix(e[21], "'") + "/" + e[1]
		if byPlace[key] == 0 {
			t.Errorf("event %s (%s) is not among the imported cases: %v", e[0], key, byPlace)
		}
		byPlace[key]--
	}
	var st struct {
		Statement struct {
			Source string `json:"source"`
		} `json:"statement"`
	}
	if err := json.Unmarshal(httpGet(t, dst.URL+"/api/v1/statements/"+itoa(int(cases.Items[0].ID))), &st); err != nil || !strings.HasPrefix(st.Statement.Source, "ACLED ") {
		t.Errorf("the report's source: %q %v", st.Statement.Source, err)
	}

	// A party may not file on channel open_source: the server refuses every
	// row, and the summary says so for each.
	small := filepath.Join(dir, "small.csv")
	os.WriteFile(small, []byte(strings.Join(recs[0], ",")+"\n"+csvLine(events[0])+csvLine(events[1])), 0o644)
	r = runSulh(t, runOpts{}, "import", "acled", small, "--key", filepath.Join(data, "keys", "pakistan-liaison-1.key"), "--server", dst.URL)
	wantFailure(t, "import by a party", r, "2 rows refused")
	if !strings.Contains(r.stdout, "Filed no report.") || strings.Count(r.stdout, `refused (forbidden): report: channel "open_source" is for monitors and mediators`) != 2 {
		t.Errorf("import by a party:\n%s", r)
	}
	// A file that is not ACLED's is refused whole.
	os.WriteFile(small, []byte("a,b\n1,2\n"), 0o644)
	r = runSulh(t, runOpts{}, "import", "acled", small, "--key", filepath.Join(data, "keys", "monitors-field-1.key"), "--server", dst.URL)
	wantFailure(t, "a file that is not ACLED's", r, "lacks ACLED's columns event_id_cnty")
}

func itoa(n int) string { return strconv.Itoa(n) }

// csvLine is a record as a line of CSV.
func csvLine(rec []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rec)
	w.Flush()
	return b.String()
}
