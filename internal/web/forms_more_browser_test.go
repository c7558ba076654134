package web_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sulh-project/sulh/internal/web"
)

// TestBrowserFormsMore files, through the forms and with demo members'
// keys imported into the browser, one statement of each kind whose form
// came after TestBrowserForms's: each is previewed, signed in the
// browser, logged byte for byte as the preview showed it, and checked in
// the API; script and HTML in every text field show as text; each form is
// reachable by keyboard and offered only to the members whose body may
// file it; and no private key reaches the server. One browser and one demo
// serve every kind.
func TestBrowserFormsMore(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec.wrap(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)))
	t.Cleanup(srv.Close)
	f := &formsRun{t: t, b: mustBrowser(t), m: m, url: srv.URL}
	f.b.do(t, chromedp.Navigate(srv.URL+"/file"))
	secrets := f.importKeys("pakistan-liaison-1", "qatar-investigator-1", "turkiye-investigator-1",
		"monitors-field-1", "board-qatar-1", "board-turkiye-1")

	// offered is whether the index offers member the form of kind, and
	// whether the form itself gives member its fields.
	offered := func(kind, member string) (bool, bool) {
		t.Helper()
		f.open("/file", member)
		inIndex := eval[bool](f, `[...document.querySelectorAll('#sf-kinds li')].some(li => !li.hidden && li.querySelector('a').getAttribute('href') === `+jsString("/file/"+kind)+`)`)
		f.open("/file/"+kind, member)
		fields := eval[bool](f, `!document.querySelector('#sf-fields').hidden && document.querySelector('#sf-notallowed').hidden`)
		return inIndex, fields
	}
	mayFile := func(kind string, may, mayNot []string) {
		t.Helper()
		for _, member := range may {
			if index, fields := offered(kind, member); !index || !fields {
				t.Errorf("%s: %s is offered the form in the index %v, its fields %v; want both", kind, member, index, fields)
			}
		}
		for _, member := range mayNot {
			if index, fields := offered(kind, member); index || fields {
				t.Errorf("%s: %s is offered the form in the index %v, its fields %v; want neither", kind, member, index, fields)
			}
		}
	}
	reachable := func(kind string) {
		t.Helper()
		if missed := f.b.keyboardReach(t); len(missed) > 0 {
			t.Errorf("not reachable by keyboard on the %s form: %v", kind, missed)
		}
	}

	// A meeting: the next round of talks, which the dashboard then shows.
	mayFile("meeting", []string{"qatar-investigator-1"}, []string{"pakistan-liaison-1", "monitors-field-1", "board-qatar-1"})
	f.open("/file/meeting", "qatar-investigator-1")
	start := time.Now().UTC().AddDate(0, 0, 10).Truncate(time.Hour)
	f.set("#f-round", "7")
	f.set("#f-venue", "Doha "+xssText)
	f.set("#f-start", start.Format("2006-01-02T15:04"))
	f.set("#f-start-precision", "exact")
	f.set("#f-end", start.Add(8*time.Hour).Format("2006-01-02T15:04"))
	f.set("#f-end-precision", "exact")
	for _, b := range []string{"pakistan", "afghanistan", "qatar", "turkiye"} {
		f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="bodies"][value="`+b+`"]`)))
	}
	f.set("#f-agenda", fmt.Sprintf("%d, %d", story.Pending, story.Unanswered))
	f.set("#f-moutcome", "Both parties attend; the agenda holds two cases. "+xssText)
	reachable("meeting")
	shown := f.preview()
	for _, want := range []string{`"kind":"meeting"`, `"round":7`, fmt.Sprintf(`"agenda":[%d,%d]`, story.Pending, story.Unanswered),
		`"bodies":["pakistan","afghanistan","qatar","turkiye"]`, `"start":"` + start.Format(time.RFC3339) + `"`} {
		if !strings.Contains(shown, want) {
			t.Errorf("the meeting's preview has no %s:\n%s", want, shown)
		}
	}
	f.confirmAndSign()
	meeting := f.receipt()
	f.checkLogged(meeting, shown, "qatar-investigator-1")
	var meetings struct {
		Items []struct {
			Idx    int64
			Round  int
			Place  string
			Agenda []int64
		}
	}
	f.api("/api/v1/meetings?limit=500", &meetings)
	if !slices.ContainsFunc(meetings.Items, func(i struct {
		Idx    int64
		Round  int
		Place  string
		Agenda []int64
	}) bool {
		return i.Idx == meeting && i.Round == 7 && i.Place == "Doha "+xssText && slices.Equal(i.Agenda, []int64{story.Pending, story.Unanswered})
	}) {
		t.Errorf("the meetings do not list round 7 at %d: %+v", meeting, meetings.Items)
	}
	f.b.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#next-meeting")))
	if next := eval[string](f, `document.querySelector('#next-meeting').textContent`); !strings.Contains(next, "Doha "+xssText) {
		t.Errorf("the dashboard's next meeting reads %q", next)
	}

	// Script and HTML never became elements on any page the test saw.
	if n := eval[int](f, `document.querySelectorAll('img[src="x"], script:not([src])').length`); n != 0 {
		t.Errorf("the page holds %d elements made from statement text", n)
	}
	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key in:\n%s", req)
	}
}
