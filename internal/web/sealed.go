package web

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// SealedRequest is the body of POST /api/v1/sealed: a signed sealed
// statement, and the confidential body and salt whose digest it holds.
type SealedRequest struct {
	Statement string          `json:"statement"`
	Salt      string          `json:"salt"` // 32 bytes, hex
	Body      json.RawMessage `json:"body"`
}

// SealedBody is the answer of GET /api/v1/sealed/{index}/body.
type SealedBody struct {
	Index int64           `json:"index"`
	Salt  string          `json:"salt"`
	Body  json.RawMessage `json:"body"`
}

// submitSealed appends a sealed statement and keeps its body beside the
// log. The signature on the statement authenticates it, as for any
// statement.
func (s *Server) submitSealed(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 3*statement.MaxSize))
	if err != nil {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: statement.CodeTooLarge, Msg: "the request is too large"}
	}
	var req SealedRequest
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&req); err != nil {
		return badRequest("the request must be a JSON object with statement, salt and body: %v", err)
	}
	salt, err := hex.DecodeString(req.Salt)
	if err != nil || len(salt) != 32 {
		return badRequest("salt must be 32 random bytes in hex")
	}
	if len(req.Body) == 0 {
		return badRequest("body is required: the sealed statement's JSON object")
	}
	rcpt, err := s.log.SubmitSealed(r.Context(), []byte(req.Statement), salt, req.Body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/statements/"+strconv.FormatInt(rcpt.Index, 10))
	writeJSON(w, http.StatusCreated, rcpt)
	return nil
}

// sealedBody serves a sealed statement's body to whoever may read it (see
// mechanism.MayRead): members of the author's body and of the bodies its
// visibility names, and, once it is disclosed, anyone.
func (s *Server) sealedBody(w http.ResponseWriter, r *http.Request) error {
	idx, err := pathInt(r, "index")
	if err != nil {
		return err
	}
	row, err := s.views.Sealed(r.Context(), idx)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no sealed statement at index " + strconv.FormatInt(idx, 10)}
	}
	if err != nil {
		return err
	}
	var visibility []string
	if raw, ok := row["visibility"].(json.RawMessage); ok {
		json.Unmarshal(raw, &visibility)
	}
	author, _ := row["body"].(string)
	if disclosed := row["disclosed"] != nil; !disclosed {
		who, err := s.authenticate(w, r)
		if err != nil {
			return err
		}
		if !mechanism.MayRead(who.body, author, visibility, false) {
			return &Error{Status: http.StatusForbidden, Code: statement.CodeForbidden, Msg: "the body of this sealed statement is not visible to members of " + strconv.Quote(who.body)}
		}
	}
	salt, body, err := s.views.SealedBody(r.Context(), idx)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "this server does not hold the body of the sealed statement at index " + strconv.FormatInt(idx, 10)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SealedBody{Index: idx, Salt: hex.EncodeToString(salt), Body: body})
	return nil
}
