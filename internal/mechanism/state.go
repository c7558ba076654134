// Package mechanism is the pure core of sulh: it takes the state of a
// mechanism and one signed statement, and returns the new state or a refusal
// with a reason. It knows the rulebook, bodies, members and their keys. It
// does no I/O.
package mechanism

import (
	"maps"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/statement"
)

// Statement kinds this package applies.
const (
	KindRulebook     = "rulebook"
	KindMemberEnrol  = "member.enrol"
	KindMemberRevoke = "member.revoke"
	KindKeyRotate    = "key.rotate"
)

// MaxSkew is how far ahead of the sequencer's clock a statement's time may
// be. The log's time is the latest statement time so far, so this bounds
// how far anyone can move it, and with it every deadline.
const MaxSkew = 5 * time.Minute

// Roles a key holds by virtue of the rulebook, beside those given at
// enrolment.
const (
	RoleFounder = "founder"
	RoleAdmin   = "admin"
)

// Key is one signed-note public key and who holds it.
type Key struct {
	Name   string // the member's name, which is the key's name
	Hash   uint32
	VKey   string // the verifier key string
	Active bool
	// Since is the log index of the statement that made the key valid; Until
	// is the index of the one that ended it, or -1.
	Since, Until int64

	verifier note.Verifier
}

// Member is a person or system that signs statements on behalf of a body.
type Member struct {
	Name  string   // also the name of its key
	Body  string   // empty for founders that belong to no body
	Roles []string // sorted
	Label string   // a human description, as enrolled
	// Key is the member's current key, or its last one once revoked.
	Key *Key
	// Enrolled is the index of the statement that enrolled the member (0 for
	// the rulebook); Revoked is the index that revoked it, or -1.
	Enrolled, Revoked int64
}

// Active reports whether the member may sign.
func (m *Member) Active() bool { return m.Key != nil && m.Key.Active }

// HasRole reports whether the member holds role.
func (m *Member) HasRole(role string) bool { return slices.Contains(m.Roles, role) }

// State is everything the mechanism knows after applying a prefix of its log.
// The zero value is the state of an empty log. State is not safe for
// concurrent use; Keys returns a snapshot that is.
type State struct {
	// Size is the number of statements applied.
	Size     int64
	Rulebook *Rulebook
	// Time is the log's time: the latest time any applied statement
	// claims. Deadlines are measured against it, so the state is the same
	// whenever and wherever the log is replayed.
	Time time.Time

	members     map[string]*Member
	keys        map[string][]*Key // by name, every key ever, oldest first
	ring        *Keyring          // snapshot of keys; rebuilt when keys change
	cases       map[int64]*Case
	commitments map[int64]*commitment
	actions     map[int64]string // party actions: index -> party
	evidence    map[string]*EvidenceItem
	tokens      map[string]*Token
	sealed      map[int64]*SealedItem
	open        deadlines          // open deadlines, soonest first
	leaves      []tlog.Hash        // every entry's leaf hash, to check refs
	texts       map[[32]byte]int64 // every text's first index (TextHash)
	reg         registries         // the registries of rules 3 (registry.go)

	// What the last Apply changed, for the views.
	changed          []*Member
	changedCases     []*Case
	changedDeadlines []*Deadline
	subjects         []int64
	payload          any
	signed           []Signer
	events           []Event
	// dry makes the kinds' handlers check a statement and stop before
	// changing anything (CheckSealed).
	dry bool

	// caseDeadlines are the deadlines of a new case under the rulebook
	// caseDeadlinesOf (newCaseDeadlines).
	caseDeadlines   []newCaseDeadline
	caseDeadlinesOf *Rulebook
}

// Signers returns what each signature of the last statement applied counts
// toward. The slice is valid until the next Apply.
func (s *State) Signers() []Signer { return s.signed }

// Changed returns the members that the last Apply changed (none if it
// refused the statement), so that views can be updated. The slice is valid
// until the next Apply.
func (s *State) Changed() []*Member { return s.changed }

