package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// DefaultMaxUpload is the largest evidence file a server accepts unless
// configured otherwise.
const DefaultMaxUpload = 256 << 20

// CodeUnauthorized is the error code of a request that needs an API token
// and has no valid one.
const CodeUnauthorized statement.Code = "unauthorized"

// KeepEvidence makes the server accept evidence uploads into store, up to
// limit bytes each, and serve the files of registered evidence. Thumbnails
// of uploaded images are made in the background by the store, which logs
// through the server's logger; closing the store stops that.
func (s *Server) KeepEvidence(store *blob.Store, limit int64) {
	s.evidence, s.maxUpload = store, limit
	store.SetThumbnailHooks(blob.ThumbnailHooks{Done: func(hash string, err error) {
		switch {
		case err == nil, errors.Is(err, context.Canceled):
		case errors.Is(err, blob.ErrOverBudget):
			s.logger.Info("no thumbnail", "sha256", hash, "reason", err)
		case errors.Is(err, blob.ErrNoThumbnail):
			s.logger.Debug("no thumbnail", "sha256", hash, "reason", err)
		default:
			s.logger.Warn("couldn't make a thumbnail", "sha256", hash, "err", err)
		}
	}})
}

// TransferIdle is how long an upload or a download may go without a byte
// moving before the server cuts it. As long as bytes move, a transfer of
// any size may take as long as it needs: the connection's read and write
// deadlines, first set by the http.Server's ReadTimeout and WriteTimeout,
// are pushed this far ahead as it goes.
const TransferIdle = 30 * time.Second

// deadlines pushes a connection's read and write deadlines TransferIdle
// ahead, at most once a second.
type deadlines struct {
	rc   *http.ResponseController
	next time.Time // when to push them again
}

func (d *deadlines) push() {
	now := time.Now()
	if now.Before(d.next) {
		return
	}
	d.next = now.Add(time.Second)
	// An http.ResponseWriter that cannot set deadlines has none to push.
	d.rc.SetReadDeadline(now.Add(TransferIdle))
	d.rc.SetWriteDeadline(now.Add(TransferIdle))
}

// progressReader reads a request body, pushing the connection's deadlines
// ahead whenever bytes arrive: a slow upload goes on, one that stalls for
// TransferIdle is cut. The answer written after it has TransferIdle too.
func progressReader(w http.ResponseWriter, body io.Reader) *bodyProgress {
	d := &deadlines{rc: http.NewResponseController(w)}
	d.push()
	return &bodyProgress{r: body, d: d}
}

type bodyProgress struct {
	r   io.Reader
	d   *deadlines
	err error // the body's last error
}

func (p *bodyProgress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.d.push()
	}
	if err != nil {
		p.err = err
	}
	return n, err
}

// why returns the body's own error if it stalled, and err otherwise: a read
// that timed out cancels the request's context, which is all a reader of
// the body may report.
func (p *bodyProgress) why(err error) error {
	if errors.Is(p.err, os.ErrDeadlineExceeded) {
		return p.err
	}
	return err
}

// answerIn gives the answer to an upload d to be written, even when the
// upload ended by stalling until its deadlines passed: a client that only
// paused learns why it was cut.
func answerIn(w http.ResponseWriter, d time.Duration) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}

// progressWriter wraps w so that writing to it pushes the connection's
// deadlines ahead: a slow download goes on past the server's WriteTimeout,
// one the client stops reading for TransferIdle is cut. Handlers that send
// files write through it.
func progressWriter(w http.ResponseWriter) http.ResponseWriter {
	return &writeProgress{ResponseWriter: w, d: deadlines{rc: http.NewResponseController(w)}}
}

// progressChunk is the most that one write to a progressWriter sends
// between two pushes of the deadlines.
const progressChunk = 64 << 10

type writeProgress struct {
	http.ResponseWriter
	d deadlines
}

func (p *writeProgress) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		p.d.push()
		m, err := p.ResponseWriter.Write(b[:min(len(b), progressChunk)])
		n += m
		if err != nil {
			return n, err
		}
		b = b[m:]
	}
	return n, nil
}

// Unwrap gives http.ResponseController the connection's writer.
func (p *writeProgress) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// caller is the member an API token belongs to.
type caller struct {
	member, body string
}

