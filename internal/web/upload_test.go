package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// evidenceServer is a server that keeps evidence, with an API token for
// every demo member.
type evidenceServer struct {
	t      *testing.T
	m      *demo.Mechanism
	store  *blob.Store
	url    string
	tokens map[string]string // by member
	client *http.Client
}

// mustEvidenceServer starts a server of the demo mechanism's members that
// keeps evidence, up to limit bytes a file. configure, if not nil, adjusts
// the http.Server before it starts, and dial the client's connections.
func mustEvidenceServer(t *testing.T, limit int64, configure func(*http.Server)) *evidenceServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(filepath.Join(dir, "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	s.KeepEvidence(store, limit)
	srv := httptest.NewUnstartedServer(s)
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	// The server stops first, then its store, as sulh serve does.
	t.Cleanup(func() { store.Close() })
	t.Cleanup(srv.Close)
	e := &evidenceServer{t: t, m: m, store: store, url: srv.URL, tokens: map[string]string{}, client: srv.Client()}
	now := time.Now().UTC().Truncate(time.Second)
	for _, member := range []string{"monitors-field-1", "qatar-investigator-1", "pakistan-liaison-1", "afghanistan-liaison-1", "board-qatar-1", "board-turkiye-1"} {
		secret := "sulh_upload_" + member
		sum := sha256.Sum256([]byte(secret))
		if _, err := m.Submit(ctx, mechanism.KindTokenIssue, member, now, map[string]any{
			"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
		e.tokens[member] = secret
	}
	return e
}

// do sends a request as member ("" for none) and returns the answer's
// status, headers and body.
func (e *evidenceServer) do(method, path, member string, body io.Reader) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if member != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[member])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// upload stores content as an evidence file and returns its hash.
func (e *evidenceServer) upload(member, name string, content []byte) string {
	e.t.Helper()
	status, _, b := e.do("POST", "/api/v1/evidence?name="+name, member, bytes.NewReader(content))
	if status != http.StatusCreated && status != http.StatusOK {
		e.t.Fatalf("upload of %s: %d %s", name, status, b)
	}
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// register files a public evidence statement for a stored file.
func (e *evidenceServer) register(hash string, size int, mediaType, name string) {
	e.t.Helper()
	if _, err := e.m.Submit(context.Background(), mechanism.KindEvidence, "monitors-field-1", time.Now().UTC().Truncate(time.Second), map[string]any{
		"sha256": hash, "size": size, "media_type": mediaType, "name": name, "collector": "A monitor"}); err != nil {
		e.t.Fatal(err)
	}
}

func pngImage(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUploadAnsweredBeforeThumbnail: while the thumbnail of an uploaded
// image is being made, and held there, the image's own upload and a text
// upload are answered; the thumbnail is asked for again in vain until the
// worker is let go, and then served.
func TestUploadAnsweredBeforeThumbnail(t *testing.T) {
	e := mustEvidenceServer(t, 1<<20, nil)
	started := make(chan string, 1)
	release := make(chan struct{})
	done := make(chan error, 1)
	e.store.SetThumbnailHooks(blob.ThumbnailHooks{
		Start: func(hash string) { started <- hash; <-release },
		Done:  func(hash string, err error) { done <- err },
	})
	img := pngImage(t, 640, 480)
	hash := e.upload("monitors-field-1", "crater.png", img)
	e.register(hash, len(img), "image/png", "crater.png")
	if got := <-started; got != hash {
		t.Fatalf("the worker started on %s, want %s", got, hash)
	}
	// The worker is held inside the thumbnail of crater.png.
	answered := make(chan int)
	go func() {
		req, _ := http.NewRequest("POST", e.url+"/api/v1/evidence?name=notes.txt", strings.NewReader("Notes taken at the crater.\n"))
		req.Header.Set("Authorization", "Bearer "+e.tokens["monitors-field-1"])
		resp, err := e.client.Do(req)
		if err != nil {
			t.Error(err)
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	select {
	case status := <-answered:
		if status != http.StatusCreated {
			t.Errorf("the text upload: %d", status)
		}
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("the text upload was not answered while a thumbnail was being made")
	}
	status, header, b := e.do("GET", "/api/v1/evidence/"+hash+"/thumbnail", "", nil)
	if status != http.StatusNotFound || header.Get("Retry-After") == "" || !strings.Contains(string(b), "not made yet") {
		t.Errorf("the thumbnail while it is being made: %d %v %s", status, header, b)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the thumbnail: %v", err)
	}
	status, header, b = e.do("GET", "/api/v1/evidence/"+hash+"/thumbnail", "", nil)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(b)); status != http.StatusOK || err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("the thumbnail once made: %d %v %+v %v", status, header, cfg, err)
	}
	// The text's thumbnail is never asked for.
	select {
	case h := <-started:
		t.Errorf("a thumbnail of %s was queued", h)
	default:
	}
}

// TestThumbnailRefusedAndRemembered: an image too large to decode within
// the budget gets no thumbnail and is remembered as such; its upload is
// answered, and the thumbnail's 404 says why.
func TestThumbnailRefusedAndRemembered(t *testing.T) {
	e := mustEvidenceServer(t, 1<<20, nil)
	done := make(chan error, 1)
	e.store.SetThumbnailHooks(blob.ThumbnailHooks{Done: func(hash string, err error) { done <- err }})
	// A PNG header that claims 30,000 × 30,000 pixels of 16-bit RGBA.
	ihdr := []byte("IHDR\x00\x00\x75\x30\x00\x00\x75\x30\x10\x06\x00\x00\x00")
	claim := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	claim = binary.BigEndian.AppendUint32(claim, crc32.ChecksumIEEE(ihdr))
	hash := e.upload("monitors-field-1", "huge.png", claim)
	e.register(hash, len(claim), "image/png", "huge.png")
	if err := <-done; !errors.Is(err, blob.ErrOverBudget) {
		t.Fatalf("the thumbnail: %v, want ErrOverBudget", err)
	}
	status, _, b := e.do("GET", "/api/v1/evidence/"+hash+"/thumbnail", "", nil)
	if status != http.StatusNotFound || !strings.Contains(string(b), "budget") {
		t.Errorf("the thumbnail of a refused image: %d %s", status, b)
	}
	// A second upload of the same file does not try again.
	e.upload("monitors-field-1", "huge.png", claim)
	if err := <-done; !errors.Is(err, blob.ErrNoThumbnail) || !strings.Contains(err.Error(), "failed before") {
		t.Errorf("after a second upload: %v", err)
	}
}

type copyItem struct {
	Name     string `json:"name"`
	Uploader *struct {
		Member string `json:"member"`
		Body   string `json:"body"`
	} `json:"uploader"`
}

// TestCopyOwnership: a working copy belongs to its uploader's body. Another
// body's member cannot replace it, under its name in any case (403); a
// member of the same body can; the server's own names are refused in any
// case (400); the listing names each copy's uploader.
func TestCopyOwnership(t *testing.T) {
	e := mustEvidenceServer(t, 1<<20, nil)
	done := make(chan error, 1)
	e.store.SetThumbnailHooks(blob.ThumbnailHooks{Done: func(hash string, err error) { done <- err }})
	img := pngImage(t, 64, 48)
	hash := e.upload("monitors-field-1", "crater.png", img)
	e.register(hash, len(img), "image/png", "crater.png")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	copies := "/api/v1/evidence/" + hash + "/copies"
	put := func(member, name, content string) (int, []byte) {
		status, _, b := e.do("POST", copies+"?name="+name, member, strings.NewReader(content))
		return status, b
	}
	if status, b := put("board-qatar-1", "redacted.txt", "the board's redaction\n"); status != http.StatusCreated ||
		!strings.Contains(string(b), `"member": "board-qatar-1"`) || !strings.Contains(string(b), `"body": "board"`) {
		t.Fatalf("the board's copy: %d %s", status, b)
	}
	// The attack: Pakistan's liaison stores a copy named like the board's.
	for _, name := range []string{"redacted.txt", "Redacted.txt", "REDACTED.TXT"} {
		status, b := put("pakistan-liaison-1", name, "Pakistan's version\n")
		var v apiError
		json.Unmarshal(b, &v)
		if status != http.StatusForbidden || v.Error.Code != "forbidden" || !strings.Contains(v.Error.Message, `only members of "board" may replace it`) {
			t.Errorf("pakistan stores %s over the board's copy: %d %s; want 403 naming the board", name, status, b)
		}
	}
	if status, _, b := e.do("GET", copies+"/redacted.txt", "", nil); status != http.StatusOK || string(b) != "the board's redaction\n" {
		t.Errorf("the board's copy after the attack: %d %q", status, b)
	}
	if status, b := put("board-turkiye-1", "redacted.txt", "the board's second redaction\n"); status != http.StatusCreated {
		t.Errorf("another member of the board replaces the board's copy: %d %s", status, b)
	}
	for _, name := range []string{"thumbnail.jpg", "Thumbnail.jpg", "THUMBNAIL.JPG"} {
		status, b := put("board-qatar-1", name, "not a thumbnail")
		if status != http.StatusBadRequest || !strings.Contains(string(b), "server's own") {
			t.Errorf("a copy named %s: %d %s; want 400", name, status, b)
		}
	}
	if status, b := put("pakistan-liaison-1", "pakistan.txt", "Pakistan's own copy\n"); status != http.StatusCreated {
		t.Errorf("pakistan's own copy: %d %s", status, b)
	}

	status, _, b := e.do("GET", copies, "", nil)
	var list struct{ Items []copyItem }
	if err := json.Unmarshal(b, &list); status != http.StatusOK || err != nil {
		t.Fatalf("the listing: %d %s", status, b)
	}
	got := map[string]string{}
	for _, c := range list.Items {
		got[c.Name] = "server"
		if c.Uploader != nil {
			got[c.Name] = c.Uploader.Member + " of " + c.Uploader.Body
		}
	}
	want := map[string]string{"pakistan.txt": "pakistan-liaison-1 of pakistan", "redacted.txt": "board-turkiye-1 of board", "thumbnail.jpg": "server"}
	if len(got) != len(want) {
		t.Errorf("the listing: %v, want %v", got, want)
	}
	for name, who := range want {
		if got[name] != who {
			t.Errorf("the listing has %s by %q, want %q", name, got[name], who)
		}
	}
}

// slowServer sets an http.Server's timeouts far below the time the tests'
// transfers take, and small socket buffers, so that a transfer cannot hide
// in the kernel's buffers.
func slowServer(s *http.Server) {
	s.ReadTimeout = 300 * time.Millisecond
	s.WriteTimeout = 300 * time.Millisecond
	s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetWriteBuffer(32 << 10)
			tc.SetReadBuffer(32 << 10)
		}
		return ctx
	}
}

// slowClient reads and writes through small socket buffers.
func slowClient() *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(32 << 10)
			tc.SetWriteBuffer(32 << 10)
		}
		return c, err
	}}}
}

