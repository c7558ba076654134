package mechanism_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// novemberLog returns the entries of the log in the module's testdata/logs/2026-11, then
// statements filed on top of it: the founders' amendment to rules 2 and the
// re-posts that it makes refused.
func novemberLog(t testing.TB) [][]byte {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "logs", "2026-11")
	entries := releaseEntries(t, "2026-11")
	var st mechanism.State
	for i, e := range entries {
		if _, err := apply(&st, e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	var signers []note.Signer
	for _, name := range []string{"pak-afg-2025-founder-1", "pak-afg-2025-founder-2"} {
		skey, err := os.ReadFile(filepath.Join(dir, "keys", name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := note.NewSigner(strings.TrimSpace(string(skey)))
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	rb := *st.Rulebook
	rb.Version++
	rb.Rules = mechanism.Rules2
	amend, err := mechanism.RulebookStatement(&rb, st.Time, nil, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return append(entries, amend, entries[52], entries[61], entries[5])
}

// apply opens msg against st and applies it.
func apply(st *mechanism.State, msg []byte) (*mechanism.Effects, error) {
	s, err := st.Open(msg)
	if err != nil {
		return nil, err
	}
	return st.Apply(s)
}

// replay applies msgs to a new state, refused or not.
func replay(msgs [][]byte) *mechanism.State {
	st := new(mechanism.State)
	for _, msg := range msgs {
		apply(st, msg)
	}
	return st
}

// opened is a statement of a log opened against the state the ones before
// it make, or why it did not open.
type opened struct {
	st  *statement.Statement
	err error
}

// openLog opens each of msgs in turn, so that a prefix can be replayed
// without checking its signatures again: Apply reads a statement and
// never changes it.
func openLog(msgs [][]byte) []opened {
	var st mechanism.State
	out := make([]opened, len(msgs))
	for i, msg := range msgs {
		out[i].st, out[i].err = st.Open(msg)
		if out[i].err == nil {
			st.Apply(out[i].st)
		}
	}
	return out
}

// replayOpened applies opened statements to a new state, refused or not.
func replayOpened(log []opened) *mechanism.State {
	st := new(mechanism.State)
	for _, o := range log {
		if o.err == nil {
			st.Apply(o.st)
		}
	}
	return st
}

// mustSnapshot returns the state's snapshot.
func mustSnapshot(t testing.TB, st *mechanism.State) []byte {
	t.Helper()
	b, err := st.MarshalSnapshot()
	if err != nil {
		t.Fatalf("MarshalSnapshot: %v", err)
	}
	return b
}

// roundTrip returns the state read back from st's snapshot, after checking
// that it is st and that it gives the same snapshot again; and the same
// of snapshots with one and three cases in a block.
func roundTrip(t testing.TB, st *mechanism.State) *mechanism.State {
	t.Helper()
	b := mustSnapshot(t, st)
	var got *mechanism.State
	for _, perBlock := range []int{0, 1, 3} {
		in, how := b, "as written"
		if perBlock > 0 {
			var err error
			if in, err = mechanism.MarshalSnapshotInBlocks(st, perBlock); err != nil {
				t.Fatalf("MarshalSnapshotInBlocks(%d): %v", perBlock, err)
			}
			how = fmt.Sprintf("in blocks of %d cases", perBlock)
		}
		read, err := mechanism.UnmarshalSnapshot(in)
		if err != nil {
			t.Fatalf("UnmarshalSnapshot, %s: %v", how, err)
		}
		if err := mechanism.EqualStates(st, read); err != nil {
			t.Fatalf("the state read back, %s, is not the one written: %v", how, err)
		}
		if again := mustSnapshot(t, read); !bytes.Equal(again, b) {
			t.Fatalf("the state read back, %s, gives another snapshot", how)
		}
		if got == nil {
			got = read
		}
	}
	return got
}

// sameFuture applies the rest of a log to want, the state its prefix made,
// and opens and applies each of msgs, the same statements, to got: each is
// refused alike or applied with the same effects, and both states end the
// same.
func sameFuture(t *testing.T, want, got *mechanism.State, rest []opened, msgs [][]byte) {
	t.Helper()
	for i, msg := range msgs {
		var we *mechanism.Effects
		werr := rest[i].err
		if werr == nil {
			we, werr = want.Apply(rest[i].st)
		}
		ge, gerr := apply(got, msg)
		if !reflect.DeepEqual(werr, gerr) {
			t.Fatalf("statement %d of the tail: the original state says %v; the one read back says %v", i, werr, gerr)
		}
		if werr != nil {
			continue
		}
		// A rulebook statement lists the members it changes in the order
		// of a map, which differs from one replay to the next.
		for _, e := range []*mechanism.Effects{we, ge} {
			slices.SortStableFunc(e.Members, func(a, b mechanism.Member) int { return strings.Compare(a.Name, b.Name) })
		}
		if err := mechanism.EqualEffects(we, ge); err != nil {
			t.Fatalf("statement %d of the tail (index %d): the effects differ: %v", i, we.Index, err)
		}
		wj, err := json.Marshal(we)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := json.Marshal(ge)
		if !bytes.Equal(wj, gj) {
			t.Fatalf("statement %d of the tail: the effects differ in JSON:\n%s\n%s", i, wj, gj)
		}
	}
	if err := mechanism.EqualStates(want, got); err != nil {
		t.Fatalf("after the tail: %v", err)
	}
	if !bytes.Equal(mustSnapshot(t, want), mustSnapshot(t, got)) {
		t.Fatalf("after the tail, the snapshots differ")
	}
}

// checkEveryPrefix snapshots the state of each prefix of msgs, reads it back
// and checks that the rest of msgs does the same to both.
func checkEveryPrefix(t *testing.T, msgs [][]byte) {
	t.Helper()
	log := openLog(msgs)
	for k := range len(msgs) + 1 {
		want := replayOpened(log[:k])
		got := roundTrip(t, want)
		sameFuture(t, want, got, log[k:], msgs[k:])
	}
}

// TestSnapshotNovember2026Log: at every prefix of the log the November
// 2026 release wrote, and of the amendment and refused re-posts filed on
// top of it, the state read back from a snapshot takes the rest of the log
// exactly as the replayed state does.
func TestSnapshotNovember2026Log(t *testing.T) {
	msgs := novemberLog(t)
	checkEveryPrefix(t, msgs)
	// The re-posts are refused as duplicates, by the state read back too.
	st := roundTrip(t, replayOpened(openLog(msgs[:63])))
	_, err := apply(st, msgs[63])
	wantDuplicate(t, err, 52)
}

// scenario records every statement a test files, taken or refused.
type scenario struct {
	f     *fixture
	steps [][]byte
}

func (s *scenario) must(msg []byte) {
	s.f.t.Helper()
	s.f.must(msg)
	s.steps = append(s.steps, msg)
}

func (s *scenario) refuse(msg []byte, code statement.Code) {
	s.f.t.Helper()
	wantError(s.f.t, s.f.submit(msg), code)
	s.steps = append(s.steps, msg)
}

// do runs fn, which files statements with the fixture's must.
func (s *scenario) do(fn func()) {
	n := len(s.f.log)
	fn()
	s.steps = append(s.steps, s.f.log[n:]...)
}

// everyKind files a statement of every kind under rules 2, with refusals
// between them: tokens issued and revoked, evidence with its custody and
// verification, sealed statements disclosed and not, commitments met and
// missed, a case taken to publication, deadlines met, missed and left open,
// a key rotated, a member revoked and an administrator's key replaced by
// an amendment.
func everyKind(t *testing.T) [][]byte {
	f := newFixture(t)
	s := &scenario{f: f}
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules = mechanism.Rules2
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		s.must(msg)
	}
	s.must(f.report("alice", nil)) // 5
	s.refuse(f.report("alice", nil), statement.CodeDuplicate)
	s.must(f.issue("alice", nil))
	s.must(f.issue("bob", fields{"token": sha("bob's secret")}))
	s.must(f.revokeToken("admin-a", nil))
	s.must(f.evidence("alice", nil))
	s.must(f.stmt(mechanism.KindEvidence, fields{"sha256": photo, "custody": fields{"event": "transferred", "from": "Field monitor 1", "to": "Mediators' lab"}}, "bob"))
	s.must(f.berkeley("admin-m1", nil))
	s.must(f.seal("alice", nil))
	s.must(f.disclosure("admin-m1", f.st.Size-1, nil))
	s.must(f.seal("bob", fields{"visibility": []string{"mediator-1"}}))
	s.must(f.commitment("alice", nil))
	s.must(f.action("alice", fields{"commitment": f.st.Size - 1, "at": after(time.Hour)}))
	s.must(f.verification("mo", f.st.Size-1, nil))
	s.must(f.commitment("bob", nil))
	s.must(f.crossing("mo", nil))
	s.must(f.meeting("admin-m1", fields{"agenda": []int64{caseID}}))
	s.must(f.publication("admin-m1", nil))
	s.do(func() { f.toStage(caseID, "board") })
	finding := f.getCase(caseID).Finding
	s.must(f.endorse(caseID, finding, nil))
	penalty := f.penalize(caseID, finding, nil)
	s.must(penalty)
	s.refuse(reorder(t, penalty), statement.CodeDuplicate)
	s.must(f.advance("admin-m1", caseID, "published", nil))
	// bob's report against party-a; then time passes its deadlines and
	// bob's commitment's.
	s.must(f.report("bob", fields{"accused": "party-a", "origin": nil, "summary": "Fire on Hill 4"}))
	s.must(f.crossing("mo", fields{"status": mechanism.CrossingClosed, "allowed": nil, "at": after(400 * time.Hour)}))
	s.must(f.report("mo", fields{"accused": nil, "origin": nil, "summary": "Seen from the post", "at": after(401 * time.Hour)}))
	// bob rotates his key; his old one is refused.
	f.newKey("bob-2", "bob")
	s.must(f.rotateMsg("bob", "bob-2", "bob", "bob-2"))
	s.refuse(f.issue("bob", fields{"token": sha("old key")}), statement.CodeForbidden)
	s.must(f.issue("bob-2", fields{"token": sha("new key")}))
	// mo leaves.
	s.must(f.revokeMsg("admin-mon", "mo"))
	s.refuse(f.crossing("mo", fields{"status": mechanism.CrossingOpen, "allowed": nil}), statement.CodeForbidden)
	// An amendment replaces party-a's administrator's key.
	f.newKey("admin-a2", "admin-a")
	amended := f.amended()
	amended.Bodies[0].Administrators = []string{f.k("admin-a2").vkey}
	s.must(f.rulebookMsg(amended))
	s.refuse(f.enrolMsg("admin-a", "party-a", "carol"), statement.CodeForbidden)
	// carol with no roles, as an empty list.
	s.must(f.stmt(mechanism.KindMemberEnrol, fields{"body": "party-a", "key": f.k("carol").vkey, "roles": []string{}, "label": "carol"}, "admin-a2"))
	s.must(f.report("carol", fields{"summary": "Carol's report", "at": after(402 * time.Hour)}))
	s.must(f.reply("bob-2", f.st.Size-1, fields{"at": after(403 * time.Hour)}))
	return s.steps
}

// confidential files a confidential finding, the replies it opens, and its
// endorsement, which discloses it.
func confidential(t *testing.T) [][]byte {
	f := newFixture(t)
	s := &scenario{f: f}
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules, rb.ConfidentialFindings = mechanism.Rules2, true
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		s.must(msg)
	}
	s.must(f.report("alice", nil)) // 5
	s.do(func() { f.toStage(caseID, "draft") })
	s.refuse(f.finding(caseID, nil), statement.CodeInvalid)
	body := f.obj(mechanism.KindFinding, "admin-m1", fields{"case": caseID, "outcome": mechanism.OutcomeAttributed, "party": "party-b",
		"confidence": "high", "rationale": "The craters face party-b's positions.", "rulebook_version": 1})
	salt := bytes.Repeat([]byte{7}, 32)
	readers := []string{"board", "mediator-1", "mediator-2", "party-a", "party-b"}
	s.must(f.stmt(mechanism.KindSealed, fields{"sealed_kind": mechanism.KindFinding, "case": caseID, "visibility": readers,
		"digest": mechanism.SealDigest(salt, body)}, "admin-m1", "admin-m2"))
	fi := f.st.Size - 1
	s.refuse(f.disclosure("admin-m1", fi, nil), statement.CodeInvalid)
	s.must(f.advance("admin-m1", caseID, "party_reply", nil))
	s.must(f.reply("bob", caseID, nil))
	s.refuse(f.advance("admin-m1", caseID, "technical_committee", nil), statement.CodeInvalid)
	s.must(f.reply("alice", caseID, fields{"text": "We stand by our report."}))
	s.must(f.advance("admin-m1", caseID, "technical_committee", nil))
	s.must(f.advance("admin-m1", caseID, "board", nil))
	s.refuse(f.endorse(caseID, fi, nil), statement.CodeInvalid)
	s.must(f.endorse(caseID, fi, fields{"salt": hexOf(salt), "body": json.RawMessage(body)}))
	s.must(f.penalize(caseID, fi, nil))
	return s.steps
}

// tiedDeadlines opens cases whose deadlines fall due at the same time, in
// the same statement, under the same name: only the heap's order tells
// which is missed first.
func tiedDeadlines(t *testing.T) [][]byte {
	f := newFixture(t)
	s := &scenario{f: f}
	rb := f.rulebook()
	rb.Stages[1].Due, rb.Stages[2].Due, rb.Stages[3].Due = "response", "response", "response"
	s.must(f.rulebookMsg(rb))
	s.must(f.enrolMsg("admin-a", "party-a", "alice"))
	s.must(f.enrolMsg("admin-b", "party-b", "bob"))
	s.must(f.report("alice", nil))
	s.must(f.report("bob", fields{"accused": "party-a", "origin": nil}))
	s.must(f.report("alice", fields{"summary": "Again", "at": after(time.Hour)}))
	s.must(f.advance("admin-m1", 5, "preliminary", fields{"at": after(2 * time.Hour)}))
	s.must(f.meeting("admin-m1", fields{"at": after(73 * time.Hour)}))
	s.must(f.report("bob", fields{"accused": "party-a", "origin": nil, "summary": "Later", "at": after(74 * time.Hour)}))
	s.must(f.report("alice", fields{"summary": "Later still", "at": after(74 * time.Hour)}))
	s.must(f.meeting("admin-m1", fields{"round": 3, "at": after(200 * time.Hour)}))
	return s.steps
}

// workflow is a log that a test makes, by name.
type workflow struct {
	name string
	log  func(*testing.T) [][]byte
}

// workflows are logs that use every kind, between them.
var workflows = []workflow{
	{"every kind", everyKind},
	{"confidential findings", confidential},
	{"tied deadlines", tiedDeadlines},
}

// TestSnapshotWorkflows: at every prefix of logs that use every kind, the
// state read back from a snapshot takes the rest as the original does.
func TestSnapshotWorkflows(t *testing.T) {
	for _, tc := range workflows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkEveryPrefix(t, tc.log(t))
		})
	}
}

