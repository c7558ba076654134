// Package web serves a mechanism over HTTP: the log as c2sp.org/tlog-tiles,
// the JSON API under /api/v1/, a page for people, health and metrics.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Server serves one mechanism.
type Server struct {
	log      *ledger.Log
	views    Views
	logger   *slog.Logger
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	mux      *http.ServeMux
	patterns []string

	evidence  *blob.Store // nil: no uploads
	maxUpload int64

	placeIdx placeIndex // the gazetteer with the log's places

	cosigned  func() []byte // the checkpoint /log/checkpoint serves; nil: the log's latest
	auth      *auth         // sessions, sign-in challenges and limits
	tipIntake *tipIntake    // the public tip form's rate and origin checks
	// tiles is the map's online tile layer (UseTiles), and tilesOrigin
	// its server, from which pages may load images; empty for none.
	tiles, tilesOrigin string
	// publicOrigin is the origin readers reach this server at (UsePublicURL),
	// when a proxy in front of it terminates TLS; empty: as each request
	// reached it.
	publicOrigin string
	// reports makes and keeps periodic reports at stated log sizes.
	reports *report.At
	// shelf keeps the published reports on disk (KeepPublished); nil for
	// none.
	shelf *report.Shelf
}

// New returns a server for l, whose views it reads in views. Metrics
// registered in reg, and the server's own, are served at /metrics.
func New(l *ledger.Log, views Views, logger *slog.Logger, reg *prometheus.Registry) *Server {
	s := &Server{log: l, views: views, logger: logger, registry: reg, mux: http.NewServeMux(), auth: newAuth(), tipIntake: newTipIntake()}
	s.reports = report.NewAt(l, "", reportsKept)
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sulh_http_requests_total", Help: "HTTP requests, by route and status code.",
	}, []string{"route", "code"})
	reg.MustRegister(s.requests)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "sulh_report_replays_total",
		Help: "Replays of the log's first statements into temporary views, to make a periodic report at an earlier log size.",
	}, func() float64 { return float64(s.reports.Replays()) }))
	s.routes()
	return s
}

