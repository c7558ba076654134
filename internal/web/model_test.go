package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// newDemoServer serves a fresh demo: its members and its scenario.
func newDemoServer(t *testing.T) (*demo.Mechanism, *demo.Story, *httptest.Server) {
	t.Helper()
	m, story, reg := mustDemo(t, true)
	return m, story, mustServe(t, m, reg)
}

// getJSON gets path and decodes its JSON answer into v, wanting status.
func getJSON(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, body := get(t, url)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d %s; want %d", url, resp.StatusCode, body, status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

type sideRow struct {
	Side, Status, Since, Body string
	SincePrecision            string `json:"since_precision"`
}

// TestTorkhamBothSides: Pakistan says Torkham is closed and Afghanistan
// says it is open, at the same hour: both stand, side by side, in the
// view, the API and the page. Neither side may state the other's.
func TestTorkhamBothSides(t *testing.T) {
	m, story, srv := newDemoServer(t)
	want := map[string]string{"pakistan": mechanism.CrossingClosed, "afghanistan": mechanism.CrossingOpen}
	check := func(where string, rows []sideRow) {
		t.Helper()
		got := map[string]string{}
		for _, r := range rows {
			got[r.Side] = r.Status
			if r.Since != "2025-12-06T05:00:00Z" || r.SincePrecision != "exact" {
				t.Errorf("%s: %s side since %s (%s); want 2025-12-06T05:00:00Z, exact", where, r.Side, r.Since, r.SincePrecision)
			}
		}
		if len(rows) != 2 || got["pakistan"] != want["pakistan"] || got["afghanistan"] != want["afghanistan"] {
			t.Errorf("%s: sides %v; want Pakistan's closed beside Afghanistan's open", where, got)
		}
	}
	var list struct{ Items []sideRow }
	getJSON(t, srv.URL+"/api/v1/crossings?crossing=torkham", 200, &list)
	check("the crossings list", list.Items)
	var detail struct {
		Name   string
		Sides  []sideRow
		Events []sideRow
	}
	getJSON(t, srv.URL+"/api/v1/crossings/torkham", 200, &detail)
	check("the crossing", detail.Sides)
	if len(detail.Events) != 5 || detail.Name != "Torkham" {
		t.Errorf("the crossing %q has %d events; want Torkham's 5", detail.Name, len(detail.Events))
	}
	var one struct{ Items []sideRow }
	getJSON(t, srv.URL+"/api/v1/crossings?crossing=torkham&side=afghanistan", 200, &one)
	if len(one.Items) != 1 || one.Items[0].Status != mechanism.CrossingOpen {
		t.Errorf("Afghanistan's side of Torkham: %+v", one.Items)
	}

	resp, page := get(t, srv.URL+"/crossings/torkham")
	html := string(page)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, side := range []string{"afghanistan", "pakistan"} {
		i := strings.Index(html, `data-side="`+side+`"`)
		if i < 0 {
			t.Fatalf("the page has no %s side:\n%s", side, html)
		}
		if end := strings.Index(html[i:], "</section>"); end < 0 || !strings.Contains(html[i:i+end], `data-status="`+want[side]+`"`) {
			t.Errorf("the page's %s side does not say %s", side, want[side])
		}
	}
	if resp, _ := get(t, srv.URL+"/crossings/nowhere"); resp.StatusCode != 404 {
		t.Errorf("the page of an unknown crossing: %d; want 404", resp.StatusCode)
	}

	// Attacks: a party states the other's side; a monitor names none.
	ctx := context.Background()
	at := story.End.Add(time.Minute)
	for _, tc := range []struct {
		author string
		fields map[string]any
		code   statement.Code
		want   string
	}{
		{"pakistan-liaison-1", map[string]any{"side": "afghanistan"}, statement.CodeForbidden, `"pakistan" may not state "afghanistan"'s`},
		{"afghanistan-liaison-1", map[string]any{"side": "pakistan"}, statement.CodeForbidden, `"afghanistan" may not state "pakistan"'s`},
		{"monitors-field-1", map[string]any{}, statement.CodeInvalid, "side: is required of a monitor"},
		{"qatar-investigator-1", map[string]any{"side": "pakistan"}, statement.CodeForbidden, "crossing.status statements are filed by members of a body of type [party monitor]"},
	} {
		fields := map[string]any{"crossing": "torkham", "name": "Torkham", "status": "open", "since": statement.FormatTime(at)}
		for k, v := range tc.fields {
			fields[k] = v
		}
		_, err := m.Submit(ctx, mechanism.KindCrossingStatus, tc.author, at, fields)
		var e *statement.Error
		if !errors.As(err, &e) || e.Code != tc.code || !strings.Contains(e.Reason, tc.want) {
			t.Errorf("%s, %v: %v; want %s mentioning %q", tc.author, tc.fields, err, tc.code, tc.want)
		}
	}
	getJSON(t, srv.URL+"/api/v1/crossings/torkham", 200, &detail)
	check("the crossing after the attacks", detail.Sides)
}

// TestOutOfScopeAndSides: the demo's pre-ceasefire cases are closed as out
// of scope and the case list finds them by status; each side's figures are
// claims of their own, and a range not given is null, not 0.
func TestOutOfScopeAndSides(t *testing.T) {
	m, story, srv := newDemoServer(t)
	var cases struct {
		Items []struct {
			ID           int64
			Status       string
			Closed       *int64
			ClosedReason string `json:"closed_reason"`
			Stage        string
		}
	}
	getJSON(t, srv.URL+"/api/v1/cases?status=out_of_scope", 200, &cases)
	if len(cases.Items) != 3 {
		t.Fatalf("%d cases out of scope; want the 3 before the ceasefire: %+v", len(cases.Items), cases.Items)
	}
	for _, c := range cases.Items {
		if c.Status != mechanism.CaseStatusOutOfScope || c.Closed == nil || c.ClosedReason != mechanism.CloseBeforeTruce || c.Stage != "preliminary" {
			t.Errorf("case %+v", c)
		}
	}
	posts := cases.Items[len(cases.Items)-1].ID // the oldest: Pakistan's posts, 11/12 October
	var open struct{ Items []struct{ Status string } }
	getJSON(t, srv.URL+"/api/v1/cases?status=open&limit=500", 200, &open)
	for _, c := range open.Items {
		if c.Status != mechanism.CaseStatusOpen {
			t.Errorf("status=open lists a case %q", c.Status)
		}
	}
	var bad struct{ Error struct{ Message string } }
	getJSON(t, srv.URL+"/api/v1/cases?status=closed", 400, &bad)
	if !strings.Contains(bad.Error.Message, "open out_of_scope") {
		t.Errorf("status=closed: %q; want the allowed values", bad.Error.Message)
	}

	var claims struct {
		Items []struct {
			Measure, Party, Actor, Country, Body string
			Low, Best, High                      *int64
		}
	}
	getJSON(t, srv.URL+"/api/v1/claims?case="+itoa(posts)+"&body=pakistan&measure=killed_combatant", 200, &claims)
	got := map[string]int64{}
	for _, c := range claims.Items {
		got[c.Party] = *c.Best
	}
	if len(claims.Items) != 2 || got["pakistan"] != 23 || got["afghanistan"] != 200 {
		t.Errorf("Pakistan's killed combatants on case %d: %v; want 23 of its own and 200 Afghan, apart", posts, got)
	}
	getJSON(t, srv.URL+"/api/v1/claims?country=AF&measure=killed_civilian", 200, &claims)
	if len(claims.Items) == 0 {
		t.Error("no claims of Afghan civilians killed")
	}

	// A figure with only its best estimate: low and high stay absent.
	at := story.End.Add(time.Minute)
	r := demo.SampleReport("Fire at a post, one soldier injured; no range given.", "afghanistan", at.Add(-time.Hour))
	r["casualties"] = map[string]any{"sides": []any{map[string]any{"measure": "injured_combatant", "party": "pakistan", "best": 1}}}
	rc, err := m.Submit(context.Background(), mechanism.KindReport, "pakistan-liaison-1", at, r)
	if err != nil {
		t.Fatal(err)
	}
	_, raw := get(t, srv.URL+"/api/v1/claims?case="+itoa(rc.Index))
	body := strings.Join(strings.Fields(string(raw)), "")
	if want := `"low":null`; !strings.Contains(body, want) || !strings.Contains(body, `"high":null`) || !strings.Contains(body, `"best":1`) {
		t.Errorf("a figure with only best: %s; want low and high null", body)
	}
	// The case's page shows it, whose it is, and no range.
	resp, page := get(t, srv.URL+"/cases/"+itoa(rc.Index))
	if resp.StatusCode != 200 || !strings.Contains(string(page), "): 1, of pakistan") {
		t.Errorf("the page of case %d: %d; want the figure of pakistan's forces, 1, with no range:\n%s", rc.Index, resp.StatusCode, page)
	}
}
