package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserReportWithPhoto: Pakistan's liaison officer, signed in with
// the key kept in the browser, files a report with a photo from the report
// form: the photo goes up with the session (its cookie and CSRF token),
// its hash is cited in the statement shown before signing, and the log
// holds the report citing it. Afghanistan's liaison officer, signed in in
// turn, replies from the reply form. No private key reaches the server.
func TestBrowserReportWithPhoto(t *testing.T) {
	rec := &requestRecorder{}
	e := mustEvidenceServer(t, 8<<20, func(s *http.Server) { s.Handler = rec.wrap(s.Handler) })
	f := &formsRun{t: t, b: mustBrowser(t), m: e.m, url: e.url}
	f.b.do(t, chromedp.Navigate(e.url+"/keys"))
	secrets := f.importKeys("pakistan-liaison-1", "afghanistan-liaison-1")

	// A photo: a small PNG made here.
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), 90, 255})
		}
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "torkham.png")
	if err := os.WriteFile(photo, pngBytes.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pngBytes.Bytes())
	hash := hex.EncodeToString(sum[:])

	member, body, _ := signInOnPage(t, f.b, e.url, "pakistan-liaison-1")
	if member != "pakistan-liaison-1" || body != "pakistan" {
		t.Fatalf("signed in as %q of %q", member, body)
	}
	f.open("/file/report", "pakistan-liaison-1")
	f.b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{photo}), chromedp.Click(chromedp.CSS("#f-upload")))
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-evidence').value.includes(`+jsString(hash)+`) || document.querySelector('#f-upload-status.status-bad') !== null`))
	if bad := eval[string](f, `(document.querySelector('#f-upload-status.status-bad') || {}).textContent || ''`); bad != "" {
		t.Fatalf("the upload failed: %s", bad)
	}
	f.set("#f-accused", "afghanistan")
	f.set("#f-event-time", "2025-12-10T04:30")
	f.set("#f-event-precision", "exact")
	f.set("#f-place-name", "Torkham")
	f.set("#f-place-lat", "34.1008")
	f.set("#f-place-lon", "71.0918")
	f.set("#f-place-gp", "1")
	f.set("#f-event-type", "battles")
	f.set("#f-sub-event-type", "armed_clash")
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="categories"][value="cross_border_fire"]`)))
	f.set("#f-summary", "Fire at a post near Torkham; a photo of the damage.")
	shown := f.preview()
	if !strings.Contains(shown, hash) {
		t.Fatalf("the statement to be signed does not cite the photo %s:\n%s", hash, shown)
	}
	f.confirmAndSign()
	report := f.receipt()
	f.checkLogged(report, shown, "pakistan-liaison-1")

	// The accused party answers, signed in with its own key.
	signOutOnPage(t, f.b)
	if member, _, _ := signInOnPage(t, f.b, e.url, "afghanistan-liaison-1"); member != "afghanistan-liaison-1" {
		t.Fatalf("signed in as %q", member)
	}
	f.open(fmt.Sprintf("/file/reply?case=%d", report), "afghanistan-liaison-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-case-info').textContent !== ''`))
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="positions"][value="denies"]`)))
	f.set("#f-text", "Our forces did not fire.")
	reply := f.file("afghanistan-liaison-1")
	var replies struct{ Items []struct{ Idx int64 } }
	f.api(fmt.Sprintf("/api/v1/replies?case=%d", report), &replies)
	if len(replies.Items) != 1 || replies.Items[0].Idx != reply {
		t.Fatalf("case %d's replies: %+v, want the one at %d", report, replies, reply)
	}
	// Nothing the server received holds either member's key.
	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key in:\n%s", req)
	}
}
