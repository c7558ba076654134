package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// InboxResponse is the answer of GET /api/v1/inbox.
type InboxResponse struct {
	Member string        `json:"member"`
	Body   string        `json:"body"`
	Items  []InboxNotice `json:"items"`
	// Tips are the latest tips from the public, newest first: only in a
	// monitor's inbox, until one of them files a tip as a report of
	// channel "public".
	Tips []InboxTip `json:"tips,omitempty"`
}

// InboxNotice is a notice, with the server's view of a deadline.
type InboxNotice struct {
	store.Notice
	// Overdue says whether an open deadline has passed by the server's
	// clock; DueSoon whether it falls within a day.
	Overdue bool `json:"overdue,omitempty"`
	DueSoon bool `json:"due_soon,omitempty"`
}

// inbox serves what the caller's body must know: the allegations that name
// it the moment they are filed, replies to its reports, the deadlines that
// bind it, published findings, and the findings, endorsements, penalties
// and reply windows that concern it.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	who, err := s.authenticate(w, r)
	if err != nil {
		return err
	}
	limit := 100
	for name, vs := range r.URL.Query() {
		if name == "at_least" {
			continue // see Server.afterViews
		}
		if name != "limit" || len(vs) != 1 {
			return badRequest("unknown parameter %q; inbox takes limit, at_least", name)
		}
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 1 || n > maxLimit {
			return badRequest("limit must be from 1 to %d", maxLimit)
		}
		limit = n
	}
	notices, err := s.views.Inbox(r.Context(), who.body, s.log.Rulebook(), limit)
	if err != nil {
		return err
	}
	now := time.Now()
	resp := InboxResponse{Member: who.member, Body: who.body, Items: make([]InboxNotice, 0, len(notices))}
	for _, n := range notices {
		in := InboxNotice{Notice: n}
		if due, err := statement.ParseTime(n.Due); err == nil && n.Status == mechanism.DeadlineOpen {
			in.Overdue = mechanism.Overdue(n.Status, due, now)
			in.DueSoon = !in.Overdue && due.Sub(now) < 24*time.Hour
		}
		resp.Items = append(resp.Items, in)
	}
	if resp.Tips, err = s.tipsFor(r.Context(), who.body, limit); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
