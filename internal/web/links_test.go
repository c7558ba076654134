package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// linkFixture is the demo mechanism with its members and none of its
// scenario, served over HTTP, so that a test files what it reads.
type linkFixture struct {
	t   *testing.T
	m   *demo.Mechanism
	srv *httptest.Server
	at  time.Time // the time of the next statement
}

func newLinkFixture(t *testing.T) *linkFixture {
	t.Helper()
	m, _, reg := mustDemo(t, false)
	srv := mustServe(t, m, reg)
	return &linkFixture{t: t, m: m, srv: srv, at: time.Date(2025, 12, 6, 4, 0, 0, 0, time.UTC)}
}

// post files a statement of kind by author, signed by it and cosigners,
// and returns the answer's status and body.
func (f *linkFixture) post(kind, author string, fields map[string]any, cosigners ...string) (int, []byte) {
	f.t.Helper()
	f.at = f.at.Add(10 * time.Minute)
	msg, err := f.m.Sign(kind, author, f.at, fields, cosigners...)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.postSigned(msg)
}

func (f *linkFixture) postSigned(msg []byte) (int, []byte) {
	f.t.Helper()
	resp, err := http.Post(f.srv.URL+"/api/v1/statements", "text/plain", bytes.NewReader(msg))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// file files a statement that must be accepted, and returns its index.
func (f *linkFixture) file(kind, author string, fields map[string]any) int64 {
	f.t.Helper()
	status, b := f.post(kind, author, fields)
	if status != http.StatusCreated {
		f.t.Fatalf("a %s by %s was refused: %d %s", kind, author, status, b)
	}
	var r ledger.Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		f.t.Fatal(err)
	}
	return r.Index
}

// get reads path, which must answer 200, as JSON into v or, for a page,
// as text.
func (f *linkFixture) get(path string, v any) string {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	return f.do(req, v)
}

func (f *linkFixture) do(req *http.Request, v any) string {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", req.URL.Path, resp.StatusCode, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			f.t.Fatalf("GET %s: %v", req.URL.Path, err)
		}
	}
	return string(b)
}

// chamanReport is Pakistan's account of the night of 5 December 2025 at
// Chaman, with the event at event. The figures are the test's own.
func chamanReport(event string) map[string]any {
	return map[string]any{
		"channel": "party", "accused": "afghanistan",
		"event":      map[string]any{"time": event, "precision": "exact"},
		"place":      map[string]any{"name": "Badani area, Chaman", "lat": 30.92, "lon": 66.45, "geo_precision": 2},
		"event_type": "explosions_remote_violence", "sub_event_type": "shelling_artillery_missile_attack",
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "injured_civilian", "country": "PK", "low": 2, "best": 3, "high": 4}}},
		"summary":    "Afghan mortars fired into the Badani area near Chaman from about 22:00 Pakistan time.",
		"language":   "en",
	}
}

// spinBoldakReport is Afghanistan's account of the same night.
func spinBoldakReport() map[string]any {
	return map[string]any{
		"channel": "party", "accused": "pakistan",
		"event":      map[string]any{"time": "2025-12-05T18:00:00Z", "precision": "exact"},
		"place":      map[string]any{"name": "Spin Boldak", "lat": 31.005, "lon": 66.398, "geo_precision": 2},
		"event_type": "battles", "sub_event_type": "armed_clash",
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "killed_civilian", "country": "AF", "low": 1, "best": 1, "high": 2}}},
		"summary":    "Pakistani forces attacked Spin Boldak from about 22:30 Afghanistan time.",
		"language":   "ps",
	}
}

// caseAnswer is what the test reads of GET /api/v1/cases/{id}.
type caseAnswer struct {
	ID           int64             `json:"id"`
	Stage        string            `json:"stage"`
	PlaceName    string            `json:"place_name"`
	EventAtLocal map[string]string `json:"event_at_local"`
	EventAtShown string            `json:"event_at_shown"`
	DuplicateOf  *int64            `json:"duplicate_of"`
	History      []struct {
		Index          int64             `json:"index"`
		Kind           string            `json:"kind"`
		EventAt        string            `json:"event_at"`
		EventPrecision string            `json:"event_precision"`
		EventAtLocal   map[string]string `json:"event_at_local"`
	} `json:"history"`
	Claims []map[string]any `json:"claims"`
	Linked []struct {
		Link     int64  `json:"link"`
		Relation string `json:"relation"`
		Stands   *int64 `json:"stands"`
		Case     struct {
			ID           int64             `json:"id"`
			Stage        string            `json:"stage"`
			PlaceName    string            `json:"place_name"`
			Reporter     string            `json:"reporter"`
			EventAtLocal map[string]string `json:"event_at_local"`
			Claims       []map[string]any  `json:"claims"`
		} `json:"case"`
	} `json:"linked"`
}

