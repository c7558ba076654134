package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath: a return address either is the fallback or stays on this
// server when a browser follows it.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/inbox", "//evil.example", "/\\evil", "https://x", "/a?b=c#d", "", "/%2f%2fevil", "javascript:x", "/\t/evil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://sulh.example/signin")
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next, "/inbox")
		if got == "/inbox" {
			return
		}
		if got != next {
			t.Fatalf("localPath(%q) = %q", next, got)
		}
		u, err := base.Parse(got)
		if err != nil || u.Host != "sulh.example" || u.Scheme != "https" {
			t.Fatalf("localPath(%q) leads to %v (%v)", next, u, err)
		}
		// Browsers read a backslash as a slash and drop tabs and
		// newlines: none may be there.
		if strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("localPath(%q) kept %q", next, got)
		}
	})
}

// FuzzSigninNote reads any body as a sign-in note without panicking.
func FuzzSigninNote(f *testing.F) {
	f.Add([]byte("sulh-signin/v1\nhttp://x\nabc\n2025-10-19T12:00:00Z\n\n— a AAAA\n"))
	f.Add([]byte("\n\n— "))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if name, ok := signinNoteSigner(msg); ok && (name == "" || len(name) > 128) {
			t.Fatalf("signer %q", name)
		}
		parseSigninText(string(msg))
	})
}
