package mechanism_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

const (
	mechID = "test-mech"
	origin = "example.org/sulh/test-mech"
	at     = "2025-03-01T12:00:00Z"
)

// tkey is a generated signed-note key.
type tkey struct {
	name, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func (k *tkey) hash() uint32 { return k.verifier.KeyHash() }

func genKey(t testing.TB, name string) *tkey {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &tkey{name: name, vkey: vkey, signer: s, verifier: v}
}

// fixture is a mechanism state with the keys of its participants: two
// founders, five bodies (two parties, two mediators, a board) with one
// administrator each, and three people who can be enrolled.
type fixture struct {
	t     *testing.T
	st    mechanism.State
	keys  map[string]*tkey // by label
	order []string         // labels, in creation order
	log   [][]byte         // the statements applied, by index
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, keys: map[string]*tkey{}}
	for _, n := range []string{"founder-1", "founder-2", "admin-a", "admin-b", "admin-m1", "admin-m2", "admin-board", "alice", "bob", "carol"} {
		f.newKey(n, n)
	}
	return f
}

// newKey makes a key named name, known to the fixture as label.
func (f *fixture) newKey(label, name string) *tkey {
	f.t.Helper()
	if _, ok := f.keys[label]; ok {
		f.t.Fatalf("key %q made twice", label)
	}
	k := genKey(f.t, name)
	f.keys[label] = k
	f.order = append(f.order, label)
	return k
}

func (f *fixture) k(label string) *tkey {
	f.t.Helper()
	k, ok := f.keys[label]
	if !ok {
		f.t.Fatalf("no key %q", label)
	}
	return k
}

// rulebook returns a fresh copy of the genesis rulebook.
func (f *fixture) rulebook() *mechanism.Rulebook {
	return &mechanism.Rulebook{
		ID:        mechID,
		Version:   1,
		Title:     "Test mechanism",
		LogOrigin: origin,
		Founders:  mechanism.Group{Keys: []string{f.k("founder-1").vkey, f.k("founder-2").vkey}, Quorum: 2},
		Bodies: []mechanism.Body{
			{ID: "party-a", Type: mechanism.BodyParty, Name: "Party A", TimeZone: "east", Administrators: []string{f.k("admin-a").vkey}},
			{ID: "party-b", Type: mechanism.BodyParty, Name: "Party B", TimeZone: "west", Administrators: []string{f.k("admin-b").vkey}},
			{ID: "mediator-1", Type: mechanism.BodyMediator, Name: "Mediator One", Administrators: []string{f.k("admin-m1").vkey}},
			{ID: "mediator-2", Type: mechanism.BodyMediator, Name: "Mediator Two", Administrators: []string{f.k("admin-m2").vkey}},
			{ID: "board", Type: mechanism.BodyBoard, Name: "Board", Administrators: []string{f.k("admin-board").vkey}},
		},
		Quorums: map[string]mechanism.Quorum{
			"ceasefire":                 {Bodies: []string{"party-a", "party-b"}, Min: 2},
			mechanism.QuorumFinding:     {Bodies: []string{"mediator-1", "mediator-2"}, Min: 2},
			mechanism.QuorumEndorsement: {Bodies: []string{"board"}, Min: 1, Signers: 2},
			mechanism.QuorumPenalty:     {Bodies: []string{"board"}, Min: 1, Signers: 2},
		},
		TimeZones: []mechanism.TimeZone{{Name: "east", Offset: "+03:00"}, {Name: "west", Offset: "-04:30"}},
		Deadlines: map[string]string{"response": "72h", "appeal": "1h30m", mechanism.DeadlineReply: "72h", "team_dispatch": "48h", "finding": "336h"},
		Clauses: []mechanism.Clause{
			{ID: "no-shelling", Text: "No party shells the other's positions."},
			{ID: "corridor", Text: "The northern corridor stays open."},
		},
		// The default rulebook's workflow, but technical_committee is
		// entered only by mediator-1, named by id rather than by type.
		Stages: []mechanism.Stage{
			{ID: "received", Name: "Received"},
			{ID: "preliminary", Name: "Preliminary assessment", By: []string{mechanism.BodyMediator}},
			{ID: "investigation", Name: "Investigation", By: []string{mechanism.BodyMediator}, Due: "team_dispatch"},
			{ID: "draft", Name: "Draft finding", By: []string{mechanism.BodyMediator}, Allows: []string{mechanism.KindFinding}},
			{ID: "party_reply", Name: "Party reply", By: []string{mechanism.BodyMediator}, Requires: mechanism.KindFinding, Due: "finding", Reply: true},
			{ID: "technical_committee", Name: "Technical committee", By: []string{"mediator-1"}, Allows: []string{mechanism.KindFinding}},
			{ID: "board", Name: "Board", By: []string{mechanism.BodyMediator}, Requires: mechanism.KindFinding, Allows: []string{mechanism.KindEndorsement}},
			{ID: "published", Name: "Published", By: []string{"board", mechanism.BodyMediator}, Requires: mechanism.KindEndorsement},
		},
		Categories: []mechanism.Clause{
			{ID: "cross_border_fire", Text: "Cross-border fire"},
			{ID: "incursion", Text: "Incursion by forces into the other's territory"},
		},
		Confidence: []string{"low", "moderate", "high"},
		Penalties: []mechanism.Clause{
			{ID: "censure", Text: "Public statement of the violation"},
			{ID: "compensation", Text: "Compensation to the victims"},
		},
	}
}

// amended returns the rulebook in force with its version raised by one.
func (f *fixture) amended() *mechanism.Rulebook {
	f.t.Helper()
	b, err := json.Marshal(f.st.Rulebook)
	if err != nil {
		f.t.Fatal(err)
	}
	var rb mechanism.Rulebook
	if err := json.Unmarshal(b, &rb); err != nil {
		f.t.Fatal(err)
	}
	rb.Version++
	return &rb
}

type fields map[string]any

