package datadir

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ControlFile is the socket in the data folder through which commands
// reach the server that holds the folder: whoever may open the folder
// (mode 0700) may use it, and nobody else.
const ControlFile = "sulh.sock"

// ErrNoServer is returned by RebuildOnline when no server answers on the
// data folder's control socket.
var ErrNoServer = errors.New("no server is serving the data folder")

// progressLine is one line of the answer to POST /rebuild: progress, and
// in the last line, the outcome.
type progressLine struct {
	Done    int64  `json:"done,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Entries int64  `json:"entries,omitempty"` // the views went live holding these
	Error   string `json:"error,omitempty"`
}

// ServeControl listens on the data folder's control socket until the
// node closes. POST /rebuild rebuilds the views while the server serves
// (ledger.Log.Rebuild), answering with a line of JSON every so often, as
// it goes, and one with the outcome; the rebuild stops if the client goes.
func (n *Node) ServeControl(logger *slog.Logger) error {
	path := filepath.Join(n.dir, ControlFile)
	// The folder is ours (we hold its lock): a socket left there is a
	// crashed server's.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("couldn't remove the old control socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("couldn't listen on the control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("couldn't make the control socket private: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var handlers sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rebuild", func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		n.serveRebuild(w, r, logger)
	})
	srv := &http.Server{Handler: mux, BaseContext: func(net.Listener) context.Context { return ctx },
		ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	n.stopControl = func() {
		cancel() // ends a rebuild in progress
		srv.Close()
		<-served
		handlers.Wait()
		os.Remove(path)
	}
	return nil
}

func (n *Node) serveRebuild(w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	var last time.Time
	send := func(l progressLine) {
		enc.Encode(l)
		if flusher != nil {
			flusher.Flush()
		}
	}
	logger.Info("rebuilding the views beside the live ones")
	start := time.Now()
	entries, err := n.Log.Rebuild(r.Context(), func(done, total int64) {
		if time.Since(last) >= 200*time.Millisecond {
			last = time.Now()
			send(progressLine{Done: done, Total: total})
		}
	})
	if err != nil {
		logger.Error("couldn't rebuild the views", "err", err)
		send(progressLine{Error: err.Error()})
		return
	}
	logger.Info("rebuilt the views", "entries", entries, "took", time.Since(start).Round(time.Millisecond).String())
	send(progressLine{Entries: entries})
}

// RebuildOnline asks the server that serves the mechanism in dir to
// rebuild its views while it serves, through the folder's control socket,
// and waits until the new views are live. It returns ErrNoServer if no
// server answers. progress, if not nil, is called as the server reports.
func RebuildOnline(ctx context.Context, dir string, progress func(done, total int64)) (int64, error) {
	path := filepath.Join(dir, ControlFile)
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://sulh/rebuild", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				return 0, ErrNoServer
			}
		}
		return 0, fmt.Errorf("couldn't ask the server to rebuild: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("the server refused to rebuild: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var l progressLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return 0, fmt.Errorf("couldn't read the server's answer: %w", err)
		}
		switch {
		case l.Error != "":
			return 0, fmt.Errorf("the server couldn't rebuild the views: %s", l.Error)
		case l.Entries > 0:
			return l.Entries, nil
		case progress != nil:
			progress(l.Done, l.Total)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("couldn't read the server's answer: %w", err)
	}
	return 0, errors.New("the server stopped before the rebuild was done; the live views are as they were")
}
