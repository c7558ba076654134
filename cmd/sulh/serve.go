package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/cosign"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/notify"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
	"github.com/sulh-project/sulh/internal/web"
)

const defaultAddr = "127.0.0.1:8080"

// The SQLite adapter is what the server and the notifier read.
var (
	_ web.Views    = (*store.DB)(nil)
	_ notify.Store = (*store.DB)(nil)
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	data := fs.String("data", "sulh-demo", "data folder; the demo mechanism is created there if it holds none")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	ev := evidenceFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	ev.data, ev.demoReceiver = *data, true
	if _, err := ev.witnessURLs(); err != nil {
		return err
	}
	logger := newLogger(stderr)
	reg := newRegistry()
	opts := ledger.Options{Logger: logger, Registerer: reg, SnapshotEvery: *ev.snapshotEvery}
	var l *datadir.Node
	if datadir.Exists(*data) {
		var err error
		if l, err = datadir.Open(ctx, *data, opts); err != nil {
			return fmt.Errorf("%w\n(if an older version of sulh made %s, move it away and run sulh demo again for a new demo)", err, *data)
		}
		fmt.Fprintf(stdout, "Serving the mechanism in %s.\n", *data)
	} else {
		m, story, err := demo.Full(ctx, *data, opts)
		if err != nil {
			return err
		}
		if err := storeDemoEvidence(*data); err != nil {
			m.Log.Close()
			return err
		}
		l = m.Log
		fmt.Fprintf(stdout, "Created the demo mechanism in %s with %d statements of October–November 2025; its members' keys are in %s.\n",
			*data, l.Checkpoint().N, m.Keys.Dir)
		fmt.Fprintf(stdout, "Case %d went through every stage to publication; case %d is still under investigation.\n", story.Published, story.Pending)
	}
	return serve(ctx, l, *addr, logger, reg, stdout, ev)
}

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	data := fs.String("data", "", "data folder to create the mechanism in (required)")
	rulebook := fs.String("rulebook", "", "rulebook file, JSON (required); 'sulh rulebook' prints a template")
	var keys listFlag
	fs.Var(&keys, "key", "a founder's private key file; repeat for each founder who signs the genesis")
	at := fs.String("at", "", "time of the genesis, RFC 3339 UTC (default now)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *rulebook == "" || len(keys) == 0 {
		return usageError{"--data, --rulebook and at least one --key are required"}
	}
	b, err := os.ReadFile(*rulebook)
	if err != nil {
		return fmt.Errorf("couldn't read rulebook: %w", err)
	}
	rb, err := mechanism.ParseRulebook(b)
	if err != nil {
		return err
	}
	signers, err := loadSigners(keys)
	if err != nil {
		return err
	}
	when := time.Now().UTC()
	if *at != "" {
		if when, err = statement.ParseTime(*at); err != nil {
			return usageError{"--at: " + err.Error()}
		}
	}
	genesis, err := mechanism.Genesis(rb, when, signers...)
	if err != nil {
		return err
	}
	l, err := datadir.Init(ctx, *data, genesis, ledger.Options{Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(stdout, "Created mechanism %s in %s.\nLog origin: %s\nLog key: %s\n", rb.ID, *data, l.Origin(), l.VerifierKey())
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	data := fs.String("data", "", "data folder of the mechanism (required)")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	ev := evidenceFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data is required"}
	}
	if _, err := ev.witnessURLs(); err != nil {
		return err
	}
	logger := newLogger(stderr)
	reg := newRegistry()
	l, err := datadir.Open(ctx, *data, ledger.Options{Logger: logger, Registerer: reg, SnapshotEvery: *ev.snapshotEvery})
	if err != nil {
		return err
	}
	ev.data = *data
	return serve(ctx, l, *addr, logger, reg, stdout, ev)
}

// warnShared warns when other users of the machine may look into the data
// folder, or into the folders in it: it holds sealed bodies, keys and
// confidential evidence.
func warnShared(logger *slog.Logger, data string) {
	for _, dir := range []string{data, filepath.Join(data, EvidenceDir), filepath.Join(data, "keys"), filepath.Join(data, datadir.ReportsFolder)} {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		logger.Warn("other users of this machine may read the data folder, which holds sealed statements, keys and confidential evidence: make it private with chmod -R go-rwx",
			"folder", dir, "mode", fi.Mode().Perm().String())
	}
}

// evidenceOptions configure a server's evidence store and notices.
type evidenceOptions struct {
	data      string // the data folder; the store is its evidence/ folder
	maxUpload *sizeFlag
	scanEvery *time.Duration
	// snapshotEvery is ledger.Options.SnapshotEvery.
	snapshotEvery *int64
	webhooks      listFlag
	smtp          *string
	smtpFrom      *string
	mailTo        listFlag
	// demoReceiver subscribes a receiver served at /demo/webhook when no
	// webhook is given.
	demoReceiver bool
	// witnesses are ID=URL: where each witness of the rulebook is reached.
	witnesses listFlag
	// tiles is the map's online tile layer (web.Server.UseTiles), or "".
	tiles *string
	// publicURL is the address readers reach the server at, behind a
	// proxy that terminates TLS (web.Server.UsePublicURL), or "".
	publicURL *string
}

