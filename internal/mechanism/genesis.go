package mechanism

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// DefaultRulebook is the rulebook of the October 2025 Pakistan–Afghanistan
// truce, as a template: its founders and administrators have no keys yet.
//
//go:embed rulebooks/pak-afg-2025.json
var DefaultRulebook []byte

// ParseRulebook reads a rulebook file strictly: unknown fields and trailing
// data are refused. An empty list that the rulebook writes only when it
// holds something (a stage's by and allows) is read as none, as it would
// be written.
func ParseRulebook(b []byte) (*Rulebook, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var rb Rulebook
	if err := d.Decode(&rb); err != nil {
		return nil, fmt.Errorf("couldn't read rulebook: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("couldn't read rulebook: trailing data after the JSON object")
	}
	for i := range rb.Stages {
		s := &rb.Stages[i]
		if len(s.By) == 0 {
			s.By = nil
		}
		if len(s.Allows) == 0 {
			s.Allows = nil
		}
	}
	return &rb, nil
}

// Genesis returns the signed rulebook statement that starts a mechanism's log,
// written by the first signer at time at and signed by every signer.
func Genesis(rb *Rulebook, at time.Time, signers ...note.Signer) ([]byte, error) {
	return RulebookStatement(rb, at, nil, signers...)
}

// RulebookStatement returns a signed rulebook statement (the genesis, or an
// amendment that refers to refs), written by the first signer.
func RulebookStatement(rb *Rulebook, at time.Time, refs []statement.Ref, signers ...note.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, fmt.Errorf("a rulebook statement needs at least one founder's key")
	}
	if refs == nil {
		refs = []statement.Ref{}
	}
	obj, err := json.Marshal(rulebookStatement{
		Fields: statement.Fields{
			Mechanism: rb.ID,
			Kind:      KindRulebook,
			Author:    signers[0].Name(),
			At:        statement.FormatTime(at),
			Refs:      refs,
		},
		Rulebook: *rb,
	})
	if err != nil {
		return nil, err
	}
	return statement.Sign(obj, signers...)
}

type rulebookStatement struct {
	statement.Fields
	Rulebook Rulebook `json:"rulebook"`
}

// founderSigners counts the distinct founder keys of rb that signed st.
func founderSigners(rb *Rulebook, st *statement.Statement) int {
	n := 0
	for _, k := range rb.Founders.Keys {
		v, err := statement.ParseVerifierKey(k)
		if err == nil && st.SignedBy(v.Name(), v.KeyHash()) {
			n++
		}
	}
	return n
}

// decodeRulebook decodes and checks the rulebook a statement carries.
func decodeRulebook(st *statement.Statement) (*Rulebook, error) {
	var rs rulebookStatement
	if err := st.Decode(&rs); err != nil {
		return nil, err
	}
	if err := rs.Rulebook.check(); err != nil {
		return nil, err
	}
	return &rs.Rulebook, nil
}

func (s *State) genesis(st *statement.Statement) error {
	rb, err := decodeRulebook(st)
	if err != nil {
		return err
	}
	if rb.Version != 1 {
		return statement.Invalid("the genesis rulebook must have version 1, not %d", rb.Version)
	}
	if st.Mechanism != rb.ID {
		return statement.Invalid("statement names mechanism %q but the rulebook's id is %q", st.Mechanism, rb.ID)
	}
	if n := founderSigners(rb, st); n < rb.Founders.Quorum {
		return statement.Forbidden("the genesis rulebook needs %d founders' signatures; it has %d", rb.Founders.Quorum, n)
	}
	if len(st.Refs) != 0 {
		return statement.Invalid("the genesis rulebook cannot refer to earlier statements")
	}
	s.members = map[string]*Member{}
	s.keys = map[string][]*Key{}
	s.setRulebook(rb, 0)
	s.Size = 1
	return nil
}

