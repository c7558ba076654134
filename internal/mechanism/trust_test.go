package mechanism_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// setUpRules2 is setUpCase under rules 2: the workflow's bodies and
// members, and alice's report against party-b opening case 5.
func setUpRules2(t *testing.T) *fixture {
	f := newFixture(t)
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules = mechanism.Rules2
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		f.must(msg)
	}
	f.must(f.report("alice", nil)) // 5
	return f
}

// reorder returns msg with its signature lines in reverse order.
func reorder(t *testing.T, msg []byte) []byte {
	t.Helper()
	i := bytes.Index(msg, []byte("\n\n"))
	lines := strings.Split(strings.TrimSuffix(string(msg[i+2:]), "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("the note has %d signature lines; want 2 or more", len(lines))
	}
	slices.Reverse(lines)
	out := string(msg[:i+2]) + strings.Join(lines, "\n") + "\n"
	if out == string(msg) {
		t.Fatal("reordering changed nothing")
	}
	return []byte(out)
}

// wantDuplicate checks that err refuses a statement whose text is at idx.
func wantDuplicate(t *testing.T, err error, idx int64) {
	t.Helper()
	wantError(t, err, statement.CodeDuplicate, "already in the log")
	var e *statement.Error
	if errors.As(err, &e) && e.Index != idx {
		t.Errorf("the duplicate's index is %d, want %d", e.Index, idx)
	}
}

// TestStatementIsItsText: under rules 2, a text is logged once, whatever
// its signatures; re-posting a multi-signature statement with its lines
// re-ordered, or with one more co-signature, is refused.
func TestStatementIsItsText(t *testing.T) {
	f := setUpRules2(t)
	f.toStage(caseID, "board")
	c := f.getCase(caseID)
	findingMsg := f.log[c.Finding]
	wantDuplicate(t, f.submit(reorder(t, findingMsg)), c.Finding)

	// The same text with one more signature: a party's key on the
	// mediators' finding.
	text := findingMsg[:bytes.Index(findingMsg, []byte("\n\n"))+1]
	st, err := statement.Parse(findingMsg)
	if err != nil {
		t.Fatal(err)
	}
	extra := f.sign(st.JSON, "admin-m1", "admin-m2", "alice")
	if !bytes.HasPrefix(extra, text) {
		t.Fatal("the co-signed note has another text")
	}
	wantDuplicate(t, f.submit(extra), c.Finding)

	endorsement := f.endorse(caseID, c.Finding, nil)
	f.must(endorsement)
	penalty := f.penalize(caseID, c.Finding, nil)
	f.must(penalty)
	wantDuplicate(t, f.submit(reorder(t, penalty)), int64(len(f.log)-1))
	if got := len(f.getCase(caseID).Penalties); got != 1 {
		t.Errorf("case has %d penalties, want 1", got)
	}

	// A monitor's co-signature on a party's report opened a second case.
	rep, _ := statement.Parse(f.log[caseID])
	wantDuplicate(t, f.submit(f.sign(rep.JSON, "alice", "mo")), caseID)
}

// TestSignersPerKind: each kind takes exactly the signers it calls for,
// and says what each signature counts toward.
func TestSignersPerKind(t *testing.T) {
	f := setUpRules2(t)
	forb := statement.CodeForbidden
	// A report co-signed by another member, with a new text.
	wantError(t, f.submit(f.stmt(mechanism.KindReport, with(fullReport(), fields{"channel": "party", "summary": "Second report"}), "alice", "mo")),
		forb, `the signature by "mo" counts toward nothing a report statement calls for`, "the author's current key")
	f.toStage(caseID, "draft")
	// A finding co-signed by a party.
	wantError(t, f.submit(f.finding(caseID, nil, "admin-m1", "admin-m2", "alice")), forb, `the signature by "alice" counts toward nothing`, `toward the "finding" quorum`)
	f.must(f.finding(caseID, nil, "admin-m1", "admin-m2"))
	want := []mechanism.Signer{{Name: "admin-m1", Body: "mediator-1", Counts: "finding"}, {Name: "admin-m2", Body: "mediator-2", Counts: "finding"}}
	if got := f.st.Signers(); !slices.Equal(got, want) {
		t.Errorf("Signers = %+v, want %+v", got, want)
	}
	// A rulebook amendment co-signed by an administrator.
	wantError(t, f.submit(f.rulebookMsg(f.amended(), "founder-1", "founder-2", "admin-a")), forb, `the signature by "admin-a" counts toward nothing`, "founders' keys")
	// A key rotation: the author and the new key, nobody else.
	f.newKey("alice-2", "alice")
	wantError(t, f.submit(f.rotateMsg("alice", "alice-2", "alice", "alice-2", "bob")), forb, `"bob" counts toward nothing`)
	f.must(f.rotateMsg("alice", "alice-2", "alice", "alice-2"))
	want = []mechanism.Signer{{Name: "alice", Body: "party-a", Counts: "author"}, {Name: "alice", Counts: "new_key"}}
	if got := f.st.Signers(); !slices.Equal(got, want) {
		t.Errorf("Signers = %+v, want %+v", got, want)
	}
}

// TestBlamedReporterReplies: a finding that blames the reporting party
// gives it the right of reply, and the board cannot endorse or penalise
// before its window has passed or it has replied.
func TestBlamedReporterReplies(t *testing.T) {
	f := setUpRules2(t)
	f.toStage(caseID, "draft")
	// Before any finding, only the accused replies.
	wantError(t, f.submit(f.reply("alice", caseID, nil)), statement.CodeForbidden, "only the accused party and the bodies a finding blames may reply")
	f.must(f.finding(caseID, fields{"party": "party-a"})) // blames the reporter
	f.must(f.advance("admin-m1", caseID, "party_reply", nil))
	d := f.getCase(caseID).Deadlines
	last := d[len(d)-1]
	if last.Name != mechanism.DeadlineReply || !slices.Equal(last.Bodies, []string{"party-b", "party-a"}) {
		t.Fatalf("the reply window is %+v; want one for party-b (accused) and party-a (blamed)", last)
	}
	f.must(f.reply("bob", caseID, nil))
	wantError(t, f.submit(f.advance("admin-m1", caseID, "technical_committee", nil)), statement.CodeInvalid, "may reply on case 5 until")
	f.must(f.reply("alice", caseID, fields{"text": "Our post returned fire only."}))
	if c := f.getCase(caseID); len(c.Replies) != 2 || last.Status != mechanism.DeadlineMet {
		t.Fatalf("replies %v, window %s; want both replies and the window met", c.Replies, last.Status)
	}
	f.must(f.advance("admin-m1", caseID, "technical_committee", nil))
	f.must(f.advance("admin-m1", caseID, "board", nil))
	f.must(f.endorse(caseID, f.getCase(caseID).Finding, nil))
	f.must(f.penalize(caseID, f.getCase(caseID).Finding, fields{"party": "party-a"}))
}

// TestFindingReplacedAfterReply: a finding replaced in the technical
// committee sends the case back to the reply stage with a new window for
// the body it blames; the board waits for that window.
func TestFindingReplacedAfterReply(t *testing.T) {
	f := setUpRules2(t)
	f.toStage(caseID, "draft")
	f.must(f.finding(caseID, fields{"outcome": mechanism.OutcomeCleared})) // blames nobody
	f.must(f.advance("admin-m1", caseID, "party_reply", nil))
	f.must(f.reply("bob", caseID, nil))
	f.must(f.advance("admin-m1", caseID, "technical_committee", nil))
	f.must(f.finding(caseID, fields{"party": "party-a", "at": after(time.Hour)})) // now attributed to the reporter
	c := f.getCase(caseID)
	if c.Stage != "party_reply" || c.Entered != c.Finding {
		t.Fatalf("case in stage %q entered at %d; want party_reply, entered by the finding at %d", c.Stage, c.Entered, c.Finding)
	}
	d := c.Deadlines[len(c.Deadlines)-1]
	if d.Opened != c.Finding || !slices.Equal(d.Bodies, []string{"party-a"}) || !d.Due.Equal(t0.Add(time.Hour+72*time.Hour)) {
		t.Fatalf("new window %+v; want party-a's, opened by the finding, due 72h after it", d)
	}
	wantError(t, f.submit(f.advance("admin-m1", caseID, "technical_committee", fields{"at": after(2 * time.Hour)})), statement.CodeInvalid, "[party-a] may reply on case 5")
	// Once the window has passed, the case goes on and the board may act.
	late := after(80 * time.Hour)
	f.must(f.advance("admin-m1", caseID, "technical_committee", fields{"at": late}))
	f.must(f.advance("admin-m1", caseID, "board", fields{"at": late}))
	f.must(f.endorse(caseID, c.Finding, fields{"at": late}))
	f.must(f.penalize(caseID, c.Finding, fields{"party": "party-a", "at": late}))
}

// TestEndorsementWaitsForWindow: where the rulebook lets the board endorse
// in the same stage as a finding, the finding's window still binds it.
func TestEndorsementWaitsForWindow(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"admin-mon", "bea", "mo"} {
		f.newKey(n, n)
	}
	rb := f.rulebook()
	rb.Rules = mechanism.Rules2
	rb.Stages[6].Allows = []string{mechanism.KindFinding, mechanism.KindEndorsement}
	f.must(f.rulebookMsg(rb))
	f.must(f.enrolMsg("admin-a", "party-a", "alice"))
	f.must(f.enrolMsg("admin-b", "party-b", "bob"))
	f.must(f.enrolMsg("admin-board", "board", "bea"))
	f.must(f.reportMsg("admin-m1", "filler")) // 4
	f.must(f.report("alice", nil))            // 5
	f.toStage(caseID, "board")
	f.must(f.finding(caseID, fields{"party": "party-a", "confidence": "low", "at": after(time.Hour)}))
	c := f.getCase(caseID)
	if c.Stage != "party_reply" {
		t.Fatalf("stage %q after a new finding in the board stage; want party_reply", c.Stage)
	}
	wantError(t, f.submit(f.endorse(caseID, c.Finding, fields{"at": after(2 * time.Hour)})), statement.CodeInvalid)
	wantError(t, f.submit(f.penalize(caseID, c.Finding, fields{"party": "party-a", "at": after(2 * time.Hour)})), statement.CodeInvalid,
		"a penalty attaches only to an endorsed finding")
}

