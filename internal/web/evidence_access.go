package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// evidenceFile serves the original of a registered evidence item, checking
// its hash as it goes.
func (s *Server) evidenceFile(w http.ResponseWriter, r *http.Request) error {
	hash := r.PathValue("sha256")
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no registered evidence has this hash"}
	if !blob.ValidHash(hash) || s.evidence == nil {
		return notFound
	}
	name, err := s.evidenceAccess(w, r, hash)
	if err != nil {
		return err
	}
	f, info, err := s.evidence.Open(hash)
	if errors.Is(err, blob.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "the evidence is registered, but its file is not on this server"}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("Content-Length", formatInt(info.Size))
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if name == "" {
		name = hash
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.WriteHeader(http.StatusOK)
	if err := copyChecked(w, f); err != nil {
		// The file no longer matches its hash (or could not be read): its
		// last bytes are held back and the connection is cut, so that the
		// client sees a short body, never a whole altered file.
		s.logger.Error("couldn't serve evidence", "sha256", hash, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// copyChecked copies r, a reader that reports a hash mismatch only at its
// end, to w, always holding back the last chunk read until r has ended
// cleanly.
func copyChecked(w io.Writer, r io.Reader) error {
	cur, next := make([]byte, 0, 32<<10), make([]byte, 32<<10)
	for {
		n, err := io.ReadFull(r, next)
		if n > 0 {
			if len(cur) > 0 {
				if _, werr := w.Write(cur); werr != nil {
					return werr
				}
			}
			cur = append(cur[:0], next[:n]...)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			_, werr := w.Write(cur)
			return werr
		case err != nil:
			return err
		}
	}
}

// evidenceAccess returns the name a registered evidence item was filed
// under, if the caller may have its file: anyone when a public statement
// registered it, and those who may read one of the sealed statements that
// did otherwise.
func (s *Server) evidenceAccess(w http.ResponseWriter, r *http.Request, hash string) (string, error) {
	name, err := s.log.Views().EvidenceName(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return s.sealedEvidence(w, r, hash)
	}
	return name, err
}

// sealedEvidence returns the name under which a sealed evidence statement
// visible to the caller registers hash. Without such a statement it is 404;
// with one the caller may not read, 401 or 403.
func (s *Server) sealedEvidence(w http.ResponseWriter, r *http.Request, hash string) (string, error) {
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no registered evidence has this hash"}
	rows, err := s.log.Views().SealedEvidence(r.Context(), hash)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", notFound
	}
	who, err := s.authenticate(w, r)
	if err != nil {
		return "", err
	}
	for _, row := range rows {
		var visibility []string
		if raw, ok := row["visibility"].(json.RawMessage); ok {
			json.Unmarshal(raw, &visibility)
		}
		if who.body == row["body"] || slices.Contains(visibility, who.body) {
			return "", nil
		}
	}
	return "", &Error{Status: http.StatusForbidden, Code: statement.CodeForbidden, Msg: "this evidence is registered only in sealed statements that members of " + strconv.Quote(who.body) + " may not read"}
}