// TestChamanSpinBoldak files the two sides' accounts of the night of
// 5 December 2025 (Pakistan: Afghan mortars into the Badani area from
// about 22:00 Pakistan time, 17:00Z; Afghanistan: Pakistani attacks on
// Spin Boldak from about 22:30 Afghanistan time, 18:00Z), links them as
// counter-claims, and reads each case with the other beside it: 17:00Z
// as 22:00 Pakistan time and 21:30 Afghanistan time, 18:00Z as 23:00 and
// 22:30, with both places, both sides' figures and both stages, in the API
// and on the page.
func TestChamanSpinBoldak(t *testing.T) {
	f := newLinkFixture(t)
	pk := f.file(mechanism.KindReport, "pakistan-liaison-1", chamanReport("2025-12-05T17:00:00Z"))
	af := f.file(mechanism.KindReport, "afghanistan-liaison-1", spinBoldakReport())
	link := f.file(mechanism.KindCaseLink, "monitors-field-1", map[string]any{"case": pk, "other": af, "relation": "counter_claim",
		"text": "One exchange of fire at Chaman and Spin Boldak, night of 5–6 December 2025; each side says the other fired first."})

	want := map[int64]map[string]string{
		pk: {"Pakistan": "2025-12-05T22:00:00+05:00", "Afghanistan": "2025-12-05T21:30:00+04:30"},
		af: {"Pakistan": "2025-12-05T23:00:00+05:00", "Afghanistan": "2025-12-05T22:30:00+04:30"},
	}
	place := map[int64]string{pk: "Badani area, Chaman", af: "Spin Boldak"}
	measure := map[int64]string{pk: "injured_civilian", af: "killed_civilian"}
	for _, tc := range []struct{ id, other int64 }{{pk, af}, {af, pk}} {
		var c caseAnswer
		f.get(fmt.Sprintf("/api/v1/cases/%d?at_least=%d", tc.id, link), &c)
		if fmt.Sprint(c.EventAtLocal) != fmt.Sprint(want[tc.id]) {
			t.Errorf("case %d: event_at_local %v, want %v", tc.id, c.EventAtLocal, want[tc.id])
		}
		if len(c.Linked) != 1 {
			t.Fatalf("case %d links %d cases, want 1", tc.id, len(c.Linked))
		}
		l := c.Linked[0]
		if l.Link != link || l.Relation != "counter_claim" || l.Stands != nil || l.Case.ID != tc.other {
			t.Errorf("case %d: link %+v, want the counter-claim %d to case %d", tc.id, l, link, tc.other)
		}
		if fmt.Sprint(l.Case.EventAtLocal) != fmt.Sprint(want[tc.other]) {
			t.Errorf("case %d: the linked case's event_at_local %v, want %v", tc.id, l.Case.EventAtLocal, want[tc.other])
		}
		if l.Case.PlaceName != place[tc.other] || l.Case.Stage != "received" || len(l.Case.Claims) != 1 || l.Case.Claims[0]["measure"] != measure[tc.other] {
			t.Errorf("case %d: the linked case shows place %q, stage %q, claims %v", tc.id, l.Case.PlaceName, l.Case.Stage, l.Case.Claims)
		}

		page := f.get(fmt.Sprintf("/cases/%d", tc.id), nil)
		for _, s := range []string{"Badani area, Chaman", "Spin Boldak", "counter_claim",
			"5 December 2025, 17:00", "5 December 2025, 22:00", "5 December 2025, 21:30",
			"5 December 2025, 18:00", "5 December 2025, 23:00", "5 December 2025, 22:30",
			"pakistan (report " + fmt.Sprint(pk) + "): 3 (2–4)", "afghanistan (report " + fmt.Sprint(af) + "): 1 (1–2)", "received"} {
			if !strings.Contains(page, s) {
				t.Errorf("the page of case %d does not show %q", tc.id, s)
			}
		}
	}
}

