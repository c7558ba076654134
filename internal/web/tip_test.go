package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	pngpkg "image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// tipFixture is the demo mechanism with its members, served with an
// evidence store, so that the public's tips can carry photos.
type tipFixture struct {
	t      *testing.T
	m      *demo.Mechanism
	s      *web.Server
	srv    *httptest.Server
	tokens map[string]string
	at     time.Time
}

func newTipFixture(t *testing.T, scenario bool) *tipFixture {
	t.Helper()
	m, _, reg := mustDemo(t, scenario)
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)
	ev, err := blob.Open(filepath.Join(t.TempDir(), "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	s.KeepEvidence(ev, 1<<20)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &tipFixture{t: t, m: m, s: s, srv: srv, tokens: map[string]string{}, at: time.Now().UTC().Truncate(time.Second)}
}

// token issues member an API token, now, and returns its secret.
func (f *tipFixture) token(member string) string {
	f.t.Helper()
	if s, ok := f.tokens[member]; ok {
		return s
	}
	secret := "sulh_tip-test-" + member
	sum := sha256.Sum256([]byte(secret))
	if _, err := f.m.Submit(f.t.Context(), mechanism.KindTokenIssue, member, time.Now().UTC().Truncate(time.Second), map[string]any{
		"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(time.Now().Add(time.Hour)), "label": "tip test"}); err != nil {
		f.t.Fatal(err)
	}
	f.tokens[member] = secret
	return secret
}

// request sends method path with member's token ("" for none) and
// returns the status and the body.
func (f *tipFixture) request(method, path, member string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	if member != "" {
		req.Header.Set("Authorization", "Bearer "+f.token(member))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (f *tipFixture) inbox(member string) web.InboxResponse {
	f.t.Helper()
	status, b := f.request("GET", "/api/v1/inbox?limit=500", member)
	if status != http.StatusOK {
		f.t.Fatalf("%s's inbox: %d %s", member, status, b)
	}
	var in web.InboxResponse
	if err := json.Unmarshal(b, &in); err != nil {
		f.t.Fatal(err)
	}
	return in
}

// tipFile is a file of a tip form: its field's file name and content.
type tipFile struct {
	name    string
	content []byte
}

// tipBody makes a tip form's body, its fields in the order given.
func tipBody(t testing.TB, fields [][2]string, files ...tipFile) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range fields {
		mw.WriteField(kv[0], kv[1])
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("photo", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.content)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// postTip sends a tip form, as a browser on this site does, and returns
// the answer.
func (f *tipFixture) postTip(contentType string, body []byte, headers ...string) *http.Response {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/tip", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// tipPNG is a small PNG photo, different for each seed.
func tipPNG(t testing.TB, seed uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{seed, uint8(x * 6), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	if err := pngpkg.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTipToReport follows a tip from the public: sent with a photo and no
// account, it lands in the monitors' inbox with its photo, which the
// monitors alone may fetch; it is in no other body's inbox, nor in the
// log; the photo is not served as evidence while no statement registers
// it. A monitor then files it as a report of channel "public" that cites
// the photo's hash, once an evidence statement registers it: from then
// on the photo is public evidence, like any other.
func TestTipToReport(t *testing.T) {
	f := newTipFixture(t, false)
	size := f.m.Log.Checkpoint().N
	photo := tipPNG(t, 7)
	sum := sha256.Sum256(photo)
	hash := hex.EncodeToString(sum[:])
	text := `Mortar fire near the Badani bazaar <script>alert(1)</script>`
	ct, body := tipBody(t, [][2]string{{"text", text}, {"place", "Badani, Chaman"}, {"when", "2025-12-05T22:00"}, {"zone", "Pakistan"},
		{"contact", "+92 300 0000000"}}, tipFile{"bazaar.png", photo})
	resp := f.postTip(ct, body)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tip?sent=1" {
		t.Fatalf("the tip: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := f.m.Log.Checkpoint().N; n != size {
		t.Errorf("the tip put %d statements in the log; a tip is not a statement", n-size)
	}

	in := f.inbox("monitors-field-1")
	if len(in.Tips) != 1 {
		t.Fatalf("the monitors' inbox holds %d tips, want 1", len(in.Tips))
	}
	tip := in.Tips[0]
	if tip.Text != text || tip.Place != "Badani, Chaman" || tip.EventAt != "2025-12-05T17:00:00Z" || tip.Contact != "+92 300 0000000" ||
		len(tip.Files) != 1 || tip.Files[0].SHA256 != hash || tip.Files[0].MediaType != "image/png" {
		t.Fatalf("the tip in the inbox: %+v", tip)
	}
	fileURL := tip.Files[0].URL
	if status, b := f.request("GET", fileURL, "monitors-field-1"); status != http.StatusOK || !bytes.Equal(b, photo) {
		t.Errorf("the monitor fetching the tip's photo: %d, %d bytes", status, len(b))
	}

	// Attacks: nobody else reads the tips or their photos.
	for _, member := range []string{"pakistan-liaison-1", "afghanistan-liaison-1", "qatar-investigator-1"} {
		if in := f.inbox(member); len(in.Tips) != 0 {
			t.Errorf("%s's inbox holds the public's tips: %+v", member, in.Tips)
		}
	}
	for _, tc := range []struct {
		path, member string
		status       int
	}{
		{fileURL, "", http.StatusUnauthorized},
		{fileURL, "pakistan-liaison-1", http.StatusForbidden},
		{fileURL, "qatar-investigator-1", http.StatusForbidden},
		{"/api/v1/inbox", "", http.StatusUnauthorized},
		{fmt.Sprintf("/api/v1/tips/%d/files/%s", tip.ID+1, hash), "monitors-field-1", http.StatusNotFound},
		{fmt.Sprintf("/api/v1/tips/%d/files/%s", tip.ID, strings.Repeat("0", 64)), "monitors-field-1", http.StatusNotFound},
		{fmt.Sprintf("/api/v1/tips/%d/files/..%%2f..%%2fetc", tip.ID), "monitors-field-1", http.StatusNotFound},
		{"/api/v1/evidence/" + hash + "/file", "", http.StatusNotFound},
		{"/api/v1/evidence/" + hash + "/file", "pakistan-liaison-1", http.StatusNotFound},
		{"/api/v1/evidence/" + hash + "/thumbnail", "", http.StatusNotFound},
		{"/api/v1/evidence/" + hash + "/copies", "", http.StatusNotFound},
		{"/api/v1/tips", "", http.StatusNotFound},
	} {
		if status, b := f.request("GET", tc.path, tc.member); status != tc.status {
			t.Errorf("GET %s as %q: %d %s; want %d", tc.path, tc.member, status, b, tc.status)
		} else if bytes.Contains(b, photo[:64]) || bytes.Contains(b, []byte("Badani bazaar")) {
			t.Errorf("GET %s as %q gave the tip away", tc.path, tc.member)
		}
	}
	for _, page := range []string{"/cases", "/explore", "/tip", "/export/log.jsonl"} {
		if _, b := f.request("GET", page, ""); bytes.Contains(b, []byte("Badani bazaar")) || bytes.Contains(b, []byte(hash)) {
			t.Errorf("%s shows the tip", page)
		}
	}

	// A monitor files it: the photo registered, and a report of channel
	// "public" that cites it.
	at := time.Now().UTC().Truncate(time.Second)
	if _, err := f.m.Submit(t.Context(), mechanism.KindEvidence, "monitors-field-1", at, map[string]any{
		"sha256": hash, "size": len(photo), "media_type": "image/png", "name": "bazaar.png", "collector": "a member of the public",
		"custody": map[string]any{"event": "collected", "to": "Joint field monitoring team", "note": "Sent with public tip " + strconv.FormatInt(tip.ID, 10)}}); err != nil {
		t.Fatal(err)
	}
	r := demo.SampleReport("Mortar fire near the Badani bazaar, from a tip by a member of the public.", "afghanistan", time.Date(2025, 12, 5, 17, 0, 0, 0, time.UTC))
	r["channel"], r["source"], r["evidence"] = "public", "public tip "+strconv.FormatInt(tip.ID, 10), []string{hash}
	delete(r, "clauses")
	rc, err := f.m.Submit(t.Context(), mechanism.KindReport, "monitors-field-1", at.Add(time.Second), r)
	if err != nil {
		t.Fatalf("the monitor's report of the tip: %v", err)
	}
	if status, b := f.request("GET", "/api/v1/evidence/"+hash+"/file?at_least="+strconv.FormatInt(rc.Index, 10), ""); status != http.StatusOK || !bytes.Equal(b, photo) {
		t.Errorf("the photo once registered by a public statement: %d", status)
	}
	var c struct {
		Channel string `json:"channel"`
	}
	status, b := f.request("GET", "/api/v1/cases/"+strconv.FormatInt(rc.Index, 10), "")
	if json.Unmarshal(b, &c); status != http.StatusOK || c.Channel != "public" {
		t.Errorf("the case of the tip: %d %s", status, b)
	}
}

// TestTipRefusals: a tip that is cross-origin, empty, too long, too large,
// not a form, or whose file is no photo, or not what its name says, is
// refused with a page that says why, and nothing is kept.
func TestTipRefusals(t *testing.T) {
	f := newTipFixture(t, false)
	f.s.SetTipRate(100, time.Millisecond)
	photo := tipPNG(t, 1)
	ok := [][2]string{{"text", "Shots at the crossing."}}
	big := tipFile{"big.png", append(tipPNG(t, 2), bytes.Repeat([]byte{0}, 11<<20)...)}
	for _, tc := range []struct {
		name    string
		fields  [][2]string
		files   []tipFile
		headers []string
		ct      string
		status  int
		says    string
	}{
		{"from another site", ok, nil, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, "", 403, "another site"},
		{"no text", [][2]string{{"place", "Torkham"}}, nil, nil, "", 400, "what you saw"},
		{"text too long", [][2]string{{"text", strings.Repeat("ب", 4001)}}, nil, nil, "", 400, "longer than its limit"},
		{"a field twice", [][2]string{{"text", "a"}, {"text", "b"}}, nil, nil, "", 400, "could not be read"},
		{"an unknown field", [][2]string{{"text", "a"}, {"case", "70"}}, nil, nil, "", 400, "could not be read"},
		{"a control character", [][2]string{{"text", "a\x00b"}}, nil, nil, "", 400, "plain text"},
		{"a time in the future", [][2]string{{"text", "a"}, {"when", "2999-01-01T00:00"}}, nil, nil, "", 400, "not a valid time"},
		{"a zone not offered", [][2]string{{"text", "a"}, {"when", "2025-12-05T22:00"}, {"zone", "Europe/Paris"}}, nil, nil, "", 400, "time zones offered"},
		{"a PDF", ok, []tipFile{{"report.pdf", []byte("%PDF-1.4\n")}}, nil, "", 400, "Only photos"},
		{"a PDF named .jpg", ok, []tipFile{{"photo.jpg", []byte("%PDF-1.4\n%%EOF\n")}}, nil, "", 400, "Only photos"},
		{"four photos", ok, []tipFile{{"a.png", photo}, {"b.png", photo}, {"c.png", photo}, {"d.png", photo}}, nil, "", 400, "at most three"},
		{"a photo too large", ok, []tipFile{big}, nil, "", 413, "larger than the limit"},
		{"not multipart", nil, nil, nil, "application/x-www-form-urlencoded", 400, "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := tipBody(t, tc.fields, tc.files...)
			if tc.ct != "" {
				ct, body = tc.ct, []byte("text=hello")
			}
			req, _ := http.NewRequest("POST", f.srv.URL+"/tip", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for i := 0; i+1 < len(tc.headers); i += 2 {
				req.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.says) || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%d %q; want %d saying %q", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.says)
			}
			if strings.Contains(string(b), "<script>") {
				t.Error("the page shows a script tag")
			}
		})
	}
	if in := f.inbox("monitors-field-1"); len(in.Tips) != 0 {
		t.Errorf("refused tips were kept: %+v", in.Tips)
	}
}

// TestTipRateLimit: one address may send a burst of tips, then is
// answered 429 with Retry-After, and the refused tip is not kept.
func TestTipRateLimit(t *testing.T) {
	f := newTipFixture(t, false)
	f.s.SetTipRate(2, time.Hour)
	ct, body := tipBody(t, [][2]string{{"text", "Firing at night."}})
	for i := range 3 {
		resp := f.postTip(ct, body)
		switch {
		case i < 2 && resp.StatusCode != http.StatusSeeOther:
			t.Errorf("tip %d: %d, want 303", i+1, resp.StatusCode)
		case i == 2:
			retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if resp.StatusCode != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 3600 {
				t.Errorf("tip 3: %d, Retry-After %q; want 429 within the hour", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
	}
	if in := f.inbox("monitors-field-1"); len(in.Tips) != 2 {
		t.Errorf("the monitors hold %d tips; want the 2 within the rate", len(in.Tips))
	}
}
