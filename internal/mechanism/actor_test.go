package mechanism_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// setUpActors returns a fixture under rules (3 unless given) with a
// monitor body whose administrator is admin-mon, alice in party-a (as
// Pakistan) and bob in party-b (as Afghanistan).
func setUpActors(t *testing.T, rules ...int) *fixture {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Rules = mechanism.Rules3
	if len(rules) > 0 {
		rb.Rules = rules[0]
	}
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors",
		Administrators: []string{f.newKey("admin-mon", "admin-mon").vkey}})
	f.must(f.rulebookMsg(rb))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	return f
}

// The G-11 fixture's times: the attack at 12:39 PKT on 11 November 2025,
// and every statement filed the day after.
const (
	g11Event = "2025-11-11T07:39:00Z"
	g11At    = "2025-11-12T09:00:00Z"
)

// g11Report is party-a's allegation: a suicide bombing at the G-11 court
// in Islamabad by militants it says operate from party-b's soil.
func (f *fixture) g11Report() []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindReport, fields{
		"at": g11At, "channel": "party", "accused": "party-b",
		"event":      fields{"time": g11Event, "precision": "exact"},
		"place":      fields{"name": "District court, G-11, Islamabad", "lat": 33.68, "lon": 72.99, "geo_precision": 1},
		"event_type": "explosions_remote_violence", "sub_event_type": "suicide_bomb",
		"actors":     []fields{{"id": "jamaat-ul-ahrar", "label": "Fitna al-Khawarij", "role": "actor1"}},
		"casualties": f.g11Figures(),
		"summary":    "Suicide bombing at the G-11 district court in Islamabad; 12 killed. The attackers operate from Afghan soil.",
		"language":   "en",
	}, "alice")
}

// g11Figures are the allegation's 12 civilians killed, with their country
// under rules 3, which wants every figure's side.
func (f *fixture) g11Figures() fields {
	if f.rules3() {
		return fields{"sides": []fields{with(fig(12, 12, 12), fields{"measure": "killed_civilian", "country": "PK"})}}
	}
	return fields{"killed": fields{"civilian": fig(12, 12, 12)}}
}

// actorMsg registers an actor, by author.
func (f *fixture) actorMsg(author string, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindActor, with(fields{
		"at": g11At, "id": "jamaat-ul-ahrar", "type": mechanism.ActorArmedGroup,
		"names":   fields{"en": "Jamaat-ul-Ahrar", "ur": "جماعت الاحرار"},
		"aliases": []string{"JuA", "Jamaat ul Ahrar"},
		"labels":  fields{"party-a": "Fitna al-Khawarij"},
	}, extra), author)
}

// claimMsg records what an actor said about case c, by author.
func (f *fixture) claimMsg(author string, c int64, extra fields) []byte {
	f.t.Helper()
	return f.stmt(mechanism.KindActorClaim, with(fields{
		"at": g11At, "case": c, "actor": "jamaat-ul-ahrar", "position": mechanism.ClaimClaimed,
		"source": fields{"medium": "messaging_app", "via": "Reuters", "url": "https://example.org/jua-claim",
			"time": fields{"time": "2025-11-11T10:00:00Z", "precision": "day"}, "language": "ur",
			"words": "ہم ذمہ داری قبول کرتے ہیں", "translation": "We claim responsibility."},
	}, extra), author)
}

// refuseState submits msg, checks the refusal, and checks that the log's
// size and the registry did not change.
func (f *fixture) refuseState(msg []byte, c int64, code statement.Code, want ...string) {
	f.t.Helper()
	size, claims := f.st.Size, f.st.ActorClaims(c)
	var before mechanism.RegisteredActor
	if a, ok := f.st.Actor("jamaat-ul-ahrar"); ok {
		before = *a
	}
	wantError(f.t, f.submit(msg), code, want...)
	var after mechanism.RegisteredActor
	if a, ok := f.st.Actor("jamaat-ul-ahrar"); ok {
		after = *a
	}
	if f.st.Size != size || !reflect.DeepEqual(claims, f.st.ActorClaims(c)) || !reflect.DeepEqual(before, after) {
		f.t.Errorf("a refused statement changed the state")
	}
}

