package web_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// g11Server is a demo mechanism with its members and the G-11 sequence of
// 11 November 2025 filed through the log, and a server of its views. It
// returns the case.
func g11Server(t *testing.T) (*httptest.Server, int64) {
	t.Helper()
	ctx := context.Background()
	m, _, reg := mustDemo(t, false)
	at := time.Date(2025, 11, 12, 9, 0, 0, 0, time.UTC)
	file := func(kind, author string, v any) int64 {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"mechanism", "kind", "author", "at", "refs"} {
			delete(fields, k) // Submit fills them in
		}
		at = at.Add(time.Minute)
		r, err := m.Submit(ctx, kind, author, at, fields)
		if err != nil {
			t.Fatal(err)
		}
		return r.Index
	}
	c := file(mechanism.KindReport, "pakistan-liaison-1", &mechanism.Report{
		Channel: "party", Accused: "afghanistan",
		Event:     mechanism.EventTime{Time: "2025-11-11T07:39:00Z", Precision: "exact"},
		Place:     mechanism.Place{Name: "District court, G-11, Islamabad", GeoPrecision: 1},
		EventType: "explosions_remote_violence", SubEventType: "suicide_bomb",
		Actors:   []mechanism.Actor{{ID: "jamaat-ul-ahrar", Label: "Fitna al-Khawarij", Role: "actor1"}},
		Summary:  "Suicide bombing at the G-11 district court in Islamabad, 12 killed, by militants operating from Afghan soil.",
		Language: "en",
	})
	file(mechanism.KindActor, "monitors-field-1", &mechanism.ActorEntry{ID: "jamaat-ul-ahrar", Type: mechanism.ActorArmedGroup,
		Names: map[string]string{"en": "Jamaat-ul-Ahrar", "ur": "جماعت الاحرار"}, Aliases: []string{"JuA"},
		Labels: map[string]string{"pakistan": "Fitna al-Khawarij"}})
	file(mechanism.KindActor, "monitors-field-1", &mechanism.ActorEntry{ID: "ttp", Type: mechanism.ActorArmedGroup,
		Names: map[string]string{"en": "Tehrik-i-Taliban Pakistan"}, Labels: map[string]string{"pakistan": "Fitna al-Khawarij", "afghanistan": "TTP"}})
	file(mechanism.KindReply, "afghanistan-liaison-1", &mechanism.Reply{Case: c, Positions: []string{"condemns", "rejects_charge"},
		Text: "We condemn the attack and reject the charge that it came from Afghan soil.", Language: "en"})
	said := func(actor, position, when string) mechanism.ClaimSource {
		return mechanism.ClaimSource{Medium: "news_report", Time: mechanism.EventTime{Time: when, Precision: "exact"}, Language: "en",
			Words: actor + " " + position + " it."}
	}
	// Filed out of the order they were said: the case shows them in the
	// order said.
	file(mechanism.KindActorClaim, "monitors-field-1", &mechanism.ActorClaim{Case: c, Actor: "jamaat-ul-ahrar", Position: mechanism.ClaimClaimed,
		Source: said("jamaat-ul-ahrar", "claimed", "2025-11-11T09:00:00Z")})
	file(mechanism.KindActorClaim, "monitors-field-1", &mechanism.ActorClaim{Case: c, Actor: "ttp", Position: mechanism.ClaimDenied,
		Source: said("ttp", "denied", "2025-11-11T12:00:00Z")})
	file(mechanism.KindActorClaim, "qatar-investigator-1", &mechanism.ActorClaim{Case: c, Actor: "jamaat-ul-ahrar", Position: mechanism.ClaimRetracted,
		Speaker: "a commander of the group", Source: said("jamaat-ul-ahrar", "retracted", "2025-11-11T11:00:00Z")})
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
	return mustServe(t, m, reg), c
}

