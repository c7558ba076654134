package report_test

import (
	"strconv"
	"testing"

	"github.com/sulh-project/sulh/internal/report"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		url, base string
		want      report.Address
	}{
		{"http://127.0.0.1:8080/reports/daily/2025-11-12.html?size=82", "http://127.0.0.1:8080", report.Address{Kind: "daily", Date: "2025-11-12", Format: "html", Size: 82}},
		{"https://sulh.example/m/reports/monthly/2025-11-15.pdf?size=1", "https://sulh.example/m", report.Address{Kind: "monthly", Date: "2025-11-15", Format: "pdf", Size: 1}},
		{"https://sulh.example/reports/weekly/2025-11-15.json?size=7", "https://sulh.example", report.Address{Kind: "weekly", Date: "2025-11-15", Format: "json", Size: 7}},
		{"https://sulh.example/reports/weekly/2025-11-15.html", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.html?size=07", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.html?size=7&x=1", "", report.Address{}},
		{"https://sulh.example/reports/hourly/2025-11-15.html?size=7", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.csv?size=7", "", report.Address{}},
		{"https://sulh.example/reports/weekly/x/2025-11-15.html?size=7", "", report.Address{}},
		{"ftp://sulh.example/reports/weekly/2025-11-15.html?size=7", "", report.Address{}},
		{"/reports/weekly/2025-11-15.html?size=7", "", report.Address{}},
	} {
		base, a, err := report.ParseURL(c.url)
		if c.base == "" {
			if err == nil {
				t.Errorf("%s: read as %s %+v", c.url, base, a)
			}
			continue
		}
		if err != nil || base != c.base || a != c.want {
			t.Errorf("%s: %q %+v %v, want %q %+v", c.url, base, a, err, c.base, c.want)
		}
		if got := base + a.Path(); got != c.url {
			t.Errorf("%s: written back as %s", c.url, got)
		}
	}
}

// FuzzReportAddress reads reports' addresses and sizes: what reads
// is written back the same.
func FuzzReportAddress(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/reports/daily/2025-11-12.html?size=82", "https://x/y/reports/monthly/0000-00-00.json?size=9223372036854775807", "http://h/reports/weekly/2025-11-12.pdf?size=0", "82", "+1", "%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := report.ParseSize(s); err == nil && (n < 1 || strconv.FormatInt(n, 10) != s) {
			t.Fatalf("size %q read as %d", s, n)
		}
		base, a, err := report.ParseURL(s)
		if err != nil {
			return
		}
		if a.Size < 1 {
			t.Fatalf("%q read with size %d", s, a.Size)
		}
		b2, a2, err := report.ParseURL(base + a.Path())
		if err != nil || b2 != base || a2 != a {
			t.Fatalf("%q read as %q %+v, which reads back as %q %+v (%v)", s, base, a, b2, a2, err)
		}
	})
}