// routes is the server's route table, in one place.
func (s *Server) routes() {
	s.handle("GET /{$}", s.afterViews(s.dashboard))
	s.handle("GET /explore", s.explore)
	s.handle("GET /static/{path...}", s.static)
	s.handle("GET /log/checkpoint", s.checkpoint)
	s.handle("GET /log/key", s.logKey)
	s.handle("GET /log/tile/{path...}", s.tile)
	s.handle("GET /api/v1/mechanism", s.mechanism)
	s.handle("POST /api/v1/statements", s.submit)
	s.handle("GET /api/v1/statements/{index}", s.afterViews(s.statement))
	s.handle("GET /api/v1/proofs/consistency", s.consistency)
	for _, l := range store.Lists() {
		if l.Name != "crossing_events" { // served within each crossing
			s.handle("GET /api/v1/"+l.Name, s.afterViews(s.listHandler(l)))
		}
	}
	s.handle("GET /api/v1/cases/{id}", s.afterViews(s.caseDetail))
	s.handle("GET /api/v1/crossings/{id}", s.afterViews(s.crossingDetail))
	s.handle("POST /api/v1/evidence", s.afterViews(s.upload))
	s.handle("POST /api/v1/sealed", s.submitSealed)
	s.handle("GET /api/v1/inbox", s.afterViews(s.inbox))
	s.handle("GET /api/v1/sealed/{index}/body", s.afterViews(s.sealedBody))
	s.handle("GET /api/v1/evidence/{sha256}/file", s.afterViews(s.evidenceFile))
	s.handle("GET /api/v1/evidence/{sha256}/thumbnail", s.afterViews(s.thumbnail))
	s.handle("POST /api/v1/evidence/{sha256}/copies", s.afterViews(s.putCopy))
	s.handle("GET /api/v1/evidence/{sha256}/copies", s.afterViews(s.copies))
	s.handle("GET /api/v1/evidence/{sha256}/copies/{name}", s.afterViews(s.copyFile))
	s.handle("GET /api/v1/places", s.afterViews(s.places))
	s.handle("GET /api/v1/actors/{id}", s.afterViews(s.actorDetail))
	s.handle("GET /api/v1/openapi.json", s.openapi)
	s.handle("GET /export/log.jsonl", s.exportLog)
	s.handle("GET /export/cases.csv", s.afterViews(s.exportCases("text/csv; charset=utf-8; header=present", "cases.csv", casesCSV)))
	s.handle("GET /export/cases.geojson", s.afterViews(s.exportCases("application/geo+json", "cases.geojson", casesGeoJSON)))
	s.handle("GET /export/acled.csv", s.afterViews(s.exportCases("text/csv; charset=utf-8; header=present", "acled.csv", acledCSV)))
	s.handle("GET /feed.atom", s.afterViews(s.feed))
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /api/v1/counts", s.afterViews(s.counts))
	s.handle("GET /cases/{id}", s.afterViews(s.casePageHandler))
	s.handle("GET /crossings/{id}", s.afterViews(s.crossingPage))
	s.handle("GET /explore/{index}", s.afterViews(s.exploreStatement))
	s.handle("GET /published", s.afterViews(s.published))
	s.handle("GET /signin", s.signinPage)
	s.handle("POST /auth/challenge", s.newChallenge)
	s.handle("POST /auth/signin", s.signin)
	s.handle("POST /auth/signout", s.signout)
	s.handle("GET /api/v1/members/{name}", s.afterViews(s.memberDetail))
	s.handle("GET /keys", s.keysPage)
	s.handle("GET /inbox", s.afterViews(s.inboxPage))
	s.handle("GET /file", s.formsIndex)
	s.handle("GET /file/cosign", s.cosignPage)
	s.handle("GET /file/{kind}", s.formPageHandler)
	s.handle("GET /cases", s.afterViews(s.casesPage))
	s.handle("GET /tip", s.tipFormPage)
	s.handle("POST /tip", s.submitTip)
	s.handle("GET /api/v1/tips/{id}/files/{sha256}", s.afterViews(s.tipFile))
	s.handle("GET /map", s.afterViews(s.mapPage))
	s.handle("GET /reports/{$}", s.reportsIndex)
	s.handle("GET /reports/{period}/{file}", s.afterViews(s.periodicReport))
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	s.patterns = append(s.patterns, "GET /metrics")
}

// ViewsWait is the longest a request waits for the views, which follow the
// log, before it is answered 503 with Retry-After.
const ViewsWait = 5 * time.Second

// ViewsAtHeader says, on every answer read from the views, how many of the
// log's entries they held: the answer reflects the entries [0, n).
const ViewsAtHeader = "Sulh-Views-At"

// arrivedKey keys, in a request's context, the log's size when it arrived.
type arrivedKey struct{}

// afterViews serves h, which reads the views, which follow the log. Reads
// are consistent: the request first waits, up to ViewsWait, for the views
// to hold every statement acknowledged before it arrived, so that a client
// finds what it filed. A client that needs only its own statement may ask
// for at_least=N, the index of its receipt, and waits for that alone; the
// caller's token is still checked against everything acknowledged (see
// authenticate), so that a revocation holds from the moment it is in the
// log.
func (s *Server) afterViews(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cp := s.log.Checkpoint()
		if cp == nil {
			return h(w, r)
		}
		want := cp.N
		if vs, ok := r.URL.Query()["at_least"]; ok {
			n, err := strconv.ParseInt(vs[0], 10, 64)
			if len(vs) != 1 || err != nil || n < 0 {
				return badRequest("at_least must be given once, as the index of a statement, such as a receipt's")
			}
			if n >= cp.N {
				return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: fmt.Sprintf("at_least: the log holds %d statements; there is no index %d", cp.N, n)}
			}
			want = n + 1
		}
		if err := s.waitViews(r.Context(), want); err != nil {
			return err
		}
		r = r.WithContext(context.WithValue(r.Context(), arrivedKey{}, cp.N))
		w.Header().Set(ViewsAtHeader, strconv.FormatInt(s.log.ViewsAt(), 10))
		return h(w, r)
	}
}