// TestG11 files the G-11 sequence of 11 November 2025: the allegation,
// the accused party's condemnation and rejection of the charge in one
// reply, Jamaat-ul-Ahrar's claim, its commander's retraction and the
// TTP's denial. The case keeps one report, and each actor's words in the
// order recorded.
func TestG11(t *testing.T) {
	f := setUpActors(t)
	c := f.st.Size
	f.must(f.g11Report())
	f.must(f.actorMsg("admin-mon", nil))
	f.must(f.actorMsg("admin-mon", fields{"id": "ttp", "names": fields{"en": "Tehrik-i-Taliban Pakistan", "ps": "تحریک طالبان پاکستان"},
		"aliases": []string{"TTP"}, "labels": fields{"party-a": "Fitna al-Khawarij", "party-b": "TTP"}}))
	f.must(f.reply("bob", c, fields{"at": g11At, "position": nil, "positions": []string{"condemns", "rejects_charge"},
		"text": "We condemn the attack on the court, and reject the charge that it came from our soil."}))
	claim := f.st.Size
	f.must(f.claimMsg("admin-mon", c, nil))
	f.must(f.claimMsg("admin-m1", c, fields{"position": mechanism.ClaimRetracted, "speaker": "a commander of the group",
		"source": fields{"medium": "news_report", "via": "AFP", "time": fields{"time": "2025-11-11T16:00:00Z", "precision": "day"},
			"language": "en", "words": "We had nothing to do with the Islamabad attack."}}))
	st, err := f.st.Open(f.claimMsg("admin-mon", c, fields{"actor": "ttp", "position": mechanism.ClaimDenied,
		"source": fields{"medium": "written_statement", "time": fields{"time": "2025-11-11T12:00:00Z", "precision": "day"},
			"language": "ps", "words": "تحریک طالبان پاکستان په دې برید کې لاس نه لري"}}))
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.st.Apply(st)
	if err != nil {
		t.Fatal(err)
	}

	cs, _ := f.st.Case(c)
	if len(cs.Reports) != 1 || len(cs.Replies) != 1 {
		t.Errorf("case %d has %d reports and %d replies; want 1 and 1: an actor's claim is no report of the event", c, len(cs.Reports), len(cs.Replies))
	}
	want := []mechanism.ActorSaid{
		{Actor: "jamaat-ul-ahrar", Position: mechanism.ClaimClaimed, Index: claim},
		{Actor: "jamaat-ul-ahrar", Position: mechanism.ClaimRetracted, Index: claim + 1},
		{Actor: "ttp", Position: mechanism.ClaimDenied, Index: claim + 2},
	}
	if got := f.st.ActorClaims(c); !reflect.DeepEqual(got, want) {
		t.Errorf("ActorClaims(%d) = %+v, want %+v", c, got, want)
	}
	// The effects say what the views need: the claim, its case, and the
	// case's report count as it was.
	if p, ok := e.Payload.(*mechanism.ActorClaim); !ok || p.Actor != "ttp" || p.Position != mechanism.ClaimDenied || p.Source.Language != "ps" {
		t.Errorf("payload %#v", e.Payload)
	}
	if !slices.Equal(e.Subjects, []int64{c}) || len(e.Cases) != 1 || e.Cases[0].Reports != 1 || e.Cases[0].Updated != claim+2 {
		t.Errorf("effects: subjects %v, cases %+v", e.Subjects, e.Cases)
	}
	a, ok := f.st.Actor("jamaat-ul-ahrar")
	if !ok || a.Body != "monitors" || a.Type != mechanism.ActorArmedGroup || a.Labels["party-a"] != "Fitna al-Khawarij" || a.Names["ur"] != "جماعت الاحرار" || a.Amended != -1 {
		t.Errorf("registered actor %+v", a)
	}

	// A snapshot keeps the registry and what each actor said; the state
	// read back still knows the claim a retraction takes back.
	read := roundTrip(t, &f.st)
	if got := read.ActorClaims(c); !reflect.DeepEqual(got, want) {
		t.Errorf("read back, ActorClaims(%d) = %+v", c, got)
	}
	f.st = *read
	f.must(f.claimMsg("admin-mon", c, fields{"actor": "ttp", "position": mechanism.ClaimCondemned,
		"source": fields{"medium": "social_media", "time": fields{"time": "2025-11-11T13:00:00Z", "precision": "exact"}, "language": "en", "words": "We condemn it."}}))
}

