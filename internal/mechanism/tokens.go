package mechanism

import (
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// Kinds of API tokens.
const (
	KindTokenIssue  = "token.issue"
	KindTokenRevoke = "token.revoke"
)

// MaxTokenLife is the longest a token may be valid.
const MaxTokenLife = 366 * 24 * time.Hour

// TokenIssue binds an API token to its author: the log holds only the
// SHA-256 of the token's secret, which the member keeps. A server that is
// shown the secret knows which member is asking.
type TokenIssue struct {
	statement.Fields
	Token   string `json:"token"` // SHA-256 of the secret, hex
	Expires string `json:"expires"`
	Label   string `json:"label,omitempty"`
}

// TokenRevoke ends a token before it expires.
type TokenRevoke struct {
	statement.Fields
	Token  string `json:"token"`
	Reason string `json:"reason,omitempty"`
}

// Token is an API token the state knows.
type Token struct {
	SHA256  string
	Member  string
	Expires time.Time
	// Issued is the index of the statement that issued it; Revoked the one
	// that revoked it, or -1.
	Issued, Revoked int64
}

// Token returns the token whose secret has the given SHA-256.
func (s *State) Token(sha string) (*Token, bool) {
	t, ok := s.tokens[sha]
	return t, ok
}

func (s *State) applyTokenIssue(st *statement.Statement, _ time.Time) error {
	const k = KindTokenIssue
	t := new(TokenIssue)
	if err := st.Decode(t); err != nil {
		return err
	}
	m, _, err := s.memberBody(st)
	if err != nil {
		return err
	}
	if !sha256RE.MatchString(t.Token) {
		return field(k, "token", "must be the SHA-256 of the token's secret, in lower-case hex")
	}
	if _, ok := s.tokens[t.Token]; ok {
		return field(k, "token", "this token was issued before; make a new secret")
	}
	exp, err := checkTime(k, "expires", t.Expires, time.Time{})
	if err != nil {
		return err
	}
	if !exp.After(st.Time) || exp.Sub(st.Time) > MaxTokenLife {
		return field(k, "expires", "must be after the statement's time and at most %v after it", MaxTokenLife)
	}
	if err := s.checkText(k, "label", t.Label, maxName, false); err != nil {
		return err
	}
	s.tokens[t.Token] = &Token{SHA256: t.Token, Member: m.Name, Expires: exp, Issued: s.Size, Revoked: -1}
	s.payload = t
	return nil
}

func (s *State) applyTokenRevoke(st *statement.Statement, _ time.Time) error {
	const k = KindTokenRevoke
	r := new(TokenRevoke)
	if err := st.Decode(r); err != nil {
		return err
	}
	tok, ok := s.tokens[r.Token]
	if !ok {
		return field(k, "token", "no token has this hash")
	}
	if tok.Revoked >= 0 {
		return field(k, "token", "the token was already revoked at index %d", tok.Revoked)
	}
	// The token's member, or an administrator of its body.
	if st.Author != tok.Member {
		holder, _ := s.members[tok.Member]
		if _, err := s.admin(st, holder.Body); err != nil {
			return err
		}
	}
	if err := s.checkText(k, "reason", r.Reason, 1000, false); err != nil {
		return err
	}
	tok.Revoked = s.Size
	s.payload = r
	return nil
}