// obj returns a statement object of kind by author, with extra fields; a
// nil value removes a field.
func (f *fixture) obj(kind, author string, extra fields) []byte {
	f.t.Helper()
	m := fields{"mechanism": mechID, "kind": kind, "author": author, "at": at}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// sign signs obj with the keys labelled signers.
func (f *fixture) sign(obj []byte, signers ...string) []byte {
	f.t.Helper()
	var ss []note.Signer
	for _, l := range signers {
		ss = append(ss, f.k(l).signer)
	}
	msg, err := statement.Sign(obj, ss...)
	if err != nil {
		f.t.Fatalf("Sign: %v", err)
	}
	return msg
}

// rulebookMsg is a rulebook statement by the first signer (founders 1 and 2
// by default).
func (f *fixture) rulebookMsg(rb *mechanism.Rulebook, signers ...string) []byte {
	f.t.Helper()
	if len(signers) == 0 {
		signers = []string{"founder-1", "founder-2"}
	}
	return f.sign(f.obj(mechanism.KindRulebook, f.k(signers[0]).name, fields{"rulebook": rb}), signers...)
}

func (f *fixture) enrolMsg(admin, body, member string, roles ...string) []byte {
	f.t.Helper()
	return f.sign(f.obj(mechanism.KindMemberEnrol, f.k(admin).name, fields{
		"body": body, "key": f.k(member).vkey, "roles": roles, "label": "member " + member,
	}), admin)
}

func (f *fixture) revokeMsg(admin, member string) []byte {
	f.t.Helper()
	return f.sign(f.obj(mechanism.KindMemberRevoke, f.k(admin).name, fields{"member": member, "reason": "left"}), admin)
}

// rotateMsg is a key.rotate of member to the key labelled newKey, by the
// first signer.
func (f *fixture) rotateMsg(member, newKey string, signers ...string) []byte {
	f.t.Helper()
	return f.sign(f.obj(mechanism.KindKeyRotate, f.k(signers[0]).name, fields{"member": member, "key": f.k(newKey).vkey}), signers...)
}

// reportMsg is a minimal valid report by author that opens a case with no
// accused party: the channel is the one of the author's body (party,
// mediator or monitor), "party" when the author has none.
func (f *fixture) reportMsg(author, summary string) []byte {
	f.t.Helper()
	return f.sign(f.obj(mechanism.KindReport, f.k(author).name, fields{
		"channel":        f.channel(author),
		"event":          fields{"time": "2025-03-01T06:00:00Z", "precision": "day"},
		"place":          fields{"name": "Torkham", "geo_precision": 2},
		"event_type":     "battles",
		"sub_event_type": "armed_clash",
		"summary":        summary,
		"text":           "details",
		"language":       "en",
	}), author)
}

// channel is the report channel of the body of the key labelled label.
func (f *fixture) channel(label string) string {
	if m, ok := f.st.Member(f.k(label).name); ok && f.st.Rulebook != nil {
		if b, ok := f.st.Rulebook.Body(m.Body); ok && (b.Type == mechanism.BodyMediator || b.Type == mechanism.BodyMonitor) {
			return b.Type
		}
	}
	return "party"
}

// submit opens msg against the state and applies it.
func (f *fixture) submit(msg []byte) error {
	st, err := f.st.Open(msg)
	if err != nil {
		return err
	}
	if _, err := f.st.Apply(st); err != nil {
		return err
	}
	f.log = append(f.log, msg)
	return nil
}

// must submits msg and fails the test if it is refused.
func (f *fixture) must(msg []byte) {
	f.t.Helper()
	size := f.st.Size
	if err := f.submit(msg); err != nil {
		f.t.Fatalf("statement %d refused: %v\n%s", size, err, msg)
	}
	if f.st.Size != size+1 {
		f.t.Fatalf("Size = %d after applying statement %d", f.st.Size, size)
	}
}

func (f *fixture) member(name string) *mechanism.Member {
	f.t.Helper()
	m, ok := f.st.Member(name)
	if !ok {
		f.t.Fatalf("no member %q", name)
	}
	return m
}

// setUp returns a fixture with the genesis rulebook (index 0), alice
// enrolled in party-a (index 1) and bob in party-b (index 2).
func setUp(t *testing.T) *fixture {
	f := newFixture(t)
	f.must(f.rulebookMsg(f.rulebook()))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	return f
}

type keySnap struct {
	VKey         string
	Active       bool
	Since, Until int64
}

type memberSnap struct {
	Name, Body, Label string
	Roles             []string
	Active            bool
	Key               *keySnap
	Enrolled, Revoked int64
}

type deadlineSnap struct {
	Subject, Opened int64
	Name, Stage     string
	Bodies          []string
	Due             time.Time
	Status          string
	Closed          int64
}

func snapDeadline(d *mechanism.Deadline) deadlineSnap {
	return deadlineSnap{d.Subject, d.Opened, d.Name, d.Stage, slices.Clone(d.Bodies), d.Due, d.Status, d.Closed}
}

type caseSnap struct {
	ID                         int64
	Stage                      string
	Entered                    int64
	Opened                     time.Time
	Reporter, Accused          string
	Reports, Replies, Findings []int64
	Finding                    int64
	Outcome, Party             string
	Endorsed                   int64
	Penalties                  []int64
	Deadlines                  []deadlineSnap
	Updated                    int64
}

func snapCase(c *mechanism.Case) caseSnap {
	cs := caseSnap{c.ID, c.Stage, c.Entered, c.Opened, c.Reporter, c.Accused,
		slices.Clone(c.Reports), slices.Clone(c.Replies), slices.Clone(c.Findings),
		c.Finding, c.Outcome, c.Party, c.Endorsed, slices.Clone(c.Penalties), nil, c.Updated}
	for _, d := range c.Deadlines {
		cs.Deadlines = append(cs.Deadlines, snapDeadline(d))
	}
	return cs
}

type commitmentSnap struct {
	Index    int64
	Party    string
	Deadline deadlineSnap
}

type snapshot struct {
	Size        int64
	Time        time.Time
	Rulebook    string
	Members     []memberSnap
	Known       []string // labels of the keys the keyring knows
	Cases       []caseSnap
	Commitments []commitmentSnap
}

// snapshot copies what the state knows, to compare it before and after a
// refusal.
func (f *fixture) snapshot() snapshot {
	f.t.Helper()
	rb, err := json.Marshal(f.st.Rulebook)
	if err != nil {
		f.t.Fatal(err)
	}
	s := snapshot{Size: f.st.Size, Time: f.st.Time, Rulebook: string(rb)}
	for i := range f.st.Size {
		if c, ok := f.st.Case(i); ok {
			s.Cases = append(s.Cases, snapCase(c))
		}
		if party, d, ok := f.st.Commitment(i); ok {
			s.Commitments = append(s.Commitments, commitmentSnap{i, party, snapDeadline(d)})
		}
	}
	for _, m := range f.st.Members() {
		ms := memberSnap{Name: m.Name, Body: m.Body, Label: m.Label, Roles: slices.Clone(m.Roles),
			Active: m.Active(), Enrolled: m.Enrolled, Revoked: m.Revoked}
		if m.Key != nil {
			ms.Key = &keySnap{m.Key.VKey, m.Key.Active, m.Key.Since, m.Key.Until}
		}
		s.Members = append(s.Members, ms)
	}
	ring := f.st.Keys()
	for _, l := range f.order {
		k := f.keys[l]
		if _, err := ring.Verifier(k.name, k.hash()); err == nil {
			s.Known = append(s.Known, l)
		}
	}
	return s
}

// wantError checks that err is a *statement.Error with code whose reason
// mentions every string in want.
func wantError(t *testing.T, err error, code statement.Code, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a %s refusal mentioning %q", code, want)
	}
	var e *statement.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %q, want a *statement.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %q (reason %q), want %q", e.Code, e.Reason, code)
	}
	for _, w := range want {
		if !strings.Contains(e.Reason, w) {
			t.Errorf("reason %q does not mention %q", e.Reason, w)
		}
	}
}

// refuse submits msg, checks the refusal, checks that the state did not
// change, and checks that the state still takes the next statement.
func (f *fixture) refuse(msg []byte, code statement.Code, want ...string) {
	f.t.Helper()
	before := f.snapshot()
	err := f.submit(msg)
	wantError(f.t, err, code, want...)
	if after := f.snapshot(); !reflect.DeepEqual(before, after) {
		f.t.Errorf("a refused statement changed the state:\nbefore %+v\nafter  %+v", before, after)
	}
	if f.st.Size > 0 {
		f.must(f.reportMsg("admin-m1", "still working"))
	}
}

func TestGenesis(t *testing.T) {
	f := newFixture(t)
	f.must(f.rulebookMsg(f.rulebook()))
	if f.st.Rulebook == nil || f.st.Rulebook.Version != 1 || f.st.Rulebook.ID != mechID {
		t.Fatalf("Rulebook = %+v", f.st.Rulebook)
	}
	want := []struct{ name, body, role string }{
		{"admin-a", "party-a", mechanism.RoleAdmin},
		{"admin-b", "party-b", mechanism.RoleAdmin},
		{"admin-board", "board", mechanism.RoleAdmin},
		{"admin-m1", "mediator-1", mechanism.RoleAdmin},
		{"admin-m2", "mediator-2", mechanism.RoleAdmin},
		{"founder-1", "", mechanism.RoleFounder},
		{"founder-2", "", mechanism.RoleFounder},
	}
	ms := f.st.Members()
	if len(ms) != len(want) {
		t.Fatalf("%d members, want %d", len(ms), len(want))
	}
	for i, w := range want {
		m := ms[i]
		if m.Name != w.name || m.Body != w.body || !slices.Equal(m.Roles, []string{w.role}) {
			t.Errorf("member %d = %s/%s/%v, want %s/%s/[%s] (sorted by name)", i, m.Name, m.Body, m.Roles, w.name, w.body, w.role)
		}
		if !m.Active() || m.Enrolled != 0 || m.Revoked != -1 {
			t.Errorf("member %s: active %v, enrolled %d, revoked %d", m.Name, m.Active(), m.Enrolled, m.Revoked)
		}
		k := f.k(w.name)
		if m.Key.Name != w.name || m.Key.VKey != k.vkey || m.Key.Hash != k.hash() || !m.Key.Active || m.Key.Since != 0 || m.Key.Until != -1 {
			t.Errorf("member %s key = %+v", m.Name, m.Key)
		}
		if !m.HasRole(w.role) || m.HasRole("observer") {
			t.Errorf("member %s HasRole is wrong", m.Name)
		}
	}
	if _, ok := f.st.Member("alice"); ok {
		t.Errorf("alice is a member before enrolment")
	}
	if rb, ok := f.st.Rulebook.Body("party-b"); !ok || rb.Name != "Party B" {
		t.Errorf("Body(party-b) = %+v, %v", rb, ok)
	}
	if _, ok := f.st.Rulebook.Body("party-z"); ok {
		t.Errorf("Body(party-z) found")
	}
}

func TestGenesisFounderAlsoAdmin(t *testing.T) {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Bodies[0].Administrators = append(rb.Bodies[0].Administrators, f.k("founder-1").vkey)
	f.must(f.rulebookMsg(rb))
	m := f.member("founder-1")
	if m.Body != "party-a" || !slices.Equal(m.Roles, []string{mechanism.RoleAdmin, mechanism.RoleFounder}) {
		t.Errorf("founder-1 = body %q roles %v, want party-a [admin founder]", m.Body, m.Roles)
	}
	// As an administrator of party-a, founder-1 enrols and files reports.
	f.must(f.enrolMsg("founder-1", "party-a", "alice"))
	f.must(f.reportMsg("founder-1", "seen"))
}