func evidenceFlags(fs *flag.FlagSet) *evidenceOptions {
	o := &evidenceOptions{maxUpload: &sizeFlag{web.DefaultMaxUpload}}
	fs.Var(o.maxUpload, "max-upload", "largest evidence file accepted, such as 256MiB or 1GiB")
	o.snapshotEvery = fs.Int64("snapshot-every", ledger.SnapshotEvery, "take a snapshot of the mechanism's state every this many entries, so that starting does not replay the whole log (-1: never)")
	o.scanEvery = fs.Duration("scan-every", 24*time.Hour, "how often to re-hash every stored evidence file (0: never; sulh scan does it on demand)")
	fs.Var(&o.webhooks, "webhook", "URL to post every notice to, signed by the log key; repeat for each subscriber")
	o.smtp = fs.String("smtp", "", "SMTP server (host:port) to send notices through by e-mail; STARTTLS when offered")
	o.smtpFrom = fs.String("smtp-from", "sulh@localhost", "sender address of notice e-mails")
	fs.Var(&o.mailTo, "mail-to", "BODY=ADDRESS: e-mail the events that concern a body (* for every event) to an address; repeat")
	fs.Var(&o.witnesses, "witness", "ID=URL: where the rulebook's witness ID (a litewitness) takes checkpoints to cosign, such as un-kabul=https://witness.example.org; repeat for each")
	o.tiles = fs.String("tiles", "", "an online tile layer for the map, as an https URL template such as https://tile.example.org/{z}/{x}/{y}.png (default none: the map uses its offline basemap and requests nothing from elsewhere)")
	o.publicURL = fs.String("public-url", "", "the address readers reach this server at, such as https://sulh.example.org, when a proxy in front of it terminates TLS: sign-in then takes notes for that origin, links use it and cookies are Secure (default: as each request reached the server)")
	return o
}

// witnessURLs parses the --witness values.
func (o *evidenceOptions) witnessURLs() (map[string]string, error) {
	m := map[string]string{}
	for _, v := range o.witnesses {
		id, u, ok := strings.Cut(v, "=")
		pu, err := url.Parse(u)
		if !ok || !statement.ValidID(id) || err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, usageError{fmt.Sprintf("--witness %q: want ID=URL, an id of the rulebook's witnesses and an http or https URL, such as un-kabul=https://witness.example.org", v)}
		}
		if _, dup := m[id]; dup {
			return nil, usageError{fmt.Sprintf("--witness: witness %q is given twice", id)}
		}
		m[id] = u
	}
	return m, nil
}

// mailTo parses the --mail-to values.
func (o *evidenceOptions) mailMap() (map[string][]string, error) {
	m := map[string][]string{}
	for _, v := range o.mailTo {
		body, addr, ok := strings.Cut(v, "=")
		if !ok || body == "" || !strings.Contains(addr, "@") || strings.ContainsAny(addr, "\r\n<>") {
			return nil, usageError{fmt.Sprintf("--mail-to %q: want BODY=ADDRESS, such as afghanistan=liaison@example.org", v)}
		}
		m[body] = append(m[body], addr)
	}
	return m, nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// oversubscribe runs twice as many goroutines at once as the runtime
// would, unless the environment sets GOMAXPROCS. The log's syncer waits
// for the disk in system calls, and its submitters wait for it: with one
// P a core, each of them back from the kernel waits for a P that the
// follower or a verification holds, up to a time slice of the runtime
// (10 ms), and the log's latency, with a bounded number of clients its
// throughput, follows. With more Ps than cores the kernel's scheduler,
// which wakes a thread back from I/O at once, shares the cores.
// docs/PERFORMANCE.md has the measurements.
var oversubscribe = sync.OnceFunc(func() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
})