// TestEventPrecisionShown: an event known to the day shows as its date,
// with no hour in any zone; a week as a week, a month as a month; and a
// case's history runs in the order of events, each statement with its log
// index.
func TestEventPrecisionShown(t *testing.T) {
	f := newLinkFixture(t)
	ids := map[string]int64{}
	for _, tc := range []struct{ precision, time, shown, page, date string }{
		{"day", "2025-12-05T00:00:00Z", "2025-12-05", "5 December 2025", "5 December 2025"},
		{"week", "2025-12-01T00:00:00Z", "week of 2025-12-01", "week of 1 December 2025", "1 December 2025"},
		{"month", "2025-11-01T00:00:00Z", "2025-11", "November 2025", "1 November 2025"},
	} {
		r := spinBoldakReport()
		r["event"] = map[string]any{"time": tc.time, "precision": tc.precision}
		r["summary"] = "An exchange known only to the " + tc.precision + "."
		id := f.file(mechanism.KindReport, "afghanistan-liaison-1", r)
		ids[tc.precision] = id
		var c caseAnswer
		f.get(fmt.Sprintf("/api/v1/cases/%d", id), &c)
		if c.EventAtShown != tc.shown || c.EventAtLocal != nil {
			t.Errorf("%s: event_at_shown %q, event_at_local %v; want %q and none", tc.precision, c.EventAtShown, c.EventAtLocal, tc.shown)
		}
		var list struct{ Items []map[string]any }
		f.get("/api/v1/cases?reporter=afghanistan&limit=1", &list)
		if _, ok := list.Items[0]["event_at_local"]; ok || list.Items[0]["event_at_shown"] != tc.shown {
			t.Errorf("%s: the case list shows %v, %v", tc.precision, list.Items[0]["event_at_shown"], list.Items[0]["event_at_local"])
		}
		page := f.get(fmt.Sprintf("/cases/%d", id), nil)
		if !strings.Contains(page, "<td>"+tc.page+"</td>") || !strings.Contains(page, "hour not reported") {
			t.Errorf("%s: the page does not show %q without an hour", tc.precision, tc.page)
		}
		for _, hour := range []string{"05:00", "04:30", "00:00"} {
			if strings.Contains(page, tc.date+", "+hour) {
				t.Errorf("%s: the page shows %s, %s, an hour nobody reported", tc.precision, tc.date, hour)
			}
		}
	}

	// A monitor's report added later to the day's case tells of an earlier
	// hour; the reply comes after both. The history runs in that order.
	day := ids["day"]
	added := spinBoldakReport()
	added["channel"], added["accused"], added["case"] = "monitor", nil, day
	delete(added, "accused")
	added["event"] = map[string]any{"time": "2025-12-04T21:00:00Z", "precision": "exact"}
	added["summary"] = "Firing heard from Spin Boldak in the evening before."
	monitor := f.file(mechanism.KindReport, "monitors-field-1", added)
	reply := f.file(mechanism.KindReply, "pakistan-liaison-1", map[string]any{"case": day, "position": "denies", "text": "Our forces did not fire.", "language": "ur"})
	var c caseAnswer
	f.get(fmt.Sprintf("/api/v1/cases/%d", day), &c)
	var order []int64
	for _, h := range c.History {
		order = append(order, h.Index)
	}
	if want := []int64{monitor, day, reply}; !slices.Equal(order, want) {
		t.Errorf("the history runs %v; want %v: the monitor's 21:00 of the 4th, the day of the 5th, then the reply", order, want)
	}
	if h := c.History[1]; h.EventPrecision != "day" || h.EventAt != "2025-12-05T00:00:00Z" || h.EventAtLocal != nil {
		t.Errorf("the day's report in the history: %+v", h)
	}
	if h := c.History[0]; h.EventAtLocal["Pakistan"] != "2025-12-05T02:00:00+05:00" {
		t.Errorf("the monitor's report in the history: %+v", h)
	}
	page := f.get(fmt.Sprintf("/cases/%d", day), nil)
	i, j, k := strings.Index(page, fmt.Sprintf(`id="s-%d"`, monitor)), strings.Index(page, fmt.Sprintf(`id="s-%d"`, day)), strings.Index(page, fmt.Sprintf(`id="s-%d"`, reply))
	if i < 0 || j < 0 || k < 0 || i >= j || j >= k {
		t.Errorf("the page's history is not in the order of events: %d %d %d", i, j, k)
	}
	for _, idx := range []int64{monitor, day, reply} {
		if !strings.Contains(page, fmt.Sprintf(`<a href="/explore/%d">%d</a>`, idx, idx)) {
			t.Errorf("the page's history does not give statement %d's log index with a link to its proof", idx)
		}
	}
	if j := strings.Index(page, fmt.Sprintf(`id="s-%d"`, day)); j < 0 || !strings.Contains(page[j:j+200], "<code>report</code>") {
		t.Errorf("the page's history does not say that statement %d is a report", day)
	}
}