// TestActorRefusals attacks each rule of the actor kind.
func TestActorRefusals(t *testing.T) {
	f := setUpActors(t)
	c := f.st.Size
	f.must(f.g11Report())
	for _, tt := range []struct {
		name   string
		author string
		extra  fields
		code   statement.Code
		want   string
	}{
		{"by a party", "alice", nil, statement.CodeForbidden, "filed by members of a body of type [monitor mediator]"},
		{"not an identifier", "admin-mon", fields{"id": "Jamaat ul Ahrar"}, statement.CodeInvalid, `actor: id: "Jamaat ul Ahrar" is not an identifier such as "jamaat-ul-ahrar"`},
		{"no id", "admin-mon", fields{"id": nil}, statement.CodeInvalid, "actor: id"},
		{"unknown type", "admin-mon", fields{"type": "terrorists"}, statement.CodeInvalid, `actor: type: "terrorists" is not one of [state_forces non_state_armed_group other]`},
		{"no names", "admin-mon", fields{"names": nil}, statement.CodeInvalid, "actor: names: is required"},
		{"empty names", "admin-mon", fields{"names": fields{}}, statement.CodeInvalid, "actor: names: is required"},
		{"name by no language", "admin-mon", fields{"names": fields{"english": "JuA"}}, statement.CodeInvalid, `actor: names: "english" is not a language tag`},
		{"empty name", "admin-mon", fields{"names": fields{"en": ""}}, statement.CodeInvalid, "actor: names.en: is required"},
		{"long name", "admin-mon", fields{"names": fields{"en": strings.Repeat("a", 201)}}, statement.CodeInvalid, "actor: names.en: must be at most 200"},
		{"33 names", "admin-mon", fields{"names": manyNames(33)}, statement.CodeInvalid, "actor: names: at most 32"},
		{"alias twice", "admin-mon", fields{"aliases": []string{"JuA", "JuA"}}, statement.CodeInvalid, `actor: aliases: "JuA" is listed twice`},
		{"empty alias", "admin-mon", fields{"aliases": []string{""}}, statement.CodeInvalid, "actor: aliases: is required"},
		{"33 aliases", "admin-mon", fields{"aliases": manyStrings(33)}, statement.CodeInvalid, "actor: aliases: at most 32"},
		{"label of a mediator", "admin-mon", fields{"labels": fields{"mediator-1": "JuA"}}, statement.CodeInvalid, `actor: labels: "mediator-1" is not a party`},
		{"empty label", "admin-mon", fields{"labels": fields{"party-b": ""}}, statement.CodeInvalid, "actor: labels.party-b: is required"},
		{"bidi in a name", "admin-mon", fields{"names": fields{"en": "Jamaat\u202eul-Ahrar"}}, statement.CodeInvalid, "U+202E"},
		{"huge note", "admin-mon", fields{"note": strings.Repeat("n", 33<<10)}, statement.CodeInvalid, "actor: note: must be at most"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refuseState(f.actorMsg(tt.author, tt.extra), c, tt.code, tt.want)
		})
	}
	f.t = t

	// Added by the monitors, it is amended by them alone.
	added := f.st.Size
	f.must(f.actorMsg("admin-mon", nil))
	f.refuseState(f.actorMsg("admin-m1", fields{"type": mechanism.ActorOther}), c, statement.CodeForbidden,
		`actor: "jamaat-ul-ahrar" was added by monitors, and only members of monitors may amend it`)
	amended := f.st.Size
	f.must(f.actorMsg("admin-mon", fields{"aliases": []string{"JuA"}, "labels": fields{"party-a": "Fitna al-Khawarij", "party-b": "Jamaat-ul-Ahrar"}}))
	if a, _ := f.st.Actor("jamaat-ul-ahrar"); a.Added != added || a.Amended != amended || !slices.Equal(a.Aliases, []string{"JuA"}) || len(a.Labels) != 2 {
		t.Errorf("amended actor %+v; want added %d, amended %d", a, added, amended)
	}
	// The same text again is the same statement.
	f.refuseState(f.actorMsg("admin-mon", nil), c, statement.CodeDuplicate)
}

