// Package cosign gets a log's checkpoints cosigned by the witnesses its
// rulebook lists: in the background, it pushes each new checkpoint with
// its consistency proof to every witness (c2sp.org/tlog-witness), collects
// their cosignatures (c2sp.org/tlog-cosignature), keeps the newest
// checkpoint that the rulebook's quorum of witnesses cosigned, and reports
// a witness that refuses one.
package cosign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"filippo.io/torchwood"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// Options configure a Cosigner.
type Options struct {
	// URLs are the witnesses' submission prefixes, by the rulebook's
	// witness id: add-checkpoint is posted to URL + "/add-checkpoint".
	URLs map[string]string
	// Interval is how often the log is looked at for a new checkpoint;
	// 200 ms when zero.
	Interval time.Duration
	// Timeout is the deadline of each call to a witness; 10 s when zero.
	Timeout time.Duration
	// MaxBackoff is the longest wait before a witness that failed or
	// refused is tried again; 5 min when zero. The waits double from 1 s.
	MaxBackoff time.Duration
	Client     *http.Client
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// OnRefusal, if set, is called (from the Cosigner's goroutine) when a
	// witness refuses a checkpoint: once for each witness and refused tree.
	OnRefusal func(context.Context, *Refusal)
}

// Refusal is a witness's refusal to cosign a checkpoint because it is not
// consistent with a checkpoint of the log that the witness cosigned
// before: the log's key signed two histories, or the witness is broken.
type Refusal struct {
	Witness string // the rulebook's id of the witness
	Name    string // who runs it
	Size    int64  // the refused checkpoint's size
	Hash    tlog.Hash
	// Known is the size of the tree the witness cosigned last, when it
	// said it; -1 otherwise.
	Known  int64
	Reason string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("witness %s refused the checkpoint of %d entries: %s", r.Witness, r.Size, r.Reason)
}

// Cosigner pushes a log's checkpoints to its witnesses.
type Cosigner struct {
	log  *ledger.Log
	opts Options

	witnesses map[string]*witnessState // by id; owned by Run
	cur       *ledger.Checkpoint       // the checkpoint being cosigned
	lines     map[string]string        // its cosignature lines, by witness id
	reported  map[string]string        // the last refusal reported, by witness id

	served atomic.Pointer[served]

	refusals *prometheus.CounterVec
	failures *prometheus.CounterVec
	size     *prometheus.GaugeVec
	cosigned prometheus.Gauge
}

// served is the newest checkpoint with its quorum of cosignatures.
type served struct {
	n      int64
	signed []byte
}

type witnessState struct {
	known   int64 // the size the witness cosigned last, as far as we know
	retryAt time.Time
	backoff time.Duration
}

// New returns a Cosigner of l's checkpoints; Run starts it.
func New(l *ledger.Log, opts Options) *Cosigner {
	if opts.Interval == 0 {
		opts.Interval = 200 * time.Millisecond
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cosigner{log: l, opts: opts, witnesses: map[string]*witnessState{}, reported: map[string]string{},
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sulh_witness_refusals_total",
			Help: "Checkpoints a witness refused as inconsistent with one it cosigned before: the log's key signed two histories, or the witness is broken."}, []string{"witness"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sulh_witness_failures_total",
			Help: "Calls to a witness that failed for another reason: unreachable, unknown log, untrusted key, bad answer."}, []string{"witness"}),
		size: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sulh_witness_cosigned_size",
			Help: "The size of the latest checkpoint each witness cosigned."}, []string{"witness"}),
		cosigned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_checkpoint_cosigned_size",
			Help: "The size of the checkpoint served at /log/checkpoint with the rulebook's quorum of cosignatures; 0 while there is none."}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(c.refusals, c.failures, c.size, c.cosigned)
	}
	return c
}

// Checkpoint returns the checkpoint to serve at /log/checkpoint: the
// newest one that the rulebook's quorum of witnesses cosigned, with their
// cosignature lines; while there is none (or the rulebook lists no
// witnesses), the log's latest, signed by the log alone; nil for an empty
// log.
func (c *Cosigner) Checkpoint() []byte {
	if s := c.served.Load(); s != nil {
		return s.signed
	}
	if cp := c.log.Checkpoint(); cp != nil {
		return cp.Signed
	}
	return nil
}

