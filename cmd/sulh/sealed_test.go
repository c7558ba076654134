package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfidential files a confidential report with the real binary: the
// other party and the public cannot read it, the mediators can; after sulh
// disclose, anyone can check its body against the digest the log held since
// it was filed, and the log verifies.
func TestConfidential(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data)
	keys := filepath.Join(data, "keys")
	key := func(name string) string { return filepath.Join(keys, name+".key") }
	client := &http.Client{Timeout: 10 * time.Second}
	token := func(member string) string {
		t.Helper()
		r := runSulh(t, runOpts{}, "token", "new", "--key", key(member), "--server", srv.URL)
		if r.code != 0 {
			t.Fatalf("token new for %s:\n%s", member, r)
		}
		return strings.TrimSpace(r.stdout)
	}
	pak, afg, qat := token("pakistan-liaison-1"), token("afghanistan-liaison-1"), token("qatar-investigator-1")

	const secret = "Intelligence shared only with the mediators: a group of 40 crossing near Ghulam Khan."
	report := `{"kind":"report","channel":"party","accused":"afghanistan","event":{"time":"2025-11-30T02:00:00Z","precision":"day"},
		"place":{"id":"ghulam-khan","name":"Ghulam Khan","geo_precision":2},"event_type":"strategic_developments","sub_event_type":"other",
		"categories":["militant_infiltration"],"summary":"` + secret + `","language":"en"}`
	r := runSulh(t, runOpts{stdin: report}, "submit", "--key", key("pakistan-liaison-1"), "--server", srv.URL, "--seal-for", "qatar,turkiye", "-")
	if r.code != 0 {
		t.Fatalf("sealed submit:\n%s", r)
	}
	var rcpt struct {
		Index int64 `json:"index"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rcpt); err != nil {
		t.Fatal(err)
	}
	read := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/sealed/%d/body", srv.URL, rcpt.Index), nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		who, tok string
		status   int
	}{{"the other party", afg, 403}, {"the public", "", 401}, {"a mediator", qat, 200}, {"the author's party", pak, 200}} {
		status, b := read(tc.tok)
		if status != tc.status || strings.Contains(b, secret) != (tc.status == 200) {
			t.Errorf("read by %s: %d %s; want %d", tc.who, status, b, tc.status)
		}
	}
	// The public sees the sealed statement, not its body, and no case.
	var st struct {
		Entry string `json:"entry"`
	}
	getJSON(t, client, fmt.Sprintf("%s/api/v1/statements/%d", srv.URL, rcpt.Index), &st)
	if strings.Contains(st.Entry, "Ghulam") || !strings.Contains(st.Entry, `"kind":"sealed"`) {
		t.Errorf("the public entry: %s", st.Entry)
	}
	var cases struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	getJSON(t, client, srv.URL+"/api/v1/cases", &cases)
	for _, c := range cases.Items {
		if c.ID == rcpt.Index {
			t.Errorf("a sealed report opened case %d", c.ID)
		}
	}

	// Evidence registered in a sealed statement is downloaded only by those
	// who may read it.
	jpg, err := os.ReadFile("testdata/crater-gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/evidence?name=intel.jpg", bytes.NewReader(jpg))
	req.Header.Set("Authorization", "Bearer "+pak)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct {
		SHA256 string `json:"sha256"`
	}
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	ev := fmt.Sprintf(`{"kind":"evidence","sha256":%q,"size":%d,"media_type":"image/jpeg","name":"intel.jpg","collector":"Pakistan"}`, up.SHA256, len(jpg))
	if r := runSulh(t, runOpts{stdin: ev}, "submit", "--key", key("pakistan-liaison-1"), "--server", srv.URL, "--seal-for", "qatar,turkiye", "-"); r.code != 0 {
		t.Fatalf("sealed evidence:\n%s", r)
	}
	for _, tc := range []struct {
		who, tok string
		status   int
	}{{"the public", "", 404}, {"the other party", afg, 404}, {"a mediator", qat, 200}} { // 404: as unknown as a hash nobody registered
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/evidence/"+up.SHA256+"/file", nil)
		if tc.tok != "" {
			req.Header.Set("Authorization", "Bearer "+tc.tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || bytes.Equal(b, jpg) != (tc.status == 200) {
			t.Errorf("the sealed evidence downloaded by %s: %d, %d bytes; want %d", tc.who, resp.StatusCode, len(b), tc.status)
		}
	}

	// The other party cannot disclose it; its author does.
	// The token comes from the environment or from standard input.
	r = runSulh(t, runOpts{env: []string{"SULH_TOKEN=" + afg}}, "disclose", "--key", key("afghanistan-liaison-1"), "--server", srv.URL, "--index", fmt.Sprint(rcpt.Index))
	wantFailure(t, "disclose by the other party", r, "not visible")
	r = runSulh(t, runOpts{stdin: pak + "\n"}, "disclose", "--key", key("pakistan-liaison-1"), "--server", srv.URL, "--token-file", "-", "--index", fmt.Sprint(rcpt.Index))
	if r.code != 0 {
		t.Fatalf("disclose:\n%s", r)
	}
	var disc struct {
		Index int64 `json:"index"`
	}
	json.Unmarshal([]byte(r.stdout), &disc)

	// Anyone can now check the body against the digest, from the log's
	// entries alone: the signed bytes, whose second line is the JSON.
	entryJSON := func(i int64) []byte {
		var e struct {
			Entry string `json:"entry"`
		}
		getJSON(t, client, fmt.Sprintf("%s/api/v1/statements/%d", srv.URL, i), &e)
		lines := strings.SplitN(e.Entry, "\n", 3)
		if len(lines) < 2 {
			t.Fatalf("entry %d: %q", i, e.Entry)
		}
		return []byte(lines[1])
	}
	var s struct {
		Digest string `json:"digest"`
	}
	var d struct {
		Salt string          `json:"salt"`
		Body json.RawMessage `json:"body"`
	}
	if json.Unmarshal(entryJSON(rcpt.Index), &s) != nil || json.Unmarshal(entryJSON(disc.Index), &d) != nil {
		t.Fatal("couldn't read the sealed statement and its disclosure")
	}
	salt, _ := hex.DecodeString(d.Salt)
	sum := sha256.Sum256(append(salt, d.Body...))
	if hex.EncodeToString(sum[:]) != s.Digest || !strings.Contains(string(d.Body), secret) {
		t.Errorf("the disclosed body does not give the sealed digest %s: %s", s.Digest, d.Body)
	}
	if out := mustSulh(t, "verify-log", "--url", srv.URL+"/log", "--key", srv.VKey); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("verify-log: %s", out)
	}
}
