package mechanism

import (
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/statement"
)

type enrolStatement struct {
	statement.Fields
	Body  string   `json:"body"`
	Key   string   `json:"key"`
	Roles []string `json:"roles"`
	Label string   `json:"label"`
}

type revokeStatement struct {
	statement.Fields
	Member string `json:"member"`
	Reason string `json:"reason"`
}

type rotateStatement struct {
	statement.Fields
	Member string `json:"member"`
	Key    string `json:"key"`
}

// admin returns the author of st if it is an active administrator of body.
func (s *State) admin(st *statement.Statement, body string) (*Member, error) {
	m, err := s.author(st)
	if err != nil {
		return nil, err
	}
	if !m.HasRole(RoleAdmin) || m.Body != body {
		return nil, statement.Forbidden("%q is not an administrator of body %q", m.Name, body)
	}
	return m, nil
}

func (s *State) applyMemberEnrol(st *statement.Statement, _ time.Time) error {
	var es enrolStatement
	if err := st.Decode(&es); err != nil {
		return err
	}
	if _, ok := s.Rulebook.Body(es.Body); !ok {
		return statement.Invalid("member.enrol: unknown body %q", es.Body)
	}
	if _, err := s.admin(st, es.Body); err != nil {
		return err
	}
	v, err := statement.ParseVerifierKey(es.Key)
	if err != nil {
		return statement.Invalid("member.enrol: %v", err)
	}
	name := v.Name()
	if _, ok := s.keys[name]; ok {
		return statement.Invalid("member.enrol: the key name %q is taken; names are never reused", name)
	}
	if len(es.Roles) > 16 {
		return statement.Invalid("member.enrol: at most 16 roles")
	}
	for _, r := range es.Roles {
		if !statement.ValidID(r) || r == RoleAdmin || r == RoleFounder {
			return statement.Invalid("member.enrol: role %q is not allowed (roles are identifiers; %q and %q come only from the rulebook)", r, RoleAdmin, RoleFounder)
		}
	}
	if s.rules() >= Rules3 {
		if err := checkText(KindMemberEnrol, "label", es.Label, maxName, false); err != nil {
			return err
		}
	} else if len(es.Label) > 200 || !utf8.ValidString(es.Label) {
		return statement.Invalid("member.enrol: label must be at most 200 bytes of UTF-8")
	}
	roles := slices.Clone(es.Roles)
	sort.Strings(roles)
	roles = slices.Compact(roles)
	k := &Key{Name: name, Hash: v.KeyHash(), VKey: es.Key, Active: true, Since: s.Size, Until: -1, verifier: v}
	m := &Member{Name: name, Body: es.Body, Roles: roles, Label: es.Label, Key: k, Enrolled: s.Size, Revoked: -1}
	s.members[name] = m
	s.keys[name] = []*Key{k}
	s.ring = nil
	s.changed = append(s.changed, m)
	return nil
}

// enrolled returns the active, enrolled (not rulebook-named) member name.
func (s *State) enrolled(kind, name string) (*Member, error) {
	m, ok := s.members[name]
	if !ok {
		return nil, statement.Invalid("%s: unknown member %q", kind, name)
	}
	if !m.Active() {
		return nil, statement.Invalid("%s: member %q was already revoked at index %d", kind, name, m.Revoked)
	}
	if m.HasRole(RoleAdmin) || m.HasRole(RoleFounder) {
		return nil, statement.Invalid("%s: %q is named by the rulebook; change it with a rulebook amendment", kind, name)
	}
	return m, nil
}

func (s *State) applyMemberRevoke(st *statement.Statement, _ time.Time) error {
	var rs revokeStatement
	if err := st.Decode(&rs); err != nil {
		return err
	}
	m, err := s.enrolled(KindMemberRevoke, rs.Member)
	if err != nil {
		return err
	}
	if _, err := s.admin(st, m.Body); err != nil {
		return err
	}
	if s.rules() >= Rules3 {
		if err := checkText(KindMemberRevoke, "reason", rs.Reason, 1000, false); err != nil {
			return err
		}
	} else if len(rs.Reason) > 1000 {
		return statement.Invalid("member.revoke: reason must be at most 1000 bytes")
	}
	m.Key.Active = false
	m.Key.Until = s.Size
	m.Revoked = s.Size
	s.ring = nil
	s.changed = append(s.changed, m)
	return nil
}

func (s *State) applyKeyRotate(st *statement.Statement, _ time.Time) error {
	var rs rotateStatement
	if err := st.Decode(&rs); err != nil {
		return err
	}
	m, err := s.enrolled(KindKeyRotate, rs.Member)
	if err != nil {
		return err
	}
	v, err := statement.ParseVerifierKey(rs.Key)
	if err != nil {
		return statement.Invalid("key.rotate: %v", err)
	}
	if v.Name() != m.Name {
		return statement.Invalid("key.rotate: the new key must keep the name %q, not %q", m.Name, v.Name())
	}
	if s.key(v.Name(), v.KeyHash()) != nil {
		return statement.Invalid("key.rotate: that key was already used; keys are never reused")
	}
	// The author is the member itself or an administrator of its body; the
	// new key must sign too, proving that its holder has it. The new key is
	// not known yet, so its signature is checked by the caller (see Open).
	if st.Author != m.Name {
		if _, err := s.admin(st, m.Body); err != nil {
			return err
		}
	}
	if !st.SignedBy(v.Name(), v.KeyHash()) {
		return statement.Forbidden("key.rotate: the new key must also sign the statement")
	}
	for _, sig := range st.Signers {
		if s.key(sig.Name, sig.Hash) == nil && (sig.Name != v.Name() || sig.Hash != v.KeyHash()) {
			return statement.Forbidden("signature by unknown key %q", sig.Name)
		}
	}
	m.Key.Active = false
	m.Key.Until = s.Size
	k := &Key{Name: m.Name, Hash: v.KeyHash(), VKey: rs.Key, Active: true, Since: s.Size, Until: -1, verifier: v}
	m.Key = k
	s.keys[m.Name] = append(s.keys[m.Name], k)
	s.ring = nil
	s.changed = append(s.changed, m)
	return nil
}
