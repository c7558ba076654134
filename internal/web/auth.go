package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Sign-in with a member's own key. The browser asks for a challenge
// (POST /auth/challenge), signs a note whose text names the purpose, this
// server's origin, the challenge and the time with the member's key, which
// never leaves it, and posts the note (POST /auth/signin). The server
// checks the signature against the member's current key in the log's state
// and answers with a session cookie. No password exists anywhere.
//
// Sessions and challenges are kept in this process's memory only: a
// session is worth no more than a fresh signature by the member's key, so a
// restart that signs everyone out costs a click, while a session store on
// disk would be one more secret to guard. The server keeps the SHA-256 of
// each session's secret, never the secret itself. (Several servers behind
// one address need sticky sessions.)

const (
	// SessionCookie is the name of the session cookie.
	SessionCookie = "sulh_session"
	// SessionLifetime is how long a session lasts after sign-in.
	SessionLifetime = 8 * time.Hour
	// ChallengeLifetime is how long a challenge may wait to be signed.
	ChallengeLifetime = 2 * time.Minute
	// SigninPurpose is the first line of a sign-in note's text.
	SigninPurpose = "sulh-signin/v1"
	// CSRFHeader carries a session's CSRF token on every state-changing
	// request a script makes with the session cookie.
	CSRFHeader = "X-CSRF-Token"
	// csrfField is the CSRF token's name in a plain HTML form.
	csrfField = "csrf_token"

	maxSigninNote = 4 << 10 // bytes
	maxChallenges = 10000
	maxSessions   = 100000
)

// Sign-in limits: attempts per client address and per key name in each
// window; beyond them, 429 with Retry-After.
var (
	SigninPerAddress    = 20
	SigninPerKey        = 5
	ChallengePerAddress = 60
	LimitWindow         = time.Minute
)

// session is a signed-in member.
type session struct {
	Member, Body, Label string
	Roles               []string
	key                 uint32 // the hash of the key that signed in
	CSRF                string
	Expires             time.Time
}

type challenge struct {
	origin  string
	expires time.Time
}

// auth holds the server's sessions, outstanding challenges and sign-in
// limits.
type auth struct {
	mu         sync.Mutex
	sessions   map[[32]byte]*session
	challenges map[string]challenge
	byAddress  limiter
	byKey      limiter
	challenged limiter
	cop        *http.CrossOriginProtection
	now        func() time.Time
}

func newAuth() *auth {
	a := &auth{
		sessions: map[[32]byte]*session{}, challenges: map[string]challenge{},
		byAddress:  limiter{max: SigninPerAddress, window: LimitWindow},
		byKey:      limiter{max: SigninPerKey, window: LimitWindow},
		challenged: limiter{max: ChallengePerAddress, window: LimitWindow},
		cop:        http.NewCrossOriginProtection(),
		now:        time.Now,
	}
	return a
}

// limiter counts attempts per key in fixed windows.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*hitWindow
}

type hitWindow struct {
	start time.Time
	n     int
}

// allow counts one attempt for key; when the window's attempts are spent,
// it says how long until the next window.
func (l *limiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hits == nil {
		l.hits = map[string]*hitWindow{}
	}
	if len(l.hits) > 100000 {
		for k, h := range l.hits {
			if now.Sub(h.start) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	h, ok := l.hits[key]
	if !ok || now.Sub(h.start) >= l.window {
		h = &hitWindow{start: now}
		l.hits[key] = h
	}
	h.n++
	if h.n > l.max {
		return h.start.Add(l.window).Sub(now), false
	}
	return 0, true
}

func tooMany(wait time.Duration, what string) error {
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	return &Error{Status: http.StatusTooManyRequests, Code: CodeTooMany, RetryAfter: secs,
		Msg: fmt.Sprintf("too many sign-in attempts %s; try again in %d seconds", what, secs)}
}

// CodeTooMany is the error code of a request over a rate limit.
const CodeTooMany statement.Code = "too_many_requests"

// clientAddress is the address the request came from, without its port.
func clientAddress(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return host
}

// UsePublicURL sets the address readers reach this server at, such as
// https://sulh.example.org, for a server behind a proxy that terminates
// TLS: sign-in notes then name that origin, links in exports and on the
// explorer use it, and cookies are Secure when it is https. Only its
// scheme and host count; it may have no path, query or credentials.
func (s *Server) UsePublicURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("public URL: %q is not an http or https address with no path, such as https://sulh.example.org", raw)
	}
	s.publicOrigin = u.Scheme + "://" + strings.ToLower(u.Host)
	return nil
}