// serve serves l on addr until ctx ends, then shuts down gracefully: it
// stops accepting connections, finishes requests in flight, waits for the
// thumbnail being made (closing the evidence store drops those queued),
// commits what the sequencer holds and closes the database.
func serve(ctx context.Context, l *datadir.Node, addr string, logger *slog.Logger, reg *prometheus.Registry, stdout io.Writer, ev *evidenceOptions) error {
	defer l.Close()
	oversubscribe()
	warnShared(logger, ev.data)
	// sulh rebuild reaches the server through the data folder.
	if err := l.ServeControl(logger); err != nil {
		logger.Warn("sulh rebuild will need the server stopped", "err", err)
	}
	store, err := blob.Open(filepath.Join(ev.data, EvidenceDir))
	if err != nil {
		return err
	}
	defer store.Close()
	shelf, err := report.OpenShelf(filepath.Join(ev.data, datadir.ReportsFolder))
	if err != nil {
		return err
	}
	defer shelf.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("couldn't listen on %s: %w", addr, err)
	}
	api := web.New(l.Log, l.DB, logger, reg)
	api.KeepEvidence(store, ev.maxUpload.n)
	api.KeepPublished(shelf)
	if *ev.tiles != "" {
		if err := api.UseTiles(*ev.tiles); err != nil {
			return usageError{err.Error()}
		}
	}
	if *ev.publicURL != "" {
		if err := api.UsePublicURL(*ev.publicURL); err != nil {
			return usageError{err.Error()}
		}
	}
	if *ev.scanEvery > 0 {
		go scanEvery(ctx, store, *ev.scanEvery, logger, reg)
	}
	var handler http.Handler = api
	subscribers := []string(ev.webhooks)
	if len(subscribers) == 0 && ev.demoReceiver {
		mux := http.NewServeMux()
		mux.Handle("/demo/webhook", &notify.Receiver{LogKey: l.VerifierKey()})
		mux.Handle("/", api)
		handler = mux
		subscribers = []string{"http://" + ln.Addr().String() + "/demo/webhook"}
		fmt.Fprintf(stdout, "Notices go to the demo's own webhook subscriber: GET /demo/webhook lists what it received.\n")
	}
	mailTo, err := ev.mailMap()
	if err != nil {
		return err
	}
	if len(mailTo) > 0 && *ev.smtp == "" {
		return usageError{"--mail-to needs --smtp"}
	}
	var notifier *notify.Notifier
	if len(subscribers) > 0 || len(mailTo) > 0 {
		notifier = notify.New(l.Log, l.DB, notify.Options{Subscribers: subscribers, Logger: logger, Registerer: reg,
			SMTP: notify.SMTP{Addr: *ev.smtp, From: *ev.smtpFrom}, MailTo: mailTo})
		go notifier.Run(ctx)
	}
	witnessURLs, err := ev.witnessURLs()
	if err != nil {
		return err
	}
	// The witnesses cosign in the background; they are stopped before
	// the log is closed.
	cosignCtx, stopCosign := context.WithCancel(ctx)
	cosigner := cosign.New(l.Log, cosign.Options{URLs: witnessURLs, Logger: logger, Registerer: reg,
		OnRefusal: func(ctx context.Context, r *cosign.Refusal) { reportRefusal(ctx, l, notifier, logger, r) }})
	api.ServeCosigned(cosigner.Checkpoint)
	cosigned := make(chan struct{})
	go func() {
		defer close(cosigned)
		cosigner.Run(cosignCtx)
	}()
	defer func() {
		stopCosign()
		<-cosigned
	}()
	// The timeouts bound ordinary requests. Evidence uploads and downloads
	// push their connection's deadlines ahead as bytes move, so that a
	// file of any size goes through a slow link, and a transfer that stalls
	// for web.TransferIdle is cut.
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "Serving at http://%s/\nLog key: %s\n", ln.Addr(), l.VerifierKey())
	logger.Info("serving", "addr", ln.Addr().String(), "origin", l.Origin())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var unsound error
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	case <-l.Verified():
		// A log started from a state snapshot is verified in the
		// background; one that does not verify is not served.
		if unsound = l.VerifyErr(); unsound == nil {
			select {
			case err := <-errc:
				return fmt.Errorf("server stopped: %w", err)
			case <-ctx.Done():
			}
		}
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("couldn't shut down cleanly: %w", err)
	}
	if unsound != nil {
		return fmt.Errorf("the stored log does not verify: %w", unsound)
	}
	return nil
}

// reportRefusal records a witness's refusal of a checkpoint, which the
// mediators' inboxes then show, and tells it to the notices' subscribers
// and the mediators' mail addresses.
func reportRefusal(ctx context.Context, l *datadir.Node, notifier *notify.Notifier, logger *slog.Logger, r *cosign.Refusal) {
	rec := store.WitnessRefusal{Witness: r.Witness, Size: r.Size, Hash: r.Hash.String(), Known: r.Known, Reason: r.Reason,
		At: statement.FormatTime(time.Now())}
	if err := l.DB.AddWitnessRefusal(ctx, rec); err != nil {
		logger.Error("couldn't record a witness's refusal", "err", err)
	}
	rb := l.Rulebook()
	if notifier == nil || rb == nil {
		return
	}
	var mediators []string
	for _, b := range rb.Bodies {
		if b.Type == mechanism.BodyMediator {
			mediators = append(mediators, b.ID)
		}
	}
	e := store.Event{Kind: store.EventWitnessRefusal, Index: r.Size - 1, Bodies: mediators, At: rec.At, Text: rec.Text()}
	if err := notifier.Tell(ctx, e); err != nil {
		logger.Error("couldn't queue the notice of a witness's refusal", "err", err)
	}
}