// TestSnapshotEmpty: the empty log's state is the zero State, and reads
// back as it.
func TestSnapshotEmpty(t *testing.T) {
	var zero mechanism.State
	got := roundTrip(t, &zero)
	if !reflect.DeepEqual(*got, zero) {
		t.Errorf("the empty state read back is %+v", got)
	}
}

// reseal replaces the checksum at the end of b with the right one, so that
// what a test changed in the content reaches the decoder.
func reseal(b []byte) []byte {
	if len(b) < sha256.Size {
		return b
	}
	out := bytes.Clone(b)
	sum := sha256.Sum256(out[:len(out)-sha256.Size])
	copy(out[len(out)-sha256.Size:], sum[:])
	return out
}

// TestSnapshotDamaged: a snapshot cut short, with a bit flipped, of
// another version or with a wrong checksum is refused with a sentence that
// says so, and never panics; resealed, a cut snapshot is still refused.
func TestSnapshotDamaged(t *testing.T) {
	good := mustSnapshot(t, replay(everyKind(t)))
	if _, err := mechanism.UnmarshalSnapshot(good); err != nil {
		t.Fatal(err)
	}
	want := func(name string, b []byte, msg string) {
		t.Helper()
		st, err := mechanism.UnmarshalSnapshot(b)
		if err == nil || st != nil {
			t.Fatalf("%s: read as a state", name)
		}
		if !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "couldn't read snapshot: ") {
			t.Fatalf("%s: %q does not say %q", name, err, msg)
		}
	}
	for n := range len(good) {
		want("cut", good[:n], "")
		if n >= 12+sha256.Size {
			want("cut and resealed", reseal(good[:n]), "")
		}
	}
	for i := range len(good) {
		b := bytes.Clone(good)
		b[i] ^= 1 << (i % 8)
		want("a bit flipped", b, "")
	}
	b := bytes.Clone(good)
	b[11] = 2
	want("version 2", b, "it is of version 2, and this release reads version 3 only")
	want("version 2, resealed", reseal(b), "version 2")
	b = bytes.Clone(good)
	b[len(b)-1] ^= 0xff
	want("a wrong checksum", b, "its checksum does not match its content; the file is damaged")
	b = bytes.Clone(good)
	b[0] = 'S'
	want("another magic", reseal(b), "it is not a sulh snapshot")
	want("nothing", nil, "it is not a sulh snapshot")
	want("trailing bytes", reseal(append(bytes.Clone(good), make([]byte, 33)...)), "33 bytes follow the last block")
}

