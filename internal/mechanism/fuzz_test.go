package mechanism_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// fuzzState is a mechanism with one founder and five bodies, each with one
// administrator named after it: parties "a" (administered by "admin") and
// "b", mediator "med", board "board" and monitor "mon". Every quorum is one
// signer, so that one key can sign any decision. m1 is enrolled in a (1);
// it opens case 2 against b, commits at 3 and acts on it at 4. m2 is a key
// m1 can rotate to.
func fuzzState(f testing.TB) (*mechanism.State, map[string]note.Signer, string, [][]byte) {
	signers := map[string]note.Signer{}
	vkeys := map[string]string{}
	for _, name := range []string{"founder", "admin", "b", "med", "board", "mon", "m1", "m2"} {
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			f.Fatal(err)
		}
		s, err := note.NewSigner(skey)
		if err != nil {
			f.Fatal(err)
		}
		signers[name], vkeys[name] = s, vkey
	}
	one := func(body string) mechanism.Quorum { return mechanism.Quorum{Bodies: []string{body}, Min: 1} }
	rb := &mechanism.Rulebook{
		ID: "fuzz", Version: 1, Rules: mechanism.RulesCurrent, Title: "fuzz", LogOrigin: "example.org/fuzz",
		Founders: mechanism.Group{Keys: []string{vkeys["founder"]}, Quorum: 1},
		Bodies: []mechanism.Body{
			{ID: "a", Type: mechanism.BodyParty, Name: "A", Administrators: []string{vkeys["admin"]}},
			{ID: "b", Type: mechanism.BodyParty, Name: "B", Administrators: []string{vkeys["b"]}},
			{ID: "med", Type: mechanism.BodyMediator, Name: "Mediator", Administrators: []string{vkeys["med"]}},
			{ID: "board", Type: mechanism.BodyBoard, Name: "Board", Administrators: []string{vkeys["board"]}},
			{ID: "mon", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{vkeys["mon"]}},
		},
		Quorums: map[string]mechanism.Quorum{
			mechanism.QuorumFinding: one("med"), mechanism.QuorumEndorsement: one("board"), mechanism.QuorumPenalty: one("board"),
		},
		Deadlines: map[string]string{mechanism.DeadlineReply: "72h", "review": "24h"},
		Clauses:   []mechanism.Clause{{ID: "c1", Text: "No fire."}},
		Stages: []mechanism.Stage{
			{ID: "received", Name: "Received"},
			{ID: "review", Name: "Review", By: []string{"mediator"}, Allows: []string{"finding"}, Due: "review"},
			{ID: "reply", Name: "Reply", By: []string{"mediator"}, Requires: "finding", Reply: true},
			{ID: "board", Name: "Board", By: []string{"mediator"}, Requires: "finding", Allows: []string{"endorsement"}},
			{ID: "published", Name: "Published", By: []string{"board"}, Requires: "endorsement"},
		},
		Categories: []mechanism.Clause{{ID: "fire", Text: "Fire"}},
		Confidence: []string{"low", "high"},
		Penalties:  []mechanism.Clause{{ID: "censure", Text: "Censure"}},
	}
	var s mechanism.State
	var log [][]byte
	apply := func(msg []byte) {
		log = append(log, msg)
		st, err := s.Open(msg)
		if err == nil {
			_, err = s.Apply(st)
		}
		if err != nil {
			f.Fatal(err)
		}
	}
	genesis, err := mechanism.Genesis(rb, fuzzGenesisTime, signers["founder"])
	if err != nil {
		f.Fatal(err)
	}
	apply(genesis)
	setup := []struct{ who, obj string }{
		{"admin", fmt.Sprintf(`{"mechanism":"fuzz","kind":"member.enrol","author":"admin","at":"2025-01-01T00:00:00Z","refs":[],"body":"a","key":%q,"roles":["reporter"],"label":""}`, vkeys["m1"])},
		{"m1", fuzzReport},
		{"m1", `{"mechanism":"fuzz","kind":"commitment","author":"m1","at":"2025-01-01T01:00:00Z","refs":[],"group":{"id":"ttp","label":"TTP"},"deadline":"2025-02-01T00:00:00Z","text":"We will act."}`},
		{"m1", `{"mechanism":"fuzz","kind":"action","author":"m1","at":"2025-01-01T01:00:00Z","refs":[],"commitment":3,"group":{"id":"ttp","label":"TTP"},"time":"2025-01-01T00:30:00Z","text":"Arrests."}`},
	}
	for _, x := range setup {
		msg, err := statement.Sign([]byte(x.obj), signers[x.who])
		if err != nil {
			f.Fatal(err)
		}
		apply(msg)
	}
	return &s, signers, vkeys["m2"], log
}