// TestCleanText: under rules 2, text refuses control and bidi override
// characters and keeps the marks that Urdu, Pashto and Dari need.
func TestCleanText(t *testing.T) {
	f := setUpRules2(t)
	inv := statement.CodeInvalid
	for _, tc := range []struct {
		name  string
		extra fields
		want  string
	}{
		// The refusal docs/statements.md shows.
		{"bidi override in a place", fields{"place": place(fields{"name": "Tor\u202ekham"})}, "report: name: contains the character U+202E at byte 3, which is not allowed in text (control and bidi override characters)"},
		{"escape in a summary", fields{"summary": "Torkham\u001b[31m"}, "U+001B"},
		{"NUL in text", fields{"text": "a\u0000b"}, "U+0000"},
		{"isolate in text", fields{"text": "a\u2067b"}, "U+2067"},
		{"C1 control", fields{"text": "a\u0085b"}, "U+0085"},
		{"newline in a place", fields{"place": place(fields{"name": "Tor\nkham"})}, "U+000A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.submit(f.report("alice", with(tc.extra, fields{"summary": tc.name}, tc.extra))), inv, tc.want)
		})
	}
	f.must(f.report("alice", fields{"summary": "مى\u200cخواهم", "text": "line one\n\tline two \u200f\u200e\u200d", "language": "fa"}))
}