// origin is this server's origin: the public URL's when one is set, or
// as the request reached it.
func (s *Server) origin(r *http.Request) string {
	if s.publicOrigin != "" {
		return s.publicOrigin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// secure says whether cookies set in answer to r are Secure: r came over
// TLS, or the public URL is https.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.publicOrigin, "https://")
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func forbidden(msg string) error {
	return &Error{Status: http.StatusForbidden, Code: statement.CodeForbidden, Msg: msg}
}

// crossOrigin refuses a state-changing request that a browser sent from
// another origin.
func (s *Server) crossOrigin(r *http.Request) error {
	if err := s.auth.cop.Check(r); err != nil {
		return forbidden("cross-origin requests that change state are refused: " + err.Error())
	}
	return nil
}

// ChallengeResponse is the answer of POST /auth/challenge.
type ChallengeResponse struct {
	Challenge string `json:"challenge"`
	Origin    string `json:"origin"`
	Purpose   string `json:"purpose"`
	Expires   string `json:"expires"`
}

// newChallenge gives a fresh random challenge, single use, valid for
// ChallengeLifetime, bound to the origin the request reached.
func (s *Server) newChallenge(w http.ResponseWriter, r *http.Request) error {
	if err := s.crossOrigin(r); err != nil {
		return err
	}
	a := s.auth
	now := a.now()
	if wait, ok := a.challenged.allow(clientAddress(r), now); !ok {
		return tooMany(wait, "from your address")
	}
	c := randomToken()
	origin := s.origin(r)
	exp := now.Add(ChallengeLifetime)
	a.mu.Lock()
	if len(a.challenges) >= maxChallenges {
		for k, v := range a.challenges {
			if !now.Before(v.expires) {
				delete(a.challenges, k)
			}
		}
	}
	full := len(a.challenges) >= maxChallenges
	if !full {
		a.challenges[c] = challenge{origin: origin, expires: exp}
	}
	a.mu.Unlock()
	if full {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, RetryAfter: int(ChallengeLifetime / time.Second),
			Msg: "too many sign-ins are under way; try again in a moment"}
	}
	writeJSON(w, http.StatusCreated, ChallengeResponse{Challenge: c, Origin: origin, Purpose: SigninPurpose, Expires: statement.FormatTime(exp)})
	return nil
}

// SigninResponse is the answer of POST /auth/signin.
type SigninResponse struct {
	Member    string   `json:"member"`
	Body      string   `json:"body"`
	Roles     []string `json:"roles"`
	Label     string   `json:"label"`
	Expires   string   `json:"expires"`
	CSRFToken string   `json:"csrf_token"`
}

// signinNoteSigner returns the name on a sign-in note's first signature
// line, before anything is verified, so that attempts can be counted per
// key name.
func signinNoteSigner(msg []byte) (string, bool) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return "", false
	}
	line, _, _ := strings.Cut(string(msg[i+2:]), "\n")
	rest, ok := strings.CutPrefix(line, "— ")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, " ")
	if !ok || name == "" || len(name) > 128 {
		return "", false
	}
	return name, true
}