// TestActorClaimRefusals attacks each rule of the actor.claim kind.
func TestActorClaimRefusals(t *testing.T) {
	f := setUpActors(t)
	c := f.st.Size
	f.must(f.g11Report())
	f.refuseState(f.claimMsg("admin-mon", c, nil), c, statement.CodeInvalid,
		`actor.claim: actor: "jamaat-ul-ahrar" is not in the registry of actors; add it with an actor statement first (registered: none yet)`)
	f.must(f.actorMsg("admin-mon", nil))
	src := func(extra fields) fields {
		return fields{"source": with(fields{"medium": "video", "time": fields{"time": "2025-11-11T10:00:00Z", "precision": "exact"},
			"language": "ur", "words": "ذمہ داری"}, extra)}
	}
	for _, tt := range []struct {
		name   string
		author string
		extra  fields
		code   statement.Code
		want   string
	}{
		{"by a party", "alice", nil, statement.CodeForbidden, "filed by members of a body of type [monitor mediator]"},
		{"by the board", "admin-board", nil, statement.CodeForbidden, "filed by members of a body of type [monitor mediator]"},
		{"no such case", "admin-mon", fields{"case": 999}, statement.CodeInvalid, "actor.claim: case: there is no case 999"},
		{"a case of no report", "admin-mon", fields{"case": 1}, statement.CodeInvalid, "actor.claim: case: there is no case 1"},
		{"negative case", "admin-mon", fields{"case": -1}, statement.CodeInvalid, "there is no case -1"},
		{"unregistered actor", "admin-mon", fields{"actor": "ttp"}, statement.CodeInvalid, `"ttp" is not in the registry of actors; add it with an actor statement first (registered: jamaat-ul-ahrar)`},
		{"unknown position", "admin-mon", fields{"position": "admitted"}, statement.CodeInvalid, `actor.claim: position: "admitted" is not one of [claimed denied retracted condemned]`},
		{"retracted before a claim", "admin-mon", fields{"position": mechanism.ClaimRetracted}, statement.CodeInvalid,
			`actor.claim: position: "jamaat-ul-ahrar" has no claim on case ` + fmt.Sprint(c) + ` to retract`},
		{"long speaker", "admin-mon", fields{"speaker": strings.Repeat("s", 201)}, statement.CodeInvalid, "actor.claim: speaker: must be at most 200"},
		{"no source", "admin-mon", fields{"source": nil}, statement.CodeInvalid, "actor.claim: 5 problems: source.medium: \"\" is not one of"},
		{"unknown medium", "admin-mon", src(fields{"medium": "pigeon"}), statement.CodeInvalid, `actor.claim: source.medium: "pigeon" is not one of`},
		{"javascript link", "admin-mon", src(fields{"url": "javascript:alert(1)"}), statement.CodeInvalid, "actor.claim: source.url: must be an http or https address"},
		{"link with no host", "admin-mon", src(fields{"url": "https:///x"}), statement.CodeInvalid, "source.url"},
		{"huge link", "admin-mon", src(fields{"url": "https://example.org/" + strings.Repeat("a", 2000)}), statement.CodeInvalid, "source.url"},
		{"unknown precision", "admin-mon", src(fields{"time": fields{"time": "2025-11-11T10:00:00Z", "precision": "hour"}}), statement.CodeInvalid, "actor.claim: source.time.precision"},
		{"said after filing", "admin-mon", src(fields{"time": fields{"time": "2025-11-13T10:00:00Z", "precision": "exact"}}), statement.CodeInvalid, "actor.claim: source.time.time: 2025-11-13T10:00:00Z is after the statement's own time"},
		{"not a time", "admin-mon", src(fields{"time": fields{"time": "11 November", "precision": "day"}}), statement.CodeInvalid, "actor.claim: source.time.time"},
		{"no language", "admin-mon", src(fields{"language": "Urdu"}), statement.CodeInvalid, `actor.claim: source.language: "Urdu" is not a language tag`},
		{"no words", "admin-mon", src(fields{"words": ""}), statement.CodeInvalid, "actor.claim: source.words: is required"},
		{"huge words", "admin-mon", src(fields{"words": strings.Repeat("w", 33<<10)}), statement.CodeInvalid, "actor.claim: source.words: must be at most"},
		{"long outlet", "admin-mon", src(fields{"via": strings.Repeat("v", 201)}), statement.CodeInvalid, "actor.claim: source.via"},
		{"bidi in the words", "admin-mon", src(fields{"words": "ok\u2066no"}), statement.CodeInvalid, "U+2066"},
		{"unknown field", "admin-mon", fields{"claimed": true}, statement.CodeMalformed, `unknown field "claimed"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refuseState(f.claimMsg(tt.author, c, tt.extra), c, tt.code, tt.want)
		})
	}
	f.t = t
	// Words over several lines are words as published.
	f.must(f.claimMsg("admin-mon", c, src(fields{"words": "line one\nline two"})))
	// A retraction of another actor's claim is no retraction.
	f.must(f.actorMsg("admin-mon", fields{"id": "ttp", "names": fields{"en": "TTP"}}))
	f.refuseState(f.claimMsg("admin-mon", c, fields{"actor": "ttp", "position": mechanism.ClaimRetracted}), c, statement.CodeInvalid,
		`"ttp" has no claim on case`)
	// A claim on one case is no claim on another.
	other := f.st.Size
	f.must(f.reportMsg("admin-m1", "another case"))
	f.refuseState(f.claimMsg("admin-mon", other, fields{"position": mechanism.ClaimRetracted}), other, statement.CodeInvalid, "has no claim on case")
	// Replayed, the claim is a duplicate.
	f.refuseState(f.claimMsg("admin-mon", c, src(fields{"words": "line one\nline two"})), c, statement.CodeDuplicate)
}

// TestActorKindsNeedRules3: under rules 2 the kinds of the registry of
// actors and a reply's positions are refused, and a reply with one
// position stays as it was.
func TestActorKindsNeedRules3(t *testing.T) {
	f := setUpActors(t, mechanism.Rules2)
	c := f.st.Size
	f.must(f.g11Report())
	f.refuseState(f.actorMsg("admin-mon", nil), c, statement.CodeInvalid,
		"actor: statements of this kind are filed under rules 3, and this mechanism follows rules 2; the founders amend the rulebook")
	f.refuseState(f.claimMsg("admin-mon", c, nil), c, statement.CodeInvalid, "actor.claim: statements of this kind are filed under rules 3")
	f.refuseState(f.reply("bob", c, fields{"at": g11At, "positions": []string{"denies"}}), c, statement.CodeInvalid,
		"reply: positions: is filed under rules 3, and this mechanism follows rules 2")
	f.refuseState(f.reply("bob", c, fields{"at": g11At, "positions": []string{}}), c, statement.CodeInvalid, "reply: positions")
	f.refuseState(f.reply("bob", c, fields{"at": g11At, "position": "condemns"}), c, statement.CodeInvalid, `reply: position: "condemns" is not one of`)
	f.must(f.reply("bob", c, fields{"at": g11At}))
}

// TestReplyPositions attacks the rules of a reply's positions under rules
// 3, and checks that a reply of the earlier rules is still taken.
func TestReplyPositions(t *testing.T) {
	f := setUpActors(t)
	c := f.st.Size
	f.must(f.g11Report())
	for _, tt := range []struct {
		name  string
		extra fields
		want  string
	}{
		{"neither", fields{"position": nil}, "reply: position: is required, or positions"},
		{"empty position", fields{"position": ""}, "reply: position: is required, or positions"},
		{"empty list", fields{"position": nil, "positions": []string{}}, "reply: positions: lists from 1 to 6"},
		{"unknown", fields{"position": nil, "positions": []string{"regrets"}}, `reply: positions: "regrets" is not one of [denies accepts partly_accepts no_comment condemns rejects_charge]`},
		{"twice", fields{"position": nil, "positions": []string{"condemns", "condemns"}}, `"condemns" is listed twice`},
		{"accepts and denies", fields{"position": nil, "positions": []string{"denies", "accepts"}}, `reply: positions: "denies" and "accepts" contradict each other`},
		{"no comment and condemns", fields{"position": nil, "positions": []string{"condemns", "no_comment"}}, `"condemns" and "no_comment" contradict`},
		{"accepts, rejects the charge", fields{"position": nil, "positions": []string{"accepts", "rejects_charge"}}, "contradict"},
		{"seven", fields{"position": nil, "positions": []string{"denies", "condemns", "rejects_charge", "partly_accepts", "denies", "x", "y"}}, "lists from 1 to 6"},
		{"position not among them", fields{"position": "denies", "positions": []string{"condemns"}}, `reply: position: "denies" is not among positions [condemns]`},
		{"new stance as position", fields{"position": "condemns"}, `reply: position: "condemns" is not one of [denies accepts partly_accepts no_comment]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refuseState(f.reply("bob", c, with(fields{"at": g11At}, tt.extra)), c, statement.CodeInvalid, tt.want)
		})
	}
	f.t = t
	for _, extra := range []fields{
		{"position": "denies"}, // a reply as the earlier rules filed it
		{"position": "denies", "positions": []string{"denies", "condemns"}, "text": "Both."},
		{"position": nil, "positions": []string{"partly_accepts", "condemns"}, "text": "In part."},
	} {
		f.must(f.reply("bob", c, with(fields{"at": g11At}, extra)))
	}
	for _, tt := range []struct {
		r    mechanism.Reply
		want []string
	}{
		{mechanism.Reply{Position: "denies"}, []string{"denies"}},
		{mechanism.Reply{Position: "denies", Positions: []string{"condemns", "denies"}}, []string{"condemns", "denies"}},
		{mechanism.Reply{Positions: []string{"rejects_charge"}}, []string{"rejects_charge"}},
	} {
		if got := tt.r.Stances(); !slices.Equal(got, tt.want) {
			t.Errorf("Stances of %+v = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func manyNames(n int) fields {
	out := fields{}
	for i := range n {
		out[fmt.Sprintf("x%c%c", 'a'+i/26, 'a'+i%26)] = "name"
	}
	return out
}

func manyStrings(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint("alias ", i))
	}
	return out
}