// TestGenesisRefusals covers the refusals of a first statement. Apply gets
// statements opened against every key the fixture has, so that each
// reaches the check it is about; State.Open (which verifies against the
// founders the rulebook names) must refuse them too.
func TestGenesisRefusals(t *testing.T) {
	mod := func(change func(f *fixture, rb *mechanism.Rulebook)) func(f *fixture) []byte {
		return func(f *fixture) []byte {
			rb := f.rulebook()
			change(f, rb)
			return f.rulebookMsg(rb)
		}
	}
	tests := []struct {
		name string
		msg  func(f *fixture) []byte
		code statement.Code
		want []string
	}{
		{"not a rulebook", func(f *fixture) []byte { return f.reportMsg("founder-1", "hello") },
			statement.CodeInvalid, []string{"first statement of a log must be a rulebook", `"report"`}},
		{"enrolment first", func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "alice") },
			statement.CodeInvalid, []string{"must be a rulebook", `"member.enrol"`}},
		{"wrong mechanism id", func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindRulebook, "founder-1", fields{"mechanism": "other-mech", "rulebook": f.rulebook()}), "founder-1", "founder-2")
		}, statement.CodeInvalid, []string{`"other-mech"`, `"test-mech"`}},
		{"one founder of a quorum of two", func(f *fixture) []byte { return f.rulebookMsg(f.rulebook(), "founder-1") },
			statement.CodeForbidden, []string{"needs 2 founders' signatures; it has 1"}},
		{"founder and administrator, quorum two", func(f *fixture) []byte { return f.rulebookMsg(f.rulebook(), "founder-1", "admin-a") },
			statement.CodeForbidden, []string{"needs 2 founders' signatures; it has 1"}},
		{"no founder", func(f *fixture) []byte { return f.rulebookMsg(f.rulebook(), "admin-a", "admin-b") },
			statement.CodeForbidden, []string{"needs 2 founders' signatures; it has 0"}},
		{"version 2", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Version = 2 }),
			statement.CodeInvalid, []string{"must have version 1, not 2"}},
		{"version 0", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Version = 0 }),
			statement.CodeInvalid, []string{"version must be 1 or more"}},
		{"refs", func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindRulebook, "founder-1", fields{"rulebook": f.rulebook(), "refs": []statement.Ref{{Index: 0}}}), "founder-1", "founder-2")
		}, statement.CodeInvalid, []string{"cannot refer to earlier statements"}},
		{"unknown rulebook field", func(f *fixture) []byte {
			b, _ := json.Marshal(f.rulebook())
			raw := strings.Replace(string(b), `{"id":`, `{"surprise":1,"id":`, 1)
			return f.sign(f.obj(mechanism.KindRulebook, "founder-1", fields{"rulebook": json.RawMessage(raw)}), "founder-1", "founder-2")
		}, statement.CodeMalformed, []string{"invalid rulebook statement", "surprise"}},
		{"unknown statement field", func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindRulebook, "founder-1", fields{"rulebook": f.rulebook(), "motto": "peace"}), "founder-1", "founder-2")
		}, statement.CodeMalformed, []string{"motto"}},

		// Rulebook.check.
		{"bad id", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.ID = "Test Mech" }),
			statement.CodeInvalid, []string{`id "Test Mech" must be an identifier`}},
		{"no title", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Title = "" }),
			statement.CodeInvalid, []string{"title must be 1 to 200 bytes"}},
		{"long title", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Title = strings.Repeat("t", 201) }),
			statement.CodeInvalid, []string{"title must be 1 to 200 bytes"}},
		{"no log origin", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.LogOrigin = "" }),
			statement.CodeInvalid, []string{"log_origin"}},
		{"log origin with a space", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.LogOrigin = "example.org/a b" }),
			statement.CodeInvalid, []string{`log_origin "example.org/a b"`}},
		{"no founders", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Founders = mechanism.Group{Quorum: 0} }),
			statement.CodeInvalid, []string{"founders: at least one key"}},
		{"founders quorum 0", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Founders.Quorum = 0 }),
			statement.CodeInvalid, []string{"founders: quorum must be between 1 and 2"}},
		{"founders quorum over the keys", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Founders.Quorum = 3 }),
			statement.CodeInvalid, []string{"founders: quorum must be between 1 and 2"}},
		{"bad founder key", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Founders.Keys[1] = "founder-2+bad" }),
			statement.CodeInvalid, []string{"invalid verifier key", "founder-2+bad"}},
		{"two keys with one name", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Bodies[0].Administrators = []string{f.newKey("other-admin-b", "admin-b").vkey}
		}), statement.CodeInvalid, []string{`two different keys are named "admin-b"`}},
		{"a key administers two bodies", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Bodies[1].Administrators = append(rb.Bodies[1].Administrators, f.k("admin-a").vkey)
		}), statement.CodeInvalid, []string{`key "admin-a" administers both "party-a" and "party-b"`}},
		{"a key listed twice in one body", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Bodies[0].Administrators = append(rb.Bodies[0].Administrators, f.k("admin-a").vkey)
		}), statement.CodeInvalid, []string{`key "admin-a" is listed twice`}},
		{"time zone without name", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Name = "" }),
			statement.CodeInvalid, []string{"time zone names must be present and unique"}},
		{"duplicate time zone", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[1].Name = "east" }),
			statement.CodeInvalid, []string{"time zone names must be present and unique", `"east"`}},
		{"offset without leading zero", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Offset = "+3:00" }),
			statement.CodeInvalid, []string{`time zone "east": offset "+3:00"`}},
		{"offset beyond 14 hours", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Offset = "+15:00" }),
			statement.CodeInvalid, []string{`offset "+15:00"`}},
		{"offset in odd minutes", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Offset = "+03:10" }),
			statement.CodeInvalid, []string{`offset "+03:10"`}},
		{"offset without sign", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Offset = "03:00" }),
			statement.CodeInvalid, []string{`offset "03:00"`}},
		{"offset by name", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.TimeZones[0].Offset = "UTC" }),
			statement.CodeInvalid, []string{`offset "UTC"`}},
		{"no bodies", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies = nil; rb.Quorums = nil }),
			statement.CodeInvalid, []string{"at least one body"}},
		{"duplicate body id", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[3].ID = "mediator-1" }),
			statement.CodeInvalid, []string{`body id "mediator-1" must be a unique identifier`}},
		{"bad body id", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[0].ID = "Party A" }),
			statement.CodeInvalid, []string{`body id "Party A"`}},
		{"unknown body type", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[0].Type = "army" }),
			statement.CodeInvalid, []string{`body "party-a": type "army" is not one of`}},
		{"body without a name", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[2].Name = "" }),
			statement.CodeInvalid, []string{`body "mediator-1" has no name`}},
		{"body in an unknown time zone", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[1].TimeZone = "north" }),
			statement.CodeInvalid, []string{`body "party-b": time zone "north" is not in time_zones`}},
		{"body without administrators", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[3].Administrators = nil }),
			statement.CodeInvalid, []string{`body "mediator-2" has no administrators`}},
		{"bad administrator key", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Bodies[3].Administrators = []string{"nope"} }),
			statement.CodeInvalid, []string{"invalid verifier key", `"nope"`}},
		{"quorum names an unknown body", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Quorums["ceasefire"] = mechanism.Quorum{Bodies: []string{"party-a", "party-z"}, Min: 1}
		}), statement.CodeInvalid, []string{`quorum "ceasefire" names unknown body "party-z"`}},
		{"quorum min 0", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Quorums["finding"] = mechanism.Quorum{Bodies: []string{"mediator-1", "mediator-2"}, Min: 0}
		}), statement.CodeInvalid, []string{`quorum "finding": min must be between 1 and 2`}},
		{"quorum min over its bodies", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Quorums["finding"] = mechanism.Quorum{Bodies: []string{"mediator-1", "mediator-2"}, Min: 3}
		}), statement.CodeInvalid, []string{`quorum "finding": min must be between 1 and 2`}},
		{"quorum of no bodies", mod(func(f *fixture, rb *mechanism.Rulebook) {
			rb.Quorums["finding"] = mechanism.Quorum{Min: 1}
		}), statement.CodeInvalid, []string{`quorum "finding": min must be between 1 and 0`}},
		{"zero deadline", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Deadlines["response"] = "0s" }),
			statement.CodeInvalid, []string{`deadline "response": "0s" is not a positive duration`}},
		{"negative deadline", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Deadlines["response"] = "-72h" }),
			statement.CodeInvalid, []string{`deadline "response": "-72h" is not a positive duration`}},
		{"deadline in days", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Deadlines["appeal"] = "3d" }),
			statement.CodeInvalid, []string{`deadline "appeal": "3d"`}},
		{"empty deadline", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Deadlines["appeal"] = "" }),
			statement.CodeInvalid, []string{`deadline "appeal"`}},
		{"duplicate clause", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Clauses[1].ID = "no-shelling" }),
			statement.CodeInvalid, []string{`clause "no-shelling" must have a unique identifier and a text`}},
		{"clause without text", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Clauses[1].Text = "" }),
			statement.CodeInvalid, []string{`clause "corridor"`}},
		{"bad clause id", mod(func(f *fixture, rb *mechanism.Rulebook) { rb.Clauses[0].ID = "Article 1" }),
			statement.CodeInvalid, []string{`clause "Article 1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			msg := tt.msg(f)
			var all []note.Verifier
			for _, l := range f.order {
				all = append(all, f.keys[l].verifier)
			}
			st, err := statement.Open(msg, note.VerifierList(all...))
			if err != nil {
				// Refused before Apply: only for kinds State.Open refuses too.
				wantError(t, err, tt.code, tt.want...)
			} else {
				_, err = f.st.Apply(st)
				wantError(t, err, tt.code, tt.want...)
			}
			// State.Open and Apply refuse it too, maybe for another reason.
			if err := f.submit(msg); err == nil {
				t.Errorf("State.Open and Apply accepted it")
			}
			if f.st.Size != 0 || f.st.Rulebook != nil || len(f.st.Members()) != 0 {
				t.Errorf("a refused genesis changed the state: size %d, rulebook %v, %d members", f.st.Size, f.st.Rulebook, len(f.st.Members()))
			}
			// The state still takes a good genesis.
			f.must(f.rulebookMsg(f.rulebook()))
		})
	}
}

// TestOpenGenesis checks that the first statement is verified against the
// founders the rulebook itself names.
func TestOpenGenesis(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		msg  []byte
		code statement.Code
		want []string
	}{
		{"signed by a non-founder", f.rulebookMsg(f.rulebook(), "founder-1", "founder-2", "admin-a"),
			statement.CodeForbidden, []string{"unknown key", `"admin-a"`}},
		{"signed by an outsider only", f.rulebookMsg(f.rulebook(), "carol"),
			statement.CodeForbidden, []string{"unknown key", `"carol"`}},
		{"not a rulebook", f.reportMsg("founder-1", "hi"),
			statement.CodeInvalid, []string{"must be a rulebook", `"report"`}},
		{"bad founder key", func() []byte {
			rb := f.rulebook()
			rb.Founders.Keys[0] = "founder-1+00000000+AAAA"
			return f.rulebookMsg(rb)
		}(), statement.CodeInvalid, []string{"rulebook: founders:", "invalid verifier key"}},
		{"not a statement", []byte("hello\n\n— founder-1 AAAAAAAA\n"),
			statement.CodeMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.st.Open(tt.msg)
			wantError(t, err, tt.code, tt.want...)
		})
	}
	st, err := f.st.Open(f.rulebookMsg(f.rulebook()))
	if err != nil {
		t.Fatalf("Open of a good genesis: %v", err)
	}
	if len(st.Signers) != 2 {
		t.Errorf("Signers = %v", st.Signers)
	}
	if f.st.Size != 0 {
		t.Errorf("Open changed the state")
	}
}

// TestRefusals covers every refusal after genesis. Each case starts from
// setUp (genesis, alice in party-a at 1, bob in party-b at 2) plus its own
// setup, and checks the refusal's code and reason, that the state did not
// change, and that it still takes the next statement.
func TestRefusals(t *testing.T) {
	revokeAlice := func(f *fixture) { f.must(f.revokeMsg("admin-a", "alice")) }
	rotateAlice := func(f *fixture) {
		f.newKey("alice2", "alice")
		f.must(f.rotateMsg("alice", "alice2", "alice", "alice2"))
	}
	replaceAdminA := func(f *fixture) {
		rb := f.amended()
		rb.Bodies[0].Administrators = []string{f.newKey("admin-a2", "admin-a").vkey}
		f.must(f.rulebookMsg(rb))
	}
	tests := []struct {
		name  string
		setup func(f *fixture)
		msg   func(f *fixture) []byte
		code  statement.Code
		want  []string
	}{
		// state.go: Apply.
		{name: "wrong mechanism id", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"mechanism": "other-mech", "summary": "x"}), "alice")
		}, code: statement.CodeInvalid, want: []string{`for mechanism "other-mech"`, `this is "test-mech"`}},
		{name: "unknown kind", msg: func(f *fixture) []byte {
			return f.sign(f.obj("case.open", "alice", fields{"summary": "x"}), "alice")
		}, code: statement.CodeInvalid, want: []string{`unknown statement kind "case.open"`}},
		{name: "ref to the next index", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"summary": "x", "refs": []statement.Ref{{Index: 1, Hash: tlog.RecordHash(f.log[1])}, {Index: 3}}}), "alice")
		}, code: statement.CodeInvalid, want: []string{"refs: index 3 is not in the log yet (size 3)"}},
		{name: "ref with another entry's hash", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"summary": "x", "refs": []statement.Ref{{Index: 1, Hash: tlog.RecordHash(f.log[0])}}}), "alice")
		}, code: statement.CodeInvalid, want: []string{"refs: the entry at index 1 has leaf hash"}},
		{name: "ref far ahead", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"summary": "x", "refs": []statement.Ref{{Index: 1 << 40}}}), "alice")
		}, code: statement.CodeInvalid, want: []string{"is not in the log yet"}},
		{name: "signature by an unknown key", msg: func(f *fixture) []byte { return f.reportMsg("carol", "x") },
			code: statement.CodeForbidden, want: []string{"unknown key", `"carol"`}},
		{name: "co-signed by an unknown key", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"summary": "x"}), "alice", "carol")
		}, code: statement.CodeForbidden, want: []string{"unknown key", `"carol"`}},
		{name: "author did not sign", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "bob", fields{"summary": "x"}), "alice")
		}, code: statement.CodeForbidden, want: []string{`author "bob" did not sign`}},
		{name: "author is not a member", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "dave", fields{"summary": "x"}), "alice")
		}, code: statement.CodeForbidden, want: []string{`"dave"`}},
		{name: "signed with a revoked key", setup: revokeAlice, msg: func(f *fixture) []byte { return f.reportMsg("alice", "x") },
			code: statement.CodeForbidden, want: []string{`key "alice" was revoked by the statement at index 3`}},
		{name: "co-signed with a revoked key", setup: revokeAlice, msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "bob", fields{"summary": "x"}), "bob", "alice")
		}, code: statement.CodeForbidden, want: []string{`key "alice" was revoked by the statement at index 3`}},
		{name: "signed with a rotated-out key", setup: rotateAlice, msg: func(f *fixture) []byte { return f.reportMsg("alice", "x") },
			code: statement.CodeForbidden, want: []string{"the key alice+", "is not alice's current key (replaced at index 3)"}},
		{name: "signed with an administrator key the rulebook replaced", setup: replaceAdminA,
			msg:  func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol") },
			code: statement.CodeForbidden, want: []string{"is not admin-a's current key (replaced at index 3)"}},

		// genesis.go: applyRulebook, an amendment.
		{name: "amendment skips a version", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Version = 3
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{"amendment must have version 2, not 3"}},
		{name: "amendment repeats the version", msg: func(f *fixture) []byte { return f.rulebookMsg(f.rulebook()) },
			code: statement.CodeInvalid, want: []string{"amendment must have version 2, not 1"}},
		{name: "amendment by one founder of two", msg: func(f *fixture) []byte { return f.rulebookMsg(f.amended(), "founder-1") },
			code: statement.CodeForbidden, want: []string{"amendment needs 2 founders' signatures; it has 1"}},
		{name: "amendment by administrators", msg: func(f *fixture) []byte {
			return f.rulebookMsg(f.amended(), "admin-a", "admin-b", "admin-m1", "admin-m2")
		}, code: statement.CodeForbidden, want: []string{"amendment needs 2 founders' signatures; it has 0"}},
		{name: "amendment lowering the quorum is judged by the rulebook in force", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Founders.Quorum = 1
			return f.rulebookMsg(rb, "founder-1")
		}, code: statement.CodeForbidden, want: []string{"needs 2 founders' signatures; it has 1"}},
		{name: "amendment signed by a new founder it names", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Founders.Keys = append(rb.Founders.Keys, f.newKey("founder-3", "founder-3").vkey)
			return f.rulebookMsg(rb, "founder-1", "founder-3")
		}, code: statement.CodeForbidden, want: []string{"unknown key", `"founder-3"`}},
		{name: "amendment removes a body", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Bodies = slices.Delete(rb.Bodies, 3, 4)
			delete(rb.Quorums, "finding")
			rb.Quorums["finding"] = mechanism.Quorum{Bodies: []string{"mediator-1"}, Min: 1}
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`cannot remove body "mediator-2"`}},
		{name: "amendment renames a body", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Bodies[1].ID = "party-c"
			rb.Quorums["ceasefire"] = mechanism.Quorum{Bodies: []string{"party-a", "party-c"}, Min: 2}
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`cannot remove body "party-b"`}},
		{name: "amendment changes the mechanism id", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.ID = "other-mech"
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{"cannot change the mechanism id"}},
		{name: "amendment changes the log origin", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.LogOrigin = "example.org/elsewhere"
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{"cannot change the log origin"}},
		{name: "amendment names an enrolled member's key", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Bodies[1].Administrators = append(rb.Bodies[1].Administrators, f.newKey("alice-admin", "alice").vkey)
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`names key "alice", which is an enrolled member`}},
		{name: "amendment makes an enrolled member a founder", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Founders.Keys = append(rb.Founders.Keys, f.k("bob").vkey)
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`names key "bob", which is an enrolled member`}},
		{name: "amendment names a revoked member's key name", setup: revokeAlice, msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Bodies[0].Administrators = append(rb.Bodies[0].Administrators, f.newKey("alice-admin", "alice").vkey)
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`names key "alice"`}},
		{name: "amendment with duplicate body ids", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "party-a", Type: mechanism.BodyParty, Name: "Again", Administrators: []string{f.newKey("admin-x", "admin-x").vkey}})
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`body id "party-a" must be a unique identifier`}},
		{name: "amendment with a non-positive deadline", msg: func(f *fixture) []byte {
			rb := f.amended()
			rb.Deadlines["response"] = "-1s"
			return f.rulebookMsg(rb)
		}, code: statement.CodeInvalid, want: []string{`deadline "response"`}},
		{name: "amendment with an unknown field", msg: func(f *fixture) []byte {
			b, _ := json.Marshal(f.amended())
			raw := strings.Replace(string(b), `{"id":`, `{"surprise":1,"id":`, 1)
			return f.sign(f.obj(mechanism.KindRulebook, "founder-1", fields{"rulebook": json.RawMessage(raw)}), "founder-1", "founder-2")
		}, code: statement.CodeMalformed, want: []string{"invalid rulebook statement", "surprise"}},

		// kinds.go: enrol.
		{name: "enrol by a member who is not an administrator", msg: func(f *fixture) []byte { return f.enrolMsg("alice", "party-a", "carol") },
			code: statement.CodeForbidden, want: []string{`"alice" is not an administrator of body "party-a"`}},
		{name: "enrol by the administrator of another body", msg: func(f *fixture) []byte { return f.enrolMsg("admin-b", "party-a", "carol") },
			code: statement.CodeForbidden, want: []string{`"admin-b" is not an administrator of body "party-a"`}},
		{name: "enrol by a founder", msg: func(f *fixture) []byte { return f.enrolMsg("founder-1", "party-a", "carol") },
			code: statement.CodeForbidden, want: []string{`"founder-1" is not an administrator of body "party-a"`}},
		{name: "enrol by a revoked administrator", setup: replaceAdminA, msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol") },
			code: statement.CodeForbidden, want: []string{"is not admin-a's current key (replaced at index 3)"}},
		{name: "enrol into an unknown body", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-z", "carol") },
			code: statement.CodeInvalid, want: []string{`unknown body "party-z"`}},
		{name: "enrol a member's key name", msg: func(f *fixture) []byte {
			f.newKey("bob2", "bob")
			return f.enrolMsg("admin-a", "party-a", "bob2")
		}, code: statement.CodeInvalid, want: []string{`key name "bob" is taken`}},
		{name: "enrol a member's very key", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "bob") },
			code: statement.CodeInvalid, want: []string{`key name "bob" is taken`}},
		{name: "enrol a founder's key name", msg: func(f *fixture) []byte {
			f.newKey("founder-1b", "founder-1")
			return f.enrolMsg("admin-a", "party-a", "founder-1b")
		}, code: statement.CodeInvalid, want: []string{`key name "founder-1" is taken`}},
		{name: "enrol an administrator's key", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "admin-b") },
			code: statement.CodeInvalid, want: []string{`key name "admin-b" is taken`}},
		{name: "enrol a revoked member's name", setup: revokeAlice, msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.enrolMsg("admin-a", "party-a", "alice2")
		}, code: statement.CodeInvalid, want: []string{`key name "alice" is taken`, "never reused"}},
		{name: "enrol with the admin role", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol", "observer", "admin") },
			code: statement.CodeInvalid, want: []string{`role "admin" is not allowed`}},
		{name: "enrol with the founder role", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol", "founder") },
			code: statement.CodeInvalid, want: []string{`role "founder" is not allowed`}},
		{name: "enrol with a malformed role", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol", "Field Officer") },
			code: statement.CodeInvalid, want: []string{`role "Field Officer" is not allowed`}},
		{name: "enrol with an empty role", msg: func(f *fixture) []byte { return f.enrolMsg("admin-a", "party-a", "carol", "") },
			code: statement.CodeInvalid, want: []string{`role "" is not allowed`}},
		{name: "enrol with 17 roles", msg: func(f *fixture) []byte {
			var roles []string
			for i := range 17 {
				roles = append(roles, "r"+string(rune('a'+i)))
			}
			return f.enrolMsg("admin-a", "party-a", "carol", roles...)
		}, code: statement.CodeInvalid, want: []string{"at most 16 roles"}},
		{name: "enrol with a long label", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindMemberEnrol, "admin-a", fields{"body": "party-a", "key": f.k("carol").vkey, "label": strings.Repeat("l", 201)}), "admin-a")
		}, code: statement.CodeInvalid, want: []string{"label must be at most 200 bytes"}},
		{name: "enrol with a bad key", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindMemberEnrol, "admin-a", fields{"body": "party-a", "key": "carol+1234"}), "admin-a")
		}, code: statement.CodeInvalid, want: []string{"member.enrol:", "invalid verifier key"}},
		{name: "enrol with an unknown field", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindMemberEnrol, "admin-a", fields{"body": "party-a", "key": f.k("carol").vkey, "rank": 3}), "admin-a")
		}, code: statement.CodeMalformed, want: []string{"invalid member.enrol statement", "rank"}},

		// kinds.go: revoke.
		{name: "revoke twice", setup: revokeAlice, msg: func(f *fixture) []byte { return f.revokeMsg("admin-a", "alice") },
			code: statement.CodeInvalid, want: []string{`member "alice" was already revoked at index 3`}},
		{name: "revoke an administrator", msg: func(f *fixture) []byte { return f.revokeMsg("admin-a", "admin-a") },
			code: statement.CodeInvalid, want: []string{`"admin-a" is named by the rulebook`}},
		{name: "revoke another body's administrator", msg: func(f *fixture) []byte { return f.revokeMsg("admin-a", "admin-b") },
			code: statement.CodeInvalid, want: []string{`"admin-b" is named by the rulebook`}},
		{name: "revoke a founder", msg: func(f *fixture) []byte { return f.revokeMsg("admin-a", "founder-1") },
			code: statement.CodeInvalid, want: []string{`"founder-1" is named by the rulebook`}},
		{name: "revoke by another body's administrator", msg: func(f *fixture) []byte { return f.revokeMsg("admin-b", "alice") },
			code: statement.CodeForbidden, want: []string{`"admin-b" is not an administrator of body "party-a"`}},
		{name: "revoke by the member itself", msg: func(f *fixture) []byte { return f.revokeMsg("alice", "alice") },
			code: statement.CodeForbidden, want: []string{`"alice" is not an administrator of body "party-a"`}},
		{name: "revoke by a founder", msg: func(f *fixture) []byte { return f.revokeMsg("founder-1", "alice") },
			code: statement.CodeForbidden, want: []string{`"founder-1" is not an administrator`}},
		{name: "revoke an unknown member", msg: func(f *fixture) []byte { return f.revokeMsg("admin-a", "zed") },
			code: statement.CodeInvalid, want: []string{`unknown member "zed"`}},
		{name: "revoke with a long reason", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindMemberRevoke, "admin-a", fields{"member": "alice", "reason": strings.Repeat("r", 1001)}), "admin-a")
		}, code: statement.CodeInvalid, want: []string{"reason must be at most 1000 bytes"}},

		// kinds.go: rotate.
		{name: "rotate without the new key's signature", msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "alice")
		}, code: statement.CodeForbidden, want: []string{"the new key must also sign"}},
		{name: "rotate by an administrator without the new key's signature", msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "admin-a")
		}, code: statement.CodeForbidden, want: []string{"the new key must also sign"}},
		{name: "rotate to the current key", msg: func(f *fixture) []byte { return f.rotateMsg("alice", "alice", "alice") },
			code: statement.CodeInvalid, want: []string{"that key was already used"}},
		{name: "rotate back to an old key", setup: rotateAlice, msg: func(f *fixture) []byte {
			return f.rotateMsg("alice", "alice", "alice2")
		}, code: statement.CodeInvalid, want: []string{"that key was already used; keys are never reused"}},
		{name: "rotate to a key with another name", msg: func(f *fixture) []byte {
			f.newKey("alicia", "alicia")
			return f.rotateMsg("alice", "alicia", "alice", "alicia")
		}, code: statement.CodeInvalid, want: []string{`new key must keep the name "alice", not "alicia"`}},
		{name: "rotate to another member's key", msg: func(f *fixture) []byte {
			return f.rotateMsg("alice", "bob", "alice", "bob")
		}, code: statement.CodeInvalid, want: []string{`keep the name "alice", not "bob"`}},
		{name: "rotate by another body's administrator", msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "admin-b", "alice2")
		}, code: statement.CodeForbidden, want: []string{`"admin-b" is not an administrator of body "party-a"`}},
		{name: "rotate by another member", msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "bob", "alice2")
		}, code: statement.CodeForbidden, want: []string{`"bob" is not an administrator of body "party-a"`}},
		{name: "rotate an administrator", msg: func(f *fixture) []byte {
			f.newKey("admin-a2", "admin-a")
			return f.rotateMsg("admin-a", "admin-a2", "admin-a", "admin-a2")
		}, code: statement.CodeInvalid, want: []string{`"admin-a" is named by the rulebook`, "amendment"}},
		{name: "rotate a founder", msg: func(f *fixture) []byte {
			f.newKey("founder-1b", "founder-1")
			return f.rotateMsg("founder-1", "founder-1b", "founder-1", "founder-1b")
		}, code: statement.CodeInvalid, want: []string{`"founder-1" is named by the rulebook`}},
		{name: "rotate a revoked member", setup: revokeAlice, msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "admin-a", "alice2")
		}, code: statement.CodeInvalid, want: []string{`member "alice" was already revoked at index 3`}},
		{name: "rotate an unknown member", msg: func(f *fixture) []byte {
			f.newKey("zed", "zed")
			return f.rotateMsg("zed", "zed", "admin-a", "zed")
		}, code: statement.CodeInvalid, want: []string{`unknown member "zed"`}},
		{name: "rotate with a stranger's signature", msg: func(f *fixture) []byte {
			f.newKey("alice2", "alice")
			return f.rotateMsg("alice", "alice2", "alice", "alice2", "carol")
		}, code: statement.CodeForbidden, want: []string{"unknown key", `"carol"`}},
		{name: "rotate with a bad key", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindKeyRotate, "alice", fields{"member": "alice", "key": "alice+00000000+AQ=="}), "alice")
		}, code: statement.CodeInvalid, want: []string{"key.rotate:", "invalid verifier key"}},
		{name: "rotate with a revoked author's key", setup: func(f *fixture) {
			rotateAlice(f)
			f.newKey("alice3", "alice")
		}, msg: func(f *fixture) []byte {
			// alice's first key was rotated out at 3: it cannot rotate again.
			return f.rotateMsg("alice", "alice3", "alice", "alice3")
		}, code: statement.CodeForbidden, want: []string{"the key alice+", "is not alice's current key (replaced at index 3)"}},

		// kinds.go: report.
		{name: "report by a founder without a body", msg: func(f *fixture) []byte { return f.reportMsg("founder-1", "seen") },
			code: statement.CodeForbidden, want: []string{`"founder-1" belongs to no body`}},
		{name: "report without a summary", msg: func(f *fixture) []byte { return f.reportMsg("alice", "") },
			code: statement.CodeInvalid, want: []string{"report: summary: is required"}},
		{name: "report with a long summary", msg: func(f *fixture) []byte { return f.reportMsg("alice", strings.Repeat("s", 501)) },
			code: statement.CodeInvalid, want: []string{"report: summary: must be at most 500 bytes"}},
		{name: "report with an unknown field", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindReport, "alice", fields{"summary": "x", "severity": "high"}), "alice")
		}, code: statement.CodeMalformed, want: []string{"invalid report statement", "severity"}},
		{name: "report by a revoked member", setup: revokeAlice, msg: func(f *fixture) []byte { return f.reportMsg("alice", "x") },
			code: statement.CodeForbidden, want: []string{"revoked by the statement at index 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setUp(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			f.refuse(tt.msg(f), tt.code, tt.want...)
		})
	}
}

// TestApplyWithoutOpen checks Apply's own checks on statements opened
// elsewhere (here against every key), as the sequencer does with a keyring
// snapshot.
func TestApplyWithoutOpen(t *testing.T) {
	f := setUp(t)
	f.must(f.revokeMsg("admin-a", "alice"))
	var all []note.Verifier
	f.newKey("stranger", "stranger")
	for _, l := range f.order {
		all = append(all, f.keys[l].verifier)
	}
	open := func(msg []byte) *statement.Statement {
		st, err := statement.Open(msg, note.VerifierList(all...))
		if err != nil {
			t.Fatalf("statement.Open: %v", err)
		}
		return st
	}
	tests := []struct {
		name string
		msg  []byte
		code statement.Code
		want string
	}{
		{"unknown key", f.reportMsg("stranger", "x"), statement.CodeForbidden, `signature by unknown key "stranger"`},
		{"revoked key", f.reportMsg("alice", "x"), statement.CodeForbidden, `key "alice" was revoked by the statement at index 3`},
		{"unknown key on a rotation", func() []byte {
			f.newKey("bob2", "bob")
			all = append(all, f.k("bob2").verifier)
			return f.rotateMsg("bob", "bob2", "bob", "bob2", "stranger")
		}(), statement.CodeForbidden, `signature by unknown key "stranger"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.snapshot()
			_, err := f.st.Apply(open(tt.msg))
			wantError(t, err, tt.code, tt.want)
			if !reflect.DeepEqual(before, f.snapshot()) {
				t.Errorf("a refused statement changed the state")
			}
		})
	}
}

