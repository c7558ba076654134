package web

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/mechanism"
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
	cachePublicly(w, "public, max-age=31536000, immutable")
	if name == "" {
		name = hash
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.WriteHeader(http.StatusOK)
	if err := copyChecked(progressWriter(w), f); err != nil {
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
// under, if the caller may have its file. The statement that first
// registered it decides: anyone may have a file a public statement
// registered first, or whose sealed registration was disclosed; otherwise
// only those who may read that sealed statement. A later statement citing
// the hash grants nothing. To anyone else the file is unknown (404), so
// that nobody learns a sealed hash by asking.
func (s *Server) evidenceAccess(w http.ResponseWriter, r *http.Request, hash string) (string, error) {
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no registered evidence that you may read has this hash"}
	reg, err := s.views.FirstRegistration(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	if !reg.Sealed || reg.Disclosed {
		return reg.Name, nil
	}
	reader := ""
	if _, err := r.Cookie(SessionCookie); r.Header.Get("Authorization") != "" || err == nil {
		// A refused token is answered as an unknown file too: the
		// answer must not depend on whether the hash is sealed.
		if who, err := s.authenticate(headerSink{w, http.Header{}}, r); err == nil {
			reader = who.body
		} else if e := toError(err); e.Status >= 500 {
			return "", err
		}
	}
	if !mechanism.MayRead(reader, reg.Body, reg.Visibility, reg.Disclosed) {
		return "", notFound
	}
	// Served to a member only: no shared cache may keep it.
	w.Header().Set("Cache-Control", "private, no-store")
	return reg.Name, nil
}

// cachePublicly lets shared caches keep an answer about evidence, unless
// evidenceAccess found it confidential.
func cachePublicly(w http.ResponseWriter, value string) {
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", value)
	}
}

// headerSink is a ResponseWriter whose headers go nowhere, for a check that
// must not leave its marks on the answer.
type headerSink struct {
	http.ResponseWriter
	h http.Header
}

func (s headerSink) Header() http.Header { return s.h }