// waitViews waits, up to ViewsWait, for the views to hold the entries
// [0, n); if they do not by then, it is a 503 with Retry-After.
func (s *Server) waitViews(ctx context.Context, n int64) error {
	wait, cancel := context.WithTimeout(ctx, ViewsWait)
	defer cancel()
	if err := s.log.WaitViews(wait, n); err != nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, RetryAfter: 1,
			Msg: fmt.Sprintf("the server's views do not hold the log's first %d statements yet (%v); try again in a moment", n, err), Err: err}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// Error is an error with an HTTP status and a message meant for the client;
// the wrapped error, if any, is only logged.
type Error struct {
	Status int
	Code   statement.Code
	Msg    string
	Err    error
	// Index is, for a duplicate, the log index of the statement already
	// there; the answer carries it so that a retry can report it.
	Index *int64
	// RetryAfter, if not zero, is the Retry-After header's seconds.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// status maps a refusal code to an HTTP status.
func status(c statement.Code) int {
	switch c {
	case statement.CodeMalformed, statement.CodeInvalid:
		return http.StatusBadRequest
	case statement.CodeForbidden:
		return http.StatusForbidden
	case statement.CodeDuplicate:
		return http.StatusConflict
	case statement.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case statement.CodeNotFound:
		return http.StatusNotFound
	case statement.CodeShutdown:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// toError turns any error a handler returns into an *Error.
func toError(err error) *Error {
	var he *Error
	var se *statement.Error
	var fe *store.FilterError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &fe):
		return badRequest("%s", fe.Msg)
	case errors.As(err, &se):
		e := &Error{Status: status(se.Code), Code: se.Code, Msg: se.Reason}
		if se.Code == statement.CodeDuplicate {
			e.Index = &se.Index
		}
		return e
	case errors.Is(err, ledger.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: err.Error()}
	default:
		return &Error{Status: http.StatusInternalServerError, Code: statement.CodeInternal, Msg: "internal error", Err: err}
	}
}

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: statement.CodeMalformed, Msg: fmt.Sprintf(format, args...)}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the connection's writer, to set
// deadlines and flush through.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Routes returns the pattern of every route, in the order registered.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

func (s *Server) handle(pattern string, h handlerFunc) {
	route := pattern
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			e := toError(err)
			if e.Status >= 500 {
				s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			if sw.code == 0 {
				body := map[string]any{"code": string(e.Code), "message": e.Msg}
				if e.Index != nil {
					body["index"] = *e.Index
				}
				if e.RetryAfter > 0 {
					sw.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
				}
				writeJSON(sw, e.Status, map[string]any{"error": body})
			} else {
				// The answer had begun (a streamed export): it is broken
				// off, so that the client sees it cut short rather than a
				// shorter file that looks whole.
				s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
				panic(http.ErrAbortHandler)
			}
		}
		s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) error {
	var signed []byte
	if cp := s.log.Checkpoint(); cp != nil {
		signed = cp.Signed
	}
	if s.cosigned != nil && signed != nil {
		signed = s.cosigned()
	}
	if signed == nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "the log is empty"}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(signed)
	return err
}

func (s *Server) logKey(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := io.WriteString(w, s.log.VerifierKey()+"\n")
	return err
}

// tileBuffers hold the tiles being served. An entry bundle of the bench's
// reports is about 190 KB: a fresh one for each would be garbage that
// makes the collector mark the server's whole state again and again.
var tileBuffers = sync.Pool{New: func() any { return new([]byte) }}

func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	path := "tile/" + r.PathValue("path")
	t, err := ledger.ParseTilePath(path)
	if err != nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: err.Error()}
	}
	buf := tileBuffers.Get().(*[]byte)
	defer tileBuffers.Put(buf)
	data, err := s.log.AppendTile(r.Context(), (*buf)[:0], t)
	*buf = data
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if t.W == 256 {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	_, err = w.Write(data)
	return err
}

