package mechanism

import (
	"net/url"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindEvidence records a file by its SHA-256, or a step of its chain of
// custody.
const KindEvidence = "evidence"

// Enumerations of the evidence kinds' fields.
var (
	// CustodyEvents are the steps of an evidence item's chain of custody.
	CustodyEvents = []string{"collected", "received", "transferred", "copied", "analysed", "stored", "returned"}
)

// Evidence records a file by its SHA-256, as stored in the mechanism's
// evidence store; the file itself is never in the log. The first evidence
// statement for a hash registers the file and describes it; later ones
// record its chain of custody.
type Evidence struct {
	statement.Fields
	SHA256 string `json:"sha256"`
	// The file, when it is registered.
	Size      int64      `json:"size,omitempty"`
	MediaType string     `json:"media_type,omitempty"`
	Name      string     `json:"name,omitempty"`
	Collector string     `json:"collector,omitempty"`
	Tool      string     `json:"tool,omitempty"`
	SourceURL string     `json:"source_url,omitempty"`
	Captured  *EventTime `json:"captured,omitempty"`
	Place     *Place     `json:"place,omitempty"`
	// Case links the file to a case.
	Case *int64 `json:"case,omitempty"`
	// Custody is a step of the chain of custody.
	Custody *Custody `json:"custody,omitempty"`
}

// Custody is one step of an evidence item's chain of custody.
type Custody struct {
	Event string `json:"event"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Note  string `json:"note,omitempty"`
}

// EvidenceItem is what the state knows of a registered file.
type EvidenceItem struct {
	SHA256     string
	Registered int64 // the index of the statement that registered it
	Case       int64 // -1 for none
}

// Evidence returns the registered evidence item with the given hash.
func (s *State) Evidence(sha string) (*EvidenceItem, bool) {
	e, ok := s.evidence[sha]
	return e, ok
}

func (s *State) applyEvidence(st *statement.Statement, _ time.Time) error {
	const k = KindEvidence
	e := new(Evidence)
	if err := st.Decode(e); err != nil {
		return err
	}
	if _, _, err := s.memberBody(st); err != nil {
		return err
	}
	if !sha256RE.MatchString(e.SHA256) {
		return field(k, "sha256", "must be a SHA-256 in lower-case hex")
	}
	item, registered := s.evidence[e.SHA256]
	if e.Custody != nil {
		if err := checkEnum(k, "custody.event", e.Custody.Event, CustodyEvents); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"custody.from", e.Custody.From}, {"custody.to", e.Custody.To}} {
			if err := s.checkText(k, f.name, f.v, maxName, false); err != nil {
				return err
			}
		}
		if err := s.checkText(k, "custody.note", e.Custody.Note, maxText, false); err != nil {
			return err
		}
	}
	if registered {
		// A later statement records custody only.
		if e.Custody == nil || e.Size != 0 || e.MediaType != "" || e.Name != "" || e.Collector != "" || e.Tool != "" ||
			e.SourceURL != "" || e.Captured != nil || e.Place != nil || e.Case != nil {
			return field(k, "sha256", "the file was registered at index %d; a later evidence statement carries sha256 and custody only", item.Registered)
		}
		s.payload = e
		return nil
	}
	pr := problems{kind: k}
	if e.Size < 1 {
		pr.add(field(k, "size", "must be the file's size in bytes, 1 or more"))
	}
	pr.add(s.checkText(k, "media_type", e.MediaType, 100, true))
	pr.add(s.checkText(k, "name", e.Name, 255, false))
	pr.add(s.checkText(k, "collector", e.Collector, maxName, true))
	pr.add(s.checkText(k, "tool", e.Tool, maxName, false))
	if e.SourceURL != "" {
		if u, err := url.Parse(e.SourceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(e.SourceURL) > 2000 {
			pr.add(field(k, "source_url", "must be an http or https address"))
		}
	}
	if e.Captured != nil {
		pr.add(checkEnum(k, "captured.precision", e.Captured.Precision, Precisions))
		pr.add(errOf(checkTime(k, "captured.time", e.Captured.Time, st.Time)))
	}
	if e.Place != nil {
		pr.add(e.Place.checkWith(k, s.textCheck()))
	}
	if err := pr.err(); err != nil {
		return err
	}
	caseID := int64(-1)
	if e.Case != nil {
		c, err := s.caseFor(k, *e.Case)
		if err != nil {
			return err
		}
		caseID = c.ID
		if !s.dry {
			s.touch(c)
		}
	}
	if s.dry {
		return nil
	}
	s.evidence[e.SHA256] = &EvidenceItem{SHA256: e.SHA256, Registered: s.Size, Case: caseID}
	s.payload = e
	return nil
}