// TestG11Views: through the API, the G-11 case shows each actor's claims
// and denials in the order said, its report count is one, Kabul's reply
// has both its stances, and the case list filtered by the actor finds it.
func TestG11Views(t *testing.T) {
	srv, c := g11Server(t)
	var got struct {
		ReportCount int64 `json:"report_count"`
		ReplyCount  int64 `json:"reply_count"`
		ActorClaims []struct {
			Actor  string            `json:"actor"`
			Type   string            `json:"type"`
			Names  map[string]string `json:"names"`
			Claims []struct {
				Index        int64             `json:"idx"`
				Position     string            `json:"position"`
				SaidAt       string            `json:"said_at"`
				SaidAtLocal  map[string]string `json:"said_at_local"`
				Speaker      string            `json:"speaker"`
				Author, Body string
			} `json:"claims"`
		} `json:"actor_claims"`
		Replies []struct {
			Positions []string `json:"positions"`
		} `json:"replies"`
		History []struct {
			Kind string `json:"kind"`
		} `json:"history"`
	}
	resp, b := get(t, srv.URL+"/api/v1/cases/"+itoa(c))
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil {
		t.Fatalf("case %d: %d %s", c, resp.StatusCode, b)
	}
	if got.ReportCount != 1 || got.ReplyCount != 1 {
		t.Errorf("report_count %d, reply_count %d; want 1 and 1", got.ReportCount, got.ReplyCount)
	}
	var seq []string
	for _, a := range got.ActorClaims {
		for _, cl := range a.Claims {
			seq = append(seq, a.Actor+" "+cl.Position+" "+cl.SaidAt)
		}
	}
	want := []string{
		"jamaat-ul-ahrar claimed 2025-11-11T09:00:00Z",
		"jamaat-ul-ahrar retracted 2025-11-11T11:00:00Z",
		"ttp denied 2025-11-11T12:00:00Z",
	}
	if !slices.Equal(seq, want) {
		t.Errorf("actor_claims: %q, want %q\n%s", seq, want, b)
	}
	if len(got.ActorClaims) == 2 {
		jua := got.ActorClaims[0]
		if jua.Type != mechanism.ActorArmedGroup || jua.Names["ur"] != "جماعت الاحرار" || jua.Claims[1].Speaker != "a commander of the group" ||
			jua.Claims[1].Body != "qatar" || jua.Claims[0].SaidAtLocal["Pakistan"] != "2025-11-11T14:00:00+05:00" {
			t.Errorf("Jamaat-ul-Ahrar's entry: %+v", jua)
		}
	}
	if len(got.Replies) != 1 || !slices.Equal(got.Replies[0].Positions, []string{"condemns", "rejects_charge"}) {
		t.Errorf("replies: %+v", got.Replies)
	}
	if n := len(got.History); n != 5 {
		t.Errorf("history has %d statements; want the report, the reply and the three claims", n)
	}

	// The case list, by actor and by what it said.
	for _, tt := range []struct {
		query string
		want  []int64
	}{
		{"actor=jamaat-ul-ahrar", []int64{c}},
		{"actor=ttp", []int64{c}},
		{"actor=jamaat-ul-ahrar&claim=claimed", []int64{c}},
		{"actor=jamaat-ul-ahrar&claim=retracted", []int64{c}},
		{"actor=ttp&claim=denied", []int64{c}},
		{"actor=ttp&claim=claimed", nil}, // the TTP denied; JuA claimed
		{"actor=jamaat-ul-ahrar&claim=denied", nil},
		{"claim=claimed", []int64{c}},
		{"claim=condemned", nil},
	} {
		var page struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		resp, b := get(t, srv.URL+"/api/v1/cases?"+tt.query)
		if resp.StatusCode != 200 || json.Unmarshal(b, &page) != nil {
			t.Errorf("cases?%s: %d %s", tt.query, resp.StatusCode, b)
			continue
		}
		var ids []int64
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("cases?%s lists %v, want %v", tt.query, ids, tt.want)
		}
	}
	// Unknown values are refused, with those allowed.
	for _, tt := range []struct{ query, want string }{
		{"actor=jamaat-ul-ahrar-x", `actor: "jamaat-ul-ahrar-x" is not one the mechanism knows; known values: jamaat-ul-ahrar, ttp`},
		{"claim=admitted", "claim must be one of [claimed denied retracted condemned]"},
		{"actor=" + strings.Repeat("a", 201), "too long"},
	} {
		resp, b := get(t, srv.URL+"/api/v1/cases?"+tt.query)
		var e apiError
		json.Unmarshal(b, &e)
		if resp.StatusCode != 400 || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("cases?%s: %d %s; want 400 saying %q", tt.query, resp.StatusCode, b, tt.want)
		}
	}

	// The registry counts claims and denials apart, beside mentions.
	var reg struct {
		Items []map[string]any `json:"items"`
	}
	_, b = get(t, srv.URL+"/api/v1/actor_registry")
	if err := json.Unmarshal(b, &reg); err != nil {
		t.Fatal(err)
	}
	counts := map[string]string{}
	for _, r := range reg.Items {
		counts[r["id"].(string)] = strings.Join([]string{num(r["mentions"]), num(r["claimed"]), num(r["denied"]), num(r["retracted"]), num(r["condemned"]), num(r["cases"])}, " ")
	}
	if want := map[string]string{"jamaat-ul-ahrar": "1 1 0 1 0 1", "ttp": "0 0 1 0 0 1"}; !maps.Equal(counts, want) {
		t.Errorf("mentions, claimed, denied, retracted, condemned, cases: %v, want %v", counts, want)
	}

	// An actor's own page: its entry, how bodies named it, what it said.
	var actor struct {
		ID     string            `json:"id"`
		Labels map[string]string `json:"labels"`
		Named  []struct {
			Body, Label string
		} `json:"named"`
		Claims []struct {
			CaseID   int64  `json:"case_id"`
			Position string `json:"position"`
		} `json:"claims"`
	}
	resp, b = get(t, srv.URL+"/api/v1/actors/jamaat-ul-ahrar")
	if resp.StatusCode != 200 || json.Unmarshal(b, &actor) != nil {
		t.Fatalf("actor: %d %s", resp.StatusCode, b)
	}
	if actor.Labels["pakistan"] != "Fitna al-Khawarij" || len(actor.Named) != 1 || actor.Named[0].Body != "pakistan" ||
		len(actor.Claims) != 2 || actor.Claims[0].Position != "claimed" || actor.Claims[1].Position != "retracted" || actor.Claims[1].CaseID != c {
		t.Errorf("actor: %s", b)
	}
	for _, id := range []string{"nobody", url.PathEscape(strings.Repeat("a", 300))} {
		if resp, b := get(t, srv.URL+"/api/v1/actors/"+id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("actor %s: %d %s", id, resp.StatusCode, b)
		}
	}
}

func itoa(i int64) string { b, _ := json.Marshal(i); return string(b) }

func num(v any) string { b, _ := json.Marshal(v); return string(b) }
