// Package notify sends a mechanism's events to webhook subscribers: each
// notice a note signed by the log's key, delivered with retries and
// recorded in a delivery log.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Version is the first line of every notice.
const Version = "sulh-notice/v1"

// MaxAttempts is how many times a notice is tried before it is given up.
const MaxAttempts = 8

// Notice is the JSON line of a notice.
type Notice struct {
	store.Event
	Mechanism string `json:"mechanism"`
	Origin    string `json:"origin"`
}

// Options configure a Notifier.
type Options struct {
	// Subscribers are the URLs every notice is posted to.
	Subscribers []string
	// Interval is how often the log is checked for new events and due
	// deliveries are sent; 2 s when zero.
	Interval   time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Client posts the notices; one with a 10 s timeout when nil.
	Client *http.Client
	// SMTP, when its Addr is set, sends notices by e-mail to the addresses
	// of MailTo.
	SMTP SMTP
	// MailTo maps a body id to the addresses told of the events that
	// concern it; "*" to those told of every event.
	MailTo map[string][]string
}

// SMTP is an SMTP server that notices are sent through: STARTTLS is used
// when the server offers it.
type SMTP struct {
	Addr string // host:port
	From string
}

// Store is where the notifier finds events, in the views behind the log,
// and keeps its deliveries. store.DB is the SQLite adapter.
type Store interface {
	// Events returns the events the core told of the entries (after,
	// upto], in the order it told them.
	Events(ctx context.Context, after, upto int64) ([]store.Event, error)
	// NearDeadlines returns the open deadlines due in [now, until) that
	// were not told yet.
	NearDeadlines(ctx context.Context, now, until string) ([]store.Event, error)
	// NotifyCursor returns the last entry whose events were queued, if
	// any was.
	NotifyCursor(ctx context.Context) (int64, bool, error)
	// Queue adds deliveries and moves the cursor to cursor, at once.
	Queue(ctx context.Context, ds []store.Delivery, cursor int64) error
	// QueueNear adds deliveries of deadlines nearing and marks them told.
	QueueNear(ctx context.Context, ds []store.Delivery, near []store.Event) error
	// QueueNotices adds deliveries of notices the server tells rather
	// than the log (Tell).
	QueueNotices(ctx context.Context, ds []store.Delivery) error
	DueDeliveries(ctx context.Context, now string, limit int) ([]store.Delivery, error)
	UpdateDelivery(ctx context.Context, d store.Delivery) error
}

// Notifier watches a log for events and delivers them.
type Notifier struct {
	log       *ledger.Log
	db        Store
	opts      Options
	delivered prometheus.Counter
	failed    prometheus.Counter
}

// New returns a notifier for l, whose views and deliveries are in db.
func New(l *ledger.Log, db Store, opts Options) *Notifier {
	if opts.Interval == 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	n := &Notifier{log: l, db: db, opts: opts,
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "sulh_notices_delivered_total", Help: "Notices delivered to webhook subscribers."}),
		failed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "sulh_notices_failed_total", Help: "Notices given up after every attempt failed."}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(n.delivered, n.failed)
	}
	return n
}