// parseSigninText reads a sign-in note's text: the purpose, the origin, the
// challenge and the time, one a line.
func parseSigninText(text string) (origin, chal string, at time.Time, err error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 5 || lines[4] != "" || lines[0] != SigninPurpose {
		return "", "", time.Time{}, errors.New("a sign-in note's text is four lines: " + SigninPurpose + ", the origin, the challenge and the time")
	}
	at, err = statement.ParseTime(lines[3])
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("the sign-in time: %w", err)
	}
	return lines[1], lines[2], at, nil
}

// signin checks a sign-in note and starts a session.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) error {
	if err := s.crossOrigin(r); err != nil {
		return err
	}
	a := s.auth
	now := a.now()
	if wait, ok := a.byAddress.allow(clientAddress(r), now); !ok {
		return tooMany(wait, "from your address")
	}
	msg, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSigninNote))
	if err != nil {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge, Msg: fmt.Sprintf("a sign-in note is at most %d bytes", maxSigninNote)}
	}
	name, ok := signinNoteSigner(msg)
	if !ok {
		return badRequest("send a signed note: %s, the origin, the challenge and the time, one a line, then a blank line and the member's signature", SigninPurpose)
	}
	if wait, ok := a.byKey.allow(name, now); !ok {
		return tooMany(wait, "for this key")
	}
	unauthorized := func(msg string) error {
		return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Msg: msg}
	}
	ring := s.log.Keys()
	n, err := note.Open(msg, ring)
	if err != nil {
		return unauthorized("the signature is not by a key this mechanism knows, or does not verify")
	}
	if len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 {
		return badRequest("a sign-in note carries exactly one signature, the member's")
	}
	sig := n.Sigs[0]
	key, ok := ring.Current(sig.Name)
	if !ok || key.Hash != sig.Hash {
		return unauthorized("this key may not sign in: its member was revoked, or the key was rotated and the member holds a newer one")
	}
	origin, chal, at, err := parseSigninText(n.Text)
	if err != nil {
		return badRequest("%v", err)
	}
	a.mu.Lock()
	c, known := a.challenges[chal]
	delete(a.challenges, chal) // single use, whatever follows
	a.mu.Unlock()
	if !known || !now.Before(c.expires) {
		return unauthorized("the challenge is unknown, already used or expired; ask for a new one")
	}
	if origin != c.origin || origin != s.origin(r) {
		return unauthorized("the note was signed for another origin than this server's")
	}
	if d := now.Sub(at); d > ChallengeLifetime || d < -ChallengeLifetime {
		return unauthorized("the note's time is too far from the server's; check the device's clock")
	}
	// Body and roles come from the views, once they hold every statement
	// acknowledged so far.
	if cp := s.log.Checkpoint(); cp != nil {
		if err := s.waitViews(r.Context(), cp.N); err != nil {
			return err
		}
	}
	m, err := s.views.Member(r.Context(), sig.Name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!m.Active || m.Key != key.VKey)) {
		return unauthorized("this key may not sign in: its member was revoked, or the key was rotated")
	}
	if err != nil {
		return err
	}
	secret, csrf := randomToken(), randomToken()
	sess := &session{Member: m.Name, Body: m.Body, Label: m.Label, Roles: m.Roles, key: key.Hash, CSRF: csrf, Expires: now.Add(SessionLifetime)}
	a.mu.Lock()
	if len(a.sessions) >= maxSessions {
		for k, v := range a.sessions {
			if !now.Before(v.Expires) {
				delete(a.sessions, k)
			}
		}
	}
	full := len(a.sessions) >= maxSessions
	if !full {
		a.sessions[sha256.Sum256([]byte(secret))] = sess
	}
	a.mu.Unlock()
	if full {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, RetryAfter: 60, Msg: "the server holds too many sessions; try again later"}
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", Expires: sess.Expires, MaxAge: int(SessionLifetime / time.Second),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
	})
	s.logger.Info("signed in", "member", m.Name, "body", m.Body)
	writeJSON(w, http.StatusOK, SigninResponse{Member: m.Name, Body: m.Body, Roles: m.Roles, Label: m.Label,
		Expires: statement.FormatTime(sess.Expires), CSRFToken: csrf})
	return nil
}