func (s *State) applyRulebook(st *statement.Statement, _ time.Time) error {
	rb, err := decodeRulebook(st)
	if err != nil {
		return err
	}
	old := s.Rulebook
	if rb.ID != old.ID {
		return statement.Invalid("an amendment cannot change the mechanism id")
	}
	if rb.LogOrigin != old.LogOrigin {
		return statement.Invalid("an amendment cannot change the log origin")
	}
	if rb.RulesVersion() < old.RulesVersion() {
		return statement.Invalid("an amendment cannot go back from rules %d to rules %d", old.RulesVersion(), rb.RulesVersion())
	}
	if rb.Version != old.Version+1 {
		return statement.Invalid("the amendment must have version %d, not %d", old.Version+1, rb.Version)
	}
	// The rulebook in force decides who may amend it.
	if n := founderSigners(old, st); n < old.Founders.Quorum {
		return statement.Forbidden("an amendment needs %d founders' signatures; it has %d", old.Founders.Quorum, n)
	}
	for _, b := range old.Bodies {
		if _, ok := rb.Body(b.ID); !ok {
			return statement.Invalid("an amendment cannot remove body %q", b.ID)
		}
	}
	// An amendment is a whole rulebook: one written from a template that
	// has no witnesses would drop them without anyone meaning to.
	if old.Witnesses != nil && rb.Witnesses == nil {
		return statement.Invalid("an amendment cannot drop the witnesses; list them again (it may add, remove or change them)")
	}
	for _, st := range old.Stages {
		if rb.Stage(st.ID) < 0 {
			return statement.Invalid("an amendment cannot remove stage %q; cases may be in it", st.ID)
		}
	}
	// A key that has ended stays ended: keys are never reused.
	for _, nk := range rulebookKeys(rb) {
		v, _ := statement.ParseVerifierKey(nk.vkey)
		if k := s.key(nk.name, v.KeyHash()); k != nil && !k.Active {
			return statement.Invalid("the amendment names key %q, which ended at index %d; keys are never reused", nk.name, k.Until)
		}
	}
	// A rulebook key may not take the name of an enrolled member.
	for name, m := range s.members {
		if m.HasRole(RoleFounder) || m.HasRole(RoleAdmin) {
			continue
		}
		for _, vk := range rulebookKeys(rb) {
			if vk.name == name {
				return statement.Invalid("the amendment names key %q, which is an enrolled member", name)
			}
		}
	}
	s.setRulebook(rb, s.Size)
	return nil
}

type namedKey struct{ name, vkey, body, role string }

// rulebookKeys lists the keys a rulebook names, with their roles.
func rulebookKeys(rb *Rulebook) []namedKey {
	var out []namedKey
	for _, k := range rb.Founders.Keys {
		v, _ := statement.ParseVerifierKey(k)
		out = append(out, namedKey{v.Name(), k, "", RoleFounder})
	}
	for _, b := range rb.Bodies {
		for _, k := range b.Administrators {
			v, _ := statement.ParseVerifierKey(k)
			out = append(out, namedKey{v.Name(), k, b.ID, RoleAdmin})
		}
	}
	return out
}

// setRulebook puts rb in force at log index idx: founders and
// administrators it names become active members; those it no longer names
// lose those roles, and their keys end if no role is left.
func (s *State) setRulebook(rb *Rulebook, idx int64) {
	s.Rulebook = rb
	want := map[string]*Member{}
	for _, nk := range rulebookKeys(rb) {
		m := want[nk.name]
		if m == nil {
			m = &Member{Name: nk.name, Enrolled: idx, Revoked: -1}
			want[nk.name] = m
		}
		if nk.body != "" {
			m.Body = nk.body
		}
		m.Roles = append(m.Roles, nk.role)
		m.Label = nk.vkey // replaced below by the key
	}
	// End rulebook roles that are gone. Members are taken in name order,
	// so that the effects are the same on every replay.
	for _, name := range slices.Sorted(maps.Keys(s.members)) {
		m := s.members[name]
		if !(m.HasRole(RoleFounder) || m.HasRole(RoleAdmin)) || !m.Active() {
			continue
		}
		w, ok := want[name]
		if ok && w.Label == m.Key.VKey {
			continue
		}
		m.Key.Active = false
		m.Key.Until = idx
		m.Revoked = idx
		s.ring = nil
		s.changed = append(s.changed, m)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		vkey := w.Label
		w.Label = ""
		sort.Strings(w.Roles)
		w.Roles = slices.Compact(w.Roles)
		if m, ok := s.members[name]; ok && m.Active() && m.Key.VKey == vkey {
			m.Roles, m.Body = w.Roles, w.Body
			s.changed = append(s.changed, m)
			continue
		}
		v, _ := statement.ParseVerifierKey(vkey)
		k := &Key{Name: name, Hash: v.KeyHash(), VKey: vkey, Active: true, Since: idx, Until: -1, verifier: v}
		w.Key = k
		s.members[name] = w
		s.keys[name] = append(s.keys[name], k)
		s.ring = nil
		s.changed = append(s.changed, w)
	}
}
