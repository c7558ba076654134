package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
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
// limit bytes each, and serve the files of registered evidence.
func (s *Server) KeepEvidence(store *blob.Store, limit int64) {
	s.evidence, s.maxUpload = store, limit
	s.thumbnails = make(chan struct{}, 1)
}

// caller is the member an API token belongs to.
type caller struct {
	member, body string
}

// authenticate returns the member whose API token the request carries as
// "Authorization: Bearer <secret>"; when there is none that is valid, it
// asks for one in the answer's WWW-Authenticate header.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*caller, error) {
	unauthorized := func(msg string) error {
		w.Header().Set("WWW-Authenticate", "Bearer")
		return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Msg: msg}
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, unauthorized("this needs a member's API token: Authorization: Bearer <secret> (sulh token new makes one)")
	}
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" || len(secret) > 200 {
		return nil, unauthorized("the Authorization header must be Bearer and a token's secret")
	}
	sum := sha256.Sum256([]byte(secret))
	member, body, err := s.log.Views().TokenMember(r.Context(), hex.EncodeToString(sum[:]), statement.FormatTime(time.Now()))
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
	case errors.Is(err, blob.ErrBadName), errors.Is(err, blob.ErrUnsupported), errors.Is(err, blob.ErrTypeMismatch):
		return &Error{Status: http.StatusBadRequest, Code: statement.CodeInvalid, Msg: err.Error()}
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
	// A large file over a slow link takes longer than the server's
	// default read timeout.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Hour))
	if s.evidence == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "this server keeps no evidence files"}
	}
	name := r.URL.Query().Get("name")
	if r.ContentLength > s.maxUpload {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge, Msg: "the file is larger than this server's limit of " + formatBytes(s.maxUpload)}
	}
	info, err := s.evidence.Put(r.Context(), http.MaxBytesReader(w, r.Body, s.maxUpload+1), name, s.maxUpload)
	if err != nil {
		return uploadError(err)
	}
	s.logger.Info("evidence uploaded", "sha256", info.SHA256, "size", info.Size, "media_type", info.MediaType, "member", who.member)
	// A thumbnail of an image, one at a time: decoding a large image takes
	// memory (blob bounds it to 50 megapixels).
	s.thumbnails <- struct{}{}
	err = s.evidence.MakeThumbnail(r.Context(), info.SHA256)
	<-s.thumbnails
	if err != nil && !errors.Is(err, blob.ErrNoThumbnail) {
		s.logger.Warn("couldn't make a thumbnail", "sha256", info.SHA256, "err", err)
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
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no thumbnail of registered evidence has this hash"}
	if !blob.ValidHash(hash) || s.evidence == nil {
		return notFound
	}
	if _, err := s.evidenceAccess(w, r, hash); err != nil {
		return err
	}
	f, d, err := s.evidence.OpenDerived(hash, blob.ThumbnailName)
	if err != nil {
		return notFound
	}
	defer f.Close()
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, blob.ThumbnailName, d.ModTime, f)
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
	if name == blob.ThumbnailName {
		return badRequest("%s is the name of the thumbnail the server derives; choose another", name)
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Hour))
	d, err := s.evidence.PutDerived(r.Context(), hash, name, http.MaxBytesReader(w, r.Body, s.maxUpload+1), s.maxUpload)
	if err != nil {
		return uploadError(err)
	}
	s.logger.Info("working copy stored", "sha256", hash, "name", name, "member", who.member)
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
	http.ServeContent(w, r, name, d.ModTime, f)
	return nil
}