// session returns the request's session, if its cookie names one that is
// still valid: not expired, and its member's key still the one that signed
// in (a revocation or a rotation ends it, from the moment it is in the
// log). An ended session is forgotten.
func (s *Server) session(r *http.Request) (*session, [32]byte, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, [32]byte{}, false
	}
	h := sha256.Sum256([]byte(c.Value))
	a := s.auth
	a.mu.Lock()
	sess, ok := a.sessions[h]
	a.mu.Unlock()
	if !ok {
		return nil, h, false
	}
	key, active := s.log.Keys().Current(sess.Member)
	if !a.now().Before(sess.Expires) || !active || key.Hash != sess.key {
		a.mu.Lock()
		delete(a.sessions, h)
		a.mu.Unlock()
		return nil, h, false
	}
	return sess, h, true
}

// checkCSRF refuses a state-changing request made with the session cookie
// unless it comes from this origin and carries the session's CSRF token,
// in the X-CSRF-Token header or, from a plain form, its csrf_token field.
func (s *Server) checkCSRF(r *http.Request, sess *session) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := s.crossOrigin(r); err != nil {
		return err
	}
	token := r.Header.Get(CSRFHeader)
	if token == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, 4<<10)
		token = r.PostFormValue(csrfField)
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
		return forbidden("this request needs the session's CSRF token (the " + CSRFHeader + " header, from the page's csrf-token meta element)")
	}
	return nil
}

// sessionCaller is the member whose session cookie the request carries.
func (s *Server) sessionCaller(w http.ResponseWriter, r *http.Request) (*caller, error) {
	sess, _, ok := s.session(r)
	if !ok {
		s.clearSessionCookie(w, r)
		w.Header().Set("WWW-Authenticate", "Bearer")
		return nil, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
			Msg: "the session is unknown or has ended (it expires, and ends when the member or its key is revoked or rotated); sign in again at /signin"}
	}
	if err := s.checkCSRF(r, sess); err != nil {
		return nil, err
	}
	return &caller{member: sess.Member, body: sess.Body}, nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

// signout ends the request's session.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) error {
	if err := s.crossOrigin(r); err != nil {
		return err
	}
	if sess, h, ok := s.session(r); ok {
		if err := s.checkCSRF(r, sess); err != nil {
			return err
		}
		s.auth.mu.Lock()
		delete(s.auth.sessions, h)
		s.auth.mu.Unlock()
	}
	s.clearSessionCookie(w, r)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// localPath returns next if it is a path on this server, and fallback
// otherwise: a return address must never lead to another site.
func localPath(next, fallback string) string {
	if next == "" || len(next) > 1000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return fallback
		}
	}
	return next
}

// signedIn is what the layout shows of a session, and the CSRF token its
// scripts send back.
type signedIn struct {
	Member, Body, Label string
	Roles               []string
	CSRF                string
	Admin               bool
	Expires             time.Time
}

func (s *Server) signedIn(r *http.Request) *signedIn {
	sess, _, ok := s.session(r)
	if !ok {
		return nil
	}
	out := &signedIn{Member: sess.Member, Body: sess.Body, Label: sess.Label, Roles: sess.Roles, CSRF: sess.CSRF, Expires: sess.Expires}
	for _, role := range sess.Roles {
		if role == mechanism.RoleAdmin {
			out.Admin = true
		}
	}
	return out
}

// memberDetail is GET /api/v1/members/{name}: a member as the log knows it.
func (s *Server) memberDetail(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if len(name) > 200 {
		return badRequest("a member's name is at most 200 bytes")
	}
	m, err := s.views.Member(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no member is named " + strconv.Quote(name)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