func TestEnrol(t *testing.T) {
	f := newFixture(t)
	f.must(f.rulebookMsg(f.rulebook()))
	ring := f.st.Keys()
	f.must(f.enrolMsg("admin-a", "party-a", "alice", "observer", "field-officer", "observer"))
	m := f.member("alice")
	if !m.Active() || m.Body != "party-a" || m.Label != "member alice" || m.Enrolled != 1 || m.Revoked != -1 {
		t.Errorf("alice = %+v", m)
	}
	if !slices.Equal(m.Roles, []string{"field-officer", "observer"}) {
		t.Errorf("Roles = %v, want sorted without repeats", m.Roles)
	}
	if m.HasRole(mechanism.RoleAdmin) || !m.HasRole("observer") {
		t.Errorf("HasRole is wrong")
	}
	k := f.k("alice")
	if m.Key.VKey != k.vkey || m.Key.Hash != k.hash() || m.Key.Name != "alice" || !m.Key.Active || m.Key.Since != 1 || m.Key.Until != -1 {
		t.Errorf("alice's key = %+v", m.Key)
	}
	// A keyring taken before the enrolment is a snapshot: it does not know
	// alice; a new one does.
	if _, err := ring.Verifier("alice", k.hash()); err == nil {
		t.Errorf("an old keyring snapshot learned alice's key")
	}
	if v, err := f.st.Keys().Verifier("alice", k.hash()); err != nil || v.KeyHash() != k.hash() {
		t.Errorf("the keyring does not know alice: %v", err)
	}
	// alice signs.
	f.must(f.reportMsg("alice", "quiet night"))
	// Enrolling with no roles gives none.
	f.must(f.enrolMsg("admin-m1", "mediator-1", "bob"))
	if m := f.member("bob"); len(m.Roles) != 0 || m.Body != "mediator-1" || m.Enrolled != 3 {
		t.Errorf("bob = %+v", m)
	}
	names := []string{}
	for _, m := range f.st.Members() {
		names = append(names, m.Name)
	}
	if !slices.IsSorted(names) || len(names) != 9 {
		t.Errorf("Members = %v", names)
	}
}