// TestRulesNeverLowered: an amendment may raise the rules, not lower them.
func TestRulesNeverLowered(t *testing.T) {
	f := setUpRules2(t)
	rb := f.amended()
	rb.Rules = mechanism.Rules1
	wantError(t, f.submit(f.rulebookMsg(rb)), statement.CodeInvalid, "cannot go back from rules 2 to rules 1")
	rb.Rules = mechanism.RulesCurrent + 1
	wantError(t, f.submit(f.rulebookMsg(rb)), statement.CodeInvalid, fmt.Sprintf("rules must be from 1 to %d", mechanism.RulesCurrent))
}

// TestReplayLogOfNovember2026 replays the log that the November 2026
// release wrote (testdata/logs/2026-11 at the top of the module): it follows rules 1, under which
// every entry stays valid, including a penalty re-posted with its
// signatures re-ordered, which that release took as a second penalty.
// Amended to rules 2, the same re-post is refused.
func TestReplayLogOfNovember2026(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "logs", "2026-11")
	entries := releaseEntries(t, "2026-11")
	var st mechanism.State
	var hashes []tlog.Hash
	for i, e := range entries {
		s, err := st.Open(e)
		if err == nil {
			_, err = st.Apply(s)
		}
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		hs, err := tlog.StoredHashes(int64(i), e, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, x := range idx {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	if st.Size != 62 || st.Rulebook.RulesVersion() != mechanism.Rules1 {
		t.Fatalf("size %d under rules %d; want 62 under rules 1", st.Size, st.Rulebook.RulesVersion())
	}
	// The checkpoint signs the tree the entries make.
	key, _ := os.ReadFile(filepath.Join(dir, "key"))
	v, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := os.ReadFile(filepath.Join(dir, "checkpoint"))
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlog.TreeHash(62, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = hashes[x]
		}
		return out, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(n.Text, "\n62\n"+root.String()+"\n") {
		t.Fatalf("the checkpoint %q does not sign the replayed tree %v", n.Text, root)
	}
	var penalised *mechanism.Case
	for id := int64(0); id < st.Size; id++ {
		if c, ok := st.Case(id); ok && len(c.Penalties) > 0 {
			penalised = c
		}
	}
	if penalised == nil || !slices.Equal(penalised.Penalties, []int64{52, 61}) {
		t.Fatalf("penalised case %+v; want penalties 52 and 61 (the re-post), as rules 1 took them", penalised)
	}

	// The founders amend the rulebook to rules 2; the re-post is refused.
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
	obj, err := json.Marshal(map[string]any{"mechanism": rb.ID, "kind": mechanism.KindRulebook, "author": signers[0].Name(),
		"at": statement.FormatTime(st.Time), "refs": []any{}, "rulebook": rb})
	if err != nil {
		t.Fatal(err)
	}
	amend, err := statement.Sign(obj, signers...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Open(amend)
	if err == nil {
		_, err = st.Apply(s)
	}
	if err != nil {
		t.Fatalf("amending to rules 2: %v", err)
	}
	for _, i := range []int{52, 61} {
		s, err := st.Open(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Apply(s)
		wantDuplicate(t, err, 52)
	}
}

// TestConfidentialFinding: where the rulebook keeps findings confidential
// until endorsed, a finding is filed sealed with its case in the clear and
// the finding quorum's signatures, readable by the mediators, the board
// and the case's parties; every party of the case gets a window; the
// endorsement discloses it.
func TestConfidentialFinding(t *testing.T) {
	f := newFixture(t)
	msgs := workflowSetup(f)
	rb := f.rulebook()
	rb.Bodies = append(rb.Bodies, mechanism.Body{ID: "monitors", Type: mechanism.BodyMonitor, Name: "Monitors", Administrators: []string{f.k("admin-mon").vkey}})
	rb.Rules, rb.ConfidentialFindings = mechanism.Rules2, true
	msgs[0] = f.rulebookMsg(rb)
	for _, msg := range msgs {
		f.must(msg)
	}
	f.must(f.report("alice", nil)) // 5
	f.toStage(caseID, "draft")
	inv, forb := statement.CodeInvalid, statement.CodeForbidden
	wantError(t, f.submit(f.finding(caseID, nil)), inv, "findings stay confidential until endorsed")

	body := f.obj(mechanism.KindFinding, "admin-m1", fields{"case": caseID, "outcome": mechanism.OutcomeAttributed, "party": "party-b",
		"confidence": "high", "rationale": "The craters face party-b's positions.", "rulebook_version": 1})
	salt := bytes.Repeat([]byte{7}, 32)
	readers := []string{"board", "mediator-1", "mediator-2", "party-a", "party-b"}
	sealed := func(visibility []string, signers ...string) []byte {
		return f.stmt(mechanism.KindSealed, fields{"sealed_kind": mechanism.KindFinding, "case": caseID, "visibility": visibility,
			"digest": mechanism.SealDigest(salt, body)}, signers...)
	}
	x := &mechanism.Sealed{SealedKind: mechanism.KindFinding, Case: new(caseID)}
	if err := f.st.CheckSealed(body, x, "admin-m1"); err != nil {
		t.Fatalf("CheckSealed: %v", err)
	}
	wantError(t, f.st.CheckSealed(body, &mechanism.Sealed{SealedKind: mechanism.KindFinding, Case: new(int64(4))}, "admin-m1"), inv, "its case must be the case")
	wantError(t, f.submit(sealed(readers, "admin-m1")), forb, `the "finding" quorum needs`)
	wantError(t, f.submit(sealed(readers[1:], "admin-m1", "admin-m2")), inv, `"board" is missing`)
	wantError(t, f.submit(sealed(readers, "admin-m1", "admin-m2", "alice")), forb, `"alice" counts toward nothing`)
	f.must(sealed(readers, "admin-m1", "admin-m2"))
	fi := int64(len(f.log) - 1)
	if c := f.getCase(caseID); c.Finding != fi || c.Party != "" || !slices.Equal(c.Blamed, []string{"party-a", "party-b"}) {
		t.Fatalf("case after the confidential finding: finding %d, party %q, blamed %v", c.Finding, c.Party, c.Blamed)
	}
	wantError(t, f.submit(f.disclosure("admin-m1", fi, nil)), inv, "disclosed by its endorsement")

	f.must(f.advance("admin-m1", caseID, "party_reply", nil))
	f.must(f.reply("bob", caseID, nil))
	wantError(t, f.submit(f.advance("admin-m1", caseID, "technical_committee", nil)), inv, "may reply on case 5")
	f.must(f.reply("alice", caseID, fields{"text": "We do not know what the finding says; we stand by our report."}))
	f.must(f.advance("admin-m1", caseID, "technical_committee", nil))
	f.must(f.advance("admin-m1", caseID, "board", nil))
	wantError(t, f.submit(f.endorse(caseID, fi, nil)), inv, "is confidential: the endorsement discloses it")
	wantError(t, f.submit(f.endorse(caseID, fi, fields{"salt": hexOf(salt), "body": json.RawMessage(f.sealedBody("admin-m1"))})), inv, "do not give the digest")
	f.must(f.endorse(caseID, fi, fields{"salt": hexOf(salt), "body": json.RawMessage(body)}))
	c := f.getCase(caseID)
	if it, _ := f.st.SealedStatement(fi); c.Party != "party-b" || c.Outcome != mechanism.OutcomeAttributed || it.Disclosed != c.Endorsed {
		t.Fatalf("after the endorsement: party %q, outcome %q, disclosed %d (endorsed %d)", c.Party, c.Outcome, it.Disclosed, c.Endorsed)
	}
	f.must(f.penalize(caseID, fi, nil))
}
