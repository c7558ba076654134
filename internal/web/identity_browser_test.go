package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sulh-project/sulh/internal/web"
)

// demoSeed is the Ed25519 seed of a key file made by sulh key new.
func demoSeed(t *testing.T, text string) []byte {
	t.Helper()
	parts := strings.SplitN(strings.TrimSpace(text), "+", 5)
	if len(parts) != 5 {
		t.Fatalf("not a private key: %q", text)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 {
		t.Fatalf("private key: %v", err)
	}
	return raw[1:]
}

// waitJS waits until the expression cond is truthy on the page; if it
// never is, the test fails with what the expression say gives then.
func waitJS(t *testing.T, b *browser, cond, say string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+cond+`)`, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(`+say+`)`))
		t.Fatalf("browser: %v: waited for %s; the page says %q", err, cond, got)
	}
	b.check(t)
}

// waitStanding waits until the keys page shows the standing in the log of
// the key named name.
func waitStanding(t *testing.T, b *browser, name string) {
	t.Helper()
	waitJS(t, b, `document.querySelector('tr[data-key="`+name+`"][data-standing]')`, `document.getElementById('keys-status').textContent`)
}

// importOnPage imports a key text on the keys page by pasting it, and waits
// until the page lists it with its standing in the log.
func importOnPage(t *testing.T, b *browser, name, text string) {
	t.Helper()
	// Clicked from the page's script: the list above the form is drawn
	// again and its rows grow as their standings come, which moves the
	// button under a click made by coordinates.
	b.do(t, chromedp.SetValue(`#import-text`, strings.TrimSpace(text)))
	clickJS(t, b, `#import-form button[type=submit]`)
	waitStanding(t, b, name)
}

// signInOnPage signs in on the sign-in page with the key named name, held
// in the browser, and returns what the layout then shows: member, body and
// roles.
func signInOnPage(t *testing.T, b *browser, base, name string) (member, body, roles string) {
	t.Helper()
	b.do(t, chromedp.Navigate(base+"/signin?next=/keys"), chromedp.WaitReady(`#signin-key option[value="`+name+`"]`),
		chromedp.SetValue(`#signin-key`, name), chromedp.Click(`#signin-go`), chromedp.WaitVisible(`.who-member`))
	member = browserRun(t, b, chromedp.Text(`.who-member`))
	body = browserRun(t, b, chromedp.Text(`.who-body`))
	roles = browserRun(t, b, chromedp.Evaluate[string](`(document.querySelector('.who-roles') || {textContent: ''}).textContent`))
	return
}

func signOutOnPage(t *testing.T, b *browser) {
	t.Helper()
	clickJS(t, b, `form.signout button`)
	b.do(t, chromedp.WaitVisible(`header nav.account a[href="/signin"]`))
}

// clickJS clicks the element sel once it is there, from the page's own
// script: a page that a script just filled, or just loaded, may have
// replaced the node that chromedp found.
func clickJS(t *testing.T, b *browser, sel string) {
	t.Helper()
	js := `new Promise((resolve, reject) => {
	  const t0 = Date.now();
	  const go = () => {
	    const e = document.readyState === 'complete' && document.querySelector(` + jsString(sel) + `);
	    if (e) { e.click(); resolve(true); }
	    else if (Date.now() - t0 > 30000) reject(new Error('no ' + ` + jsString(sel) + `));
	    else setTimeout(go, 50);
	  };
	  go();
	})`
	browserRun(t, b, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
}

// TestBrowserSignin signs in, in Chromium, as each demo role with its key
// file imported on the keys page, and sees its name, body and roles; an
// administrator enrols a key made in another browser profile, whose
// holder then signs in, reads its inbox, and is signed out by its
// revocation. The pages are in Urdu, right to left, reachable by keyboard
// and under the weight budget; the server never receives any of the
// private keys.
func TestBrowserSignin(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec.wrap(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)))
	t.Cleanup(srv.Close)
	var secrets [][]byte
	keyText := func(name string) string {
		data, err := os.ReadFile(filepath.Join(m.Keys.Dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secretForms(demoSeed(t, string(data)))...)
		return string(data)
	}

	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitVisible(`#import-form`))
	// The administrator's key from its file, the others pasted.
	admin := m.Keys.Admins["pakistan"]
	keyText(admin)
	b.do(t, chromedp.SetUploadFiles(`#import-file`, []string{filepath.Join(m.Keys.Dir, admin+".key")}),
		chromedp.Click(`#import-form button[type=submit]`), chromedp.WaitReady(`tr[data-key="`+admin+`"][data-standing="enrolled"]`))
	roles := []struct{ name, body, roles string }{
		{"pakistan-liaison-1", "pakistan", "reporter"},
		{"afghanistan-liaison-1", "afghanistan", "reporter"},
		{"qatar-investigator-1", "qatar", "investigator"},
		{"turkiye-investigator-1", "turkiye", "investigator"},
		{"monitors-field-1", "monitors", "observer"},
		{admin, "pakistan", "admin"},
	}
	for _, r := range roles[:5] {
		importOnPage(t, b, r.name, keyText(r.name))
	}
	// Each import draws the list again, and each row's standing comes
	// when the server answers for it.
	for _, r := range roles {
		waitStanding(t, b, r.name)
		if st := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('tr[data-key="`+r.name+`"]').dataset.standing`)); st != "enrolled" {
			t.Errorf("the keys page says %s is %q", r.name, st)
		}
	}
	for _, r := range roles {
		member, body, got := signInOnPage(t, b, srv.URL, r.name)
		if member != r.name || body != r.body || got != r.roles {
			t.Errorf("signed in as %s: the page shows %q, %q, %q", r.name, member, body, got)
		}
		if loc := browserRun(t, b, chromedp.Location()); loc != srv.URL+"/keys" {
			t.Errorf("after sign-in, at %s, not the return address", loc)
		}
		signOutOnPage(t, b)
	}

	// A key made in another browser profile, enrolled by the
	// administrator in this one.
	other := mustBrowser(t)
	other.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.SendKeys(`#make-name`, "pakistan-liaison-9"),
		chromedp.Click(`#make-form button[type=submit]`), chromedp.WaitVisible(`#made-backup`),
		chromedp.WaitReady(`tr[data-key="pakistan-liaison-9"][data-standing="unknown"]`))
	vkey := browserRun(t, other, chromedp.Value(`#made-vkey`))
	backup := browserRun(t, other, chromedp.Value(`#made-backup`))
	if !strings.HasPrefix(backup, "PRIVATE+KEY+pakistan-liaison-9+") || !strings.HasPrefix(vkey, "pakistan-liaison-9+") {
		t.Fatalf("made key: %q, backup %q", vkey, backup)
	}
	secrets = append(secrets, secretForms(demoSeed(t, backup))...)
	if w := browserRun(t, other, chromedp.Text(`#made .warning`)); !strings.Contains(w, "can sign as you") || !strings.Contains(w, "never again") {
		t.Errorf("the backup's warning: %q", w)
	}
	// Hidden once kept: the page never shows it again.
	other.do(t, chromedp.Click(`#made-hide`))
	if v := browserRun(t, other, chromedp.Value(`#made-backup`)); v != "" {
		t.Error("the backup text is still on the page after hiding it")
	}

	signInOnPage(t, b, srv.URL, admin)
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitVisible(`#enrol-form`),
		chromedp.SendKeys(`#enrol-key`, vkey), chromedp.SendKeys(`#enrol-roles`, "reporter"),
		chromedp.SendKeys(`#enrol-label`, "Liaison officer of Pakistan, Chaman"),
		chromedp.Click(`#enrol-form button[type=submit]`), chromedp.WaitVisible(`#pending-json`))
	var shown map[string]any
	if err := json.Unmarshal([]byte(browserRun(t, b, chromedp.Text(`#pending-json`))), &shown); err != nil {
		t.Fatal(err)
	}
	if shown["kind"] != "member.enrol" || shown["body"] != "pakistan" || shown["key"] != vkey || shown["author"] != admin {
		t.Errorf("the statement shown before signing: %v", shown)
	}
	b.do(t, chromedp.Click(`#pending-sign`), chromedp.WaitReady(`#result:not(:empty)`))
	if res := browserRun(t, b, chromedp.Text(`#result`)); !strings.Contains(res, "Signed and filed") {
		t.Fatalf("enrolment: %q", res)
	}
	// The stored statement is the one shown: its JSON, compact.
	var filed map[string]any
	idx := m.Log.Checkpoint().N - 1
	if err := m.Log.Entries(t.Context(), idx, idx+1, func(_ int64, data []byte) error {
		_, j, _ := strings.Cut(string(data), "\n")
		j, _, _ = strings.Cut(j, "\n")
		return json.Unmarshal([]byte(j), &filed)
	}); err != nil {
		t.Fatal(err)
	}
	if a, _ := json.Marshal(filed); string(a) != mustJSON(t, shown) {
		t.Errorf("the log holds %s; the page showed %s", a, mustJSON(t, shown))
	}

	// The new member signs in and reads its inbox, in Urdu.
	member, body, got := signInOnPage(t, other, srv.URL, "pakistan-liaison-9")
	if member != "pakistan-liaison-9" || body != "pakistan" || got != "reporter" {
		t.Errorf("the enrolled key signed in as %q %q %q", member, body, got)
	}
	for _, path := range []string{"/inbox", "/keys", "/signin"} {
		other.do(t, chromedp.Navigate(srv.URL+path+"?lang=ur"), chromedp.WaitVisible(`main h1`))
		if dir := browserRun(t, other, chromedp.Evaluate[string](`document.documentElement.dir + ' ' + getComputedStyle(document.querySelector('main')).direction`)); dir != "rtl rtl" {
			t.Errorf("%s in Urdu: dir %q", path, dir)
		}
		if missed := other.keyboardReach(t); len(missed) > 0 {
			t.Errorf("%s: not reachable by keyboard: %v", path, missed)
		}
		weight := browserRun(t, other, chromedp.Evaluate[int](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)`))
		if weight <= 0 || weight > 200<<10 {
			t.Errorf("%s weighs %d bytes", path, weight)
		}
	}
	other.do(t, chromedp.Navigate(srv.URL+"/inbox?lang=en"), chromedp.WaitVisible(`#inbox-items`))
	other.screenshot(t, "inbox-new-member", "")

	// A party with allegations and deadlines: its inbox, and at phone
	// width.
	signOutOnPage(t, b)
	signInOnPage(t, b, srv.URL, "afghanistan-liaison-1")
	b.do(t, chromedp.Navigate(srv.URL+"/inbox"), chromedp.WaitVisible(`#inbox-items`))
	if n := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#inbox-items tbody tr').length`)); n == 0 {
		t.Error("the Afghan liaison's inbox is empty")
	}
	b.screenshot(t, "inbox", "inbox")
	b.do(t, chromedp.EmulateViewport(375, 800))
	b.screenshot(t, "inbox-phone", "")
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("the inbox is %d px wide on a 375 px screen", w)
	}
	b.do(t, chromedp.EmulateViewport(1280, 900))

	// The administrator revokes the new member; its session ends.
	signOutOnPage(t, b)
	signInOnPage(t, b, srv.URL, admin)
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitVisible(`#revoke-form`),
		chromedp.SendKeys(`#revoke-member`, "pakistan-liaison-9"), chromedp.SendKeys(`#revoke-reason`, "moved to another post"),
		chromedp.Click(`#revoke-form button[type=submit]`), chromedp.WaitVisible(`#pending-json`),
		chromedp.Click(`#pending-sign`), chromedp.WaitReady(`#result:not(:empty)`))
	if res := browserRun(t, b, chromedp.Text(`#result`)); !strings.Contains(res, "Signed and filed") {
		t.Fatalf("revocation: %q", res)
	}
	other.do(t, chromedp.Navigate(srv.URL+"/inbox"), chromedp.WaitVisible(`#signin-form`))
	if loc := browserRun(t, other, chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/signin?next=") {
		t.Errorf("after revocation, the inbox led to %s", loc)
	}
	other.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitReady(`tr[data-key="pakistan-liaison-9"][data-standing="revoked"]`))

	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key:\n%s", req)
	}
	if len(rec.all) < 50 {
		t.Fatalf("the recorder saw only %d requests", len(rec.all))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBrowserKeyRotation rotates a member's key on the keys page, in the
// browser: the page shows the key.rotate statement before it is signed,
// the browser makes the new key and signs with both, and the log then
// holds the new key for the member. The session the old key opened ends;
// the new key, which replaced the old in this browser, signs in; the old
// key, still held in another browser, no longer can; and the server never
// receives either private key.
func TestBrowserKeyRotation(t *testing.T) {
	m, _, reg := mustDemo(t, false)
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec.wrap(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)))
	t.Cleanup(srv.Close)
	const name = "qatar-investigator-1"
	data, err := os.ReadFile(filepath.Join(m.Keys.Dir, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := secretForms(demoSeed(t, string(data)))
	var member struct{ Key string }
	apiGet := func(path string, v any) {
		t.Helper()
		(&formsRun{t: t, url: srv.URL}).api(path, v)
	}
	apiGet("/api/v1/members/"+name, &member)
	oldVKey := member.Key

	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitVisible(`#import-form`))
	importOnPage(t, b, name, string(data))
	if who, _, _ := signInOnPage(t, b, srv.URL, name); who != name {
		t.Fatalf("signed in as %q", who)
	}
	b.do(t, chromedp.Navigate(srv.URL+"/inbox"), chromedp.WaitVisible(`#inbox-items`))

	// The member rotates its key: the statement is shown, then signed.
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitReady(`tr[data-key="`+name+`"][data-standing="enrolled"] button.rotate`))
	clickJS(t, b, `tr[data-key="`+name+`"] button.rotate`)
	b.do(t, chromedp.WaitVisible(`#pending-json`))
	var shown map[string]any
	if err := json.Unmarshal([]byte(browserRun(t, b, chromedp.Text(`#pending-json`))), &shown); err != nil {
		t.Fatal(err)
	}
	newVKey, _ := shown["key"].(string)
	if shown["kind"] != "key.rotate" || shown["member"] != name || shown["author"] != name || !strings.HasPrefix(newVKey, name+"+") || newVKey == oldVKey {
		t.Fatalf("the rotation shown before signing: %v", shown)
	}
	b.do(t, chromedp.Click(`#pending-sign`), chromedp.WaitVisible(`#made-backup`))
	if res := browserRun(t, b, chromedp.Text(`#result`)); !strings.Contains(res, "Signed and filed") {
		t.Fatalf("rotation: %q", res)
	}
	if v := browserRun(t, b, chromedp.Value(`#made-vkey`)); v != newVKey {
		t.Errorf("the page shows the new key as %q, want %q", v, newVKey)
	}
	backup := browserRun(t, b, chromedp.Value(`#made-backup`))
	secrets = append(secrets, secretForms(demoSeed(t, backup))...)
	apiGet("/api/v1/members/"+name, &member)
	if member.Key != newVKey {
		t.Fatalf("the log holds %s's key as %q after the rotation, want %q", name, member.Key, newVKey)
	}
	b.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitReady(`tr[data-key="`+name+`"][data-standing="enrolled"]`))
	if v := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('tr[data-key="`+name+`"] td:nth-child(2)').textContent`)); v != newVKey {
		t.Errorf("the browser holds %q for %s, not the new key", v, name)
	}

	// The old key's session has ended.
	b.do(t, chromedp.Navigate(srv.URL+"/inbox"), chromedp.WaitVisible(`#signin-form`))
	if loc := browserRun(t, b, chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/signin?next=") {
		t.Errorf("after the rotation, the old key's session led the inbox to %s", loc)
	}
	// The new key signs in.
	if who, body, _ := signInOnPage(t, b, srv.URL, name); who != name || body != "qatar" {
		t.Errorf("the new key signed in as %q of %q", who, body)
	}
	b.do(t, chromedp.Navigate(srv.URL+"/inbox"), chromedp.WaitVisible(`#inbox-items`))

	// The old key, kept in another browser, may not sign in.
	other := mustBrowser(t)
	other.do(t, chromedp.Navigate(srv.URL+"/keys"), chromedp.WaitVisible(`#import-form`))
	importOnPage(t, other, name, string(data))
	if st := browserRun(t, other, chromedp.Evaluate[string](`document.querySelector('tr[data-key="`+name+`"]').dataset.standing`)); st != "rotated" {
		t.Errorf("the keys page says the old key is %q, want rotated", st)
	}
	other.do(t, chromedp.Navigate(srv.URL+"/signin"), chromedp.WaitReady(`#signin-key option[value="`+name+`"]`),
		chromedp.SetValue(`#signin-key`, name), chromedp.Click(`#signin-go`))
	browserRun(t, other, chromedp.Poll[bool](`document.querySelector('#signin-status').textContent.includes('rotated')`, chromedp.WithPollingTimeout(30*time.Second)))
	if n := browserRun(t, other, chromedp.Evaluate[int](`document.querySelectorAll('.who-member').length`)); n != 0 {
		t.Error("the old key signed in after the rotation")
	}

	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key:\n%s", req)
	}
}
