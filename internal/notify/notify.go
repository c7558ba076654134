// Package notify sends a mechanism's events to webhook subscribers: each
// notice a note signed by the log's key, delivered with retries and
// recorded in a delivery log.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
}

// Notifier watches a log for events and delivers them.
type Notifier struct {
	log       *ledger.Log
	opts      Options
	delivered prometheus.Counter
	failed    prometheus.Counter
}

// New returns a notifier for l.
func New(l *ledger.Log, opts Options) *Notifier {
	if opts.Interval == 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	n := &Notifier{log: l, opts: opts,
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
	if cp == nil || rb == nil || len(n.opts.Subscribers) == 0 {
		return nil
	}
	db := n.log.Views()
	cursor, ok, err := db.NotifyCursor(ctx)
	if err != nil {
		return err
	}
	if !ok {
		cursor = -1
	}
	upto := cp.N - 1
	if upto <= cursor {
		return nil
	}
	events, err := db.Events(ctx, cursor, upto, rb.Stages[len(rb.Stages)-1].ID)
	if err != nil {
		return err
	}
	now := statement.FormatTime(time.Now())
	var ds []store.Delivery
	for _, e := range events {
		b, err := json.Marshal(Notice{Event: e, Mechanism: rb.ID, Origin: n.log.Origin()})
		if err != nil {
			return err
		}
		payload, err := n.log.SignNote(Version + "\n" + string(b) + "\n")
		if err != nil {
			return err
		}
		for _, url := range n.opts.Subscribers {
			ds = append(ds, store.Delivery{URL: url, Kind: e.Kind, Index: e.Index, Payload: payload, NextAt: now, CreatedAt: now})
		}
	}
	return db.Queue(ctx, ds, upto)
}

// Send tries every delivery due at now. A failed attempt is retried after
// 1 s, then 2, 4 … up to an hour; after MaxAttempts it is given up.
func (n *Notifier) Send(ctx context.Context, now time.Time) error {
	db := n.log.Views()
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
