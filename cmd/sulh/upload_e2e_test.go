package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
)

// evidenceDemo starts `sulh demo` taking files of up to 64 MiB and returns
// it, its data folder and an API token of the field monitor.
func evidenceDemo(t *testing.T) (*server, string, string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data, "--max-upload", "64MiB")
	r := runSulh(t, runOpts{}, "token", "new", "--key", filepath.Join(data, "keys", "monitors-field-1.key"), "--server", srv.URL, "--label", "uploads")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sulh_") {
		t.Fatalf("token new:\n%s", r)
	}
	return srv, data, strings.TrimSpace(r.stdout)
}

// tmpFiles lists what the evidence store holds in tmp/.
func tmpFiles(t *testing.T, data string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(data, EvidenceDir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// drip writes content to w in 8 KiB chunks, one every pause, and calls
// halfway once half is written.
func drip(w *io.PipeWriter, content []byte, pause time.Duration, halfway func()) {
	for i := 0; i < len(content); i += 8 << 10 {
		time.Sleep(pause)
		if _, err := w.Write(content[i:min(i+8<<10, len(content))]); err != nil {
			w.CloseWithError(err)
			return
		}
		if i+8<<10 == len(content)/2 && halfway != nil {
			halfway()
		}
	}
	w.Close()
}

// TestSlowUploads runs the real server as sulh serve configures it and
// uploads an evidence file and a working copy of 1 MiB each, 8 KiB every
// 320 ms: over 41 seconds, longer than the server's ReadTimeout of 30 s.
// Both go through whole. Halfway, sulh scan checks the store, and leaves
// the uploads in progress alone.
func TestSlowUploads(t *testing.T) {
	t.Parallel()
	srv, data, token := evidenceDemo(t)
	client := &http.Client{Timeout: 3 * time.Minute}
	transcript := bytes.Repeat([]byte("A line of the transcript of an interview at Spin Boldak.\n"), 1<<20/57)
	transcript = append(transcript, bytes.Repeat([]byte("."), 1<<20-len(transcript)-1)...)
	transcript = append(transcript, '\n')
	redacted := bytes.ToUpper(transcript)
	notes := sha256.Sum256(demo.EvidenceNotes)
	notesHash := hex.EncodeToString(notes[:])

	type answer struct {
		status int
		body   []byte
		took   time.Duration
		err    error
	}
	send := func(path string, content []byte, length int64, halfway func()) <-chan answer {
		pr, pw := io.Pipe()
		req, err := http.NewRequest("POST", srv.URL+path, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length // 0: chunked
		req.Header.Set("Authorization", "Bearer "+token)
		c := make(chan answer, 1)
		start := time.Now()
		go drip(pw, content, 320*time.Millisecond, halfway)
		go func() {
			resp, err := client.Do(req)
			if err != nil {
				c <- answer{err: err, took: time.Since(start)}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			c <- answer{resp.StatusCode, b, time.Since(start), err}
		}()
		return c
	}
	half := make(chan struct{})
	evidence := send("/api/v1/evidence?name=transcript.txt", transcript, int64(len(transcript)), func() { close(half) })
	copied := send("/api/v1/evidence/"+notesHash+"/copies?name=transcript.txt", redacted, 0, nil)

	// Halfway through both uploads, sulh scan, as an operator would run it.
	<-half
	if files := tmpFiles(t, data); len(files) != 2 {
		t.Errorf("tmp/ holds %v halfway through two uploads", files)
	}
	if r := runSulh(t, runOpts{}, "scan", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "OK") {
		t.Errorf("sulh scan during the uploads:\n%s", r)
	}
	if files := tmpFiles(t, data); len(files) != 2 {
		t.Errorf("after sulh scan, tmp/ holds %v: it deleted uploads in progress", files)
	}
	for what, c := range map[string]<-chan answer{"the evidence upload": evidence, "the working copy": copied} {
		a := <-c
		t.Logf("%s took %v", what, a.took)
		if a.err != nil || a.status != http.StatusCreated {
			t.Errorf("%s: %d %s %v; want 201", what, a.status, a.body, a.err)
		}
	}
	sum := sha256.Sum256(transcript)
	hash := hex.EncodeToString(sum[:])
	stored, err := os.ReadFile(filepath.Join(data, EvidenceDir, "originals", hash[:2], hash))
	if err != nil || !bytes.Equal(stored, transcript) {
		t.Errorf("the stored file: %d bytes, %v", len(stored), err)
	}
	resp, err := client.Get(srv.URL + "/api/v1/evidence/" + notesHash + "/copies/transcript.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, redacted) {
		t.Errorf("the working copy came back as %d bytes", len(got))
	}
	if left := tmpFiles(t, data); len(left) > 0 {
		t.Errorf("tmp/ holds %v after the uploads", left)
	}
}

// TestStalledTransfersCut: an upload that stops sending is cut once
// nothing has arrived for 30 s, with 408 and a sentence that says why, and
// nothing of it is kept; a download the client stops reading is cut once
// nothing could be sent for 30 s, not held on to for the server's
// WriteTimeout of 5 minutes. Both stall at once, on one server.
func TestStalledTransfersCut(t *testing.T) {
	t.Parallel()
	srv, data, token := evidenceDemo(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	notes := sha256.Sum256(demo.EvidenceNotes)
	copies := "/api/v1/evidence/" + hex.EncodeToString(notes[:]) + "/copies"
	big := bytes.Repeat([]byte("A line of a long working copy.\n"), 32<<20/31)
	req, _ := http.NewRequest("POST", srv.URL+copies+"?name=big.txt", bytes.NewReader(big))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the working copy: %d", resp.StatusCode)
	}

	upload := make(chan struct{})
	go func() {
		defer close(upload)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/v1/evidence?name=stalled.txt HTTP/1.1\r\nHost: sulh\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", token, 1<<20)
		if _, err := conn.Write(bytes.Repeat([]byte("The first 64 KiB, then nothing.\n"), 2<<10)); err != nil {
			t.Error(err)
			return
		}
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("no answer to a stalled upload after %v: %v", time.Since(start), err)
			return
		}
		defer resp.Body.Close()
		var v apiError
		json.NewDecoder(resp.Body).Decode(&v)
		t.Logf("the stalled upload was answered %d after %v: %+v", resp.StatusCode, time.Since(start), v.Error)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(v.Error.Message, "stalled") {
			t.Errorf("a stalled upload: %d %+v; want 408 saying it stalled", resp.StatusCode, v.Error)
		}
	}()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	fmt.Fprintf(conn, "GET %s/big.txt HTTP/1.1\r\nHost: sulh\r\n\r\n", copies)
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the download: %v %v", resp, err)
	}
	// Read nothing for 40 s, then what is left.
	time.Sleep(40 * time.Second)
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	n, err := io.Copy(io.Discard, resp.Body)
	t.Logf("after the stall: %d of %d bytes, then %v", n, len(big), err)
	var ne net.Error
	switch {
	case n >= int64(len(big)):
		t.Errorf("a download stalled for 40 s was sent whole: the server waited on the client")
	case errors.As(err, &ne) && ne.Timeout():
		t.Errorf("after a stall of 40 s, the server neither sent the rest nor cut the connection")
	}
	<-upload
	if left := tmpFiles(t, data); len(left) > 0 {
		t.Errorf("tmp/ holds %v after a stalled upload", left)
	}
}
