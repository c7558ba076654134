package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The identity pages: sign-in (/signin), the keys this browser holds
// (/keys, where administrators also enrol and revoke members) and a
// signed-in member's inbox (/inbox).

// signinPage is the sign-in page: the browser signs a challenge with one of
// the keys it holds (static/js/signin.js). next, the page to go to after,
// can only be a path on this server.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) error {
	data := struct{ Next string }{localPath(r.URL.Query().Get("next"), "/inbox")}
	return s.render(w, r, "signin.html", "signin.title", "signin", data)
}

// keysPage lists, makes, imports and deletes the keys this browser holds
// (static/js/keys.js), and shows each one's standing in the log; an
// administrator signed in also finds the forms to enrol and revoke members
// of its body.
func (s *Server) keysPage(w http.ResponseWriter, r *http.Request) error {
	var bodies []mechanism.Body
	if rb := s.log.Rulebook(); rb != nil {
		bodies = rb.Bodies
	}
	return s.render(w, r, "keys.html", "keys.title", "keys", struct{ Bodies []mechanism.Body }{bodies})
}

// inboxItem is a notice as the inbox page shows it.
type inboxItem struct {
	store.Notice
	When     time.Time // the notice's time
	Due      time.Time
	HasDue   bool
	Overdue  bool
	DueSoon  bool
	Days     int // whole days left, or overdue by
	Hours    int // and hours
	Deadline bool
	// Label is the catalogue id of the notice's kind, or "" for a kind
	// the page does not know (shown as its id).
	Label string
}

// noticeLabels are the catalogue ids of the notice kinds' names.
var noticeLabels = map[string]string{
	store.NoticeAllegation:        "inbox.kind.allegation",
	store.NoticeReply:             "inbox.kind.reply",
	store.NoticeDeadline:          "inbox.kind.deadline",
	store.NoticePublished:         "inbox.kind.published",
	store.NoticeFinding:           "inbox.kind.finding",
	store.NoticeEndorsement:       "inbox.kind.endorsement",
	store.NoticePenalty:           "inbox.kind.penalty",
	store.NoticeReplyWindow:       "inbox.kind.reply_window",
	store.NoticePossibleDuplicate: "inbox.kind.possible_duplicate",
	store.EventWitnessRefusal:     "inbox.kind.witness_refusal",
}

// inboxItems says, for each notice, whether its deadline is overdue by the
// core's definition (a deadline missed, or open past its due time) and how
// long is left.
func inboxItems(notices []store.Notice, now time.Time) []inboxItem {
	out := make([]inboxItem, 0, len(notices))
	for _, n := range notices {
		it := inboxItem{Notice: n, Deadline: n.Kind == store.NoticeDeadline, Label: noticeLabels[n.Kind]}
		it.When, _ = statement.ParseTime(n.At)
		if due, err := statement.ParseTime(n.Due); err == nil && n.Due != "" {
			it.Due, it.HasDue = due, true
			it.Overdue = n.Status == mechanism.DeadlineMissed || mechanism.Overdue(n.Status, due, now)
			it.DueSoon = !it.Overdue && n.Status == mechanism.DeadlineOpen && due.Sub(now) < 24*time.Hour
			d := due.Sub(now)
			if d < 0 {
				d = -d
			}
			it.Days, it.Hours = int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		}
		out = append(out, it)
	}
	return out
}

// inboxPage shows the signed-in member what GET /api/v1/inbox gives its
// body, the deadlines first; signed out, it sends the reader to sign in.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	who := s.signedIn(r)
	if who == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	notices, err := s.views.Inbox(r.Context(), who.Body, s.log.Rulebook(), 100)
	if err != nil {
		return err
	}
	items := inboxItems(notices, time.Now())
	var deadlines, others []inboxItem
	for _, it := range items {
		if it.Deadline {
			deadlines = append(deadlines, it)
		} else {
			others = append(others, it)
		}
	}
	data := struct {
		Deadlines, Notices []inboxItem
	}{deadlines, others}
	return s.render(w, r, "inbox.html", "inbox.title", "inbox", data)
}
