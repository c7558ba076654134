package mechanism_test

import (
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
)

var secretHash = sha("a token's secret")

func (f *fixture) issue(author string, extra fields) []byte {
	return f.stmt(mechanism.KindTokenIssue, with(fields{"token": secretHash, "expires": after(30 * 24 * time.Hour), "label": "laptop"}, extra), author)
}

func (f *fixture) revokeToken(author string, extra fields) []byte {
	return f.stmt(mechanism.KindTokenRevoke, with(fields{"token": secretHash, "reason": "laptop lost"}, extra), author)
}

func TestTokens(t *testing.T) {
	f := setUpCase(t)
	f.must(f.issue("alice", nil))
	tok, ok := f.st.Token(secretHash)
	if !ok || tok.Member != "alice" || tok.Revoked != -1 || tok.Issued != f.st.Size-1 || !tok.Expires.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("Token = %+v, %v", tok, ok)
	}
	// Its member revokes it.
	f.must(f.revokeToken("alice", nil))
	if tok, _ := f.st.Token(secretHash); tok.Revoked != f.st.Size-1 {
		t.Fatalf("Revoked = %d", tok.Revoked)
	}
	// An administrator of the member's body revokes another.
	other := sha("another secret")
	f.must(f.issue("alice", fields{"token": other}))
	f.must(f.revokeToken("admin-a", fields{"token": other}))
}

func TestTokenRefusals(t *testing.T) {
	issued := func(f *fixture) { f.must(f.issue("alice", nil)) }
	runRefusals(t, []wcase{
		{name: "by a founder", msg: func(f *fixture) []byte { return f.issue("founder-1", nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file token.issue statements`}},
		{name: "not a hash", msg: func(f *fixture) []byte { return f.issue("alice", fields{"token": "s3cret"}) },
			code: inv, want: []string{"token.issue: token: must be the SHA-256 of the token's secret"}},
		{name: "issued twice", setup: issued, msg: func(f *fixture) []byte { return f.issue("bob", nil) },
			code: inv, want: []string{"token.issue: token: this token was issued before"}},
		{name: "expired already", msg: func(f *fixture) []byte { return f.issue("alice", fields{"expires": after(0)}) },
			code: inv, want: []string{"token.issue: expires: must be after the statement's time"}},
		{name: "too long", msg: func(f *fixture) []byte { return f.issue("alice", fields{"expires": after(367 * 24 * time.Hour)}) },
			code: inv, want: []string{"token.issue: expires: must be after the statement's time and at most"}},
		{name: "bad expiry", msg: func(f *fixture) []byte { return f.issue("alice", fields{"expires": "soon"}) },
			code: inv, want: []string{"token.issue: expires:"}},
		{name: "long label", msg: func(f *fixture) []byte { return f.issue("alice", fields{"label": long(201)}) },
			code: inv, want: []string{"token.issue: label: must be at most 200 bytes"}},
		{name: "revoke an unknown token", msg: func(f *fixture) []byte { return f.revokeToken("alice", nil) },
			code: inv, want: []string{"token.revoke: token: no token has this hash"}},
		{name: "revoke another member's token", setup: issued, msg: func(f *fixture) []byte { return f.revokeToken("bob", nil) },
			code: forb, want: []string{`"bob" is not an administrator of body "party-a"`}},
		{name: "revoke twice", setup: func(f *fixture) { issued(f); f.must(f.revokeToken("alice", nil)) },
			msg: func(f *fixture) []byte { return f.revokeToken("alice", nil) }, code: inv, want: []string{"token.revoke: token: the token was already revoked at index"}},
		{name: "long reason", setup: issued, msg: func(f *fixture) []byte { return f.revokeToken("alice", fields{"reason": long(1001)}) },
			code: inv, want: []string{"token.revoke: reason: must be at most 1000 bytes"}},
	})
}
