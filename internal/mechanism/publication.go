package mechanism

import (
	"net/url"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindPublication records the hash of a published periodic report.
const KindPublication = "publication"

// Publication records the hash of a published report.
type Publication struct {
	statement.Fields
	Title  string `json:"title"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	From   string `json:"from"`
	To     string `json:"to"`
	URL    string `json:"url,omitempty"`
}

func (s *State) applyPublication(st *statement.Statement, _ time.Time) error {
	const k = KindPublication
	p := new(Publication)
	if err := st.Decode(p); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMediator); err != nil {
		return err
	}
	if err := s.checkText(k, "title", p.Title, maxName, true); err != nil {
		return err
	}
	if !sha256RE.MatchString(p.SHA256) {
		return field(k, "sha256", "must be a SHA-256 in lower-case hex")
	}
	if p.Size < 0 {
		return field(k, "size", "cannot be negative")
	}
	from, err := checkTime(k, "from", p.From, time.Time{})
	if err != nil {
		return err
	}
	to, err := checkTime(k, "to", p.To, time.Time{})
	if err != nil {
		return err
	}
	if to.Before(from) {
		return field(k, "to", "is before from")
	}
	if err := s.checkText(k, "url", p.URL, 2000, false); err != nil {
		return err
	}
	if p.URL != "" {
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return field(k, "url", "must be an http or https address")
		}
	}
	s.payload = p
	return nil
}