func TestRevoke(t *testing.T) {
	f := setUp(t)
	f.must(f.revokeMsg("admin-a", "alice"))
	m := f.member("alice")
	if m.Active() || m.Revoked != 3 || m.Enrolled != 1 {
		t.Errorf("revoked alice = %+v", m)
	}
	// Key is the last key, ended by the revocation.
	if k := m.Key; k == nil || k.VKey != f.k("alice").vkey || k.Active || k.Since != 1 || k.Until != 3 {
		t.Errorf("revoked alice's key = %+v, want her key, ended at 3", m.Key)
	}
	// Revoked keys stay in the keyring, so that Apply can say why they are
	// refused.
	if _, err := f.st.Keys().Verifier("alice", f.k("alice").hash()); err != nil {
		t.Errorf("the keyring forgot a revoked key: %v", err)
	}
	err := f.submit(f.reportMsg("alice", "x"))
	wantError(t, err, statement.CodeForbidden, "revoked by the statement at index 3")
	// Others are unaffected.
	if !f.member("bob").Active() || !f.member("admin-a").Active() {
		t.Errorf("revoking alice changed others")
	}
	f.must(f.reportMsg("bob", "x"))
}

func TestRotate(t *testing.T) {
	tests := []struct {
		name    string
		signers []string // the first is the author
	}{
		{"by the member", []string{"alice", "alice2"}},
		{"by the member, new key first", []string{"alice2", "alice"}},
		{"by its administrator", []string{"admin-a", "alice2"}},
		{"by its administrator and the member", []string{"admin-a", "alice2", "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setUp(t)
			newKey := f.newKey("alice2", "alice")
			f.must(f.rotateMsg("alice", "alice2", tt.signers...))
			m := f.member("alice")
			if !m.Active() || m.Key.VKey != newKey.vkey || m.Key.Hash != newKey.hash() || m.Key.Since != 3 || m.Key.Until != -1 {
				t.Errorf("alice after rotation = %+v, key %+v", m, m.Key)
			}
			if m.Enrolled != 1 || m.Revoked != -1 || m.Body != "party-a" || m.Label != "member alice" {
				t.Errorf("rotation changed the member: %+v", m)
			}
			// The old key is known but ended.
			if _, err := f.st.Keys().Verifier("alice", f.k("alice").hash()); err != nil {
				t.Errorf("the keyring forgot the old key")
			}
			wantError(t, f.submit(f.reportMsg("alice", "x")), statement.CodeForbidden, "is not alice's current key (replaced at index 3); sign with "+f.k("alice2").name+fmt.Sprintf("+%08x", f.k("alice2").hash()))
			// The new key signs.
			f.must(f.reportMsg("alice2", "signed with my new key"))
			// And rotates again.
			f.newKey("alice3", "alice")
			f.must(f.rotateMsg("alice", "alice3", "alice2", "alice3"))
			if f.member("alice").Key.VKey != f.k("alice3").vkey {
				t.Errorf("second rotation did not take")
			}
			wantError(t, f.submit(f.reportMsg("alice2", "x")), statement.CodeForbidden, "is not alice's current key (replaced at index 5)")
		})
	}
}

