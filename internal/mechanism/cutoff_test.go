package mechanism_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestReportCutOff: the rulebook's report_cutoff came with rules 5, takes
// a time of day HH:MM, and a rulebook without it reads as 19:30.
func TestReportCutOff(t *testing.T) {
	for _, tc := range []struct {
		name, cutoff string
		rules        int
		want         string // the error, or "" when accepted
		at           time.Duration
	}{
		{"none", "", mechanism.Rules4, "", mechanism.DefaultCutOff},
		{"none under rules 5", "", mechanism.Rules5, "", mechanism.DefaultCutOff},
		{"evening", "18:00", mechanism.Rules5, "", 18 * time.Hour},
		{"midnight", "00:00", mechanism.Rules5, "", 0},
		{"the last minute", "23:59", mechanism.Rules5, "", 23*time.Hour + 59*time.Minute},
		{"rules 4", "18:00", mechanism.Rules4, `rulebook: report_cutoff needs rules 5`, 0},
		{"no minutes", "18", mechanism.Rules5, "rulebook: report_cutoff: \"18\" is not a time of day written HH:MM", 0},
		{"seconds", "18:00:00", mechanism.Rules5, "is not a time of day", 0},
		{"24:00", "24:00", mechanism.Rules5, "is not a time of day", 0},
		{"18:60", "18:60", mechanism.Rules5, "is not a time of day", 0},
		{"a sign", "+8:00", mechanism.Rules5, "is not a time of day", 0},
		{"a zone", "7:30Z", mechanism.Rules5, "is not a time of day", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rb := f.rulebook()
			rb.Rules, rb.ReportCutOff = tc.rules, tc.cutoff
			err := f.submit(f.rulebookMsg(rb))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.st.Rulebook.CutOff(); got != tc.at {
				t.Errorf("cut-off %v, want %v", got, tc.at)
			}
		})
	}
	rb, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.CutOff(); got != 19*time.Hour+30*time.Minute || rb.ReportCutOff != "" {
		t.Errorf("the default rulebook's cut-off is %v (%q), not 19:30", got, rb.ReportCutOff)
	}
}

// FuzzParseCutOff: any text is refused or is a time of day that reads
// back as the same HH:MM, never a panic.
func FuzzParseCutOff(f *testing.F) {
	for _, s := range []string{"19:30", "00:00", "23:59", "24:00", "9:30", "19:3", "١٩:٣٠", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := mechanism.ParseCutOff(s)
		if err != nil {
			return
		}
		if d < 0 || d >= 24*time.Hour || (time.Time{}).Add(d).Format("15:04") != s {
			t.Fatalf("%q read as %v", s, d)
		}
	})
}
