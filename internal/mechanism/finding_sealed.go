package mechanism

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// A confidential finding (Rulebook.ConfidentialFindings) is a sealed
// statement of sealed_kind "finding" that names its case in the clear and is
// signed by the finding quorum, so that every verifier checks the quorum.
// Until the board endorses it, the case's latest finding is known to be
// there but not what it says: every party of the case (its reporter and its
// accused) has a window to answer it, since any of them may be the one it
// blames. The endorsement carries its salt and body, which disclose it and
// give the case its outcome.

// concerned lists the parties a confidential finding on c may blame: the
// case's reporter, if a party, and its accused.
func (s *State) concerned(c *Case) []string {
	var out []string
	if b, ok := s.Rulebook.Body(c.Reporter); ok && b.Type == BodyParty {
		out = append(out, c.Reporter)
	}
	if c.Accused != "" && !slices.Contains(out, c.Accused) {
		out = append(out, c.Accused)
	}
	return out
}

// findingReaders are the bodies that must be able to read a confidential
// finding on c: the finding's and the endorsement's quorums, and the
// parties it may blame.
func (s *State) findingReaders(c *Case) []string {
	var out []string
	for _, q := range []string{QuorumFinding, QuorumEndorsement} {
		out = append(out, s.Rulebook.Quorums[q].Bodies...)
	}
	out = append(out, s.concerned(c)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// sealFinding applies a confidential finding.
func (s *State) sealFinding(st *statement.Statement, x *Sealed, author *Body, now time.Time) error {
	const k = KindSealed
	if x.Case == nil {
		return field(k, "case", "is required for a confidential finding")
	}
	c, err := s.caseFor(k, *x.Case)
	if err != nil {
		return err
	}
	if err := s.decisionStage(KindFinding, c); err != nil {
		return err
	}
	if err := s.quorum(QuorumFinding, st); err != nil {
		return err
	}
	if err := checkIDs(k, "visibility", x.Visibility, func(id string) bool { _, ok := s.Rulebook.Body(id); return ok }, "a body of this mechanism"); err != nil {
		return err
	}
	for _, b := range s.findingReaders(c) {
		if b != author.ID && !slices.Contains(x.Visibility, b) {
			return field(k, "visibility", "a confidential finding on case %d is readable by %v; %q is missing", c.ID, s.findingReaders(c), b)
		}
	}
	if !sha256RE.MatchString(x.Digest) {
		return field(k, "digest", "must be a SHA-256 in lower-case hex")
	}
	s.sealed[s.Size] = &SealedItem{Index: s.Size, Author: st.Author, Body: author.ID, Kind: KindFinding,
		Visibility: slices.Clone(x.Visibility), Digest: x.Digest, Disclosed: -1, Case: c.ID, Version: s.Rulebook.Version}
	// What it says, and so whom it blames, is told when it is disclosed.
	s.setFinding(c, "", "", "", s.concerned(c), now)
	s.payload = x
	return nil
}

// checkSealedFinding checks the body of a confidential finding when it is
// filed: a finding of the sealed statement's case, that blames only a party
// the case gives a window.
func (s *State) checkSealedFinding(body []byte, x *Sealed, author string) error {
	f, err := s.decodeSealedFinding(body, author)
	if err != nil {
		return sealedBodyError(err)
	}
	if x.Case == nil || f.Case != *x.Case {
		return statement.Invalid("the sealed body: its case must be the case the sealed statement names")
	}
	c, err := s.caseFor(KindFinding, f.Case)
	if err != nil {
		return sealedBodyError(err)
	}
	if err := s.checkFinding(f, s.Rulebook.Version); err != nil {
		return sealedBodyError(err)
	}
	for _, b := range f.Blames() {
		if !slices.Contains(s.concerned(c), b) {
			return statement.Invalid("the sealed body: a confidential finding may blame only a party of case %d (%v), not %q", c.ID, s.concerned(c), b)
		}
	}
	return nil
}

// decodeSealedFinding parses a confidential finding's body by the rules of
// a statement's text.
func (s *State) decodeSealedFinding(body []byte, author string) (*Finding, error) {
	st, err := statement.ParseObject(body)
	if err != nil {
		return nil, err
	}
	if st.Mechanism != s.Rulebook.ID || st.Kind != KindFinding || st.Author != author {
		return nil, statement.Invalid("must be a finding by %s for mechanism %s, with those in its mechanism, kind and author", author, s.Rulebook.ID)
	}
	if s.rules() >= Rules2 {
		if err := checkClean(KindFinding, st.JSON); err != nil {
			return nil, err
		}
	}
	f := new(Finding)
	if err := st.Decode(f); err != nil {
		return nil, err
	}
	return f, nil
}

// disclosedFinding is a confidential finding an endorsement discloses.
type disclosedFinding struct {
	item    *SealedItem
	finding *Finding
}

// apply discloses the finding at index idx and gives c its outcome.
func (d *disclosedFinding) apply(c *Case, idx int64) {
	d.item.Disclosed = idx
	c.Outcome, c.Party, c.Confidence = d.finding.Outcome, d.finding.Party, d.finding.Confidence
	c.Blamed = d.finding.Blames()
}

// discloseFinding checks the salt and body an endorsement e of c's latest
// finding carries: both when that finding is confidential, neither when it
// is not. For a confidential finding it returns what the endorsement
// discloses.
func (s *State) discloseFinding(c *Case, e *Endorsement) (*disclosedFinding, error) {
	const k = KindEndorsement
	it, ok := s.sealed[c.Finding]
	if !ok || it.Kind != KindFinding {
		if e.Salt != "" || e.Body != nil {
			return nil, field(k, "body", "the finding at %d is public; an endorsement discloses only a confidential one", c.Finding)
		}
		return nil, nil
	}
	salt, err := hex.DecodeString(e.Salt)
	if err != nil || len(salt) != 32 {
		return nil, field(k, "salt", "the finding at %d is confidential: the endorsement discloses it with its salt (32 bytes in hex) and body", c.Finding)
	}
	if SealDigest(salt, e.Body) != it.Digest {
		return nil, field(k, "body", "the salt and body do not give the digest the confidential finding at %d holds", it.Index)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, e.Body); err != nil || !bytes.Equal(compact.Bytes(), e.Body) {
		return nil, field(k, "body", "must be the finding's body exactly as sealed")
	}
	f, err := s.decodeSealedFinding(e.Body, it.Author)
	if err != nil {
		return nil, err
	}
	if f.Case != c.ID {
		return nil, field(k, "body", "the disclosed finding is about case %d, not %d", f.Case, c.ID)
	}
	if err := s.checkFinding(f, it.Version); err != nil {
		return nil, err
	}
	for _, b := range f.Blames() {
		if !slices.Contains(c.Blamed, b) {
			return nil, field(k, "body", "the disclosed finding blames %q, which had no window to answer it", b)
		}
	}
	return &disclosedFinding{item: it, finding: f}, nil
}
