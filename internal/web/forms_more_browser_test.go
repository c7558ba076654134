package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sulh-project/sulh/internal/blob"
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
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)
	s.KeepEvidence(store, 8<<20)
	srv := httptest.NewServer(rec.wrap(s))
	t.Cleanup(srv.Close) // before the store closes
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

	// A case closed as out of scope, by a mediator: its status in the API.
	mayFile("case.close", []string{"turkiye-investigator-1"}, []string{"pakistan-liaison-1", "monitors-field-1", "board-qatar-1"})
	f.open(fmt.Sprintf("/file/case.close?case=%d", story.Unanswered), "turkiye-investigator-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-case-info').textContent !== ''`))
	f.set("#f-reason", "outside_area")
	f.set("#f-note", "The place lies outside the area the agreement covers. "+xssText)
	reachable("case.close")
	closed := f.file("turkiye-investigator-1")
	var cs struct {
		Status       string
		ClosedReason string `json:"closed_reason"`
		Closed       *int64
	}
	f.api(fmt.Sprintf("/api/v1/cases/%d", story.Unanswered), &cs)
	if cs.Status != "out_of_scope" || cs.ClosedReason != "outside_area" || cs.Closed == nil || *cs.Closed != closed {
		t.Errorf("case %d after its closing at %d: %+v", story.Unanswered, closed, cs)
	}

	// A penalty on the demo's endorsed finding, signed by two board
	// members: the form fills in the endorsed finding and its party.
	mayFile("penalty", []string{"board-turkiye-1"}, []string{"pakistan-liaison-1", "qatar-investigator-1"})
	var pub struct {
		Finding, Endorsed *int64
		Party             string
	}
	f.api(fmt.Sprintf("/api/v1/cases/%d", story.Published), &pub)
	if pub.Finding == nil || pub.Endorsed == nil || pub.Party == "" {
		t.Fatalf("the demo's published case %d: %+v", story.Published, pub)
	}
	f.open(fmt.Sprintf("/file/penalty?case=%d", story.Published), "board-qatar-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-finding').value !== ''`))
	if got := eval[string](f, `document.querySelector('#f-finding').value + ' ' + document.querySelector('#f-party').value`); got != fmt.Sprintf("%d %s", *pub.Finding, pub.Party) {
		t.Errorf("the penalty form fills in %q, want the endorsed finding %d and party %s", got, *pub.Finding, pub.Party)
	}
	f.set("#f-penalty", "compensation")
	f.set("#f-text", "Compensation to the families, as the board sets. "+xssText)
	reachable("penalty")
	penalty := f.quorum("board-qatar-1", "board-turkiye-1")
	var penalties struct {
		Items []struct {
			Idx            int64
			Penalty, Party string
		}
	}
	f.api(fmt.Sprintf("/api/v1/penalties?case=%d", story.Published), &penalties)
	if !slices.ContainsFunc(penalties.Items, func(i struct {
		Idx            int64
		Penalty, Party string
	}) bool {
		return i.Idx == penalty && i.Penalty == "compensation" && i.Party == pub.Party
	}) {
		t.Errorf("case %d's penalties do not hold the one at %d: %+v", story.Published, penalty, penalties.Items)
	}

	// A publication: the form fetches the periodic report at the address
	// given and fills in its hash, size and period, which the server's
	// own copy of the report matches.
	mayFile("publication", []string{"qatar-investigator-1"}, []string{"pakistan-liaison-1", "monitors-field-1", "board-qatar-1"})
	report := srv.URL + "/reports/monthly/2025-11-15.html"
	f.open("/file/publication", "qatar-investigator-1")
	f.set("#f-title", "Monthly report, November 2025 "+xssText)
	f.set("#f-url", report)
	f.b.do(t, chromedp.Click(chromedp.CSS("#f-fetch")))
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-sha256').value !== '' || document.querySelector('#f-fetch-status').className === 'status-bad'`))
	resp, err := http.Get(report)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(body)
	got := eval[[]string](f, `['#f-sha256', '#f-size', '#f-period-from', '#f-period-to'].map(s => document.querySelector(s).value)`)
	wantFrom, _ := time.Parse(time.RFC3339, resp.Header.Get("X-Period-From"))
	wantTo, _ := time.Parse(time.RFC3339, resp.Header.Get("X-Period-To"))
	// A datetime-local field leaves out seconds that are zero.
	local := func(t time.Time) string { return strings.TrimSuffix(t.Format("2006-01-02T15:04:05"), ":00") }
	if want := []string{hex.EncodeToString(sum[:]), fmt.Sprint(len(body)), local(wantFrom), local(wantTo)}; wantFrom.IsZero() || !slices.Equal(got, want) {
		t.Errorf("the publication form filled in %q, want %q (%s)", got, want, eval[string](f, `document.querySelector('#f-fetch-status').textContent`))
	}
	reachable("publication")
	publication := f.file("qatar-investigator-1")
	var publications struct {
		Items []struct {
			Idx           int64
			Title, SHA256 string
			Size          int64
		}
	}
	f.api("/api/v1/publications?limit=500", &publications)
	if !slices.ContainsFunc(publications.Items, func(i struct {
		Idx           int64
		Title, SHA256 string
		Size          int64
	}) bool {
		return i.Idx == publication && i.SHA256 == hex.EncodeToString(sum[:]) && i.Size == int64(len(body)) && i.Title == "Monthly report, November 2025 "+xssText
	}) {
		t.Errorf("the publications do not list the one at %d: %+v", publication, publications.Items)
	}

	// Evidence: a file uploaded from the form, with its progress, then
	// registered with what the upload says of it; then a later step of its
	// custody, which carries the hash and the step only.
	mayFile("evidence", []string{"pakistan-liaison-1", "monitors-field-1", "board-qatar-1"}, nil)
	content := []byte("Notes of the field team at the checkpoint.\n" + xssText + "\n")
	file := filepath.Join(t.TempDir(), "checkpoint-notes.txt")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	evSum := sha256.Sum256(content)
	evHash := hex.EncodeToString(evSum[:])
	if who, _, _ := signInOnPage(t, f.b, srv.URL, "monitors-field-1"); who != "monitors-field-1" {
		t.Fatalf("signed in as %q", who)
	}
	f.open(fmt.Sprintf("/file/evidence?case=%d", story.Pending), "monitors-field-1")
	f.b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}), chromedp.Click(chromedp.CSS("#f-upload")))
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-sha256').value !== '' || document.querySelector('#f-upload-status.status-bad') !== null`))
	if got := eval[[]string](f, `['#f-sha256', '#f-size', '#f-media-type', '#f-name', '#f-progress'].map(s => String(document.querySelector(s).value))`); !slices.Equal(got, []string{evHash, fmt.Sprint(len(content)), "text/plain; charset=utf-8", "checkpoint-notes.txt", "100"}) {
		t.Errorf("after the upload the evidence form holds %q (%s)", got, eval[string](f, `document.querySelector('#f-upload-status').textContent`))
	}
	f.set("#f-collector", "Joint field monitoring team "+xssText)
	f.set("#f-tool", "Notebook "+xssText)
	f.set("#f-source-url", "https://example.org/notes?a=1&b=<2>")
	f.set("#f-captured-time", time.Now().UTC().Add(-2*time.Hour).Format("2006-01-02T15:04"))
	f.set("#f-captured-precision", "exact")
	f.set("#f-place-name", "Torkham "+xssText)
	f.set("#f-place-gp", "1")
	f.set("#f-custody-event", "collected")
	f.set("#f-custody-to", "Joint field monitoring team "+xssText)
	reachable("evidence")
	f.file("monitors-field-1")
	var items struct {
		Items []struct {
			SHA256, Collector string
			Case              int64 `json:"case_id"`
		}
	}
	f.api(fmt.Sprintf("/api/v1/evidence?case=%d&limit=500", story.Pending), &items)
	if !slices.ContainsFunc(items.Items, func(i struct {
		SHA256, Collector string
		Case              int64 `json:"case_id"`
	}) bool {
		return i.SHA256 == evHash && i.Collector == "Joint field monitoring team "+xssText
	}) {
		t.Errorf("case %d's evidence does not hold %s: %+v", story.Pending, evHash, items.Items)
	}
	f.open("/file/evidence", "monitors-field-1")
	f.set("#f-evmode", "custody")
	f.set("#f-sha256", evHash)
	f.set("#f-custody-event", "transferred")
	f.set("#f-custody-from", "Joint field monitoring team")
	f.set("#f-custody-to", "Investigator of Qatar "+xssText)
	f.set("#f-custody-note", "Handed over at the office. "+xssText)
	shown = f.preview()
	var step map[string]any
	if err := json.Unmarshal([]byte(strings.Split(shown, "\n")[1]), &step); err != nil {
		t.Fatal(err)
	}
	for k := range step {
		if !slices.Contains([]string{"mechanism", "kind", "author", "at", "refs", "sha256", "custody"}, k) {
			t.Errorf("the custody step carries %q: %s", k, shown)
		}
	}
	f.confirmAndSign()
	f.checkLogged(f.receipt(), shown, "monitors-field-1")
	var custody struct{ Items []struct{ Event, To string } }
	f.api("/api/v1/custody?sha256="+evHash, &custody)
	var events []string
	for _, c := range custody.Items {
		events = append(events, c.Event)
	}
	slices.Sort(events)
	if !slices.Equal(events, []string{"collected", "transferred"}) {
		t.Errorf("the custody of %s: %+v", evHash, custody.Items)
	}

	// Two cases linked as one event reported twice, one of them standing;
	// then the link removed, as one filed in error is.
	mayFile("case.link", []string{"monitors-field-1", "qatar-investigator-1"}, []string{"pakistan-liaison-1", "board-qatar-1"})
	mayFile("case.unlink", []string{"monitors-field-1"}, []string{"pakistan-liaison-1"})
	f.open(fmt.Sprintf("/file/case.link?case=%d", story.Pending), "monitors-field-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-links').textContent !== ''`))
	f.set("#f-other", fmt.Sprint(story.Claimed))
	f.set("#f-relation", "related")
	if eval[bool](f, `!document.querySelector('#f-stands-box').hidden`) {
		t.Error("the link form asks which case stands for a relation other than duplicate")
	}
	f.set("#f-relation", "duplicate")
	f.set("#f-stands", fmt.Sprint(story.Claimed))
	f.set("#f-text", "One event reported twice. "+xssText)
	reachable("case.link")
	shown = f.preview()
	if want := fmt.Sprintf(`"case":%d,"other":%d,"relation":"duplicate","stands":%d`, story.Pending, story.Claimed, story.Claimed); !strings.Contains(shown, want) {
		t.Errorf("the link's preview has no %s:\n%s", want, shown)
	}
	f.confirmAndSign()
	link := f.receipt()
	f.checkLogged(link, shown, "monitors-field-1")
	type linkRow struct {
		Idx      int64
		Relation string
		Stands   *int64
		Unlinked *int64
	}
	var links struct{ Items []linkRow }
	f.api(fmt.Sprintf("/api/v1/links?case=%d", story.Pending), &links)
	if !slices.ContainsFunc(links.Items, func(l linkRow) bool {
		return l.Idx == link && l.Relation == "duplicate" && l.Stands != nil && *l.Stands == story.Claimed && l.Unlinked == nil
	}) {
		t.Errorf("case %d's links: %+v, want the duplicate at %d", story.Pending, links.Items, link)
	}
	f.open(fmt.Sprintf("/file/case.unlink?case=%d", story.Pending), "monitors-field-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-links li') !== null`))
	if got := eval[string](f, `document.querySelector('#f-links').textContent`); !strings.Contains(got, "One event reported twice") {
		t.Errorf("the unlink form lists the case's links as %q", got)
	}
	f.set("#f-other", fmt.Sprint(story.Claimed))
	f.set("#f-text", "Linked in error: two events. "+xssText)
	reachable("case.unlink")
	unlink := f.file("monitors-field-1")
	f.api(fmt.Sprintf("/api/v1/links?case=%d", story.Pending), &links)
	if !slices.ContainsFunc(links.Items, func(l linkRow) bool { return l.Idx == link && l.Unlinked != nil && *l.Unlinked == unlink }) {
		t.Errorf("case %d's links after the unlink at %d: %+v", story.Pending, unlink, links.Items)
	}

	// A place the gazetteer lacks, which the place search then finds by
	// an alias.
	mayFile("place", []string{"monitors-field-1", "turkiye-investigator-1"}, []string{"pakistan-liaison-1", "board-qatar-1"})
	f.open("/file/place", "monitors-field-1")
	f.set("#f-id", "spin-boldak-bazaar")
	f.set("#f-pname", "Spin Boldak bazaar "+xssText)
	f.set("#f-names-en", "Spin Boldak bazaar")
	f.set("#f-names-ps", "سپين بولدک بازار")
	f.set("#f-aliases", "Wesh bazaar\nSpin Boldak market, old town")
	f.set("#f-plat", "30.99")
	f.set("#f-plon", "66.39")
	f.set("#f-pgp", "2")
	f.set("#f-ptype", "area")
	f.set("#f-admin0-country", "AF")
	f.set("#f-admin0-admin1", "Kandahar")
	f.set("#f-admin0-admin2", "Spin Boldak")
	f.set("#f-psource", "Approximate, from press maps. "+xssText)
	reachable("place")
	shown = f.preview()
	for _, want := range []string{`"aliases":["Wesh bazaar","Spin Boldak market, old town"]`, `"admin":[{"country":"AF","admin1":"Kandahar","admin2":"Spin Boldak"}]`,
		`"names":{"en":"Spin Boldak bazaar","ps":"سپين بولدک بازار"}`, `"lat":30.99,"lon":66.39,"geo_precision":2`} {
		if !strings.Contains(shown, want) {
			t.Errorf("the place's preview has no %s:\n%s", want, shown)
		}
	}
	f.confirmAndSign()
	f.checkLogged(f.receipt(), shown, "monitors-field-1")
	var places struct{ Items []struct{ ID string } }
	f.api("/api/v1/places?q=Wesh+bazaar", &places)
	if len(places.Items) == 0 || places.Items[0].ID != "spin-boldak-bazaar" {
		t.Errorf("the place search finds %+v for an alias of the place added", places.Items)
	}

	// An actor added to the registry, then amended: the form starts from
	// the registry's entry.
	mayFile("actor", []string{"monitors-field-1", "qatar-investigator-1"}, []string{"pakistan-liaison-1", "board-qatar-1"})
	f.open("/file/actor", "monitors-field-1")
	f.set("#f-id", "hafiz-gul-bahadur")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-actor-info').textContent !== ''`))
	f.set("#f-atype", "non_state_armed_group")
	f.set("#f-names-en", "Hafiz Gul Bahadur group "+xssText)
	f.set("#f-names-ur", "حافظ گل بہادر گروپ")
	f.set("#f-aliases", "HGB")
	f.set("#f-labels-pakistan", "Fitna al-Khawarij "+xssText)
	f.set("#f-note", "From the parties' statements. "+xssText)
	reachable("actor")
	f.file("monitors-field-1")
	type actorEntry struct {
		Names   map[string]string
		Aliases []string
		Labels  map[string]string
	}
	var actor actorEntry
	f.api("/api/v1/actors/hafiz-gul-bahadur", &actor)
	if actor.Names["en"] != "Hafiz Gul Bahadur group "+xssText || actor.Labels["pakistan"] != "Fitna al-Khawarij "+xssText {
		t.Errorf("the registry holds %+v", actor)
	}
	f.open("/file/actor", "monitors-field-1")
	f.set("#f-id", "hafiz-gul-bahadur")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-names-en').value !== ''`))
	if got := eval[[]string](f, `['#f-atype', '#f-names-en', '#f-names-ur', '#f-aliases', '#f-labels-pakistan'].map(s => document.querySelector(s).value)`); !slices.Equal(got, []string{"non_state_armed_group", "Hafiz Gul Bahadur group " + xssText, "حافظ گل بہادر گروپ", "HGB", "Fitna al-Khawarij " + xssText}) {
		t.Errorf("the actor form starts the amendment from %q", got)
	}
	f.set("#f-aliases", "HGB\nGul Bahadur group")
	f.file("monitors-field-1")
	f.api("/api/v1/actors/hafiz-gul-bahadur", &actor)
	if !slices.Equal(actor.Aliases, []string{"HGB", "Gul Bahadur group"}) {
		t.Errorf("after the amendment the actor's aliases are %q", actor.Aliases)
	}

	// What that actor said about a case.
	mayFile("actor.claim", []string{"monitors-field-1"}, []string{"pakistan-liaison-1"})
	f.open(fmt.Sprintf("/file/actor.claim?case=%d", story.Pending), "monitors-field-1")
	browserRun(t, f.b, chromedp.Poll[bool](`!!document.querySelector('#f-actors option[value="hafiz-gul-bahadur"]')`))
	f.set("#f-actor", "hafiz-gul-bahadur")
	f.set("#f-position", "denied")
	f.set("#f-speaker", "a spokesman "+xssText)
	f.set("#f-medium", "written_statement")
	f.set("#f-via", "Reuters "+xssText)
	f.set("#f-curl", "https://example.org/hgb-denial")
	f.set("#f-ctime", time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02T15:04"))
	f.set("#f-cprecision", "day")
	f.set("#f-clang", "ps")
	f.set("#f-words", "مونږ دا کار نه دی کړی. "+xssText)
	f.set("#f-translation", "We did not do this. "+xssText)
	reachable("actor.claim")
	said := f.file("monitors-field-1")
	var claims struct {
		Items []struct {
			Idx             int64
			Actor, Position string
			Words           string
		}
	}
	f.api(fmt.Sprintf("/api/v1/actor_claims?case=%d", story.Pending), &claims)
	if !slices.ContainsFunc(claims.Items, func(c struct {
		Idx             int64
		Actor, Position string
		Words           string
	}) bool {
		return c.Idx == said && c.Actor == "hafiz-gul-bahadur" && c.Position == "denied" && c.Words == "مونږ دا کار نه دی کړی. "+xssText
	}) {
		t.Errorf("case %d's actor claims: %+v, want the denial at %d", story.Pending, claims.Items, said)
	}

	// Each new form in Urdu lays out right to left, and fits a phone's
	// screen.
	f.b.do(t, chromedp.EmulateViewport(375, 800))
	for _, kind := range []string{"meeting", "case.close", "penalty", "publication", "evidence", "case.link", "case.unlink", "place", "actor", "actor.claim"} {
		member := map[string]string{"meeting": "qatar-investigator-1", "case.close": "qatar-investigator-1", "publication": "qatar-investigator-1", "penalty": "board-qatar-1"}[kind]
		if member == "" {
			member = "monitors-field-1"
		}
		f.open("/file/"+kind+"?lang=ur", member)
		browserRun(t, f.b, chromedp.Poll[bool](`!document.querySelector('#sf-fields').hidden`))
		if dir := eval[string](f, `getComputedStyle(document.querySelector('#sf-form')).direction`); dir != "rtl" {
			t.Errorf("the %s form in Urdu lays out %s", kind, dir)
		}
		if w := eval[int](f, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("at 375 px the %s form is %d px wide", kind, w)
		}
		if kind == "place" {
			f.b.screenshot(t, "place-form-ur-phone", "")
		}
	}
	f.b.do(t, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/file?lang=en"))

	// Script and HTML never became elements on any page the test saw.
	if n := eval[int](f, `document.querySelectorAll('img[src="x"], script:not([src])').length`); n != 0 {
		t.Errorf("the page holds %d elements made from statement text", n)
	}
	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key in:\n%s", req)
	}
}