// TestReplayIsApply: Replay, which makes no effects, leaves the state
// that Apply does and refuses what Apply refuses, over logs of every kind,
// refusals and re-posts included.
func TestReplayIsApply(t *testing.T) {
	for _, tc := range append(workflows, workflow{"the November 2026 log", func(t *testing.T) [][]byte { return novemberLog(t) }}) {
		t.Run(tc.name, func(t *testing.T) {
			var applied, replayed mechanism.State
			for i, msg := range tc.log(t) {
				a, aerr := applied.Open(msg)
				r, rerr := replayed.Open(msg)
				if aerr == nil {
					_, aerr = applied.Apply(a)
				}
				if rerr == nil {
					rerr = replayed.Replay(r)
				}
				if fmt.Sprint(aerr) != fmt.Sprint(rerr) {
					t.Fatalf("entry %d: Apply says %v, Replay %v", i, aerr, rerr)
				}
			}
			if !bytes.Equal(mustSnapshot(t, &applied), mustSnapshot(t, &replayed)) {
				t.Error("Replay left another state than Apply")
			}
		})
	}
}

// TestGrow: a state that made room for the entries to come, before the
// first or midway, holds what one that did not holds.
func TestGrow(t *testing.T) {
	msgs := novemberLog(t)
	want := mustSnapshot(t, replay(msgs))
	for _, at := range []int{0, 1, len(msgs) / 2, len(msgs)} {
		st := new(mechanism.State)
		for i, msg := range msgs {
			if i == at {
				st.Grow(len(msgs) - at)
			}
			apply(st, msg)
		}
		if at == len(msgs) {
			st.Grow(100)
		}
		if got := mustSnapshot(t, st); !bytes.Equal(got, want) {
			t.Errorf("grown at entry %d of %d: the state differs from one never grown", at, len(msgs))
		}
	}
}