// trickle is a reader that gives its content 32 KiB at a time, sleeping
// between reads.
type trickle struct {
	r     io.Reader
	pause time.Duration
}

func (t *trickle) Read(p []byte) (int, error) {
	time.Sleep(t.pause)
	return t.r.Read(p[:min(len(p), 32<<10)])
}

// TestTransfersOutlastTimeouts: against a server whose ReadTimeout and
// WriteTimeout are 300 ms, an upload and a working copy's download that take
// seconds, with bytes moving all along, go through whole. A handler that
// does not push the deadlines, on a server configured the same, is cut:
// the transfers do outlast the timeouts.
func TestTransfersOutlastTimeouts(t *testing.T) {
	t.Parallel()
	e := mustEvidenceServer(t, 32<<20, slowServer)
	e.client = slowClient()

	// 2 MiB up, 32 KiB every 20 ms: over a second.
	notes := bytes.Repeat([]byte("A line of a long transcript of an interview.\n"), 2<<20/45)
	start := time.Now()
	status, _, b := e.do("POST", "/api/v1/evidence?name=transcript.txt", "monitors-field-1", &trickle{bytes.NewReader(notes), 20 * time.Millisecond})
	if status != http.StatusCreated {
		t.Fatalf("a slow upload: %d %s", status, b)
	}
	t.Logf("the upload took %v", time.Since(start))
	sum := sha256.Sum256(notes)
	hash := hex.EncodeToString(sum[:])
	e.register(hash, len(notes), "text/plain", "transcript.txt")

	// 16 MiB down, read 32 KiB every 5 ms: well over a second.
	big := bytes.Repeat([]byte("A line of a redacted transcript.\n"), 16<<20/33)
	if _, err := e.store.PutDerived(context.Background(), hash, "redacted.txt", blob.Uploader{Member: "monitors-field-1", Body: "monitors"}, bytes.NewReader(big), 32<<20); err != nil {
		t.Fatal(err)
	}
	download := func(url string) ([]byte, error) {
		resp, err := e.client.Get(url)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var got bytes.Buffer
		_, err = got.ReadFrom(&trickle{resp.Body, 5 * time.Millisecond})
		return got.Bytes(), err
	}
	start = time.Now()
	got, err := download(e.url + "/api/v1/evidence/" + hash + "/copies/redacted.txt")
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("a slow download: %d of %d bytes, %v", len(got), len(big), err)
	}
	t.Logf("the download took %v", time.Since(start))

	// The control: the same transfers through handlers that do not push.
	plain := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			if _, err := io.ReadAll(r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
			return
		}
		http.ServeContent(w, r, "redacted.txt", time.Time{}, bytes.NewReader(big))
	}))
	slowServer(plain.Config)
	plain.Start()
	defer plain.Close()
	if got, err := download(plain.URL); err == nil && bytes.Equal(got, big) {
		t.Errorf("a download through a handler that does not push the deadline went through: the test proves nothing")
	}
	resp, err := e.client.Post(plain.URL, "text/plain", &trickle{bytes.NewReader(notes), 20 * time.Millisecond})
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("an upload to a handler that does not push the deadline went through: the test proves nothing")
		}
	}
}