func TestAmendReplacesAdminKey(t *testing.T) {
	f := setUp(t)
	oldKey := f.member("admin-a").Key
	newKey := f.newKey("admin-a2", "admin-a")
	rb := f.amended()
	rb.Bodies[0].Administrators = []string{newKey.vkey}
	f.must(f.rulebookMsg(rb))
	if f.st.Rulebook.Version != 2 {
		t.Errorf("Version = %d", f.st.Rulebook.Version)
	}
	if oldKey.Active || oldKey.Until != 3 {
		t.Errorf("old admin key = %+v, want ended at 3", oldKey)
	}
	m := f.member("admin-a")
	if !m.Active() || m.Key.VKey != newKey.vkey || m.Key.Since != 3 || m.Enrolled != 3 || m.Body != "party-a" || !m.HasRole(mechanism.RoleAdmin) {
		t.Errorf("admin-a = %+v, key %+v", m, m.Key)
	}
	wantError(t, f.submit(f.enrolMsg("admin-a", "party-a", "carol")), statement.CodeForbidden, "is not admin-a's current key (replaced at index 3)")
	f.must(f.enrolMsg("admin-a2", "party-a", "carol"))
	// Members the old key enrolled stay.
	if !f.member("alice").Active() {
		t.Errorf("alice lost her key with her administrator's")
	}
	// Other rulebook members are untouched.
	if m := f.member("admin-b"); !m.Active() || m.Enrolled != 0 || m.Key.Since != 0 {
		t.Errorf("admin-b = %+v", m)
	}
}

func TestAmendRenamesAdmin(t *testing.T) {
	f := setUp(t)
	rb := f.amended()
	rb.Bodies[0].Administrators = []string{f.newKey("admin-a-new", "admin-a-new").vkey}
	f.must(f.rulebookMsg(rb))
	old := f.member("admin-a")
	if old.Active() || old.Revoked != 3 || old.Key == nil || old.Key.Active || old.Key.Until != 3 || old.Key.VKey != f.k("admin-a").vkey {
		t.Errorf("old admin-a = %+v, key %+v", old, old.Key)
	}
	if m := f.member("admin-a-new"); !m.Active() || m.Body != "party-a" || m.Enrolled != 3 {
		t.Errorf("admin-a-new = %+v", m)
	}
	f.must(f.revokeMsg("admin-a-new", "alice"))
}

