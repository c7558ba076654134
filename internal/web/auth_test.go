package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// signinClient is an HTTP client with its own cookies, as a browser has.
type signinClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newSigninClient(t *testing.T, base string) *signinClient {
	jar, _ := cookiejar.New(nil)
	return &signinClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (sc *signinClient) do(method, path string, body []byte, header ...string) (*http.Response, []byte) {
	sc.t.Helper()
	req, err := http.NewRequest(method, sc.base+path, bytes.NewReader(body))
	if err != nil {
		sc.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := sc.c.Do(req)
	if err != nil {
		sc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// challenge asks the server for a sign-in challenge.
func (sc *signinClient) challenge() string {
	sc.t.Helper()
	res, body := sc.do("POST", "/auth/challenge", nil)
	if res.StatusCode != http.StatusCreated {
		sc.t.Fatalf("challenge: %d %s", res.StatusCode, body)
	}
	var c web.ChallengeResponse
	json.Unmarshal(body, &c)
	if c.Origin != sc.base || c.Purpose != web.SigninPurpose || len(c.Challenge) < 40 {
		sc.t.Fatalf("challenge: %+v", c)
	}
	return c.Challenge
}

// signinNote is a sign-in note for challenge, signed by signer.
func signinNote(t *testing.T, origin, challenge string, at time.Time, signers ...note.Signer) []byte {
	t.Helper()
	text := web.SigninPurpose + "\n" + origin + "\n" + challenge + "\n" + statement.FormatTime(at) + "\n"
	msg, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func (sc *signinClient) signin(msg []byte) (*http.Response, []byte) {
	sc.t.Helper()
	res, body := sc.do("POST", "/auth/signin", msg, "Content-Type", "text/plain; charset=utf-8")
	if res.StatusCode == http.StatusOK {
		var s web.SigninResponse
		json.Unmarshal(body, &s)
		sc.csrf = s.CSRFToken
	}
	return res, body
}

// signinAs signs in with signer and fails the test if it is refused.
func (sc *signinClient) signinAs(signer note.Signer) web.SigninResponse {
	sc.t.Helper()
	res, body := sc.signin(signinNote(sc.t, sc.base, sc.challenge(), time.Now(), signer))
	if res.StatusCode != http.StatusOK {
		sc.t.Fatalf("sign-in as %s: %d %s", signer.Name(), res.StatusCode, body)
	}
	var s web.SigninResponse
	json.Unmarshal(body, &s)
	return s
}

func wantStatus(t *testing.T, what string, res *http.Response, body []byte, status int) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s: %d %s, want %d", what, res.StatusCode, body, status)
	}
}

// TestSignin signs in with a member's own key, over HTTP with notes signed
// by Go's note package, and attacks it: a replayed challenge, an unknown
// key, a note for another origin or time, a revoked member, a rotated
// key's old key, a session after its member is revoked or its key
// rotated, cross-origin and CSRF-less requests with the cookie, and a
// flood of sign-ins.
func TestSignin(t *testing.T) {
	e := mustEvidenceServer(t, 1<<20, nil)
	m := e.m
	ctx := context.Background()
	sc := newSigninClient(t, e.url)

	// A member signs in; the cookie is HttpOnly, SameSite=Strict, for
	// the whole site, and not sent over plain HTTP only because this
	// test server has no TLS.
	msg := signinNote(t, e.url, sc.challenge(), time.Now(), m.Keys.Signer("pakistan-liaison-1"))
	res, body := sc.signin(msg)
	wantStatus(t, "sign-in", res, body, 200)
	var s web.SigninResponse
	json.Unmarshal(body, &s)
	if s.Member != "pakistan-liaison-1" || s.Body != "pakistan" || strings.Join(s.Roles, ",") != "reporter" || s.CSRFToken == "" {
		t.Errorf("signed in as %+v", s)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.Secure || len(cookie.Value) < 40 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	// The session reads the member's inbox, as a token does.
	res, body = sc.do("GET", "/api/v1/inbox", nil)
	wantStatus(t, "inbox with the cookie", res, body, 200)
	if !strings.Contains(string(body), `"member": "pakistan-liaison-1"`) {
		t.Errorf("inbox: %s", body)
	}
	res, body = sc.do("GET", "/inbox", nil)
	wantStatus(t, "inbox page", res, body, 200)
	if !strings.Contains(string(body), `<meta name="csrf-token" content="`+sc.csrf+`">`) || !strings.Contains(string(body), "pakistan-liaison-1") {
		t.Errorf("the inbox page has no CSRF token or member name")
	}

	// A replayed note: its challenge was used.
	res, body = newSigninClient(t, e.url).signin(msg)
	wantStatus(t, "replayed challenge", res, body, 401)

	// A challenge signed by a key the log does not know.
	skey, _, _ := note.GenerateKey(rand.Reader, "pakistan-liaison-1")
	stranger, _ := note.NewSigner(skey)
	res, body = sc.signin(signinNote(t, e.url, sc.challenge(), time.Now(), stranger))
	wantStatus(t, "unknown key with a known name", res, body, 401)
	// Signed for another origin, or long ago, or by two keys.
	res, body = sc.signin(signinNote(t, "https://evil.example", sc.challenge(), time.Now(), m.Keys.Signer("pakistan-liaison-1")))
	wantStatus(t, "another origin", res, body, 401)
	res, body = sc.signin(signinNote(t, e.url, sc.challenge(), time.Now().Add(-time.Hour), m.Keys.Signer("afghanistan-liaison-1")))
	wantStatus(t, "an old time", res, body, 401)
	res, body = sc.signin(signinNote(t, e.url, sc.challenge(), time.Now(), m.Keys.Signer("afghanistan-liaison-1"), m.Keys.Signer("qatar-investigator-1")))
	wantStatus(t, "two signatures", res, body, 400)
	res, body = sc.signin(signinNote(t, e.url, "made-up-challenge", time.Now(), m.Keys.Signer("afghanistan-liaison-1")))
	wantStatus(t, "a made-up challenge", res, body, 401)
	res, body = sc.signin([]byte("hello"))
	wantStatus(t, "not a note", res, body, 400)

	// The session's CSRF token and origin guard what changes state.
	upload := func(header ...string) (*http.Response, []byte) {
		return sc.do("POST", "/api/v1/evidence?name=a.txt", []byte("some evidence"), append([]string{"Content-Type", "text/plain"}, header...)...)
	}
	res, body = upload()
	wantStatus(t, "upload with the cookie, no CSRF token", res, body, 403)
	res, body = upload(web.CSRFHeader, "wrong")
	wantStatus(t, "upload with a wrong CSRF token", res, body, 403)
	res, body = upload(web.CSRFHeader, sc.csrf, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-origin upload", res, body, 403)
	res, body = upload(web.CSRFHeader, sc.csrf, "Origin", e.url, "Sec-Fetch-Site", "same-origin")
	wantStatus(t, "upload with the CSRF token", res, body, 201)
	res, body = sc.do("POST", "/auth/signout", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	wantStatus(t, "cross-origin sign-out", res, body, 403)
	res, body = sc.do("POST", "/auth/signout", nil)
	wantStatus(t, "sign-out without the CSRF token", res, body, 403)
	res, body = sc.do("POST", "/auth/challenge", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	wantStatus(t, "cross-origin challenge", res, body, 403)

	// Sign-out ends the session.
	res, body = sc.do("POST", "/auth/signout", nil, web.CSRFHeader, sc.csrf)
	wantStatus(t, "sign-out", res, body, 204)
	res, body = sc.do("GET", "/api/v1/inbox", nil)
	wantStatus(t, "inbox after sign-out", res, body, 401)

	// A revoked member can no longer sign in, and its session ends with
	// the revocation.
	monitor := newSigninClient(t, e.url)
	monitor.signinAs(m.Keys.Signer("monitors-field-1"))
	res, body = monitor.do("GET", "/inbox", nil)
	wantStatus(t, "monitor's inbox", res, body, 200)
	if _, err := m.Submit(ctx, mechanism.KindMemberRevoke, m.Keys.Admins["monitors"], time.Now(), map[string]any{"member": "monitors-field-1", "reason": "left"}); err != nil {
		t.Fatal(err)
	}
	res, body = monitor.do("GET", "/api/v1/inbox", nil)
	wantStatus(t, "session after revocation", res, body, 401)
	res, body = monitor.do("GET", "/inbox", nil)
	wantStatus(t, "inbox page after revocation", res, body, 303)
	res, body = monitor.signin(signinNote(t, e.url, monitor.challenge(), time.Now(), m.Keys.Signer("monitors-field-1")))
	wantStatus(t, "revoked member", res, body, 401)

	// A rotated key: the old one's session ends and it cannot sign in
	// again; the new one can.
	investigator := newSigninClient(t, e.url)
	investigator.signinAs(m.Keys.Signer("qatar-investigator-1"))
	newKey, newVKey, _ := note.GenerateKey(rand.Reader, "qatar-investigator-1")
	newSigner, _ := note.NewSigner(newKey)
	rotate, _ := json.Marshal(map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindKeyRotate, "author": "qatar-investigator-1",
		"at": statement.FormatTime(time.Now()), "refs": []any{}, "member": "qatar-investigator-1", "key": newVKey})
	signed, err := statement.Sign(rotate, m.Keys.Signer("qatar-investigator-1"), newSigner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, signed); err != nil {
		t.Fatal(err)
	}
	res, body = investigator.do("GET", "/api/v1/inbox", nil)
	wantStatus(t, "session after rotation", res, body, 401)
	res, body = investigator.signin(signinNote(t, e.url, investigator.challenge(), time.Now(), m.Keys.Signer("qatar-investigator-1")))
	wantStatus(t, "rotated key's old key", res, body, 401)
	if s := investigator.signinAs(newSigner); s.Member != "qatar-investigator-1" {
		t.Errorf("the new key signed in as %+v", s)
	}

	// The log's answer about members, public.
	res, body = sc.do("GET", "/api/v1/members/monitors-field-1", nil)
	wantStatus(t, "a revoked member", res, body, 200)
	if !strings.Contains(string(body), `"active": false`) || !strings.Contains(string(body), `"revoked"`) {
		t.Errorf("revoked member: %s", body)
	}
	res, body = sc.do("GET", "/api/v1/members/nobody", nil)
	wantStatus(t, "an unknown member", res, body, 404)
}

// TestSigninFlood floods sign-in: past the limit for one key name, and
// then for one address, the server answers 429 with Retry-After.
func TestSigninFlood(t *testing.T) {
	e := mustEvidenceServer(t, 1<<20, nil)
	sc := newSigninClient(t, e.url)
	signer := e.m.Keys.Signer("afghanistan-liaison-1")
	var last *http.Response
	var body []byte
	for range web.SigninPerKey + 1 {
		// Each with a fresh challenge, and each badly timed: refused,
		// but counted.
		last, body = sc.signin(signinNote(t, e.url, sc.challenge(), time.Now().Add(-time.Hour), signer))
	}
	wantStatus(t, "sign-in flood for one key", last, body, 429)
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Even a good note waits now.
	last, body = sc.signin(signinNote(t, e.url, sc.challenge(), time.Now(), signer))
	wantStatus(t, "good note during the flood", last, body, 429)
	for i := range web.SigninPerAddress {
		last, body = sc.signin([]byte("— k" + string(rune('a'+i%26)) + " x\n"))
	}
	wantStatus(t, "sign-in flood from one address", last, body, 429)
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// TestSigninReturnAddress: a signed-out reader of the inbox is sent to
// sign in with a return address on this server; a return address that
// leads elsewhere is replaced by the inbox.
func TestSigninReturnAddress(t *testing.T) {
	m, _, reg := mustDemo(t, false)
	srv := mustServe(t, m, reg)
	sc := newSigninClient(t, srv.URL)
	res, body := sc.do("GET", "/inbox?lang=ur", nil)
	wantStatus(t, "signed-out inbox", res, body, 303)
	if loc := res.Header.Get("Location"); loc != "/signin?next="+url.QueryEscape("/inbox?lang=ur") {
		t.Errorf("redirect to %q", loc)
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "\\\\evil.example", "http:/evil.example", "/ok\r\nx"} {
		res, body := sc.do("GET", "/signin?next="+url.QueryEscape(next), nil)
		if res.StatusCode != 200 {
			t.Fatalf("signin page: %d", res.StatusCode)
		}
		if !strings.Contains(string(body), `data-next="/inbox"`) && !strings.Contains(string(body), `data-next="/%0d%0aSet-Cookie:x"`) {
			t.Errorf("next=%q: the page's return address is not a local path", next)
		}
	}
	res, body = sc.do("GET", "/signin?next="+url.QueryEscape("/cases/1?lang=fa"), nil)
	if !strings.Contains(string(body), `data-next="/cases/1?lang=fa"`) {
		t.Errorf("a local return address was not kept: %d", res.StatusCode)
	}
}

// TestSigninBehindProxy signs in through a proxy that terminates TLS: the
// server, told its public URL, gives that origin in its challenges, takes
// notes that name it, refuses notes that name the address the proxy
// reached it at, and sets Secure cookies although the request came over
// plain HTTP. Public URLs with a path, credentials or another scheme are
// refused.
func TestSigninBehindProxy(t *testing.T) {
	const public = "https://sulh.example.org"
	e := mustEvidenceServer(t, 1<<20, func(s *http.Server) {
		if err := s.Handler.(*web.Server).UsePublicURL(public + "/"); err != nil {
			t.Fatal(err)
		}
	})
	sc := newSigninClient(t, e.url)
	res, body := sc.do("POST", "/auth/challenge", nil)
	var c web.ChallengeResponse
	json.Unmarshal(body, &c)
	if res.StatusCode != http.StatusCreated || c.Origin != public {
		t.Fatalf("challenge behind the proxy: %d %+v, want the origin %s", res.StatusCode, c, public)
	}
	signer := e.m.Keys.Signer("pakistan-liaison-1")
	res, body = sc.signin(signinNote(t, e.url, c.Challenge, time.Now(), signer))
	wantStatus(t, "a note naming the address behind the proxy", res, body, http.StatusUnauthorized)

	_, body = sc.do("POST", "/auth/challenge", nil)
	json.Unmarshal(body, &c)
	res, body = sc.signin(signinNote(t, public, c.Challenge, time.Now(), signer))
	wantStatus(t, "a note naming the public origin", res, body, http.StatusOK)
	secure := false
	for _, ck := range res.Cookies() {
		if ck.Name == web.SessionCookie {
			secure = ck.Secure
		}
	}
	if !secure {
		t.Error("behind an https public URL the session cookie is not Secure")
	}
	res, body = sc.do("GET", "/explore", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "--url "+public+"/log ") {
		t.Errorf("the explorer does not give the log's public address %s/log", public)
	}

	s := web.New(e.m.Log.Log, e.m.Log.DB, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for _, bad := range []string{"", "sulh.example.org", "ftp://sulh.example.org", "https://sulh.example.org/sulh",
		"https://a:b@sulh.example.org", "https://sulh.example.org?x=1", "https://sulh.example.org#top", "https://"} {
		if err := s.UsePublicURL(bad); err == nil {
			t.Errorf("the public URL %q is taken", bad)
		}
	}
}

// TestInboxLanguages reads the demo's inbox of Afghanistan's liaison
// officer in Urdu: the notices' kinds are named in Urdu, and their texts
// are the record's, as written.
func TestInboxLanguages(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	sc := newSigninClient(t, srv.URL)
	sc.signinAs(m.Keys.Signer("afghanistan-liaison-1"))
	res, body := sc.do("GET", "/inbox?lang=ur", nil)
	wantStatus(t, "inbox page in Urdu", res, body, 200)
	if !strings.Contains(string(body), "<td>الزام</td>") || strings.Contains(string(body), "<code>allegation</code>") {
		t.Errorf("the inbox page in Urdu does not name an allegation in Urdu:\n%s", body)
	}
	res, body = sc.do("GET", "/inbox?lang=tr", nil)
	wantStatus(t, "inbox page in Turkish", res, body, 200)
	if !strings.Contains(string(body), "<td>İddia</td>") {
		t.Errorf("the inbox page in Turkish does not name an allegation in Turkish:\n%s", body)
	}
}