// authenticate returns the member whose API token the request carries as
// "Authorization: Bearer <secret>", or, without one, whose session cookie
// it carries (with the session's CSRF token, if it changes state: see
// checkCSRF); when there is none that is valid, it asks for one in the
// answer's WWW-Authenticate header.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*caller, error) {
	unauthorized := func(msg string) error {
		w.Header().Set("WWW-Authenticate", "Bearer")
		return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Msg: msg}
	}
	h := r.Header.Get("Authorization")
	if _, err := r.Cookie(SessionCookie); h == "" && err == nil {
		return s.sessionCaller(w, r)
	}
	if h == "" {
		return nil, unauthorized("this needs a member's API token: Authorization: Bearer <secret> (sulh token new makes one)")
	}
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" || len(secret) > 200 {
		return nil, unauthorized("the Authorization header must be Bearer and a token's secret")
	}
	sum := sha256.Sum256([]byte(secret))
	// A token is checked against every statement acknowledged before the
	// request arrived, whatever it asked with at_least: a revocation
	// holds from the moment the log has it.
	if n, ok := r.Context().Value(arrivedKey{}).(int64); ok {
		if err := s.waitViews(r.Context(), n); err != nil {
			return nil, err
		}
	}
	member, body, err := s.views.TokenMember(r.Context(), hex.EncodeToString(sum[:]), statement.FormatTime(time.Now()))
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized("the token is unknown, revoked or expired, or its member was revoked")
	}
	if err != nil {
		return nil, err
	}
	return &caller{member, body}, nil
}

// uploadError says why the store refused an upload, with its status.
func uploadError(err error) error {
	switch {
	case errors.Is(err, blob.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge, Msg: err.Error()}
	case errors.Is(err, blob.ErrBadName), errors.Is(err, blob.ErrUnsupported), errors.Is(err, blob.ErrTypeMismatch), errors.Is(err, blob.ErrReservedName):
		return &Error{Status: http.StatusBadRequest, Code: statement.CodeInvalid, Msg: err.Error()}
	case errors.Is(err, blob.ErrNotOwner):
		return &Error{Status: http.StatusForbidden, Code: statement.CodeForbidden, Msg: err.Error()}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &Error{Status: http.StatusRequestTimeout, Code: statement.CodeMalformed,
			Msg: "the upload stalled: nothing arrived for " + TransferIdle.String() + ", so it was cut; nothing of it was kept", Err: err}
	case errors.Is(err, blob.ErrIncomplete), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusBadRequest, Code: statement.CodeMalformed, Msg: "the upload was cut short; nothing of it was kept", Err: err}
	}
	return err
}

// uploadResponse is the answer to an evidence upload.
type uploadResponse struct {
	SHA256    string         `json:"sha256"`
	Size      int64          `json:"size"`
	MediaType string         `json:"media_type"`
	Name      string         `json:"name"`
	Existed   bool           `json:"existed"`
	Captured  string         `json:"captured,omitempty"`
	Position  *blob.Position `json:"position,omitempty"`
	Uploader  string         `json:"uploader"`
}

// upload stores the request body as an evidence file. The file is then
// registered by an evidence statement that names its hash.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	who, err := s.authenticate(w, r)
	if err != nil {
		return err
	}
	if s.evidence == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "this server keeps no evidence files"}
	}
	name := r.URL.Query().Get("name")
	if r.ContentLength > s.maxUpload {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge, Msg: "the file is larger than this server's limit of " + formatBytes(s.maxUpload)}
	}
	// A large file over a slow link takes as long as it takes, as long as
	// it keeps coming.
	body := progressReader(w, http.MaxBytesReader(w, r.Body, s.maxUpload+1))
	info, err := s.evidence.Put(r.Context(), body, name, s.maxUpload)
	answerIn(w, TransferIdle)
	if err != nil {
		return uploadError(body.why(err))
	}
	s.logger.Info("evidence uploaded", "sha256", info.SHA256, "size", info.Size, "media_type", info.MediaType, "member", who.member)
	// The thumbnail of an image is made in the background, after this
	// answer; if the queue is full, a request for it or the next scan
	// makes it.
	if blob.Thumbnailable(info.MediaType) {
		s.evidence.QueueThumbnail(info.SHA256)
	}
	resp := uploadResponse{SHA256: info.SHA256, Size: info.Size, MediaType: info.MediaType, Name: name, Existed: info.Existed, Uploader: who.member}
	if m := info.Metadata; m != nil {
		if !m.Captured.IsZero() && !m.CapturedLocal {
			resp.Captured = statement.FormatTime(m.Captured)
		}
		resp.Position = m.Position
	}
	status := http.StatusCreated
	if info.Existed {
		status = http.StatusOK
	}
	writeJSON(w, status, resp)
	return nil
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// formatBytes writes a size for people: "256 MiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return formatInt(n>>30) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return formatInt(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return formatInt(n>>10) + " KiB"
	}
	return formatInt(n) + " bytes"
}

