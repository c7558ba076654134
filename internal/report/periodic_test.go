package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// mustDemo is the demo with its scenario, the views holding all of it.
func mustDemo(t *testing.T) *demo.Mechanism {
	t.Helper()
	m, _, err := demo.Full(context.Background(), t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	return m
}

// count counts the rows of the cases list that the filters select, as
// GET /api/v1/cases lists them.
func count(t *testing.T, db *store.DB, kv ...string) int64 {
	t.Helper()
	var f store.Filter
	for i := 0; i < len(kv); i += 2 {
		f.Where(kv[i], kv[i+1])
	}
	var n int64
	if err := db.Each(context.Background(), "cases", f, func(store.Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPeriods(t *testing.T) {
	rb := &mechanism.Rulebook{TimeZones: []mechanism.TimeZone{{Name: "Pakistan", Offset: "+05:00"}}}
	pk := time.FixedZone("Pakistan", 5*3600)
	for _, c := range []struct {
		kind, date         string
		lastFrom, from, to time.Time
	}{
		{report.Daily, "2025-11-12", time.Date(2025, 11, 10, 19, 30, 0, 0, pk), time.Date(2025, 11, 11, 19, 30, 0, 0, pk), time.Date(2025, 11, 12, 19, 30, 0, 0, pk)},
		{report.Weekly, "2025-11-12", time.Date(2025, 10, 29, 19, 30, 0, 0, pk), time.Date(2025, 11, 5, 19, 30, 0, 0, pk), time.Date(2025, 11, 12, 19, 30, 0, 0, pk)},
		{report.Monthly, "2025-11-12", time.Date(2025, 9, 30, 19, 30, 0, 0, pk), time.Date(2025, 10, 31, 19, 30, 0, 0, pk), time.Date(2025, 11, 30, 19, 30, 0, 0, pk)},
		{report.Monthly, "2025-03-01", time.Date(2025, 1, 31, 19, 30, 0, 0, pk), time.Date(2025, 2, 28, 19, 30, 0, 0, pk), time.Date(2025, 3, 31, 19, 30, 0, 0, pk)},
	} {
		this, last, err := report.Periods(rb, c.kind, c.date)
		if err != nil {
			t.Fatal(err)
		}
		if !this.From.Equal(c.from) || !this.To.Equal(c.to) || !last.From.Equal(c.lastFrom) || !last.To.Equal(c.from) {
			t.Errorf("%s %s: got %v and %v, want [%v, %v) after [%v, %v)", c.kind, c.date, this, last, c.from, c.to, c.lastFrom, c.from)
		}
	}
	// A rulebook's own cut-off (rules 5) ends every period.
	rb6 := &mechanism.Rulebook{Rules: mechanism.Rules5, ReportCutOff: "18:00", TimeZones: rb.TimeZones}
	for _, kind := range []string{report.Daily, report.Weekly, report.Monthly} {
		this, last, err := report.Periods(rb6, kind, "2025-11-12")
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{this.From, this.To, last.From} {
			if h, m, _ := at.In(pk).Clock(); h != 18 || m != 0 {
				t.Errorf("%s with the cut-off 18:00: the period %v after %v", kind, this, last)
			}
		}
	}
	if this, _, _ := report.Periods(rb6, report.Daily, "2025-11-12"); !this.To.Equal(time.Date(2025, 11, 12, 18, 0, 0, 0, pk)) {
		t.Errorf("the daily report to 12 November ends at %v, not 18:00 that day", this.To)
	}
	for _, c := range [][2]string{{"hourly", "2025-11-12"}, {report.Daily, "12/11/2025"}, {report.Daily, ""}, {report.Weekly, "2025-11-12T00:00:00Z"}} {
		if _, _, err := report.Periods(rb, c[0], c[1]); err == nil {
			t.Errorf("%q %q: no error", c[0], c[1])
		}
	}
}

func TestPeriodicDemo(t *testing.T) {
	ctx := context.Background()
	m := mustDemo(t)
	db, rb := m.Log.DB, m.Log.Rulebook()
	p, err := report.Make(ctx, db, rb, report.Monthly, "2025-11-15")
	if err != nil {
		t.Fatal(err)
	}
	if p.LogSize != m.Log.Checkpoint().N {
		t.Errorf("log size %d, the log holds %d", p.LogSize, m.Log.Checkpoint().N)
	}
	from, to, lastFrom := statement.FormatTime(p.From), statement.FormatTime(p.To), statement.FormatTime(p.LastFrom)
	if len(p.Complaints) == 0 {
		t.Fatal("no complaints in November in the demo")
	}
	var received int64
	for i, c := range p.Complaints {
		in := []string{"accused", c.Party, "from", from, "to", to, "distinct", "true"}
		if want := count(t, db, in...); c.Received != want {
			t.Errorf("%s: received %d, the case list has %d", c.Party, c.Received, want)
		}
		if want := count(t, db, "accused", c.Party, "from", lastFrom, "to", from, "distinct", "true"); c.Last != want {
			t.Errorf("%s: before %d, the case list has %d", c.Party, c.Last, want)
		}
		for s, got := range map[string]int64{mechanism.StandingVerified: c.Verified, mechanism.StandingCleared: c.Cleared,
			mechanism.StandingPending: c.Pending, mechanism.StandingClosed: c.Closed} {
			if want := count(t, db, append(in, "standing", s)...); got != want {
				t.Errorf("%s: %s %d, the case list has %d", c.Party, s, got, want)
			}
		}
		if c.Verified+c.Cleared+c.Pending+c.Closed != c.Received {
			t.Errorf("%s: the standings add up to %d of %d", c.Party, c.Verified+c.Cleared+c.Pending+c.Closed, c.Received)
		}
		if p.ByParty[i].Key != c.Party || p.ByParty[i].This != c.Received || p.ByParty[i].Last != c.Last {
			t.Errorf("by party %d: %+v, complaints %+v", i, p.ByParty[i], c)
		}
		received += c.Received
	}
	var accusing int64
	for _, party := range rb.Bodies {
		if party.Type == mechanism.BodyParty {
			accusing += count(t, db, "accused", party.ID, "from", from, "to", to, "distinct", "true")
		}
	}
	if received != accusing {
		t.Errorf("received %d in all, the case list has %d accusing a party", received, accusing)
	}
	for _, c := range p.ByCategory {
		if want := count(t, db, "category", c.Key, "from", from, "to", to, "distinct", "true"); c.This != want {
			t.Errorf("category %s: %d, the case list has %d", c.Key, c.This, want)
		}
	}
	page, err := db.PublishedFindings(ctx, rb, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	published := map[int64]bool{}
	for _, r := range page.Rows {
		idx, _ := r["idx"].(int64)
		published[idx] = true
	}
	for _, f := range p.Findings {
		if !published[f.Index] || f.Published < from || f.Published >= to {
			t.Errorf("finding %d (published %s) is not a finding published in [%s, %s)", f.Index, f.Published, from, to)
		}
	}

	a, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	again, err := report.Make(ctx, db, rb, report.Monthly, "2025-11-15")
	if err != nil {
		t.Fatal(err)
	}
	b, err := again.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same log size and period made two different reports")
	}
	if want := "log size " + strconv.FormatInt(p.LogSize, 10); !bytes.Contains(a, []byte(want)) {
		t.Errorf("the report does not say %q", want)
	}
	t.Logf("monthly report of November: %d bytes, log size %d, %d parties, %d findings", len(a), p.LogSize, len(p.Complaints), len(p.Findings))

	// Publishing: a mediator files the report's hash, and the log holds
	// the hash of the bytes made.
	pub := p.Publication(a, "https://sulh.example.org/reports/monthly/2025-11-15.html")
	at, err := db.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]any{"title": pub.Title, "sha256": pub.SHA256, "size": pub.Size, "from": pub.From, "to": pub.To, "url": pub.URL}
	msg, err := m.Sign(mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), fields)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := m.Log.Submit(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
	var row store.Row
	var pf store.Filter
	pf.Limit = 1
	if err := db.Each(ctx, "publications", pf, func(r store.Row) error { row = r; return nil }); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(a)
	if idx, _ := row["idx"].(int64); idx != rc.Index || row["sha256"] != hex.EncodeToString(sum[:]) || row["size"] != int64(len(a)) {
		t.Errorf("the log's publication %v does not record the report (index %d, sha256 %x, %d bytes)", row, rc.Index, sum, len(a))
	}
	// The log grew: the report made now states the new size, and so
	// differs from the one published.
	later, err := report.Make(ctx, db, rb, report.Monthly, "2025-11-15")
	if err != nil {
		t.Fatal(err)
	}
	if later.LogSize != p.LogSize+1 {
		t.Errorf("after the publication the report is made at %d, want %d", later.LogSize, p.LogSize+1)
	}

	// A party that is not a mediator cannot publish.
	msg, err = m.Sign(mechanism.KindPublication, m.Keys.Admins["pakistan"], at.Add(2*time.Minute), fields)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, msg); err == nil {
		t.Error("a party's administrator published a report")
	}
}

func TestPeriodicEscapes(t *testing.T) {
	p := &report.Periodic{Mechanism: "<b>m</b>", Title: `<script>alert("t")</script>`, Kind: report.Daily, Date: "2025-11-12",
		Findings: []store.PeriodFinding{{Index: 7, Case: 3, Outcome: "attributed", Party: `"><img src=x onerror=alert(1)>`,
			Summary: "<script>alert(1)</script> & co"}},
		Crossings:         []store.CrossingSide{{Crossing: "torkham", Name: "<i>Torkham</i>", Side: "pakistan", Status: "open"}},
		ByRegion:          []report.Change{{Key: "PK/x", Name: "<u>Kurram</u>", This: 1}},
		HasAccessCategory: true,
		AccessDenials:     []report.Change{{Key: "p", Name: "<em>party</em>", This: 1}},
		Commitments:       []store.PeriodCommitment{{Index: 4, Party: "<s>p</s>", Group: "<script>g</script>", Status: "met"}},
		ByCategory:        []report.Change{{Key: "c", Name: "<tt>cat</tt>", This: 2, Last: 1}},
		Incidents:         []report.Incident{{Case: 5, Lat: 34, Lon: 71, Standing: `"/><script>`}}}
	b, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, bad := range []string{"<script>", "<img", "<i>Torkham", "<b>m", "<u>", "<em>", "<s>", "<tt>"} {
		if strings.Contains(s, bad) {
			t.Errorf("the report holds %q unescaped", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", "&lt;i&gt;Torkham&lt;/i&gt;", "&lt;u&gt;Kurram&lt;/u&gt;",
		"&lt;em&gt;party&lt;/em&gt;", "&lt;script&gt;g&lt;/script&gt;", "&lt;tt&gt;cat&lt;/tt&gt;"} {
		if !strings.Contains(s, good) {
			t.Errorf("the report lacks %q", good)
		}
	}
}

// FuzzPeriods: any period, date and cut-off is refused or gives two
// periods that follow each other, the later ending at the cut-off (19:30
// when the rulebook sets none), never a panic.
func FuzzPeriods(f *testing.F) {
	for _, s := range [][3]string{{"daily", "2025-11-12", ""}, {"weekly", "2025-02-29", "18:00"}, {"monthly", "0000-01-01", "00:00"},
		{"monthly", "9999-12-31", "23:59"}, {"hourly", "x", "24:00"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, kind, date, cutoff string) {
		rb := &mechanism.Rulebook{Rules: mechanism.Rules5, TimeZones: []mechanism.TimeZone{{Name: "Pakistan", Offset: "+05:00"}}}
		want := "19:30"
		if _, err := mechanism.ParseCutOff(cutoff); err == nil {
			rb.ReportCutOff, want = cutoff, cutoff
		}
		this, last, err := report.Periods(rb, kind, date)
		if err != nil {
			return
		}
		if !last.From.Before(last.To) || !last.To.Equal(this.From) || !this.From.Before(this.To) {
			t.Fatalf("%q %q: %v after %v", kind, date, this, last)
		}
		if got := this.To.Format("15:04"); got != want {
			t.Fatalf("%q %q %q: the period ends at %v, not the cut-off %s", kind, date, cutoff, this.To, want)
		}
	})
}

// TestPeriodicPDF renders the demo's monthly report as PDF twice (the
// same bytes), reads its text back with pdftotext (it states the log
// size) and renders its first page to PNG with pdftoppm.
func TestPeriodicPDF(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (poppler-utils; test.sh installs it): %v", tool, err)
		}
	}
	ctx := context.Background()
	m := mustDemo(t)
	p, err := report.Make(ctx, m.Log.DB, m.Log.Rulebook(), report.Monthly, "2025-11-15")
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.PDF()
	if err != nil {
		t.Fatal(err)
	}
	b, ctype, err := p.Render("pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || ctype != "application/pdf" {
		t.Fatalf("the same report made two different PDFs (%s)", ctype)
	}
	if _, _, err := p.Render("docx"); err == nil {
		t.Error("a report rendered in a format that is not one")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, a, 0o644); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, txt)
	}
	if want := "log size " + strconv.FormatInt(p.LogSize, 10); !strings.Contains(string(txt), want) {
		t.Errorf("the PDF's text does not say %q:\n%s", want, txt)
	}
	for _, c := range p.Complaints {
		if !strings.Contains(string(txt), p.Name(c.Party)) {
			t.Errorf("the PDF's text does not name %s", p.Name(c.Party))
		}
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	png, err := os.ReadFile(filepath.Join(dir, "page-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("pdftoppm made %d bytes, not a page", len(png))
	}
	t.Logf("monthly PDF: %d bytes, first page as PNG %d bytes", len(a), len(png))
}

// TestMakeAll: reports made together, in one pass over their cases, are
// those made one by one, byte for byte, whether their periods nest,
// overlap or lie apart.
func TestMakeAll(t *testing.T) {
	ctx := context.Background()
	m := mustDemo(t)
	db, rb := m.Log.DB, m.Log.Rulebook()
	for _, date := range []string{"2025-10-12", "2025-11-06", "2025-11-24", "2025-12-05"} {
		reqs := []report.Request{{report.Daily, date}, {report.Weekly, date}, {report.Monthly, date}, {report.Daily, "2025-10-16"}}
		ps, err := report.MakeAll(ctx, db, rb, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != len(reqs) {
			t.Fatalf("%d reports made of %d", len(ps), len(reqs))
		}
		for i, r := range reqs {
			alone, err := report.Make(ctx, db, rb, r.Kind, r.Date)
			if err != nil {
				t.Fatal(err)
			}
			if ps[i].Kind != r.Kind || ps[i].Date != r.Date {
				t.Errorf("report %d of %v is the %s report to %s", i, reqs, ps[i].Kind, ps[i].Date)
			}
			for _, format := range []string{"html", "json"} {
				got, _, err := ps[i].Render(format)
				if err != nil {
					t.Fatal(err)
				}
				want, _, err := alone.Render(format)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("the %s report to %s in %s, made with %v, is not the one made alone", r.Kind, r.Date, format, reqs)
				}
			}
		}
	}
	if _, err := report.MakeAll(ctx, db, rb, []report.Request{{report.Daily, "2025-11-06"}, {"hourly", "2025-11-06"}}); err == nil {
		t.Error("a kind of report that does not exist, among others: no error")
	}
}
