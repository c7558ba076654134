package mechanism

import (
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/statement"
)

type rulebookStatement struct {
	statement.Fields
	Rulebook Rulebook `json:"rulebook"`
}

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

func (s *State) amend(st *statement.Statement) error {
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
	// End rulebook roles that are gone.
	for name, m := range s.members {
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
	for name, w := range want {
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

func (s *State) enrol(st *statement.Statement) error {
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
	if len(es.Label) > 200 || !utf8.ValidString(es.Label) {
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

func (s *State) revoke(st *statement.Statement) error {
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
	if len(rs.Reason) > 1000 {
		return statement.Invalid("member.revoke: reason must be at most 1000 bytes")
	}
	m.Key.Active = false
	m.Key.Until = s.Size
	m.Revoked = s.Size
	s.ring = nil
	s.changed = append(s.changed, m)
	return nil
}

func (s *State) rotate(st *statement.Statement) error {
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