// Run pushes checkpoints until ctx ends.
func (c *Cosigner) Run(ctx context.Context) {
	if rb := c.log.Rulebook(); rb != nil {
		for id := range c.opts.URLs {
			if rb.Witnesses == nil {
				c.opts.Logger.Warn("the rulebook lists no witnesses; a witness's URL waits for an amendment that lists it", "witness", id)
			} else if _, ok := rb.Witnesses.Witness(id); !ok {
				c.opts.Logger.Warn("the rulebook lists no witness with this id; its URL waits for an amendment that lists it", "witness", id)
			}
		}
		if rb.Witnesses != nil {
			for _, w := range rb.Witnesses.List {
				if _, ok := c.opts.URLs[w.ID]; !ok {
					c.opts.Logger.Warn("the rulebook lists a witness with no URL set (sulh serve --witness ID=URL): its cosignatures will be missing", "witness", w.ID)
				}
			}
		}
	}
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		c.Round(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round pushes the log's latest checkpoint, at time now, to every witness
// of the rulebook that has not cosigned it and is not waiting to be tried
// again, and returns once each has answered or timed out.
func (c *Cosigner) Round(ctx context.Context, now time.Time) {
	cp, rb := c.log.Checkpoint(), c.log.Rulebook()
	if cp == nil || rb == nil || rb.Witnesses == nil {
		c.served.Store(nil)
		c.cosigned.Set(0)
		return
	}
	if c.cur == nil || c.cur.Tree != cp.Tree {
		c.cur, c.lines = cp, map[string]string{}
	}
	type answer struct {
		w    mechanism.Witness
		line string
		err  error
	}
	answers := make(chan answer, len(rb.Witnesses.List))
	pushing := 0
	for _, w := range rb.Witnesses.List {
		url, ok := c.opts.URLs[w.ID]
		if _, done := c.lines[w.ID]; done || !ok {
			continue
		}
		st := c.witnesses[w.ID]
		if st == nil {
			st = &witnessState{}
			c.witnesses[w.ID] = st
		}
		if now.Before(st.retryAt) {
			continue
		}
		pushing++
		go func() {
			line, err := c.push(ctx, w, url, cp, st)
			answers <- answer{w, line, err}
		}()
	}
	for range pushing {
		a := <-answers
		st := c.witnesses[a.w.ID]
		var refusal *Refusal
		switch {
		case a.err == nil:
			c.lines[a.w.ID] = a.line
			st.backoff, st.retryAt = 0, time.Time{}
			c.size.WithLabelValues(a.w.ID).Set(float64(cp.N))
			// Serve it as soon as the quorum is there, without waiting
			// for a slow witness.
			c.publish(cp, rb.Witnesses)
			continue
		case ctx.Err() != nil:
			// Shutting down: every push returns at once; wait for them.
			continue
		case errors.As(a.err, &refusal):
			c.refusals.WithLabelValues(a.w.ID).Inc()
			c.opts.Logger.Error("a witness refused the log's checkpoint as inconsistent with one it cosigned: the log's key may have signed another history",
				"witness", a.w.ID, "size", cp.N, "reason", refusal.Reason)
			if key := fmt.Sprintf("%d %s", cp.N, cp.Hash); c.reported[a.w.ID] != key {
				c.reported[a.w.ID] = key
				if c.opts.OnRefusal != nil {
					c.opts.OnRefusal(ctx, refusal)
				}
			}
		default:
			c.failures.WithLabelValues(a.w.ID).Inc()
			c.opts.Logger.Warn("couldn't get a witness's cosignature", "witness", a.w.ID, "size", cp.N, "err", a.err)
		}
		st.backoff = min(max(2*st.backoff, time.Second), c.opts.MaxBackoff)
		st.retryAt = now.Add(st.backoff)
	}
	c.publish(cp, rb.Witnesses)
}

// publish serves cp with its cosignatures once the quorum has cosigned
// it.
func (c *Cosigner) publish(cp *ledger.Checkpoint, ws *mechanism.Witnesses) {
	var lines []string
	for _, w := range ws.List {
		if l, ok := c.lines[w.ID]; ok {
			lines = append(lines, l)
		}
	}
	if len(lines) < ws.Quorum {
		return
	}
	if s := c.served.Load(); s != nil && s.n > cp.N {
		return
	}
	signed := append(bytes.Clone(cp.Signed), strings.Join(lines, "")...)
	c.served.Store(&served{n: cp.N, signed: signed})
	c.cosigned.Set(float64(cp.N))
}

// maxAnswer bounds a witness's answer.
const maxAnswer = 64 << 10

// push sends cp to witness w at url, from the size the witness last
// cosigned, and returns its cosignature line, checked with the rulebook's
// key. A 409 answer says the witness's size; push sends again from there,
// a few times at most.
func (c *Cosigner) push(ctx context.Context, w mechanism.Witness, url string, cp *ledger.Checkpoint, st *witnessState) (string, error) {
	v, err := torchwood.NewCosignatureVerifier(w.Key)
	if err != nil {
		return "", fmt.Errorf("the rulebook's key of witness %s: %w", w.ID, err)
	}
	refuse := func(known int64, format string, args ...any) error {
		return &Refusal{Witness: w.ID, Name: w.Name, Size: cp.N, Hash: cp.Hash, Known: known, Reason: fmt.Sprintf(format, args...)}
	}
	for range 3 {
		old := st.known
		if old > cp.N {
			return "", refuse(old, "the witness cosigned a tree of %d entries; this log has %d", old, cp.N)
		}
		var proof tlog.TreeProof
		if old > 0 && old < cp.N {
			if proof, err = c.log.ProveConsistency(ctx, old, cp.N); err != nil {
				return "", err
			}
		}
		code, body, err := c.post(ctx, url, AddCheckpointBody(old, proof, cp.Signed))
		if err != nil {
			return "", err
		}
		switch code {
		case http.StatusOK:
			line, err := Cosignature(cp.Signed, body, v)
			if err != nil {
				return "", fmt.Errorf("witness %s answered with no valid cosignature: %w", w.ID, err)
			}
			st.known = cp.N
			return line, nil
		case http.StatusConflict:
			known, err := ParseSize(body)
			if err != nil {
				return "", fmt.Errorf("witness %s answered 409 Conflict without its size: %w", w.ID, err)
			}
			if known == old {
				// Same size, another root: the witness holds another tree.
				return "", refuse(known, "the witness cosigned another tree of %d entries", known)
			}
			st.known = known
		case http.StatusUnprocessableEntity:
			return "", refuse(old, "the consistency proof from the %d entries the witness cosigned does not verify: %s", old, firstLine(body))
		case http.StatusNotFound:
			return "", fmt.Errorf("witness %s does not know this log (404): its operator must add the origin %q and the log key", w.ID, c.log.Origin())
		case http.StatusForbidden:
			return "", fmt.Errorf("witness %s does not trust the log's key (403): %s", w.ID, firstLine(body))
		default:
			return "", fmt.Errorf("witness %s answered %d: %s", w.ID, code, firstLine(body))
		}
	}
	return "", fmt.Errorf("witness %s kept answering 409 Conflict", w.ID)
}

// post sends one add-checkpoint request, with its own deadline.
func (c *Cosigner) post(ctx context.Context, url string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(url, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("User-Agent", "sulh")
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, err
	}
	if len(b) > maxAnswer {
		return 0, nil, fmt.Errorf("the answer is longer than %d bytes", maxAnswer)
	}
	return resp.StatusCode, b, nil
}

// AddCheckpointBody is the body of a c2sp.org/tlog-witness add-checkpoint
// request: the old size, the consistency proof, an empty line and the
// signed checkpoint.
func AddCheckpointBody(old int64, proof tlog.TreeProof, signed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(signed)
	return b.Bytes()
}

// ParseSize reads the body of a 409 Conflict answer: a tree size in
// decimal and a newline.
func ParseSize(b []byte) (int64, error) {
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok || s == "" || (len(s) > 1 && s[0] == '0') || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a tree size and a newline", firstLine(b))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a tree size and a newline", firstLine(b))
	}
	return n, nil
}

// Cosignature checks a witness's answer to add-checkpoint, signature
// lines, against the checkpoint it cosigns and the witness's key v, and
// returns the witness's cosignature line. Lines by other keys are
// ignored, as the spec says.
func Cosignature(signed, answer []byte, v *torchwood.CosignatureVerifier) (string, error) {
	if len(answer) == 0 || answer[len(answer)-1] != '\n' {
		return "", errors.New("the answer is not signature lines, each ending in a newline")
	}
	for _, l := range strings.SplitAfter(string(answer[:len(answer)-1]), "\n") {
		if !strings.HasPrefix(l, "— ") {
			return "", errors.New("the answer is not signature lines, each starting with —")
		}
	}
	n, err := note.Open(append(bytes.Clone(signed), answer...), note.VerifierList(v))
	if err != nil {
		return "", err
	}
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return fmt.Sprintf("— %s %s\n", s.Name, s.Base64), nil
		}
	}
	return "", errors.New("no cosignature by the witness's key")
}

// firstLine returns the first line of b, at most 200 bytes of it.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "?")
}