func (s *Server) mechanism(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	cp := s.log.Checkpoint()
	if rb == nil || cp == nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "the log is empty"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":         rb.ID,
		"title":      rb.Title,
		"log_origin": s.log.Origin(),
		"log_key":    s.log.VerifierKey(),
		"tree_size":  cp.N,
		"root_hash":  cp.Hash,
		"rulebook":   rb,
	})
	return nil
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, statement.MaxSize))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge,
			Msg: fmt.Sprintf("statement is larger than the limit of %d bytes", statement.MaxSize)}
	}
	if err != nil {
		return badRequest("couldn't read the request body: %v", err)
	}
	if len(body) == 0 {
		return badRequest("the request body is empty; send a signed statement")
	}
	rcpt, err := s.log.Submit(r.Context(), body)
	if err != nil {
		return err
	}
	s.shelveAccepted(body, rcpt.Index)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/statements/%d", rcpt.Index))
	writeJSON(w, http.StatusCreated, rcpt)
	return nil
}

// StatementResponse is the JSON answer of GET /api/v1/statements/{index}.
type StatementResponse struct {
	Index     int64           `json:"index"`
	LeafHash  tlog.Hash       `json:"leaf_hash"`
	Entry     string          `json:"entry"`
	Statement json.RawMessage `json:"statement"`
	// Signers say, for each signature line in order, who signed and what
	// the signature counts toward (mechanism.Signer).
	Signers    json.RawMessage `json:"signers"`
	TreeSize   int64           `json:"tree_size"`
	Checkpoint string          `json:"checkpoint"`
	Proof      []tlog.Hash     `json:"inclusion_proof"`
}

func (s *Server) statement(w http.ResponseWriter, r *http.Request) error {
	i, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || i < 0 {
		return badRequest("index %q is not a non-negative integer", r.PathValue("index"))
	}
	data, proof, cp, err := s.log.Entry(r.Context(), i)
	if err != nil {
		return err
	}
	st, err := statement.Parse(data)
	if err != nil {
		return fmt.Errorf("stored entry %d does not parse: %w", i, err)
	}
	resp := StatementResponse{
		Index: i, LeafHash: tlog.RecordHash(data), Entry: string(data), Statement: st.JSON,
		TreeSize: cp.N, Checkpoint: string(cp.Signed), Proof: proof, Signers: json.RawMessage("[]"),
	}
	row, err := s.views.Statement(r.Context(), i)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if raw, ok := row["signers"].(json.RawMessage); ok {
		resp.Signers = raw
	}
	if resp.Proof == nil {
		resp.Proof = []tlog.Hash{}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// ConsistencyResponse is the JSON answer of GET /api/v1/proofs/consistency.
type ConsistencyResponse struct {
	From  int64       `json:"from"`
	To    int64       `json:"to"`
	Proof []tlog.Hash `json:"proof"`
}

func (s *Server) consistency(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		return badRequest("from and to must be tree sizes, as in ?from=10&to=20")
	}
	p, err := s.log.ProveConsistency(r.Context(), from, to)
	if errors.Is(err, ledger.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound,
			Msg: fmt.Sprintf("need 1 <= from <= to <= %d (the latest checkpoint's size)", s.treeSize())}
	}
	if err != nil {
		return err
	}
	if p == nil {
		p = []tlog.Hash{}
	}
	writeJSON(w, http.StatusOK, ConsistencyResponse{From: from, To: to, Proof: p})
	return nil
}

func (s *Server) treeSize() int64 {
	if cp := s.log.Checkpoint(); cp != nil {
		return cp.N
	}
	return 0
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.log.Checkpoint() == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := fmt.Fprintf(w, "ok %d %s\n", s.treeSize(), time.Now().UTC().Format(time.RFC3339))
	return err
}
