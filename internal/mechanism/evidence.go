package mechanism

import (
	"net/url"

	"github.com/sulh-project/sulh/internal/statement"
)

// Kinds of the evidence record.
const (
	KindEvidence     = "evidence"
	KindVerification = "verification"
)

// Enumerations of the evidence kinds' fields.
var (
	// CustodyEvents are the steps of an evidence item's chain of custody.
	CustodyEvents = []string{"collected", "received", "transferred", "copied", "analysed", "stored", "returned"}
	// CheckResults are the results of one of the Berkeley Protocol's checks.
	CheckResults = []string{"passed", "failed", "inconclusive", "not_done"}
	// VerificationResults are a verification's overall conclusion.
	VerificationResults = []string{"verified", "not_verified", "inconclusive"}
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

// Verification is an analyst's record of the Berkeley Protocol's checks of
// one evidence item: of its source, of the file itself, and of what it
// shows.
type Verification struct {
	statement.Fields
	Evidence  string `json:"evidence"` // the item's SHA-256
	Analyst   string `json:"analyst"`
	Date      string `json:"date"`
	Source    Check  `json:"source"`
	Technical Check  `json:"technical"`
	Content   Check  `json:"content"`
	Result    string `json:"result"`
}

// Check is the result of one step of verification, with what was done.
type Check struct {
	Result string `json:"result"`
	Notes  string `json:"notes,omitempty"`
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

func (s *State) fileEvidence(st *statement.Statement) error {
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
			if err := checkText(k, f.name, f.v, maxName, false); err != nil {
				return err
			}
		}
		if err := checkText(k, "custody.note", e.Custody.Note, maxText, false); err != nil {
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
	if e.Size < 1 {
		return field(k, "size", "must be the file's size in bytes, 1 or more")
	}
	if err := checkText(k, "media_type", e.MediaType, 100, true); err != nil {
		return err
	}
	if err := checkText(k, "name", e.Name, 255, false); err != nil {
		return err
	}
	if err := checkText(k, "collector", e.Collector, maxName, true); err != nil {
		return err
	}
	if err := checkText(k, "tool", e.Tool, maxName, false); err != nil {
		return err
	}
	if e.SourceURL != "" {
		if u, err := url.Parse(e.SourceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(e.SourceURL) > 2000 {
			return field(k, "source_url", "must be an http or https address")
		}
	}
	if e.Captured != nil {
		if err := checkEnum(k, "captured.precision", e.Captured.Precision, Precisions); err != nil {
			return err
		}
		if _, err := checkTime(k, "captured.time", e.Captured.Time, st.Time); err != nil {
			return err
		}
	}
	if e.Place != nil {
		if err := e.Place.check(k); err != nil {
			return err
		}
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

func (s *State) verify(st *statement.Statement) error {
	const k = KindVerification
	v := new(Verification)
	if err := st.Decode(v); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMonitor, BodyMediator); err != nil {
		return err
	}
	item, ok := s.evidence[v.Evidence]
	if !ok {
		return field(k, "evidence", "%q is not a registered evidence item", v.Evidence)
	}
	if err := checkText(k, "analyst", v.Analyst, maxName, true); err != nil {
		return err
	}
	if _, err := checkTime(k, "date", v.Date, st.Time); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		c    Check
	}{{"source", v.Source}, {"technical", v.Technical}, {"content", v.Content}} {
		if err := checkEnum(k, c.name+".result", c.c.Result, CheckResults); err != nil {
			return err
		}
		if err := checkText(k, c.name+".notes", c.c.Notes, maxText, false); err != nil {
			return err
		}
	}
	if err := checkEnum(k, "result", v.Result, VerificationResults); err != nil {
		return err
	}
	if v.Result == "verified" && (v.Source.Result != "passed" || v.Technical.Result != "passed" || v.Content.Result != "passed") {
		return field(k, "result", "an item is verified only when its source, technical and content checks all passed")
	}
	if c, ok := s.cases[item.Case]; ok && !s.dry {
		s.touch(c)
	}
	s.payload = v
	return nil
}