func TestAmendFounders(t *testing.T) {
	f := setUp(t)
	rb := f.amended()
	rb.Founders = mechanism.Group{Keys: []string{f.k("founder-1").vkey, f.newKey("founder-3", "founder-3").vkey}, Quorum: 1}
	rb.Title = "Amended"
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitor", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.newKey("admin-mon", "admin-mon").vkey}})
	f.must(f.rulebookMsg(rb))
	if m := f.member("founder-2"); m.Active() || m.Revoked != 3 {
		t.Errorf("founder-2 = %+v, want ended at 3", m)
	}
	if m := f.member("founder-1"); !m.Active() || m.Enrolled != 0 || m.Key.Since != 0 {
		t.Errorf("founder-1 = %+v, want unchanged", m)
	}
	if m := f.member("admin-mon"); !m.Active() || m.Body != "monitor" {
		t.Errorf("admin-mon = %+v", m)
	}
	if m := f.member("admin-a"); m.Enrolled != 0 || m.Key.Since != 0 {
		t.Errorf("an unchanged administrator was re-enrolled: %+v", m)
	}
	// The new rulebook's quorum of one applies to the next amendment.
	rb = f.amended()
	rb.Title = "Amended again"
	f.must(f.rulebookMsg(rb, "founder-3"))
	rb = f.amended()
	wantError(t, f.submit(f.rulebookMsg(rb, "founder-2")), statement.CodeForbidden, `key "founder-2" was revoked by the statement at index 3`)
	f.must(f.enrolMsg("admin-mon", "monitor", "carol", "observer"))
	f.must(f.reportMsg("carol", "monitors report"))
}

func TestAmendChangesAdminBody(t *testing.T) {
	f := setUp(t)
	rb := f.amended()
	// admin-m2 moves from mediator-2 to mediator-1; mediator-2 gets a new one.
	rb.Bodies[2].Administrators = append(rb.Bodies[2].Administrators, f.k("admin-m2").vkey)
	rb.Bodies[3].Administrators = []string{f.newKey("admin-m3", "admin-m3").vkey}
	f.must(f.rulebookMsg(rb))
	m := f.member("admin-m2")
	if !m.Active() || m.Body != "mediator-1" || m.Key.Since != 0 {
		t.Errorf("admin-m2 = %+v, key %+v", m, m.Key)
	}
	f.must(f.enrolMsg("admin-m2", "mediator-1", "carol"))
	wantError(t, f.submit(f.revokeMsg("admin-m2", "bob")), statement.CodeForbidden, "not an administrator")
}

// TestReplay checks that the log replays to the same state from its stored
// bytes.
func TestReplay(t *testing.T) {
	f := setUp(t)
	var log [][]byte
	record := func(msg []byte) {
		f.must(msg)
		log = append(log, msg)
	}
	// setUp's statements, signed again: signatures are deterministic.
	log = append(log, f.rulebookMsg(f.rulebook()), f.enrolMsg("admin-a", "party-a", "alice"), f.enrolMsg("admin-b", "party-b", "bob"))
	f.newKey("alice2", "alice")
	record(f.rotateMsg("alice", "alice2", "alice", "alice2"))
	record(f.revokeMsg("admin-b", "bob"))
	rb := f.amended()
	rb.Bodies[0].Administrators = []string{f.newKey("admin-a2", "admin-a").vkey}
	record(f.rulebookMsg(rb))
	record(f.reportMsg("alice2", "done"))
	f2 := &fixture{t: t, keys: f.keys, order: f.order}
	for i, msg := range log {
		st, err := f2.st.Open(msg)
		if err != nil {
			t.Fatalf("replay %d: Open: %v", i, err)
		}
		if _, err := f2.st.Apply(st); err != nil {
			t.Fatalf("replay %d: Apply: %v", i, err)
		}
	}
	if a, b := f.snapshot(), f2.snapshot(); !reflect.DeepEqual(a, b) {
		t.Errorf("replayed state differs:\n%+v\n%+v", a, b)
	}
}

func TestTimeZoneLocation(t *testing.T) {
	tests := []struct {
		offset string
		secs   int
		ok     bool
	}{
		{"+00:00", 0, true},
		{"+05:30", 5*3600 + 30*60, true},
		{"-03:45", -(3*3600 + 45*60), true},
		{"+14:00", 14 * 3600, true},
		{"-12:00", -12 * 3600, true},
		{"+14:45", 14*3600 + 45*60, true},
		{"+15:00", 0, false},
		{"+05:20", 0, false},
		{"05:00", 0, false},
		{"+5:00", 0, false},
		{"", 0, false},
		{"Z", 0, false},
	}
	for _, tt := range tests {
		loc, err := mechanism.TimeZone{Name: "zone", Offset: tt.offset}.Location()
		if !tt.ok {
			if err == nil {
				t.Errorf("Location(%q) = %v, want an error", tt.offset, loc)
			}
			continue
		}
		if err != nil {
			t.Errorf("Location(%q): %v", tt.offset, err)
			continue
		}
		if name, off := timeIn(loc); name != "zone" || off != tt.secs {
			t.Errorf("Location(%q) = %s %d, want zone %d", tt.offset, name, off, tt.secs)
		}
	}
}

func timeIn(loc *time.Location) (string, int) {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).In(loc).Zone()
}

// TestRotateNeedsCurrentKey: a member's key may be rotated by the member
// (with its current key) or by an administrator of its body. A statement
// signed only by a fresh key that merely carries the member's name proves
// neither, yet it names the member as author, and the new key's signature
// satisfies "the author signed".
func TestRotateNeedsCurrentKey(t *testing.T) {
	f := setUp(t)
	f.newKey("mallory", "alice") // anyone can make a key named alice
	f.refuse(f.rotateMsg("alice", "mallory", "mallory"), statement.CodeForbidden)
	if m := f.member("alice"); m.Key == nil || m.Key.VKey != f.k("alice").vkey {
		t.Errorf("alice's key was taken over")
	}
}

// TestFounderListedTwice: founderSigners counts each listed key that
// signed, so a key listed twice among the founders counts twice and one
// founder alone meets a quorum of two.
func TestFounderListedTwice(t *testing.T) {
	t.Run("amendment", func(t *testing.T) {
		f := setUp(t)
		rb := f.amended()
		rb.Founders.Keys = []string{f.k("founder-1").vkey, f.k("founder-1").vkey, f.k("founder-2").vkey}
		if err := f.submit(f.rulebookMsg(rb)); err != nil {
			return // refusing such a rulebook is a fine fix
		}
		rb = f.amended()
		rb.Title = "Changed by founder-1 alone"
		f.refuse(f.rulebookMsg(rb, "founder-1"), statement.CodeForbidden, "founders' signatures; it has 1")
	})
	t.Run("genesis", func(t *testing.T) {
		f := newFixture(t)
		rb := f.rulebook()
		rb.Founders.Keys = []string{f.k("founder-1").vkey, f.k("founder-1").vkey}
		msg := f.rulebookMsg(rb, "founder-1")
		st, err := statement.Open(msg, note.VerifierList(f.k("founder-1").verifier))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Apply(st); err == nil {
			t.Errorf("Apply accepted a genesis with founders quorum 2 signed by one founder listed twice")
		}
		// State.Open refuses it, but only by accident: note.VerifierList
		// finds the key ambiguous, and the reason reads "not a signed note".
		if err := f.submit(msg); err == nil {
			t.Errorf("State.Open and Apply accepted it")
		}
	})
}

// TestAmendmentRestoresEndedKey: an amendment may name again a key that an
// earlier amendment ended. The state then says the member is active, but
// State.key finds the ended Key first, so every signature by it is refused
// as revoked. Either the amendment must be refused (keys are never reused),
// or the restored key must sign.
func TestAmendmentRestoresEndedKey(t *testing.T) {
	f := setUp(t)
	first := f.k("admin-a")
	rb := f.amended()
	rb.Bodies[0].Administrators = []string{f.newKey("admin-a2", "admin-a").vkey}
	f.must(f.rulebookMsg(rb)) // 3: admin-a's first key ends
	rb = f.amended()
	rb.Bodies[0].Administrators = []string{first.vkey}
	if err := f.submit(f.rulebookMsg(rb)); err != nil {
		return // refusing to reuse a key is a fine fix
	}
	m := f.member("admin-a")
	if !m.Active() || m.Key.VKey != first.vkey {
		t.Fatalf("admin-a = %+v after restoring its key", m)
	}
	if err := f.submit(f.enrolMsg("admin-a", "party-a", "carol")); err != nil {
		t.Errorf("admin-a is active with its restored key, but its signature is refused: %v", err)
	}
}