// Member returns the member named name.
func (s *State) Member(name string) (*Member, bool) {
	m, ok := s.members[name]
	return m, ok
}

// Members returns every member, sorted by name.
func (s *State) Members() []*Member {
	out := make([]*Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Keyring is an immutable set of every key a mechanism has known, active or
// not. It implements note.Verifiers, so signatures by revoked keys still
// verify and Apply can refuse them with a precise reason.
type Keyring struct {
	byName map[string][]*Key
}

// Verifier implements note.Verifiers.
func (k *Keyring) Verifier(name string, hash uint32) (note.Verifier, error) {
	if k != nil {
		for _, key := range k.byName[name] {
			if key.Hash == hash {
				return key.verifier, nil
			}
		}
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}

// Current returns the active key of the member named name: none once the
// member is revoked, and only the newest once its key is rotated.
func (k *Keyring) Current(name string) (Key, bool) {
	if k != nil {
		for _, key := range k.byName[name] {
			if key.Active {
				return *key, true
			}
		}
	}
	return Key{}, false
}

// Keys returns a snapshot of every key known so far, safe for concurrent
// use. Statements can be verified against it outside the sequencer; Apply
// then checks that each key is still active.
func (s *State) Keys() *Keyring {
	if s.ring == nil {
		// Copies of the keys, not the state's own: the state ends and
		// rotates keys while other goroutines read the ring.
		m := make(map[string][]*Key, len(s.keys))
		for n, ks := range s.keys {
			cs := make([]Key, len(ks))
			l := make([]*Key, len(ks))
			for i, key := range ks {
				cs[i] = *key
				l[i] = &cs[i]
			}
			m[n] = l
		}
		s.ring = &Keyring{byName: m}
	}
	return s.ring
}

// Open parses and verifies a signed statement against the keys known in s.
// For an empty log, the statement must be a rulebook, and it is verified
// against the founders' keys that it names itself.
func (s *State) Open(msg []byte) (*statement.Statement, error) {
	if s.Size > 0 {
		return s.Keys().Open(msg)
	}
	st, err := statement.Parse(msg)
	if err != nil {
		return nil, err
	}
	if st.Kind != KindRulebook {
		return nil, statement.Invalid("the first statement of a log must be a rulebook, not %q", st.Kind)
	}
	var rb rulebookStatement
	if err := st.Decode(&rb); err != nil {
		return nil, err
	}
	var vs []note.Verifier
	for _, k := range rb.Rulebook.Founders.Keys {
		v, err := statement.ParseVerifierKey(k)
		if err != nil {
			return nil, statement.Invalid("rulebook: founders: %v", err)
		}
		vs = append(vs, v)
	}
	return statement.Open(msg, note.VerifierList(vs...))
}

// Open parses and verifies a signed statement against the keyring. A
// key.rotate statement is also verified against the new key it introduces,
// which must sign it.
func (k *Keyring) Open(msg []byte) (*statement.Statement, error) {
	st, err := statement.Open(msg, k)
	if err == nil {
		if payload, ok := payloads[st.Kind]; ok {
			st.Predecode(payload())
		}
		return st, nil
	}
	if e, ok := err.(*statement.Error); !ok || e.Code != statement.CodeForbidden {
		return nil, err
	}
	p, perr := statement.Parse(msg)
	if perr != nil {
		return nil, err
	}
	if p.Kind != KindKeyRotate {
		return nil, k.notCurrent(p, err)
	}
	var rs rotateStatement
	if derr := p.Decode(&rs); derr != nil {
		return nil, derr
	}
	v, verr := statement.ParseVerifierKey(rs.Key)
	if verr != nil {
		return nil, err
	}
	return statement.Open(msg, withKey{k, v})
}

// notCurrent says, of a statement that a key unknown to the keyring
// signed, when that key bears the name of a known member: it is not the
// member's current key. Otherwise it returns err.
func (k *Keyring) notCurrent(p *statement.Statement, err error) error {
	for _, sig := range p.Unverified {
		keys := k.byName[sig.Name]
		if len(keys) == 0 || slices.ContainsFunc(keys, func(key *Key) bool { return key.Hash == sig.Hash }) {
			continue
		}
		i := slices.IndexFunc(keys, func(key *Key) bool { return key.Active })
		if i < 0 {
			last := keys[len(keys)-1]
			return statement.Forbidden("the key %s+%08x is not %s's key, and %s has no current key (its last one ended at index %d); a revoked member signs nothing",
				sig.Name, sig.Hash, sig.Name, sig.Name, last.Until)
		}
		cur := keys[i]
		return statement.Forbidden("the key %s+%08x is not %s's current key (%s+%08x, current since index %d); sign with that key, or make the new one current with a key.rotate statement signed by both",
			sig.Name, sig.Hash, sig.Name, cur.Name, cur.Hash, cur.Since)
	}
	return err
}

// withKey is a keyring plus one more verifier.
type withKey struct {
	ring  *Keyring
	extra note.Verifier
}

func (w withKey) Verifier(name string, hash uint32) (note.Verifier, error) {
	if name == w.extra.Name() && hash == w.extra.KeyHash() {
		return w.extra, nil
	}
	return w.ring.Verifier(name, hash)
}

// Grow makes room in the state for n more entries: a replay that knows how
// many it will apply calls it first, so that what the state keeps of every
// entry is not copied again and again as it grows.
func (s *State) Grow(n int) {
	if n <= 0 {
		return
	}
	s.leaves = slices.Grow(s.leaves, n)
	// A map grows by copying: copy this one now only if at least as many
	// entries are to come as it holds.
	if n >= len(s.texts) {
		texts := make(map[[32]byte]int64, len(s.texts)+n)
		maps.Copy(texts, s.texts)
		s.texts = texts
	}
}

// Apply authorises and applies st, which must have been opened against this
// state's keys (or a snapshot of them), as the statement at index s.Size,
// and returns what it did. On a refusal it returns a *statement.Error and
// leaves s unchanged.
func (s *State) Apply(st *statement.Statement) (*Effects, error) {
	idx := s.Size
	if err := s.apply(st); err != nil {
		return nil, err
	}
	return s.effects(idx, st.Kind, st.Author), nil
}

// Replay applies st as Apply does, and returns no effects: for those who
// keep the state and nothing else, such as a log's verifier. Making a
// report's effects is a good part of Apply's time (BenchmarkReport).
func (s *State) Replay(st *statement.Statement) error { return s.apply(st) }

// apply is Apply without the effects.
func (s *State) apply(st *statement.Statement) error {
	s.changed, s.changedCases, s.changedDeadlines, s.subjects, s.payload = s.changed[:0], s.changedCases[:0], s.changedDeadlines[:0], s.subjects[:0], nil
	s.events = s.events[:0]
	if s.Size == 0 {
		if st.Kind != KindRulebook {
			return statement.Invalid("the first statement of a log must be a rulebook, not %q", st.Kind)
		}
		if err := s.genesis(st); err != nil {
			return err
		}
		s.Time = st.Time
		s.cases, s.commitments, s.actions = map[int64]*Case{}, map[int64]*commitment{}, map[int64]string{}
		s.evidence, s.tokens, s.sealed = map[string]*EvidenceItem{}, map[string]*Token{}, map[int64]*SealedItem{}
		// Grow may have made room for the entries to come.
		s.leaves = append(s.leaves[:0], tlog.RecordHash(st.Signed))
		if s.texts == nil {
			s.texts = map[[32]byte]int64{}
		}
		s.texts[TextHash(st)] = 0
		s.signed = s.signed[:0]
		for _, sig := range st.Signers {
			s.signed = append(s.signed, Signer{Name: sig.Name, Counts: "founders"})
		}
		return nil
	}
	if st.Mechanism != s.Rulebook.ID {
		return statement.Invalid("statement is for mechanism %q; this is %q", st.Mechanism, s.Rulebook.ID)
	}
	if err := s.checkRefs(st); err != nil {
		return err
	}
	for _, sig := range st.Signers {
		k := s.key(sig.Name, sig.Hash)
		if k == nil && st.Kind == KindKeyRotate {
			continue // the new key; rotate checks that it is the one named
		}
		if k == nil {
			return statement.Forbidden("signature by unknown key %q", sig.Name)
		}
		if !k.Active {
			if m, ok := s.members[sig.Name]; ok && m.Active() {
				return statement.Forbidden("the key %s+%08x is not %s's current key (replaced at index %d); sign with %s+%08x, current since index %d",
					sig.Name, sig.Hash, sig.Name, k.Until, m.Key.Name, m.Key.Hash, m.Key.Since)
			}
			return statement.Forbidden("key %q was revoked by the statement at index %d", sig.Name, k.Until)
		}
	}
	// The author signs with its current key: another key of the same name
	// (a new one being rotated in, or an old one) does not make it the
	// author.
	if a, ok := s.members[st.Author]; !ok || !a.Active() || !st.SignedBy(a.Name, a.Key.Hash) {
		return statement.Forbidden("the statement is not signed by the current key of an active member named %q", st.Author)
	}
	text := TextHash(st)
	if idx, ok := s.texts[text]; ok && s.rules() >= Rules2 {
		return statement.Duplicate(idx)
	}
	signed, err := s.signers(st)
	if err != nil {
		return err
	}
	if s.rules() >= Rules2 {
		if err := checkClean(st.Kind, st.JSON); err != nil {
			return err
		}
	}
	now := s.Time
	if st.Time.After(now) {
		now = st.Time
	}
	err = s.applyKind(st, now)
	if err != nil {
		s.changed, s.changedCases, s.changedDeadlines, s.subjects, s.payload = s.changed[:0], s.changedCases[:0], s.changedDeadlines[:0], s.subjects[:0], nil
		s.events = s.events[:0]
		return err
	}
	s.Time = now
	s.sweep(now)
	s.leaves = append(s.leaves, tlog.RecordHash(st.Signed))
	if _, ok := s.texts[text]; !ok {
		s.texts[text] = s.Size
	}
	s.signed = signed
	s.Size++
	return nil
}

// applyKind authorises and applies st by the rules of its kind, with the
// log's time now.
func (s *State) applyKind(st *statement.Statement, now time.Time) error {
	apply, ok := kinds[st.Kind]
	if !ok {
		return statement.Invalid("unknown statement kind %q", st.Kind)
	}
	return apply(s, st, now)
}

// kinds applies each kind of statement, by its name. Each kind's name,
// payload and handler are in a file of its own, named for it.
var kinds = map[string]func(*State, *statement.Statement, time.Time) error{
	KindRulebook:       (*State).applyRulebook,
	KindMemberEnrol:    (*State).applyMemberEnrol,
	KindMemberRevoke:   (*State).applyMemberRevoke,
	KindKeyRotate:      (*State).applyKeyRotate,
	KindReport:         (*State).applyReport,
	KindReply:          (*State).applyReply,
	KindCaseAdvance:    (*State).applyCaseAdvance,
	KindFinding:        (*State).applyFinding,
	KindEndorsement:    (*State).applyEndorsement,
	KindPenalty:        (*State).applyPenalty,
	KindCommitment:     (*State).applyCommitment,
	KindAction:         (*State).applyAction,
	KindCrossingStatus: (*State).applyCrossingStatus,
	KindMeeting:        (*State).applyMeeting,
	KindPublication:    (*State).applyPublication,
	KindEvidence:       (*State).applyEvidence,
	KindVerification:   (*State).applyVerification,
	KindTokenIssue:     (*State).applyTokenIssue,
	KindTokenRevoke:    (*State).applyTokenRevoke,
	KindSealed:         (*State).applySealed,
	KindDisclosure:     (*State).applyDisclosure,
	KindActor:          (*State).applyActor,
	KindActorClaim:     (*State).applyActorClaim,
	KindPlace:          (*State).applyPlace,
	KindCaseLink:       (*State).applyCaseLink,
	KindCaseUnlink:     (*State).applyCaseUnlink,
	KindCaseClose:      (*State).applyCaseClose,
}

// payloads make the payload into which a kind's handler decodes its
// statements first, for the kinds filed in numbers: the goroutines that
// open statements decode them (see statement.Predecode), so that the
// state, which applies statements one at a time, does not.
var payloads = map[string]func() any{
	KindReport:         func() any { return new(Report) },
	KindReply:          func() any { return new(Reply) },
	KindCaseAdvance:    func() any { return new(CaseAdvance) },
	KindFinding:        func() any { return new(Finding) },
	KindEndorsement:    func() any { return new(Endorsement) },
	KindPenalty:        func() any { return new(Penalty) },
	KindCommitment:     func() any { return new(Commitment) },
	KindAction:         func() any { return new(Action) },
	KindCrossingStatus: func() any { return new(CrossingStatus) },
	KindMeeting:        func() any { return new(Meeting) },
	KindPublication:    func() any { return new(Publication) },
	KindEvidence:       func() any { return new(Evidence) },
	KindVerification:   func() any { return new(Verification) },
	KindActor:          func() any { return new(ActorEntry) },
	KindActorClaim:     func() any { return new(ActorClaim) },
	KindPlace:          func() any { return new(AddedPlace) },
	KindCaseLink:       func() any { return new(CaseLink) },
	KindCaseUnlink:     func() any { return new(CaseUnlink) },
	KindCaseClose:      func() any { return new(CaseClose) },
}

// predecoded returns st's payload as a *T: the one that the goroutine
// that opened st decoded (Keyring.Open), shared and not copied, or else one
// decoded now. A handler that takes its payload so must not change it: a
// dry run and the statement's apply read the same value, and so do the
// views from the effects.
func predecoded[T any](st *statement.Statement) (*T, error) {
	if v, err := st.Predecoded(); v != nil {
		if p, ok := v.(*T); ok {
			return p, err
		}
	}
	p := new(T)
	return p, st.Decode(p)
}

// Kinds lists every statement kind, in the order docs/statements.md
// describes them.
var Kinds = []string{
	KindRulebook, KindMemberEnrol, KindMemberRevoke, KindKeyRotate,
	KindReport, KindReply, KindCaseAdvance, KindFinding, KindEndorsement, KindPenalty,
	KindCommitment, KindAction, KindCrossingStatus, KindMeeting, KindPublication,
	KindEvidence, KindVerification, KindTokenIssue, KindTokenRevoke, KindSealed, KindDisclosure,
	KindActor, KindActorClaim,
	KindPlace,
	KindCaseLink, KindCaseUnlink,
	KindCaseClose,
}

// checkRefs checks that st refers to entries of the log by their leaf
// hashes.
func (s *State) checkRefs(st *statement.Statement) error {
	for _, r := range st.Refs {
		if r.Index >= s.Size {
			return statement.Invalid("refs: index %d is not in the log yet (size %d)", r.Index, s.Size)
		}
		if r.Hash != s.leaves[r.Index] {
			return statement.Invalid("refs: the entry at index %d has leaf hash %v, not %v", r.Index, s.leaves[r.Index], r.Hash)
		}
	}
	return nil
}

func (s *State) key(name string, hash uint32) *Key {
	for _, k := range s.keys[name] {
		if k.Hash == hash {
			return k
		}
	}
	return nil
}

// author returns the active member who wrote st.
func (s *State) author(st *statement.Statement) (*Member, error) {
	m, ok := s.members[st.Author]
	if !ok || !m.Active() {
		return nil, statement.Forbidden("author %q is not an active member", st.Author)
	}
	return m, nil
}

// OpenAll opens msgs concurrently against the keyring, on every core. The
// result has nil for each statement that did not verify against it, such as
// one signed by a key enrolled among msgs themselves: open those with
// State.Open when their turn comes.
func (k *Keyring) OpenAll(msgs [][]byte) []*statement.Statement {
	out := make([]*statement.Statement, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), len(msgs))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(msgs); i += workers {
				if st, err := k.Open(msgs[i]); err == nil {
					out[i] = st
				}
			}
		}()
	}
	wg.Wait()
	return out
}
