package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEvidence runs the evidence path with the real binary: a monitor
// makes an API token, uploads a photo, registers it on a case with an
// evidence statement, a mediator verifies it, the case shows the
// verification; uploads without a token, too large, of the wrong type or
// with a path in the name are refused; a stored file changed on disk is
// caught by sulh scan and never served.
func TestEvidence(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	srv := startServer(t, nil, "demo", "--data", data, "--max-upload", "64KiB")
	keys := filepath.Join(data, "keys")
	client := &http.Client{Timeout: 10 * time.Second}

	r := runSulh(t, runOpts{}, "token", "new", "--key", filepath.Join(keys, "monitors-field-1.key"), "--server", srv.URL, "--label", "e2e")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sulh_") {
		t.Fatalf("token new:\n%s", r)
	}
	token := strings.TrimSpace(r.stdout)

	// testdata/crater-gps.jpg: a 64×48 JPEG whose EXIF says it was taken at
	// 08:02:11 Afghanistan time on 7 November 2025 at 30°55'48"N
	// 66°26'24"E, near Spin Boldak.
	jpg, err := os.ReadFile("testdata/crater-gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var notJPEG bytes.Buffer
	if err := png.Encode(&notJPEG, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	upload := func(name string, body []byte, auth string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/evidence?name="+name, bytes.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	for _, tc := range []struct {
		what, name string
		body       []byte
		auth       string
		status     int
		want       string
	}{
		{"no token", "crater.jpg", jpg, "", 401, "unauthorized"},
		{"a wrong token", "crater.jpg", jpg, "sulh_nope", 401, "unknown, revoked or expired"},
		{"too large", "crater.jpg", bytes.Repeat([]byte{0xff}, 65<<10), token, 413, "too_large"},
		{"a PNG called .jpg", "crater.jpg", notJPEG.Bytes(), token, 400, "should be a JPEG"},
		{"a path in the name", "..%2Fcrater.jpg", jpg, token, 400, "path separator"},
	} {
		status, v := upload(tc.name, tc.body, tc.auth)
		if b, _ := json.Marshal(v); status != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("upload with %s: %d %s; want %d and %q", tc.what, status, b, tc.status, tc.want)
		}
	}
	status, v := upload("crater.jpg", jpg, token)
	if status != http.StatusCreated || v["media_type"] != "image/jpeg" || v["uploader"] != "monitors-field-1" {
		t.Fatalf("upload: %d %v", status, v)
	}
	// The photo's own time and place, read from its EXIF.
	pos, _ := v["position"].(map[string]any)
	if v["captured"] != "2025-11-07T03:32:11Z" || pos == nil || math.Abs(pos["lat"].(float64)-30.93) > 1e-6 || math.Abs(pos["lon"].(float64)-66.44) > 1e-6 {
		t.Errorf("upload: EXIF read as captured %v, position %v", v["captured"], v["position"])
	}
	hash := v["sha256"].(string)

	submit := func(what, stmt string, signers ...string) {
		t.Helper()
		args := []string{"submit", "--server", srv.URL}
		for _, s := range signers {
			args = append(args, "--key", filepath.Join(keys, s+".key"))
		}
		if r := runSulh(t, runOpts{stdin: stmt}, append(args, "-")...); r.code != 0 {
			t.Fatalf("%s: %s", what, r)
		}
	}
	const caseID = 32 // the demo's published case
	now := time.Now().UTC().Format(time.RFC3339)
	submit("evidence", fmt.Sprintf(`{"kind":"evidence","sha256":%q,"size":%d,"media_type":"image/jpeg","name":"crater.jpg",
		"collector":"Field monitor","tool":"camera","captured":{"time":"2025-11-07T08:02:11+04:30","precision":"exact"},
		"place":{"name":"Spin Boldak","lat":30.93,"lon":66.44,"geo_precision":1},"case":%d,
		"custody":{"event":"collected","to":"Field monitor"}}`, hash, len(jpg), caseID), "monitors-field-1")
	submit("verification", fmt.Sprintf(`{"kind":"verification","evidence":%q,"analyst":"Investigator","date":%q,
		"source":{"result":"passed"},"technical":{"result":"passed"},"content":{"result":"passed"},"result":"verified"}`, hash, now), "qatar-investigator-1")

	var c struct {
		Evidence []struct {
			SHA256   string `json:"sha256"`
			Verified string `json:"verified"`
		} `json:"evidence"`
		Verifications []struct {
			SHA256 string `json:"sha256"`
			Result string `json:"result"`
		} `json:"verifications"`
	}
	getJSON(t, client, fmt.Sprintf("%s/api/v1/cases/%d", srv.URL, caseID), &c)
	found := false
	for _, e := range c.Evidence {
		found = found || (e.SHA256 == hash && e.Verified == "verified")
	}
	if !found || len(c.Verifications) < 2 {
		t.Errorf("case %d evidence %+v, verifications %+v; want %s verified", caseID, c.Evidence, c.Verifications, hash)
	}
	resp, err := client.Get(srv.URL + "/api/v1/evidence/" + hash + "/file")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, jpg) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("download: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	// A thumbnail was derived, and is kept apart from the original.
	resp, err = client.Get(srv.URL + "/api/v1/evidence/" + hash + "/thumbnail")
	if err != nil {
		t.Fatal(err)
	}
	thumb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); resp.StatusCode != 200 || err != nil || cfg.Width != 64 || cfg.Height != 48 {
		t.Errorf("thumbnail: %d, %v, %+v", resp.StatusCode, err, cfg)
	}
	// A redacted working copy is stored apart; the original is unchanged.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/evidence/"+hash+"/copies?name=redacted.png", bytes.NewReader(notJPEG.Bytes()))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("working copy: %d", resp.StatusCode)
	}
	var copies struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	getJSON(t, client, srv.URL+"/api/v1/evidence/"+hash+"/copies", &copies)
	if len(copies.Items) != 2 {
		t.Errorf("working copies: %+v; want the redacted copy and the thumbnail", copies.Items)
	}
	resp, err = client.Get(srv.URL + "/api/v1/evidence/" + hash + "/copies/redacted.png")
	if err != nil {
		t.Fatal(err)
	}
	redacted, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(redacted, notJPEG.Bytes()) {
		t.Errorf("the working copy came back as %d bytes", len(redacted))
	}
	if out := mustSulh(t, "scan", "--data", data); !strings.Contains(out, "OK") {
		t.Errorf("scan: %s", out)
	}

	// Change a byte of the stored original behind the server's back.
	stored := filepath.Join(data, "evidence", "originals", hash[:2], hash)
	if err := os.Chmod(stored, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(stored)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(stored, b, 0o444); err != nil {
		t.Fatal(err)
	}
	r = runSulh(t, runOpts{}, "scan", "--data", data)
	wantFailure(t, "scan after tampering", r, "problem")
	if !strings.Contains(r.stdout, "corrupt") || !strings.Contains(r.stdout, hash) {
		t.Errorf("scan after tampering does not name the file as corrupt:\n%s", r)
	}
	resp, err = client.Get(srv.URL + "/api/v1/evidence/" + hash + "/file")
	if err == nil {
		got, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Equal(got, b) {
			t.Errorf("the tampered file was served whole")
		}
	}
}