func TestChanged(t *testing.T) {
	names := func(ms []*mechanism.Member) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	f := newFixture(t)
	f.must(f.rulebookMsg(f.rulebook()))
	if got, want := names(f.st.Changed()), []string{"admin-a", "admin-b", "admin-board", "admin-m1", "admin-m2", "founder-1", "founder-2"}; !slices.Equal(got, want) {
		t.Errorf("after genesis Changed = %v, want %v", got, want)
	}
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	if got := f.st.Changed(); len(got) != 1 || got[0] != f.member("alice") {
		t.Errorf("after enrolment Changed = %v, want alice", names(got))
	}
	f.must(f.reportMsg("alice", "x"))
	if got := f.st.Changed(); len(got) != 0 {
		t.Errorf("after a report Changed = %v, want none", names(got))
	}
	f.newKey("alice2", "alice")
	f.must(f.rotateMsg("alice", "alice2", "alice", "alice2"))
	if got := f.st.Changed(); len(got) != 1 || got[0].Name != "alice" || got[0].Key.VKey != f.k("alice2").vkey {
		t.Errorf("after rotation Changed = %v, want alice with her new key", names(got))
	}
	f.must(f.revokeMsg("admin-a", "alice"))
	if got := f.st.Changed(); len(got) != 1 || got[0].Name != "alice" || got[0].Active() {
		t.Errorf("after revocation Changed = %v, want alice, revoked", names(got))
	}
	rb := f.amended()
	rb.Bodies[0].Administrators = []string{f.newKey("admin-a2", "admin-a").vkey}
	f.must(f.rulebookMsg(rb))
	var ended, added bool
	for _, m := range f.st.Changed() {
		if m.Name == "admin-a" && !m.Active() && m.Revoked == 5 {
			ended = true
		}
		if m.Name == "admin-a" && m.Active() && m.Key.VKey == f.k("admin-a2").vkey {
			added = true
		}
	}
	if !ended || !added {
		t.Errorf("after replacing admin-a's key Changed = %v; want the ended and the new admin-a", names(f.st.Changed()))
	}
}

// filledDefaultRulebook fills the keys of the default rulebook template.
func (f *fixture) filledDefaultRulebook() *mechanism.Rulebook {
	f.t.Helper()
	rb, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		f.t.Fatalf("ParseRulebook(DefaultRulebook): %v", err)
	}
	rb.Founders.Keys = []string{f.k("founder-1").vkey, f.k("founder-2").vkey}
	for i := range rb.Bodies {
		rb.Bodies[i].Administrators = []string{f.newKey("default-admin-"+rb.Bodies[i].ID, "admin-"+rb.Bodies[i].ID).vkey}
	}
	return rb
}

func TestDefaultRulebook(t *testing.T) {
	f := newFixture(t)
	tmpl, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.ID != "pak-afg-2025" || tmpl.Version != 1 || len(tmpl.Founders.Keys) != 0 {
		t.Errorf("template = %+v", tmpl)
	}
	// The template has no keys, so it cannot start a log as it is.
	msg, err := mechanism.Genesis(tmpl, time.Now(), f.k("founder-1").signer, f.k("founder-2").signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.submit(msg); err == nil {
		t.Errorf("a rulebook without keys was accepted")
	}
	// With keys, it does.
	rb := f.filledDefaultRulebook()
	msg, err = mechanism.Genesis(rb, time.Now(), f.k("founder-1").signer, f.k("founder-2").signer)
	if err != nil {
		t.Fatal(err)
	}
	f.must(msg)
	if f.st.Rulebook.ID != "pak-afg-2025" || len(f.st.Members()) != 2+len(rb.Bodies) {
		t.Errorf("state after the default genesis: %+v, %d members", f.st.Rulebook, len(f.st.Members()))
	}
	for _, z := range f.st.Rulebook.TimeZones {
		if _, err := z.Location(); err != nil {
			t.Errorf("time zone %v: %v", z, err)
		}
	}
}

func TestGenesisFunc(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2025, 10, 19, 23, 30, 0, 0, time.FixedZone("Doha", 3*3600))
	msg, err := mechanism.Genesis(f.rulebook(), at, f.k("founder-2").signer, f.k("founder-1").signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.st.Open(msg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if st.Author != "founder-2" || st.Mechanism != mechID || st.Kind != mechanism.KindRulebook || st.At != "2025-10-19T20:30:00Z" {
		t.Errorf("genesis fields = %+v", st.Fields)
	}
	if !strings.Contains(string(st.JSON), `"refs":[]`) {
		t.Errorf("genesis JSON %s does not carry an empty refs list", st.JSON)
	}
	if _, err := f.st.Apply(st); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := mechanism.Genesis(f.rulebook(), at); err == nil {
		t.Errorf("Genesis without signers succeeded")
	}

	// An amendment that refers to the genesis.
	rb := f.amended()
	rb.Title = "Amended"
	refs := []statement.Ref{{Index: 0, Hash: tlog.RecordHash(msg)}}
	msg, err = mechanism.RulebookStatement(rb, at, refs, f.k("founder-1").signer, f.k("founder-2").signer)
	if err != nil {
		t.Fatal(err)
	}
	st, err = f.st.Open(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Refs) != 1 || st.Refs[0].Index != 0 {
		t.Errorf("Refs = %+v", st.Refs)
	}
	if _, err := f.st.Apply(st); err != nil {
		t.Fatalf("Apply of the amendment: %v", err)
	}
	if f.st.Rulebook.Title != "Amended" || f.st.Rulebook.Version != 2 {
		t.Errorf("Rulebook = %+v", f.st.Rulebook)
	}
	// Refs to the future are refused.
	rb = f.amended()
	msg, err = mechanism.RulebookStatement(rb, at, []statement.Ref{{Index: 2}}, f.k("founder-1").signer, f.k("founder-2").signer)
	if err != nil {
		t.Fatal(err)
	}
	f.refuse(msg, statement.CodeInvalid, "refs: index 2 is not in the log yet (size 2)")
}

func TestParseRulebook(t *testing.T) {
	good, err := json.Marshal(newFixture(t).rulebook())
	if err != nil {
		t.Fatal(err)
	}
	rb, err := mechanism.ParseRulebook(good)
	if err != nil {
		t.Fatalf("ParseRulebook: %v", err)
	}
	if rb.ID != mechID || len(rb.Bodies) != 5 || rb.Quorums["ceasefire"].Min != 2 || rb.Deadlines["response"] != "72h" {
		t.Errorf("ParseRulebook = %+v", rb)
	}
	if _, err := mechanism.ParseRulebook(append([]byte("\n "), append(good, "\n\n"...)...)); err != nil {
		t.Errorf("ParseRulebook with surrounding white space: %v", err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "couldn't read rulebook"},
		{"not json", `id: x`, "couldn't read rulebook"},
		{"array", `[]`, "couldn't read rulebook"},
		{"unknown field", `{"id":"x","motto":"peace"}`, "motto"},
		{"unknown nested field", `{"id":"x","bodies":[{"id":"a","colour":"red"}]}`, "colour"},
		{"wrong type", `{"version":"1"}`, "couldn't read rulebook"},
		{"second object", `{"id":"x"} {"id":"y"}`, "trailing data"},
		{"trailing text", `{"id":"x"} x`, "trailing data"},
		{"truncated", `{"id":"x"`, "couldn't read rulebook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := mechanism.ParseRulebook([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseRulebook(%q) = %+v, want an error", tt.in, rb)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestParseRulebookTrailingClose: ParseRulebook says it refuses trailing
// data, but checks it with Decoder.More, which is false when the next byte
// is '}' or ']'.
func TestParseRulebookTrailingClose(t *testing.T) {
	for _, in := range []string{`{"id":"x"}}`, `{"id":"x"}]`, `{"id":"x"} ] }`} {
		if rb, err := mechanism.ParseRulebook([]byte(in)); err == nil {
			t.Errorf("ParseRulebook(%q) = %+v; want a refusal of the trailing data", in, rb)
		}
	}
}

func FuzzParseRulebook(f *testing.F) {
	f.Add(mechanism.DefaultRulebook)
	f.Add([]byte(`{"id":"x","version":1,"founders":{"keys":["a+00000000+AQ=="],"quorum":1},"quorums":{"q":{"bodies":["a"],"min":1}},"deadlines":{"d":"1h"}}`))
	f.Add([]byte(`{"id":"x"} {"id":"y"}`))
	f.Add([]byte(`{"bodies":[{"id":"a","administrators":null}],"time_zones":[{"name":"z","offset":"+01:00"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rb, err := mechanism.ParseRulebook(b)
		if err != nil {
			if rb != nil {
				t.Fatalf("ParseRulebook returned a rulebook with an error")
			}
			return
		}
		// What ParseRulebook reads, it writes back and reads again the same.
		out, err := json.Marshal(rb)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := mechanism.ParseRulebook(out)
		if err != nil {
			t.Fatalf("ParseRulebook refuses its own output %s: %v", out, err)
		}
		if !reflect.DeepEqual(rb, again) {
			t.Fatalf("round trip changed the rulebook:\n%+v\n%+v", rb, again)
		}
		for _, z := range rb.TimeZones {
			if loc, err := z.Location(); err == nil {
				if _, off := timeIn(loc); off%900 != 0 || off < -14*3600 || off > 14*3600+45*60 {
					t.Fatalf("time zone %v has offset %d", z, off)
				}
			}
		}
	})
}

// TestParseRulebookQuorumName checks a rulebook file's quorum names, which
// statements cannot even carry (their JSON keys are identifiers).
func TestParseRulebookQuorumName(t *testing.T) {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Quorums["Cease Fire"] = mechanism.Quorum{Bodies: []string{"party-a"}, Min: 1}
	if _, err := mechanism.RulebookStatement(rb, time.Now(), nil, f.k("founder-1").signer); err == nil || !strings.Contains(err.Error(), `"Cease Fire"`) {
		t.Fatalf("a rulebook with quorum name %q was signed: %v", "Cease Fire", err)
	}
}
