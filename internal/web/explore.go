package web

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The log explorer: where the log stands (its latest checkpoint as signed,
// with every signature line on it), its statements newest first, and a page
// for each statement with its text as signed and its inclusion proof, which
// static/js/verify.js checks in the reader's browser from the log's tiles
// alone.

// recentEntries is how many statements a page of the explorer lists.
const recentEntries = 25

type indexEntry struct {
	Index        int64
	Kind, Author string
	Time         time.Time
	Known        bool // the entry parsed as a statement
}

// sigLine is one signature line of a signed note, as the explorer shows
// it.
type sigLine struct {
	Name, KeyID, Base64 string
	// Log is whether the line is by the log's own key (its name and key
	// id); otherwise it is another key's, such as a witness's.
	Log bool
	// Cosigned is, for a c2sp.org/tlog-cosignature line (key id, 8-byte
	// time, Ed25519 signature), the time it claims.
	Cosigned *time.Time
}

// noteLines splits a signed note into its text (with its final newline)
// and its signature lines; logKey is the log's verifier key, whose lines
// are marked. A line that does not parse is left out.
func noteLines(signed []byte, logKey string) (string, []sigLine) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return string(signed), nil
	}
	text, sigs := string(signed[:i+1]), string(signed[i+2:])
	logName, logID, _ := strings.Cut(logKey, "+")
	logID, _, _ = strings.Cut(logID, "+")
	var out []sigLine
	for _, line := range strings.Split(sigs, "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			continue
		}
		name, b64, ok := strings.Cut(rest, " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(sig) < 4 {
			continue
		}
		l := sigLine{Name: name, KeyID: strconv.FormatUint(uint64(binary.BigEndian.Uint32(sig)), 16), Base64: b64}
		l.KeyID = strings.Repeat("0", 8-len(l.KeyID)) + l.KeyID
		l.Log = name == logName && l.KeyID == logID
		if !l.Log && len(sig) == 4+8+64 {
			if ts := binary.BigEndian.Uint64(sig[4:]); ts < 1<<40 {
				t := time.Unix(int64(ts), 0).UTC()
				l.Cosigned = &t
			}
		}
		out = append(out, l)
	}
	return text, out
}

// checkpointData is the latest checkpoint as the explorer shows it.
type checkpointData struct {
	Origin, Key string
	Size        int64
	Root        string
	Text        string
	Sigs        []sigLine
	Cosigned    bool // a line is by another key than the log's
}

func (s *Server) checkpointData() (*checkpointData, error) {
	cp := s.log.Checkpoint()
	if s.log.Rulebook() == nil || cp == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	d := &checkpointData{Origin: s.log.Origin(), Key: s.log.VerifierKey(), Size: cp.N, Root: cp.Hash.String()}
	d.Text, d.Sigs = noteLines(cp.Signed, d.Key)
	for _, l := range d.Sigs {
		d.Cosigned = d.Cosigned || !l.Log
	}
	return d, nil
}

// explore is the log's page: where it is, how to check it, and a page of
// its statements, newest first; ?before=N lists those before index N (the
// "older" link, which htmx follows in place).
func (s *Server) explore(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.checkpointData()
	if err != nil {
		return err
	}
	to := cp.Size
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badRequest("before must be a log index of at least 1, such as before=%d", max(cp.Size-recentEntries, 1))
		}
		to = min(n, cp.Size)
	}
	from := max(to-recentEntries, 0)
	var entries []indexEntry
	err = s.log.Entries(r.Context(), from, to, func(idx int64, data []byte) error {
		e := indexEntry{Index: idx, Kind: "?", Author: "?"}
		if st, err := statement.Parse(data); err == nil {
			e.Kind, e.Author, e.Time, e.Known = st.Kind, st.Author, st.Time, true
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(entries)
	data := struct {
		*checkpointData
		BaseURL string
		Entries []indexEntry
		Older   int64 // the before= of the next page, or 0
		Newest  bool  // the page starts at the latest statement
	}{cp, s.origin(r), entries, from, to == cp.Size}
	return s.render(w, r, "explore.html", "explore.title", "explore", data)
}

// statementPage is what the page of one statement shows.
type statementPage struct {
	*checkpointData
	Index        int64
	Kind, Author string
	Time         time.Time
	Known        bool
	Sealed       bool
	Entry        string // the entry as signed, the bytes in the log
	Text         string // the note's text, above its signatures
	Sigs         []sigLine
	Signers      []mechanism.Signer
	Cases        []int64
	LeafHash     string
	Proof        []string
	TileEntries  string // the entry bundle that holds the statement
	// WitnessKeys and WitnessQuorum are the rulebook's witnesses'
	// cosignature keys and how many a reader requires: the verifier's
	// defaults, which the reader may change.
	WitnessKeys   string
	WitnessQuorum int
}

// exploreStatement is the page of one statement: its text exactly as
// signed, its signers, its time in every zone, its cases, and its
// inclusion proof in the latest checkpoint, with a button that verifies
// them in the browser.
func (s *Server) exploreStatement(w http.ResponseWriter, r *http.Request) error {
	i, err := pathInt(r, "index")
	if err != nil {
		return err
	}
	data, proof, cp, err := s.log.Entry(r.Context(), i)
	if errors.Is(err, ledger.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound,
			Msg: "the log holds " + strconv.FormatInt(s.treeSize(), 10) + " statements; there is no index " + strconv.FormatInt(i, 10)}
	}
	if err != nil {
		return err
	}
	cpd, err := s.checkpointData()
	if err != nil {
		return err
	}
	if cpd.Size != cp.N { // a statement appended meanwhile: show the checkpoint the proof is for
		cpd = &checkpointData{Origin: cpd.Origin, Key: cpd.Key, Size: cp.N, Root: cp.Hash.String()}
		cpd.Text, cpd.Sigs = noteLines(cp.Signed, cpd.Key)
	}
	p := statementPage{checkpointData: cpd, Index: i, Kind: "?", Author: "?", Entry: string(data), LeafHash: tlog.RecordHash(data).String()}
	p.Text, p.Sigs = noteLines(data, "")
	if st, err := statement.Parse(data); err == nil {
		p.Kind, p.Author, p.Time, p.Known = st.Kind, st.Author, st.Time, true
		p.Sealed = st.Kind == mechanism.KindSealed
	}
	for _, h := range proof {
		p.Proof = append(p.Proof, h.String())
	}
	row, err := s.views.Statement(r.Context(), i)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if raw, ok := row["signers"].(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &p.Signers); err != nil {
			return err
		}
	}
	if p.Cases, err = s.views.StatementCases(r.Context(), i); err != nil {
		return err
	}
	p.TileEntries = "/log/" + tilePath(-1, i/256, cp.N)
	if rb := s.log.Rulebook(); rb != nil && rb.Witnesses != nil {
		var keys []string
		for _, w := range rb.Witnesses.List {
			keys = append(keys, w.Key)
		}
		p.WitnessKeys, p.WitnessQuorum = strings.Join(keys, "\n"), rb.Witnesses.Quorum
	}
	return s.render(w, r, "statement.html", "explore.statement_title", "explore", p)
}

// tilePath is the c2sp.org/tlog-tiles path of tile n at level l (-1 for
// entries) in a tree of size size: full, or partial with the width that
// size gives it.
func tilePath(l int, n, size int64) string {
	level := max(l, 0)
	avail := size >> (8 * level)
	w := int64(256)
	if n == avail/256 {
		w = avail % 256
	}
	return torchwood.TilePath(tlog.Tile{H: torchwood.TileHeight, L: l, N: n, W: int(w)})
}