// thumbnail serves the thumbnail of a registered image, to whoever may
// have its file.
func (s *Server) thumbnail(w http.ResponseWriter, r *http.Request) error {
	hash := r.PathValue("sha256")
	notFound := func(msg string) error {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: msg}
	}
	if !blob.ValidHash(hash) || s.evidence == nil {
		return notFound("no thumbnail of registered evidence has this hash")
	}
	if _, err := s.evidenceAccess(w, r, hash); err != nil {
		return err
	}
	f, d, err := s.evidence.OpenDerived(hash, blob.ThumbnailName)
	if err != nil {
		// None yet: ask for one, unless none can be made.
		info, err := s.evidence.Stat(hash)
		switch {
		case err != nil:
			return notFound("the evidence is registered, but its file is not on this server")
		case !blob.Thumbnailable(info.MediaType):
			return notFound("thumbnails are made of JPEG, PNG and GIF images only")
		}
		if why := s.evidence.ThumbnailFailure(hash); why != "" {
			return notFound(why)
		}
		s.evidence.QueueThumbnail(hash)
		w.Header().Set("Retry-After", "5")
		return notFound("the thumbnail is not made yet; try again in a few seconds")
	}
	defer f.Close()
	cachePublicly(w, "public, max-age=86400")
	w.Header().Set("Content-Security-Policy", "sandbox")
	http.ServeContent(progressWriter(w), r, blob.ThumbnailName, d.ModTime, f)
	return nil
}

// CopiesResponse is the answer of GET /api/v1/evidence/{sha256}/copies.
type CopiesResponse struct {
	Items []blob.Derived `json:"items"`
}

// putCopy stores a working copy of an evidence item, such as a redacted
// version, apart from its original, which is never changed.
func (s *Server) putCopy(w http.ResponseWriter, r *http.Request) error {
	who, err := s.authenticate(w, r)
	if err != nil {
		return err
	}
	hash := r.PathValue("sha256")
	if !blob.ValidHash(hash) || s.evidence == nil || !s.evidence.Has(hash) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no stored evidence has this hash"}
	}
	if _, err := s.evidenceAccess(w, r, hash); err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	by := blob.Uploader{Member: who.member, Body: who.body}
	// Refuse a name before reading a byte: one of the server's own, or one
	// another body's copy has.
	if err := blob.CheckCopyName(name); err != nil {
		return uploadError(err)
	}
	if err := s.evidence.CheckCopyOwner(hash, name, by); err != nil {
		return uploadError(err)
	}
	body := progressReader(w, http.MaxBytesReader(w, r.Body, s.maxUpload+1))
	d, err := s.evidence.PutDerived(r.Context(), hash, name, by, body, s.maxUpload)
	answerIn(w, TransferIdle)
	if err != nil {
		return uploadError(body.why(err))
	}
	s.logger.Info("working copy stored", "sha256", hash, "name", name, "member", who.member, "body", who.body)
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// copies lists an evidence item's working copies, to whoever may have the
// original.
func (s *Server) copies(w http.ResponseWriter, r *http.Request) error {
	hash := r.PathValue("sha256")
	if !blob.ValidHash(hash) || s.evidence == nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no registered evidence has this hash"}
	}
	if _, err := s.evidenceAccess(w, r, hash); err != nil {
		return err
	}
	ds, err := s.evidence.ListDerived(hash)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []blob.Derived{}
	}
	writeJSON(w, http.StatusOK, CopiesResponse{Items: ds})
	return nil
}

// copyFile serves one working copy.
func (s *Server) copyFile(w http.ResponseWriter, r *http.Request) error {
	hash, name := r.PathValue("sha256"), r.PathValue("name")
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no such working copy of registered evidence"}
	if !blob.ValidHash(hash) || s.evidence == nil || blob.CheckName(name) != nil {
		return notFound
	}
	if _, err := s.evidenceAccess(w, r, hash); err != nil {
		return err
	}
	f, d, err := s.evidence.OpenDerived(hash, name)
	if err != nil {
		return notFound
	}
	defer f.Close()
	w.Header().Set("Content-Type", d.MediaType)
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(progressWriter(w), r, name, d.ModTime, f)
	return nil
}
