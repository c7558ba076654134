package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// caseRow is case id as the API gives it: its row, its history in the
// order of events with each statement's log index, its claims, findings,
// penalties, evidence, verifications and deadlines, and the cases linked
// to it, each with its own times, place, figures and stage.
func (s *Server) caseRow(ctx context.Context, id int64) (store.Row, error) {
	db := s.views
	c, err := db.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no case " + strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return nil, err
	}
	history, err := db.History(ctx, id)
	if err != nil {
		return nil, err
	}
	inEventOrder(history)
	c["history"] = history
	ids := strconv.FormatInt(id, 10)
	for _, v := range []string{"claims", "findings", "penalties", "evidence", "verifications"} {
		if c[v], err = rows(ctx, db, v, match("case", ids)); err != nil {
			return nil, err
		}
	}
	deadlines, err := rows(ctx, db, "deadlines", match("subject", ids))
	if err != nil {
		return nil, err
	}
	markOverdue(deadlines, time.Now())
	c["deadlines"] = deadlines
	linked, err := s.linked(ctx, id)
	if err != nil {
		return nil, err
	}
	c["linked"] = linked
	if c["replies"], err = rows(ctx, db, "replies", match("case", ids)); err != nil {
		return nil, err
	}
	said, err := db.ActorClaims(ctx, id, "")
	if err != nil {
		return nil, err
	}
	zones := s.zones()
	addLocalTimes(said, zones)
	c["actor_claims"] = byActor(said)
	addLocalTimes([]store.Row{c}, zones)
	s.resolvePlaces(ctx, []store.Row{c})
	for _, v := range []string{"history", "claims", "findings", "penalties", "evidence", "verifications", "deadlines", "replies"} {
		if rows, ok := c[v].([]store.Row); ok {
			addLocalTimes(rows, zones)
		}
	}
	return c, nil
}

// inEventOrder puts a case's history, oldest entry first, in the order of
// the events its statements tell of (mechanism.When), by log index where
// they tie, and gives each its index and its statement's JSON.
func inEventOrder(history []store.Row) {
	type key struct {
		at  time.Time
		idx int64
	}
	keys := make(map[int64]key, len(history))
	for _, h := range history {
		idx, _ := h["idx"].(int64)
		data, _ := h["data"].(string)
		delete(h, "data")
		at, _ := statement.ParseTime(stringOf(h["at"]))
		when, precision := at, "exact"
		if st, err := statement.Parse([]byte(data)); err == nil {
			h["statement"] = json.RawMessage(st.JSON)
			when, precision = mechanism.When(st.Kind, st.JSON, at)
		}
		h["index"] = idx
		delete(h, "idx")
		h["event_at"], h["event_precision"] = statement.FormatTime(when), precision
		keys[idx] = key{when, idx}
	}
	slices.SortStableFunc(history, func(a, b store.Row) int {
		ka, kb := keys[a["index"].(int64)], keys[b["index"].(int64)]
		return cmp.Or(ka.at.Compare(kb.at), cmp.Compare(ka.idx, kb.idx))
	})
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// linked lists the links of case id that stand, oldest first, each with
// the case it links to as the API gives a case in a list, with that case's
// claims.
func (s *Server) linked(ctx context.Context, id int64) ([]store.Row, error) {
	ls, err := rows(ctx, s.views, "links", match("case", strconv.FormatInt(id, 10)))
	if err != nil {
		return nil, err
	}
	out := []store.Row{}
	for i := len(ls) - 1; i >= 0; i-- { // the list is newest first
		l := ls[i]
		if l["unlinked"] != nil {
			continue
		}
		other, _ := l["other"].(int64)
		if other == id {
			other, _ = l["case_id"].(int64)
		}
		c, err := s.views.Case(ctx, other)
		if err != nil {
			return nil, err
		}
		if c["claims"], err = rows(ctx, s.views, "claims", match("case", strconv.FormatInt(other, 10))); err != nil {
			return nil, err
		}
		s.resolvePlaces(ctx, []store.Row{c})
		addLocalTimes([]store.Row{c}, s.zones())
		out = append(out, store.Row{"link": l["idx"], "relation": l["relation"], "stands": l["stands"], "body": l["body"],
			"author": l["author"], "text": l["text"], "case": c})
	}
	return out, nil
}

// counts serves, for every body that reported a case or is accused in
// one, its cases, each event once (store.Counts).
func (s *Server) counts(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 && !(len(r.URL.Query()) == 1 && r.URL.Query().Has("at_least")) {
		return badRequest("counts takes no parameters but at_least")
	}
	c, cc, err := s.views.AllCounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": c, "by_category": cc.ByCategory, "by_status": cc.ByStatus, "by_stage": cc.ByStage})
	return nil
}