// Run queues and sends notices until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.opts.Interval)
	defer t.Stop()
	for {
		if err := n.Queue(ctx); err != nil && ctx.Err() == nil {
			n.opts.Logger.Error("couldn't queue notices", "err", err)
		}
		if err := n.Send(ctx, time.Now()); err != nil && ctx.Err() == nil {
			n.opts.Logger.Error("couldn't send notices", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Queue turns the events of the entries the last run has not seen into
// deliveries, one per subscriber.
func (n *Notifier) Queue(ctx context.Context) error {
	cp, rb := n.log.Checkpoint(), n.log.Rulebook()
	if cp == nil || rb == nil || (len(n.opts.Subscribers) == 0 && (n.opts.SMTP.Addr == "" || len(n.opts.MailTo) == 0)) {
		return nil
	}
	db := n.db
	cursor, ok, err := db.NotifyCursor(ctx)
	if err != nil {
		return err
	}
	if !ok {
		cursor = -1
	}
	// Events come from the views, which follow the log: give them a moment
	// to hold it all, and go only as far as they do.
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = n.log.WaitViews(wait, cp.N)
	cancel()
	if err != nil && !errors.Is(err, ledger.ErrViewsBehind) {
		return err
	}
	if upto := min(cp.N, n.log.ViewsAt()) - 1; upto > cursor {
		events, err := db.Events(ctx, cursor, upto)
		if err != nil {
			return err
		}
		ds, err := n.deliveries(events, rb.ID)
		if err != nil {
			return err
		}
		if err := db.Queue(ctx, ds, upto); err != nil {
			return err
		}
	}
	// Deadlines that fall due within a day, by the server's clock, once.
	now := time.Now().Truncate(time.Second)
	near, err := db.NearDeadlines(ctx, statement.FormatTime(now), statement.FormatTime(now.Add(NearWithin)))
	if err != nil || len(near) == 0 {
		return err
	}
	ds, err := n.deliveries(near, rb.ID)
	if err != nil {
		return err
	}
	return db.QueueNear(ctx, ds, near)
}

// Tell queues a notice of e, an event that the server saw rather than
// the log told, such as a witness's refusal of a checkpoint, for every
// subscriber and the mail addresses of the bodies it concerns; Run sends
// it with the others.
func (n *Notifier) Tell(ctx context.Context, e store.Event) error {
	rb := n.log.Rulebook()
	if rb == nil {
		return nil
	}
	ds, err := n.deliveries([]store.Event{e}, rb.ID)
	if err != nil {
		return err
	}
	return n.db.QueueNotices(ctx, ds)
}

// NearWithin is how long before a deadline its nearing is notified.
const NearWithin = 24 * time.Hour

// deliveries signs a notice of each event and addresses it to every
// subscriber and to the mail addresses of the bodies it concerns.
func (n *Notifier) deliveries(events []store.Event, mechanism string) ([]store.Delivery, error) {
	now := statement.FormatTime(time.Now())
	var ds []store.Delivery
	for _, e := range events {
		targets := slices.Clone(n.opts.Subscribers)
		if n.opts.SMTP.Addr != "" {
			for _, b := range append([]string{"*"}, e.Bodies...) {
				for _, addr := range n.opts.MailTo[b] {
					if t := "mailto:" + addr; !slices.Contains(targets, t) {
						targets = append(targets, t)
					}
				}
			}
		}
		b, err := json.Marshal(Notice{Event: e, Mechanism: mechanism, Origin: n.log.Origin()})
		if err != nil {
			return nil, err
		}
		payload, err := n.log.SignNote(Version + "\n" + string(b) + "\n")
		if err != nil {
			return nil, err
		}
		for _, url := range targets {
			ds = append(ds, store.Delivery{URL: url, Kind: e.Kind, Index: e.Index, Payload: payload, NextAt: now, CreatedAt: now})
		}
	}
	return ds, nil
}

// Send tries every delivery due at now. A failed attempt is retried after
// 1 s, then 2, 4 … up to an hour; after MaxAttempts it is given up.
func (n *Notifier) Send(ctx context.Context, now time.Time) error {
	db := n.db
	due, err := db.DueDeliveries(ctx, statement.FormatTime(now), 100)
	if err != nil {
		return err
	}
	for _, d := range due {
		err := n.post(ctx, d)
		d.Attempts++
		switch {
		case err == nil:
			d.Status, d.DeliveredAt, d.LastError = store.DeliveryDelivered, statement.FormatTime(time.Now()), ""
			n.delivered.Inc()
		case d.Attempts >= MaxAttempts:
			d.Status, d.LastError = store.DeliveryFailed, err.Error()
			n.failed.Inc()
			n.opts.Logger.Warn("gave up a notice", "url", d.URL, "kind", d.Kind, "index", d.Index, "err", err)
		default:
			backoff := min(time.Second<<(d.Attempts-1), time.Hour)
			d.NextAt, d.LastError = statement.FormatTime(now.Add(backoff)), err.Error()
		}
		if err := db.UpdateDelivery(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

func (n *Notifier) post(ctx context.Context, d store.Delivery) error {
	if to, ok := strings.CutPrefix(d.URL, "mailto:"); ok {
		return n.mail(ctx, to, d)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Sulh-Event", d.Kind)
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", d.URL, resp.Status)
	}
	return nil
}

// Open verifies a notice with the log's verifier key and returns it.
func Open(payload []byte, logKey string) (*Notice, error) {
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log key: %w", err)
	}
	nt, err := note.Open(payload, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("the notice is not signed by the log: %w", err)
	}
	first, rest, ok := bytes.Cut([]byte(nt.Text), []byte("\n"))
	if !ok || string(first) != Version {
		return nil, fmt.Errorf("not a %s notice", Version)
	}
	var out Notice
	if err := json.Unmarshal(bytes.TrimSpace(rest), &out); err != nil {
		return nil, fmt.Errorf("couldn't read the notice: %w", err)
	}
	return &out, nil
}

// Receiver is a webhook subscriber that keeps the last notices it receives
// whose signature verifies with the log key: the demo subscribes one.
// GET lists them, newest first.
type Receiver struct {
	LogKey string

	mu       sync.Mutex
	received []Notice
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case "POST":
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n, err := Open(b, rc.LogKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.received = append(rc.received, *n)
		if len(rc.received) > 1000 {
			rc.received = rc.received[len(rc.received)-1000:]
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "GET":
		rc.mu.Lock()
		out := make([]Notice, len(rc.received))
		for i, n := range rc.received {
			out[len(out)-1-i] = n
		}
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"items": out})
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
	}
}

// mail sends a notice by e-mail: a line for people, then the signed notice
// itself, which the recipient can verify with the log's key.
func (n *Notifier) mail(ctx context.Context, to string, d store.Delivery) error {
	if n.opts.SMTP.Addr == "" {
		return errors.New("no SMTP server is configured")
	}
	notice, err := Open(d.Payload, n.log.VerifierKey())
	if err != nil {
		return err
	}
	if strings.ContainsAny(to+n.opts.SMTP.From, "\r\n") {
		return errors.New("an address holds a line break")
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\n", n.opts.SMTP.From, to)
	fmt.Fprintf(&msg, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", fmt.Sprintf("[sulh %s] %s, case %d", notice.Mechanism, notice.Kind, notice.Case)))
	fmt.Fprintf(&msg, "Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "%s\r\n\r\n", notice.Text)
	if notice.Due != "" {
		fmt.Fprintf(&msg, "Due: %s\r\n\r\n", notice.Due)
	}
	fmt.Fprintf(&msg, "The signed notice follows; verify it with the log key of %s (served at /log/key).\r\n\r\n", notice.Origin)
	msg.Write(bytes.ReplaceAll(d.Payload, []byte("\n"), []byte("\r\n")))

	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := dialer.DialContext(ctx, "tcp", n.opts.SMTP.Addr)
	if err != nil {
		return fmt.Errorf("couldn't reach the SMTP server: %w", err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	host, _, _ := net.SplitHostPort(n.opts.SMTP.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("SMTP STARTTLS: %w", err)
		}
	}
	if err := c.Mail(n.opts.SMTP.From); err != nil {
		return fmt.Errorf("SMTP MAIL: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("SMTP RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg.Bytes()); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	return c.Quit()
}
