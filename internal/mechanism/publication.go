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
	pr := problems{kind: k}
	pr.add(s.checkText(k, "title", p.Title, maxName, true))
	if !sha256RE.MatchString(p.SHA256) {
		pr.add(field(k, "sha256", "must be a SHA-256 in lower-case hex"))
	}
	if p.Size < 0 {
		pr.add(field(k, "size", "cannot be negative"))
	}
	from, err := checkTime(k, "from", p.From, time.Time{})
	fromOK := pr.add(err)
	to, err := checkTime(k, "to", p.To, time.Time{})
	if pr.add(err) && fromOK && to.Before(from) {
		pr.add(field(k, "to", "is before from"))
	}
	if pr.add(s.checkText(k, "url", p.URL, 2000, false)) && p.URL != "" {
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			pr.add(field(k, "url", "must be an http or https address"))
		}
	}
	if err := pr.err(); err != nil {
		return err
	}
	s.payload = p
	return nil
}