// fuzzReport is a full report by m1 accusing b.
const fuzzReport = `{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-01T01:00:00Z","refs":[],"channel":"party","accused":"b",` +
	`"event":{"time":"2025-01-01T00:00:00Z","precision":"exact"},` +
	`"place":{"id":"torkham","name":"Torkham","lat":34.1,"lon":71.1,"geo_precision":1,"admin":[{"country":"PK","admin1":"KP"},{"country":"AF"}]},` +
	`"event_type":"explosions_remote_violence","sub_event_type":"shelling_artillery_missile_attack","categories":["fire"],` +
	`"actors":[{"id":"b-army","label":"B's army","role":"actor1"}],` +
	`"casualties":{"sides":[{"measure":"killed_civilian","country":"PK","low":1,"best":2,"high":3},{"measure":"injured_combatant","party":"b","best":0,"high":1}]},` +
	`"weapons":["mortar"],"observation":{"method":"seen","observer":{"lat":34,"lon":71},"bearing":90,"distance":1500},` +
	`"origin":{"territory":"b","place":"Hill 4"},"clauses":["c1"],` +
	`"evidence":["0000000000000000000000000000000000000000000000000000000000000000"],` +
	`"summary":"Shelling","text":"Shells fell.","language":"en"}`

// FuzzApply signs arbitrary JSON with each known key and applies it: the
// core must never panic, and a refusal must leave the state as it was.
func FuzzApply(f *testing.F) {
	s, signers, m2, log := fuzzState(f)
	// The texts in the log, to check that none is logged twice.
	texts := map[string]bool{}
	for _, msg := range log {
		st, err := statement.Parse(msg)
		if err != nil {
			f.Fatal(err)
		}
		texts[string(st.JSON)] = true
	}
	seeds := []string{
		`{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"summary":"x"}`,
		`{"mechanism":"fuzz","kind":"member.revoke","author":"admin","at":"2025-01-02T00:00:00Z","refs":[],"member":"m1","reason":"r"}`,
		`{"mechanism":"fuzz","kind":"key.rotate","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"member":"m1","key":"` + m2 + `"}`,
		`{"mechanism":"fuzz","kind":"member.enrol","author":"admin","at":"2025-01-02T00:00:00Z","refs":[{"index":1,"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}],"body":"a","key":"` + m2 + `","roles":[],"label":""}`,
		`{"mechanism":"fuzz","kind":"rulebook","author":"founder","at":"2025-01-02T00:00:00Z","refs":[],"rulebook":{"id":"fuzz","version":2}}`,
		`{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-02T00:00:00+01:00","refs":[],"summary":"x","summary":"y"}`,
		// The kinds of evidence, tokens and confidentiality; the fuzzer
		// mutates them into the rest.
		`{"mechanism":"fuzz","kind":"evidence","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"sha256":"` + strings.Repeat("ab", 32) + `","size":10,"media_type":"image/jpeg","collector":"c","custody":{"event":"collected"}}`,
		`{"mechanism":"fuzz","kind":"verification","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"evidence":"` + strings.Repeat("ab", 32) + `","analyst":"a","date":"2025-01-01T00:00:00Z","source":{"result":"passed"},"technical":{"result":"passed"},"content":{"result":"failed"},"result":"not_verified"}`,
		`{"mechanism":"fuzz","kind":"token.issue","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"token":"` + strings.Repeat("cd", 32) + `","expires":"2025-02-01T00:00:00Z"}`,
		`{"mechanism":"fuzz","kind":"token.revoke","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"token":"` + strings.Repeat("cd", 32) + `"}`,
		`{"mechanism":"fuzz","kind":"sealed","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"sealed_kind":"report","visibility":["a"],"digest":"` + strings.Repeat("ef", 32) + `"}`,
		`{"mechanism":"fuzz","kind":"disclosure","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"sealed":3,"salt":"` + strings.Repeat("00", 32) + `","body":{"mechanism":"fuzz","kind":"report","author":"m1"}}`,
	}
	// First, before any seed revokes m1: fuzzState's report again.
	f.Add(fuzzReport, "m1")
	for _, seed := range seeds {
		for _, who := range []string{"founder", "admin", "m1"} {
			f.Add(seed, who)
		}
	}
	for _, x := range fuzzWorkflow {
		f.Add(x.obj, x.who)
	}
	// A second signer, re-ordered: the same texts with other signatures.
	f.Add(fuzzReport, "m1,mon")
	f.Add(fuzzWorkflow[2].obj, "med,board")
	f.Add(fuzzWorkflow[6].obj, "board,board")
	f.Fuzz(func(t *testing.T, obj, who string) {
		var ss []note.Signer
		for _, w := range strings.Split(who, ",") {
			signer, ok := signers[w]
			if !ok {
				return
			}
			ss = append(ss, signer)
		}
		msg, err := statement.Sign([]byte(obj), ss...)
		if err != nil {
			return
		}
		before := fuzzSnapshot(s)
		st, err := s.Open(msg)
		if err != nil {
			if after := fuzzSnapshot(s); after != before {
				t.Fatalf("Open changed the state")
			}
			return
		}
		// Apply to a copy made by replaying would be costly; instead, check
		// that a refusal leaves the observable state unchanged, and undo
		// nothing: a success is fine to keep, as any later input must still
		// be handled.
		if _, err := s.Apply(st); err != nil {
			var e *statement.Error
			if !errors.As(err, &e) {
				t.Fatalf("Apply returned %T, not *statement.Error: %v", err, err)
			}
			if after := fuzzSnapshot(s); after != before {
				t.Fatalf("refused statement (%v) changed the state:\n%s\n%s", err, before, after)
			}
			return
		}
		if texts[string(st.JSON)] {
			t.Fatalf("a text already in the log was accepted again:\n%s", msg)
		}
		texts[string(st.JSON)] = true
		if st.Kind == mechanism.KindPenalty {
			checkPenaltyHeard(t, s, st)
		}
	})
}

