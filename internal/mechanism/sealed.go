package mechanism

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// Kinds of confidential statements.
const (
	KindSealed     = "sealed"
	KindDisclosure = "disclosure"
)

// SealableKinds are the kinds a sealed statement may hold.
var SealableKinds = []string{KindReport, KindReply, KindEvidence, KindVerification, KindAction, KindCommitment, KindCrossingStatus}

// MaxSealedBody is the largest sealed body, in bytes: its disclosure,
// which carries it, must fit in one statement.
const MaxSealedBody = 60000

// Sealed is a confidential statement: the log holds its author's signature
// over its kind, its visibility and the SHA-256 of a salt followed by its
// body, so that it is provably filed when it is filed; the body is kept
// beside the log and shown only to the bodies in Visibility and the
// author's own. A sealed statement changes no case and no public figure.
type Sealed struct {
	statement.Fields
	SealedKind string   `json:"sealed_kind"`
	Visibility []string `json:"visibility"`
	Digest     string   `json:"digest"`
	// Case is the case of a confidential finding, and only of one.
	Case *int64 `json:"case,omitempty"`
}

// Disclosure publishes a sealed statement's body and salt, so that anyone
// can check them against the digest in the log. The body stays what it was:
// a record, not applied to cases.
type Disclosure struct {
	statement.Fields
	Sealed int64           `json:"sealed"`
	Salt   string          `json:"salt"`
	Body   json.RawMessage `json:"body"`
}

// SealedItem is what the state knows of a sealed statement.
type SealedItem struct {
	Index      int64
	Author     string
	Body       string // the author's body
	Kind       string
	Visibility []string
	Digest     string
	// Disclosed is the index of its disclosure, or -1.
	Disclosed int64
	// Case and Version are, for a confidential finding, its case and the
	// rulebook version in force when it was filed.
	Case    int64
	Version int
}

// MayRead reports whether members of body reader may read what a sealed
// statement holds, its body and the files it registers: the author's own
// body and those its visibility names, and everyone once it is disclosed.
// reader is "" for someone who is not a member.
func MayRead(reader, author string, visibility []string, disclosed bool) bool {
	return disclosed || reader != "" && (reader == author || slices.Contains(visibility, reader))
}

// SealedStatement returns the sealed statement at index idx.
func (s *State) SealedStatement(idx int64) (*SealedItem, bool) {
	it, ok := s.sealed[idx]
	return it, ok
}

