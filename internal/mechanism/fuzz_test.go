package mechanism_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// fuzzState is a mechanism with one founder, one body administered by
// "admin", and one enrolled member, "m1".
func fuzzState(f *testing.F) (*mechanism.State, map[string]note.Signer, string) {
	signers := map[string]note.Signer{}
	vkeys := map[string]string{}
	for _, name := range []string{"founder", "admin", "m1", "m2"} {
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
	rb := &mechanism.Rulebook{
		ID: "fuzz", Version: 1, Title: "fuzz", LogOrigin: "example.org/fuzz",
		Founders: mechanism.Group{Keys: []string{vkeys["founder"]}, Quorum: 1},
		Bodies:   []mechanism.Body{{ID: "a", Type: mechanism.BodyParty, Name: "A", Administrators: []string{vkeys["admin"]}}},
	}
	var s mechanism.State
	apply := func(msg []byte) {
		st, err := s.Open(msg)
		if err == nil {
			err = s.Apply(st)
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
	enrol := fmt.Sprintf(`{"mechanism":"fuzz","kind":"member.enrol","author":"admin","at":"2025-01-01T00:00:00Z","refs":[],"body":"a","key":%q,"roles":["reporter"],"label":""}`, vkeys["m1"])
	msg, err := statement.Sign([]byte(enrol), signers["admin"])
	if err != nil {
		f.Fatal(err)
	}
	apply(msg)
	return &s, signers, vkeys["m2"]
}

// FuzzApply signs arbitrary JSON with each known key and applies it: the
// core must never panic, and a refusal must leave the state as it was.
func FuzzApply(f *testing.F) {
	s, signers, m2 := fuzzState(f)
	seeds := []string{
		`{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"summary":"x"}`,
		`{"mechanism":"fuzz","kind":"member.revoke","author":"admin","at":"2025-01-02T00:00:00Z","refs":[],"member":"m1","reason":"r"}`,
		`{"mechanism":"fuzz","kind":"key.rotate","author":"m1","at":"2025-01-02T00:00:00Z","refs":[],"member":"m1","key":"` + m2 + `"}`,
		`{"mechanism":"fuzz","kind":"member.enrol","author":"admin","at":"2025-01-02T00:00:00Z","refs":[{"index":1,"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}],"body":"a","key":"` + m2 + `","roles":[],"label":""}`,
		`{"mechanism":"fuzz","kind":"rulebook","author":"founder","at":"2025-01-02T00:00:00Z","refs":[],"rulebook":{"id":"fuzz","version":2}}`,
		`{"mechanism":"fuzz","kind":"report","author":"m1","at":"2025-01-02T00:00:00+01:00","refs":[],"summary":"x","summary":"y"}`,
	}
	for _, seed := range seeds {
		for _, who := range []string{"founder", "admin", "m1"} {
			f.Add(seed, who)
		}
	}
	f.Fuzz(func(t *testing.T, obj, who string) {
		signer, ok := signers[who]
		if !ok {
			return
		}
		msg, err := statement.Sign([]byte(obj), signer)
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
		if err := s.Apply(st); err != nil {
			var e *statement.Error
			if !errors.As(err, &e) {
				t.Fatalf("Apply returned %T, not *statement.Error: %v", err, err)
			}
			if after := fuzzSnapshot(s); after != before {
				t.Fatalf("refused statement (%v) changed the state:\n%s\n%s", err, before, after)
			}
		}
	})
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
	var ms []member
	for _, m := range s.Members() {
		ms = append(ms, member{m.Name, m.Body, m.Label, m.Roles, m.Active(), m.Key.VKey, m.Enrolled, m.Revoked})
	}
	b, _ := json.Marshal(struct {
		Size     int64
		Rulebook *mechanism.Rulebook
		Members  []member
	}{s.Size, s.Rulebook, ms})
	return string(b)
}

var fuzzGenesisTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