// checkPenaltyHeard fails t unless the party the penalty at the end of s
// falls on had its window on the endorsed finding: a reply window opened
// by or after the finding, which it used in time or which has passed.
func checkPenaltyHeard(t *testing.T, s *mechanism.State, st *statement.Statement) {
	var p mechanism.Penalty
	if err := st.Decode(&p); err != nil {
		t.Fatal(err)
	}
	c, ok := s.Case(p.Case)
	if !ok {
		t.Fatalf("penalty on case %d, which does not exist", p.Case)
	}
	for _, d := range c.Deadlines {
		if d.Name == mechanism.DeadlineReply && d.Opened >= p.Finding && slices.Contains(d.Bodies, p.Party) &&
			(slices.Contains(d.Acted, p.Party) || s.Time.After(d.Due)) {
			return
		}
	}
	t.Fatalf("a penalty fell on %q, which had no window on the finding at %d: %+v", p.Party, p.Finding, c.Deadlines)
}

// fuzzSnapshot is a canonical text of the state's observable parts.
func fuzzSnapshot(s *mechanism.State) string {
	type member struct {
		Name, Body, Label string
		Roles             []string
		Active            bool
		Key               string
		Enrolled, Revoked int64
	}
	type commitment struct {
		Index    int64
		Party    string
		Deadline mechanism.Deadline
	}
	var ms []member
	for _, m := range s.Members() {
		ms = append(ms, member{m.Name, m.Body, m.Label, m.Roles, m.Active(), m.Key.VKey, m.Enrolled, m.Revoked})
	}
	var cases []*mechanism.Case
	var commitments []commitment
	for i := range s.Size {
		if c, ok := s.Case(i); ok {
			cases = append(cases, c)
		}
		if party, d, ok := s.Commitment(i); ok {
			commitments = append(commitments, commitment{i, party, *d})
		}
	}
	b, _ := json.Marshal(struct {
		Size        int64
		Time        time.Time
		Rulebook    *mechanism.Rulebook
		Members     []member
		Cases       []*mechanism.Case
		Commitments []commitment
	}{s.Size, s.Time, s.Rulebook, ms, cases, commitments})
	return string(b)
}