// SealDigest is the digest of a sealed body: the SHA-256 of the salt
// followed by the body's bytes, in lower-case hex.
func SealDigest(salt, body []byte) string {
	h := sha256.New()
	h.Write(salt)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// CheckSealedBody checks that body is a statement's JSON object of kind,
// written by author for mechanism, and returns its fields.
func CheckSealedBody(body []byte, mechanism, kind, author string) error {
	if len(body) > MaxSealedBody {
		return &statement.Error{Code: statement.CodeTooLarge, Reason: fmt.Sprintf("the sealed body has %d bytes; at most %d", len(body), MaxSealedBody)}
	}
	d := json.NewDecoder(bytes.NewReader(body))
	var f statement.Fields
	var rest map[string]json.RawMessage
	if err := d.Decode(&rest); err != nil || rest == nil {
		return statement.Malformed("the sealed body is not a JSON object")
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return statement.Malformed("the sealed body's fields: %v", err)
	}
	if f.Mechanism != mechanism || f.Kind != kind || f.Author != author {
		return statement.Invalid("the sealed body must be a %s statement by %s for mechanism %s, with those in its mechanism, kind and author", kind, author, mechanism)
	}
	return nil
}

// CheckSealed checks body, the confidential object of a sealed statement
// of kind by author, by every rule the statement would meet if its author
// filed it in public now, so that what is sealed can always be disclosed.
// It changes nothing.
func (s *State) CheckSealed(body []byte, x *Sealed, author string) error {
	kind := x.SealedKind
	if len(body) > MaxSealedBody {
		return &statement.Error{Code: statement.CodeTooLarge, Reason: fmt.Sprintf("the sealed body has %d bytes; at most %d", len(body), MaxSealedBody)}
	}
	if kind == KindFinding && s.Rulebook.ConfidentialFindings {
		return s.checkSealedFinding(body, x, author)
	}
	if !slices.Contains(SealableKinds, kind) {
		return field(KindSealed, "sealed_kind", "%q is not one of %v", kind, SealableKinds)
	}
	st, err := statement.ParseObject(body)
	if err != nil {
		return sealedBodyError(err)
	}
	if st.Mechanism != s.Rulebook.ID || st.Kind != kind || st.Author != author {
		return statement.Invalid("the sealed body must be a %s statement by %s for mechanism %s, with those in its mechanism, kind and author", kind, author, s.Rulebook.ID)
	}
	if err := s.checkRefs(st); err != nil {
		return sealedBodyError(err)
	}
	if s.rules() >= Rules2 {
		if err := checkClean(kind, st.JSON); err != nil {
			return sealedBodyError(err)
		}
	}
	now := s.Time
	if st.Time.After(now) {
		now = st.Time
	}
	// What the last Apply changed stays as it was: the views may not have
	// read it yet.
	payload, subjects, changed := s.payload, len(s.subjects), len(s.changedCases)
	members, deadlines := len(s.changed), len(s.changedDeadlines)
	s.dry = true
	defer func() {
		s.dry = false
		s.payload, s.subjects, s.changedCases = payload, s.subjects[:subjects], s.changedCases[:changed]
		s.changed, s.changedDeadlines = s.changed[:members], s.changedDeadlines[:deadlines]
	}()
	if err := s.applyKind(st, now); err != nil {
		return sealedBodyError(err)
	}
	return nil
}

// sealedBodyError says that err is about the sealed body.
func sealedBodyError(err error) error {
	if e, ok := err.(*statement.Error); ok {
		return &statement.Error{Code: e.Code, Reason: "the sealed body: " + e.Reason}
	}
	return err
}

func (s *State) applySealed(st *statement.Statement, now time.Time) error {
	const k = KindSealed
	x := new(Sealed)
	if err := st.Decode(x); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	if x.SealedKind == KindFinding && s.Rulebook.ConfidentialFindings {
		return s.sealFinding(st, x, b, now)
	}
	if err := checkEnum(k, "sealed_kind", x.SealedKind, SealableKinds); err != nil {
		return err
	}
	if x.Case != nil {
		return field(k, "case", "is given only for a confidential finding")
	}
	if err := checkIDs(k, "visibility", x.Visibility, func(id string) bool { _, ok := s.Rulebook.Body(id); return ok }, "a body of this mechanism"); err != nil {
		return err
	}
	if !sha256RE.MatchString(x.Digest) {
		return field(k, "digest", "must be a SHA-256 in lower-case hex")
	}
	s.sealed[s.Size] = &SealedItem{Index: s.Size, Author: st.Author, Body: b.ID, Kind: x.SealedKind,
		Visibility: slices.Clone(x.Visibility), Digest: x.Digest, Disclosed: -1}
	s.payload = x
	return nil
}

func (s *State) applyDisclosure(st *statement.Statement, _ time.Time) error {
	const k = KindDisclosure
	x := new(Disclosure)
	if err := st.Decode(x); err != nil {
		return err
	}
	_, b, err := s.memberBody(st)
	if err != nil {
		return err
	}
	it, ok := s.sealed[x.Sealed]
	if !ok {
		return field(k, "sealed", "there is no sealed statement at index %d", x.Sealed)
	}
	if it.Disclosed >= 0 {
		return field(k, "sealed", "the sealed statement at %d was disclosed at index %d", it.Index, it.Disclosed)
	}
	if it.Kind == KindFinding {
		return field(k, "sealed", "the confidential finding at %d is disclosed by its endorsement", it.Index)
	}
	if st.Author != it.Author && b.Type != BodyMediator {
		return statement.Forbidden("disclosure: only the sealed statement's author or a mediator may disclose it")
	}
	salt, err := hex.DecodeString(x.Salt)
	if err != nil || len(salt) != 32 {
		return field(k, "salt", "must be 32 bytes in hex")
	}
	if err := CheckSealedBody(x.Body, s.Rulebook.ID, it.Kind, it.Author); err != nil {
		return err
	}
	if SealDigest(salt, x.Body) != it.Digest {
		return field(k, "body", "the salt and body do not give the digest the sealed statement at %d holds", it.Index)
	}
	it.Disclosed = s.Size
	s.payload = x
	return nil
}
