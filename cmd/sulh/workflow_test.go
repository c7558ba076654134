package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWorkflow takes a case from a report to a published finding with a
// penalty, through the real binary: a party files a report, the other
// replies with counter-figures, both mediators sign a finding, the board
// endorses it and attaches a penalty. Every shortcut is refused on the
// way, and the log verifies and rebuilds to the same state afterwards.
func TestWorkflow(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	srv := startServer(t, nil, "demo", "--data", data)
	keys := filepath.Join(data, "keys")
	client := &http.Client{Timeout: 10 * time.Second}
	key := func(name string) string { return filepath.Join(keys, name+".key") }

	// submit files a statement signed by the named members (the first is
	// the author) and returns its log index.
	submit := func(what, stmt string, signers ...string) int64 {
		t.Helper()
		args := []string{"submit", "--server", srv.URL}
		for _, s := range signers {
			args = append(args, "--key", key(s))
		}
		r := runSulh(t, runOpts{stdin: stmt}, append(args, "-")...)
		if r.code != 0 {
			t.Fatalf("%s: sulh submit failed:\n%s", what, r)
		}
		var rcpt struct {
			Index int64 `json:"index"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rcpt); err != nil {
			t.Fatalf("%s: no receipt: %v\n%s", what, err, r.stdout)
		}
		return rcpt.Index
	}
	size := func() int64 {
		t.Helper()
		var m struct {
			TreeSize int64 `json:"tree_size"`
		}
		getJSON(t, client, srv.URL+"/api/v1/mechanism", &m)
		return m.TreeSize
	}
	// refuse submits a statement that must be refused with every one of
	// wants in the error, and checks that the log did not grow.
	refuse := func(what, stmt string, signers []string, wants ...string) {
		t.Helper()
		before := size()
		args := []string{"submit", "--server", srv.URL}
		for _, s := range signers {
			args = append(args, "--key", key(s))
		}
		wantFailure(t, what, runSulh(t, runOpts{stdin: stmt}, append(args, "-")...), wants...)
		if after := size(); after != before {
			t.Errorf("%s: the log grew from %d to %d entries", what, before, after)
		}
	}
	pak, afg := []string{"pakistan-liaison-1"}, []string{"afghanistan-liaison-1"}
	qatar, mediators := []string{"qatar-investigator-1"}, []string{"qatar-investigator-1", "turkiye-investigator-1"}
	board := []string{"board-qatar-1", "board-turkiye-1"}

	now := time.Now().UTC()
	event := now.Add(-3 * time.Hour).Format(time.RFC3339)
	report := `{"kind":"report","channel":"party","accused":"afghanistan",
		"event":{"time":%q,"precision":"exact"},
		"place":{"name":"Angoor Adda","lat":32.6153,"lon":69.3331,"geo_precision":1,"admin":[{"country":"PK","admin1":"Khyber Pakhtunkhwa","admin2":"South Waziristan"},{"country":"AF","admin1":"Paktika","admin2":"Barmal"}]},
		"event_type":"battles","sub_event_type":"armed_clash","categories":[%s],
		"actors":[{"id":"ttp","label":"Fitna al-Khawarij","role":"actor1"}],
		"casualties":{"sides":[{"measure":"killed_combatant","actor":"ttp","low":%d,"best":5,"high":6}]},
		"observation":{"method":"seen"},"origin":{"territory":"afghanistan"},"clauses":["c1","c4"],
		"summary":"Militants crossed from Afghan territory and attacked a border post.","language":"en"}`

	// Bad input is refused with a clear reason, and nothing is written.
	refuse("malformed JSON", `{"kind":"report",`, pak, "not a JSON object")
	refuse("impossible date", fmt.Sprintf(report, "2025-02-30T10:00:00Z", `"cross_border_fire"`, 4), pak, "event.time")
	refuse("negative casualties", fmt.Sprintf(report, event, `"cross_border_fire"`, -1), pak, "cannot be negative")
	refuse("a figure without its side", strings.Replace(fmt.Sprintf(report, event, `"cross_border_fire"`, 4),
		`"sides":[{"measure":"killed_combatant","actor":"ttp","low":4,"best":5,"high":6}]`, `"killed":{"combatant":{"low":4,"best":5,"high":6}}`, 1),
		pak, "casualties.killed.combatant: says civilian or combatant but not whose")
	refuse("unknown category", fmt.Sprintf(report, event, `"sabotage"`, 4), pak, "categories", "sabotage")
	refuse("a party accusing itself", strings.Replace(fmt.Sprintf(report, event, `"cross_border_fire"`, 4), `"accused":"afghanistan"`, `"accused":"pakistan"`, 1), pak, "cannot accuse itself")

	c := submit("report", fmt.Sprintf(report, event, `"cross_border_fire","militant_infiltration"`, 4), pak...)

	// The accused party learns of it at once, in its members' inbox.
	tok := runSulh(t, runOpts{}, "token", "new", "--key", key("afghanistan-liaison-1"), "--server", srv.URL)
	if tok.code != 0 {
		t.Fatalf("token new:\n%s", tok)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/inbox", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok.stdout))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var inbox struct {
		Body  string `json:"body"`
		Items []struct {
			Kind string `json:"kind"`
			Case int64  `json:"case"`
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&inbox)
	resp.Body.Close()
	alleged := false
	for _, it := range inbox.Items {
		alleged = alleged || (it.Kind == "allegation" && it.Case == c)
	}
	if inbox.Body != "afghanistan" || !alleged {
		t.Errorf("afghanistan's inbox after the report has no allegation on case %d: %+v", c, inbox)
	}
	reply := `{"kind":"reply","case":%d,"position":"denies","language":"en",
		"text":"No one crossed from our territory. Our forces were not involved.",
		"actors":[{"id":"ttp","label":"Tehrik-e-Taliban Pakistan"}],
		"casualties":{"sides":[{"measure":"killed_combatant","actor":"ttp","best":0}]}}`
	refuse("a reply by a party that was not accused", fmt.Sprintf(reply, c), pak, "only the accused party and the bodies a finding blames may reply")
	submit("reply", fmt.Sprintf(reply, c), afg...)

	advance := func(to string, signers ...string) int64 {
		t.Helper()
		return submit("advance to "+to, fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":%q}`, c, to), signers...)
	}
	finding := fmt.Sprintf(`{"kind":"finding","case":%d,"outcome":"attributed","party":"afghanistan","confidence":"moderate",
		"rationale":"Illustrative: the team found tracks leading across the border.","clauses":["c4"],"rulebook_version":1}`, c)
	refuse("a finding before the draft stage", finding, mediators, "case "+fmt.Sprint(c), `"received"`)
	refuse("skipping a stage", fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":"investigation"}`, c), qatar, "cannot be skipped")
	refuse("a party moving the case", fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":"preliminary"}`, c), pak, "forbidden")
	advance("preliminary", qatar...)
	advance("investigation", qatar...)
	advance("draft", qatar...)
	refuse("a finding signed by one mediator", finding, qatar, "quorum")
	f := submit("finding", finding, mediators...)
	advance("party_reply", qatar...)
	refuse("leaving the party's reply before it replied or its time ran out",
		fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":"technical_committee"}`, c), qatar, "may reply on case")
	submit("reply to the draft finding", strings.Replace(fmt.Sprintf(reply, c), "No one crossed", "We reject the draft finding: no one crossed", 1), afg...)
	advance("technical_committee", qatar...)
	advance("board", qatar...)
	refuse("publishing before endorsement", fmt.Sprintf(`{"kind":"case.advance","case":%d,"to":"published"}`, c), qatar, "endorsed")
	penalty := fmt.Sprintf(`{"kind":"penalty","case":%d,"finding":%d,"penalty":"censure","party":"afghanistan"}`, c, f)
	refuse("a penalty on a finding not endorsed", penalty, board, "only to an endorsed finding")
	endorsement := fmt.Sprintf(`{"kind":"endorsement","case":%d,"finding":%d}`, c, f)
	refuse("an endorsement by one board member", endorsement, board[:1], "quorum")
	submit("endorsement", endorsement, board...)
	submit("penalty", penalty, board...)
	advance("published", "board-qatar-1")

	var got struct {
		ID        int64  `json:"id"`
		Stage     string `json:"stage"`
		Finding   *int64 `json:"finding"`
		Endorsed  *int64 `json:"endorsed"`
		Penalties int    `json:"penalty_count"`
		Replies   int    `json:"reply_count"`
		Outcome   string `json:"outcome"`
		Party     string `json:"party"`
		History   []struct {
			Index int64  `json:"index"`
			Kind  string `json:"kind"`
		} `json:"history"`
		Claims []struct {
			Body    string `json:"body"`
			Kind    string `json:"kind"`
			Measure string `json:"measure"`
			Low     int64  `json:"low"`
			Best    int64  `json:"best"`
			High    int64  `json:"high"`
		} `json:"claims"`
	}
	getJSON(t, client, fmt.Sprintf("%s/api/v1/cases/%d", srv.URL, c), &got)
	if got.ID != c || got.Stage != "published" || got.Finding == nil || *got.Finding != f || got.Endorsed == nil ||
		got.Penalties != 1 || got.Replies != 2 || got.Outcome != "attributed" || got.Party != "afghanistan" {
		t.Errorf("case %d: %+v", c, got)
	}
	// 1 report, 2 replies, 7 moves, 1 finding, 1 endorsement, 1 penalty.
	if len(got.History) != 13 || got.History[0].Index != c || got.History[0].Kind != "report" {
		t.Errorf("case %d history: %+v", c, got.History)
	}
	// Both parties' figures stay on the record, side by side.
	claims := map[string]int64{}
	for _, cl := range got.Claims {
		claims[cl.Body+" "+cl.Kind+" "+cl.Measure] = cl.Best
	}
	if len(got.Claims) != 3 || claims["pakistan report killed_combatant"] != 5 || claims["afghanistan reply killed_combatant"] != 0 {
		t.Errorf("case %d claims: %+v", c, got.Claims)
	}
	// The demo's Spin Boldak case names its place by gazetteer id; the API
	// resolves it.
	var spin struct {
		PlaceID string `json:"place_id"`
		Place   struct {
			Name     string `json:"name"`
			Crossing bool   `json:"crossing"`
		} `json:"place"`
	}
	getJSON(t, client, srv.URL+"/api/v1/cases/32", &spin)
	if spin.PlaceID != "chaman" || !spin.Place.Crossing || spin.Place.Name == "" {
		t.Errorf("case 32's place: %+v", spin)
	}
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	getJSON(t, client, srv.URL+"/api/v1/cases?stage=published&party=afghanistan", &list)
	found := false
	for _, it := range list.Items {
		found = found || it.ID == c
	}
	if !found {
		t.Errorf("GET /api/v1/cases?stage=published&party=afghanistan does not list case %d: %+v", c, list.Items)
	}

	// Times may be written in either party's zone; they are signed in UTC
	// and shown in both zones.
	submit("crossing in Pakistan time", `{"kind":"crossing.status","crossing":"ghulam-khan","name":"Ghulam Khan","status":"closed",
		"since":"2025-10-20T22:00:00+05:00","at":"2025-10-20T22:30:00+05:00"}`, pak...)
	var crossings struct {
		Sides []struct {
			Side       string            `json:"side"`
			Since      string            `json:"since"`
			SinceLocal map[string]string `json:"since_local"`
		} `json:"sides"`
	}
	getJSON(t, client, srv.URL+"/api/v1/crossings/ghulam-khan", &crossings)
	if len(crossings.Sides) != 1 || crossings.Sides[0].Side != "pakistan" {
		t.Fatalf("crossing: %+v; want Pakistan's side alone", crossings)
	}
	crossing := crossings.Sides[0]
	if crossing.Since != "2025-10-20T17:00:00Z" || crossing.SinceLocal["Pakistan"] != "2025-10-20T22:00:00+05:00" ||
		crossing.SinceLocal["Afghanistan"] != "2025-10-20T21:30:00+04:30" {
		t.Errorf("crossing: %+v", crossing)
	}
	// The demo's webhook subscriber is told of the publication, in a
	// notice signed by the log.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got struct {
			Items []struct {
				Kind string `json:"kind"`
				Case int64  `json:"case"`
			} `json:"items"`
		}
		getJSON(t, client, srv.URL+"/demo/webhook", &got)
		told := false
		for _, it := range got.Items {
			told = told || (it.Kind == "published" && it.Case == c)
		}
		if told {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the demo's webhook subscriber was not told of case %d's publication: %+v", c, got.Items)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := mustSulh(t, "verify-log", "--url", srv.URL+"/log", "--key", srv.VKey); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("verify-log: %s", out)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("server: %v", err)
	}
	digest := lastLine(mustSulh(t, "digest", "--data", data))
	rebuilt := lastLine(mustSulh(t, "rebuild", "--data", data))
	if !strings.HasPrefix(digest, "state digest: ") || len(digest) != len("state digest: ")+64 || rebuilt != digest {
		t.Errorf("digest before rebuild %q, after %q", digest, rebuilt)
	}
	if again := lastLine(mustSulh(t, "digest", "--data", data)); again != digest {
		t.Errorf("digest after rebuild %q, want %q", again, digest)
	}
	var bench struct {
		N         int64   `json:"n"`
		PerSecond float64 `json:"per_second"`
		Digest    string  `json:"state_digest"`
	}
	if err := json.Unmarshal([]byte(mustSulh(t, "bench", "rebuild", "--data", data, "--json")), &bench); err != nil {
		t.Fatal(err)
	}
	if "state digest: "+bench.Digest != digest || bench.N < 60 || bench.PerSecond <= 0 {
		t.Errorf("bench rebuild: %+v; want digest %q", bench, digest)
	}
	// The case-list benchmark runs against the same folder, adding reports.
	var cases struct {
		Cases   int64 `json:"cases"`
		Queries []struct {
			Name string `json:"name"`
			N    int    `json:"n"`
		} `json:"queries"`
	}
	if err := json.Unmarshal([]byte(mustSulh(t, "bench", "cases", "--data", data, "--n", "40", "--queries", "2", "--json")), &cases); err != nil {
		t.Fatal(err)
	}
	if cases.Cases < 40 || len(cases.Queries) < 5 || cases.Queries[0].N != 2 {
		t.Errorf("bench cases: %+v", cases)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func getJSON(t *testing.T, client *http.Client, url string, v any) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