// fuzzWorkflow are valid statements of every kind of the workflow, by their
// authors, in an order in which fuzzState accepts them all (see
// TestFuzzWorkflowSeeds): they take case 2 through every stage, the
// finding being at index 7, and refer to fuzzState's commitment (3) and
// action (4).
var fuzzWorkflow = []struct{ who, obj string }{
	{"b", `{` + fuzzHead + `"kind":"reply","author":"b","case":2,"position":"denies","text":"Not us.","language":"ps","actors":[{"id":"ttp","label":"TTP"}],"casualties":{"sides":[{"measure":"killed_civilian","country":"AF","low":0,"best":0,"high":1}]},"evidence":[]}`},
	{"med", `{` + fuzzHead + `"kind":"case.advance","author":"med","case":2,"to":"review","note":"Dispatching a team."}`},
	{"med", `{` + fuzzHead + `"kind":"finding","author":"med","case":2,"outcome":"attributed","party":"b","confidence":"high","rationale":"Craters face b.","clauses":["c1"],"rulebook_version":1}`},
	{"med", `{` + fuzzHead + `"kind":"case.advance","author":"med","case":2,"to":"reply"}`},
	{"med", `{"mechanism":"fuzz","at":"2025-01-09T00:00:00Z","refs":[],"kind":"case.advance","author":"med","case":2,"to":"board"}`},
	{"board", `{` + fuzzHead + `"kind":"endorsement","author":"board","case":2,"finding":7,"text":"Endorsed."}`},
	{"board", `{` + fuzzHead + `"kind":"penalty","author":"board","case":2,"finding":7,"penalty":"censure","party":"b","text":"Censured."}`},
	{"board", `{` + fuzzHead + `"kind":"case.advance","author":"board","case":2,"to":"published"}`},
	{"m1", strings.Replace(fuzzReport, `"summary":"Shelling"`, `"summary":"Shelling again"`, 1)},
	{"m1", strings.Replace(fuzzReport, `"refs":[],`, `"refs":[],"case":2,`, 1)},
	{"m1", `{` + fuzzHead + `"kind":"commitment","author":"m1","group":{"id":"ttp","label":"TTP","role":"associated"},"place":{"name":"Kurram","geo_precision":3},"deadline":"2025-03-01T00:00:00Z","text":"We will act.","clauses":["c1"]}`},
	{"m1", `{` + fuzzHead + `"kind":"action","author":"m1","commitment":3,"group":{"id":"ttp","label":"TTP"},"place":{"name":"Kurram","geo_precision":3},"time":"2025-01-01T12:00:00Z","text":"Raid.","evidence":[]}`},
	{"med", `{` + fuzzHead + `"kind":"action","author":"med","verifies":4,"result":"confirmed","text":"Seen."}`},
	{"mon", `{` + fuzzHead + `"kind":"crossing.status","author":"mon","crossing":"torkham","name":"Torkham","side":"a","status":"restricted","allowed":["refugees_leaving"],"since":"2025-01-01T00:00:00Z","text":"Open to refugees."}`},
	{"mon", `{` + fuzzHead + `"kind":"crossing.status","author":"mon","crossing":"chaman","name":"Chaman","side":"b","status":"closed","since":"2025-01-01T00:00:00Z"}`},
	{"med", `{` + fuzzHead + `"kind":"meeting","author":"med","round":1,"place":"Doha","start":"2025-01-01T09:00:00Z","end":"2025-01-01T17:00:00Z","bodies":["a","b","med"],"agenda":[2],"outcome":"Agreed."}`},
	{"med", `{` + fuzzHead + `"kind":"publication","author":"med","title":"Monthly report","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0,"from":"2025-01-01T00:00:00Z","to":"2025-01-31T00:00:00Z","url":"https://example.org/r.pdf"}`},
	{"mon", `{` + fuzzHead + `"kind":"place","author":"mon","id":"badani","name":"Badani","names":{"ur":"بادانی"},"aliases":["Badanai"],"lat":30.9,"lon":66.4,"geo_precision":2,"type":"village","admin":[{"country":"PK","admin1":"Balochistan","admin2":"Chaman"}],"source":"Approximate."}`},
}

// fuzzHead is the start of a statement of fuzzWorkflow.
const fuzzHead = `"mechanism":"fuzz","at":"2025-01-02T00:00:00Z","refs":[],`

// TestFuzzWorkflowSeeds checks that the seeds of FuzzApply are valid, so
// that the fuzzer starts from statements that reach every check.
func TestFuzzWorkflowSeeds(t *testing.T) {
	s, signers, _, _ := fuzzState(t)
	for i, x := range fuzzWorkflow {
		msg, err := statement.Sign([]byte(x.obj), signers[x.who])
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		st, err := s.Open(msg)
		if err == nil {
			_, err = s.Apply(st)
		}
		if err != nil {
			t.Fatalf("seed %d refused: %v\n%s", i, err, x.obj)
		}
	}
	c, _ := s.Case(2)
	if c.Stage != "published" || c.Finding != 7 || c.Endorsed != 10 || len(c.Penalties) != 1 || len(c.Reports) != 2 {
		t.Errorf("case 2 after the seeds = %+v", c)
	}
}

var fuzzGenesisTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzCheckSealed feeds arbitrary sealed bodies to State.CheckSealed: it
// never panics, refuses with a *statement.Error, and never changes the
// state.
func FuzzCheckSealed(f *testing.F) {
	s, _, _, _ := fuzzState(f)
	f.Add([]byte(fuzzReport), mechanism.KindReport, "m1")
	for _, x := range fuzzWorkflow {
		f.Add([]byte(x.obj), mechanism.KindReply, x.who)
	}
	f.Add([]byte(`{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-02T00:00:00Z","Summary":"x"}`), mechanism.KindReport, "m1")
	f.Fuzz(func(t *testing.T, body []byte, kind, author string) {
		before := fuzzSnapshot(s)
		err := s.CheckSealed(body, &mechanism.Sealed{SealedKind: kind}, author)
		var e *statement.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("CheckSealed returned %T, not *statement.Error: %v", err, err)
		}
		if after := fuzzSnapshot(s); after != before {
			t.Fatalf("CheckSealed changed the state:\n%s\n%s", before, after)
		}
	})
}