// TestDuplicateCountedOnce: Pakistan's account filed again, with the same
// text and another co-signer, is refused as already in the log; filed
// again by another member at another time, it opens a case that Pakistan
// and the monitors are told may be a duplicate. Linked as a duplicate, it
// is counted once in the counts per body and the distinct case list, and
// both statements stay in the record.
func TestDuplicateCountedOnce(t *testing.T) {
	f := newLinkFixture(t)
	ctx := context.Background()
	if _, err := f.m.Enrol(ctx, "pakistan", "pakistan-liaison-2", "Second liaison officer of Pakistan", f.at, "reporter"); err != nil {
		t.Fatal(err)
	}
	first, err := f.m.Sign(mechanism.KindReport, "pakistan-liaison-1", f.at.Add(time.Minute), chamanReport("2025-12-05T17:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if status, b := f.postSigned(first); status != http.StatusCreated {
		t.Fatalf("%d %s", status, b)
	}
	pk := f.m.Log.Checkpoint().N - 1
	f.file(mechanism.KindReport, "afghanistan-liaison-1", spinBoldakReport())

	// The same text with another co-signer is the same statement.
	again, err := f.m.Sign(mechanism.KindReport, "pakistan-liaison-1", f.at.Add(-9*time.Minute), chamanReport("2025-12-05T17:00:00Z"), "pakistan-liaison-2")
	if err != nil {
		t.Fatal(err)
	}
	if status, b := f.postSigned(again); status != http.StatusConflict || !strings.Contains(string(b), fmt.Sprintf(`"index": %d`, pk)) {
		t.Errorf("the same report with another co-signer: %d %s; want 409 with index %d", status, b, pk)
	}

	counts := func() map[string][3]int64 {
		var c struct {
			Items []struct {
				Body                          string
				Reported, Accused, Duplicates int64
			}
		}
		f.get("/api/v1/counts", &c)
		out := map[string][3]int64{}
		for _, i := range c.Items {
			out[i.Body] = [3]int64{i.Reported, i.Accused, i.Duplicates}
		}
		return out
	}
	if got := counts(); got["pakistan"] != [3]int64{1, 1, 0} || got["afghanistan"] != [3]int64{1, 1, 0} {
		t.Errorf("counts before the re-filing: %v", got)
	}
	refiled := f.file(mechanism.KindReport, "pakistan-liaison-2", chamanReport("2025-12-05T17:20:00Z"))

	// Pakistan and the monitors are told; Afghanistan is not.
	for member, told := range map[string]bool{"pakistan-liaison-1": true, "monitors-field-1": true, "afghanistan-liaison-1": false} {
		var in web.InboxResponse
		f.inbox(member, &in)
		i := slices.IndexFunc(in.Items, func(n web.InboxNotice) bool { return n.Kind == mechanism.EventPossibleDuplicate })
		if (i >= 0) != told {
			t.Errorf("%s told of a possible duplicate: %v, want %v (%+v)", member, i >= 0, told, in.Items)
			continue
		}
		if told && (in.Items[i].Case != refiled || !strings.Contains(in.Items[i].Text, fmt.Sprintf("as case %d, which pakistan opened", pk))) {
			t.Errorf("%s's notice: %+v", member, in.Items[i])
		}
	}
	if got := counts(); got["pakistan"] != [3]int64{2, 1, 0} || got["afghanistan"] != [3]int64{1, 2, 0} {
		t.Errorf("counts after the re-filing, before the link: %v", got)
	}

	f.file(mechanism.KindCaseLink, "monitors-field-1", map[string]any{"case": refiled, "other": pk, "relation": "duplicate", "stands": pk,
		"text": "Pakistan's account filed again: one event."})
	if got := counts(); got["pakistan"] != [3]int64{1, 1, 1} || got["afghanistan"] != [3]int64{1, 1, 0} {
		t.Errorf("counts once linked as a duplicate: %v; want pakistan reported 1 (1 duplicate), afghanistan accused 1", got)
	}
	var list struct{ Items []map[string]any }
	f.get("/api/v1/cases?reporter=pakistan&distinct=true", &list)
	if len(list.Items) != 1 || list.Items[0]["id"] != float64(pk) {
		t.Errorf("distinct cases of pakistan: %v, want case %d alone", list.Items, pk)
	}
	f.get("/api/v1/cases?reporter=pakistan", &list)
	if len(list.Items) != 2 {
		t.Errorf("every case of pakistan: %d, want 2: both stay in the record", len(list.Items))
	}
	var c caseAnswer
	f.get(fmt.Sprintf("/api/v1/cases/%d", refiled), &c)
	if c.DuplicateOf == nil || *c.DuplicateOf != pk || len(c.Linked) != 1 || c.Linked[0].Stands == nil || *c.Linked[0].Stands != pk {
		t.Errorf("the re-filed case: duplicate_of %v, linked %+v", c.DuplicateOf, c.Linked)
	}
	if page := f.get(fmt.Sprintf("/cases/%d", refiled), nil); !strings.Contains(page, fmt.Sprintf("linked as a duplicate of <a href=\"/cases/%d\">", pk)) {
		t.Errorf("the re-filed case's page does not say it is a duplicate of case %d", pk)
	}
	f.get(fmt.Sprintf("/api/v1/statements/%d", refiled), nil)

	// Unlinked, it counts again.
	f.file(mechanism.KindCaseUnlink, "monitors-field-1", map[string]any{"case": pk, "other": refiled, "text": "Not the same night after all."})
	if got := counts(); got["pakistan"] != [3]int64{2, 1, 0} {
		t.Errorf("counts once unlinked: %v", got)
	}
}

// inbox reads member's inbox into v, with a token issued now.
func (f *linkFixture) inbox(member string, v any) {
	f.t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	secret := "sulh_links-test-" + member
	sum := sha256.Sum256([]byte(secret))
	msg, err := f.m.Sign(mechanism.KindTokenIssue, member, now, map[string]any{"token": hex.EncodeToString(sum[:]),
		"expires": statement.FormatTime(now.Add(time.Hour)), "label": "links test"})
	if err != nil {
		f.t.Fatal(err)
	}
	if status, b := f.postSigned(msg); status != http.StatusCreated && status != http.StatusConflict {
		f.t.Fatalf("token: %d %s", status, b)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/inbox?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	f.do(req, v)
}

// TestDemoLinksStand: in the demo, the monitors link the night of 5
// December as related, unlink it and link it again as counter-claims, all
// in one batch of the follower. Every link the views say stands is in
// both cases' linked lists, and every link they say was removed was
// removed by an unlink filed after it: an unlink never takes a later link
// with it.
func TestDemoLinksStand(t *testing.T) {
	_, _, srv := newDemoServer(t)
	var links struct {
		Items []struct {
			Idx      int64  `json:"idx"`
			Case     int64  `json:"case_id"`
			Other    int64  `json:"other"`
			Relation string `json:"relation"`
			Unlinked *int64 `json:"unlinked"`
		} `json:"items"`
	}
	getJSON(t, srv.URL+"/api/v1/links?limit=500", 200, &links)
	standing := 0
	for _, l := range links.Items {
		if l.Unlinked != nil {
			if *l.Unlinked <= l.Idx {
				t.Errorf("link %d (%d–%d, %s) was removed by the unlink at %d, filed before it", l.Idx, l.Case, l.Other, l.Relation, *l.Unlinked)
			}
			continue
		}
		standing++
		for _, c := range []int64{l.Case, l.Other} {
			var detail struct {
				Linked []struct {
					Link     int64  `json:"link"`
					Relation string `json:"relation"`
				} `json:"linked"`
			}
			getJSON(t, srv.URL+"/api/v1/cases/"+itoa(c), 200, &detail)
			if !slices.ContainsFunc(detail.Linked, func(x struct {
				Link     int64  `json:"link"`
				Relation string `json:"relation"`
			}) bool {
				return x.Link == l.Idx && x.Relation == l.Relation
			}) {
				t.Errorf("link %d (%s) stands, and case %d does not list it: %+v", l.Idx, l.Relation, c, detail.Linked)
			}
		}
	}
	if standing < 2 {
		t.Errorf("%d links stand in the demo; want the counter-claims and the duplicate", standing)
	}
}
