package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sulh-project/sulh/internal/statement"
)

// LogLine is one line of GET /export/log.jsonl: a statement of the log,
// as the log holds it.
type LogLine struct {
	Index  int64  `json:"index"`
	Kind   string `json:"kind"`
	Author string `json:"author"`
	At     string `json:"at"`
	// Statement is the statement's JSON; Entry the signed note, byte for
	// byte, whose leaf hash the log's tree holds.
	Statement json.RawMessage `json:"statement"`
	Entry     string          `json:"entry"`
}

// exportLog streams every statement of the log, oldest first, one JSON
// object a line, up to the checkpoint of the moment the request came: the
// public record, whole, for tools that read JSON Lines. A sealed statement
// is its public note; no confidential body is in the log. The log's size
// is in the X-Log-Size header, so that a reader can check it has every
// line.
func (s *Server) exportLog(w http.ResponseWriter, r *http.Request) error {
	cp := s.log.Checkpoint()
	if cp == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="log.jsonl"`)
	h.Set("X-Log-Size", strconv.FormatInt(cp.N, 10))
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	err := s.log.Entries(r.Context(), 0, cp.N, func(idx int64, data []byte) error {
		st, err := statement.Parse(data)
		if err != nil {
			return fmt.Errorf("stored entry %d does not parse: %w", idx, err)
		}
		return enc.Encode(LogLine{Index: idx, Kind: st.Kind, Author: st.Author, At: st.At, Statement: st.JSON, Entry: string(data)})
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
