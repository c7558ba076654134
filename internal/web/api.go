package web

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Paging limits of lists.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// filter builds a filter of list l from a request's query parameters,
// refusing unknown ones so that a misspelt filter is not silently ignored,
// and values that the rulebook rb does not know (a stage, a body), so that
// a misspelt value is not answered with an empty list.
func filter(q url.Values, l *store.List, rb *mechanism.Rulebook) (store.Filter, error) {
	f := store.Filter{Limit: defaultLimit}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		vs := q[name]
		if len(vs) != 1 {
			return f, badRequest("parameter %s is given %d times", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "at_least":
			continue // see Server.afterViews
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxLimit {
				return f, badRequest("limit must be from 1 to %d", maxLimit)
			}
			f.Limit = n
			continue
		case "before":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return f, badRequest("before must be a positive integer, the next value of a previous page")
			}
			f.Before = n
			continue
		case "bbox":
			if !l.BBox {
				break
			}
			b, err := parseBBox(v)
			if err != nil {
				return f, err
			}
			f.BBox = &b
			continue
		}
		p, ok := l.Param(name)
		if !ok {
			return f, badRequest("unknown parameter %q; %s takes %s, at_least", name, l.Name, l.ParamNames())
		}
		if _, err := p.CheckIn(v, rb); err != nil {
			return f, badRequest("%s", err.Error())
		}
		f.Where(name, v)
	}
	return f, nil
}

// parseBBox parses "minLon,minLat,maxLon,maxLat".
func parseBBox(v string) (store.BBox, error) {
	var b [4]float64
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return store.BBox{}, badRequest("bbox must be minLon,minLat,maxLon,maxLat")
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return store.BBox{}, badRequest("bbox must be minLon,minLat,maxLon,maxLat in degrees")
		}
		b[i] = x
	}
	if b[0] > b[2] || b[1] > b[3] || b[1] < -90 || b[3] > 90 || b[0] < -180 || b[2] > 180 {
		return store.BBox{}, badRequest("bbox must be minLon,minLat,maxLon,maxLat with min ≤ max, within ±180 and ±90")
	}
	return store.BBox{MinLon: b[0], MinLat: b[1], MaxLon: b[2], MaxLat: b[3]}, nil
}

// listHandler serves a view as {"items": [...], "next": cursor or null}.
func (s *Server) listHandler(l *store.List) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := filter(r.URL.Query(), l, s.log.Rulebook())
		if err != nil {
			return err
		}
		page, err := s.views.List(r.Context(), l.Name, f)
		if err != nil {
			return err
		}
		rows := page.Rows
		if l.Name == "deadlines" {
			markOverdue(rows, time.Now())
		}
		addLocalTimes(rows, s.zones())
		if l.Name == "cases" {
			s.resolvePlaces(r.Context(), rows)
		}
		var next any
		if page.Next != 0 {
			next = page.Next
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": rows, "next": next})
		return nil
	}
}

// markOverdue adds "overdue": whether an open deadline's time has passed by
// the server's clock. The log's own status changes only when a later
// statement's time passes the deadline.
func markOverdue(rows []store.Row, now time.Time) {
	for _, r := range rows {
		due, _ := r["due"].(string)
		t, err := statement.ParseTime(due)
		status, _ := r["status"].(string)
		r["overdue"] = err == nil && mechanism.Overdue(status, t, now)
	}
}

func pathInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 0 {
		return 0, &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: name + " must be a non-negative integer"}
	}
	return n, nil
}

// caseDetail serves a case with its full history in the order of events,
// claims, findings, penalties, evidence with the verifications of each
// item, deadlines, and its linked cases side by side.
func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, err := s.caseRow(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// byActor groups what actors said about a case, in the order they said
// it, by actor, each actor where it first spoke.
func byActor(said []store.Row) []store.Row {
	out := []store.Row{}
	at := map[string]int{}
	for _, r := range said {
		id, _ := r["actor"].(string)
		i, ok := at[id]
		if !ok {
			i = len(out)
			at[id] = i
			out = append(out, store.Row{"actor": id, "type": r["type"], "names": r["names"], "claims": []store.Row{}})
		}
		delete(r, "type")
		delete(r, "names")
		out[i]["claims"] = append(out[i]["claims"].([]store.Row), r)
	}
	return out
}

// actorDetail serves a registered actor: the registry's entry with its
// counts, how each body named it in its own statements, and everything it
// said, in the order it said it.
func (s *Server) actorDetail(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ctx, db := r.Context(), s.views
	if len(id) > store.MaxTextParam {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no actor with so long an id"}
	}
	a, err := db.Actor(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound,
			Msg: "actor " + strconv.Quote(id) + " is not in the registry of actors; GET /api/v1/actor_registry lists those that are, and GET /api/v1/actors?actor=" + url.QueryEscape(id) + " how statements named it"}
	}
	if err != nil {
		return err
	}
	if a["named"], err = rows(ctx, db, "actors", match("actor", id)); err != nil {
		return err
	}
	said, err := db.ActorClaims(ctx, -1, id)
	if err != nil {
		return err
	}
	for _, c := range said {
		delete(c, "type")
		delete(c, "names")
	}
	addLocalTimes(said, s.zones())
	a["claims"] = said
	writeJSON(w, http.StatusOK, a)
	return nil
}

// crossingDetail serves a crossing and every status reported for it.
// crossingDetail serves a crossing: each side's latest status, side by
// side (when the two sides say different things, both stand), and every
// status reported for it.
func (s *Server) crossingDetail(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ctx := r.Context()
	if len(id) > store.MaxTextParam {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no crossing with so long a name"}
	}
	c, err := s.crossing(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// crossing reads crossing id: its name, its sides' statuses, oldest side
// first, and its events, newest first.
func (s *Server) crossing(ctx context.Context, id string) (store.Row, error) {
	db := s.views
	sides, err := rows(ctx, db, "crossings", match("crossing", id))
	if err != nil {
		return nil, err
	}
	if len(sides) == 0 {
		return nil, &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no status was ever reported for crossing " + strconv.Quote(id)}
	}
	events, err := rows(ctx, db, "crossing_events", match("crossing", id))
	if err != nil {
		return nil, err
	}
	// The list is newest first: the name is the latest status's; the
	// sides read in a fixed order.
	name := sides[0]["name"]
	slices.SortFunc(sides, func(a, b store.Row) int { return strings.Compare(fmt.Sprint(a["side"]), fmt.Sprint(b["side"])) })
	addLocalTimes(append(events, sides...), s.zones())
	return store.Row{"crossing": id, "name": name, "sides": sides, "events": events}, nil
}

// match is a filter of the newest maxLimit rows where param is v.
func match(param, v string) store.Filter {
	return store.Filter{Match: []store.Match{{Param: param, Value: v}}, Limit: maxLimit}
}

// rows lists the rows of a list that f selects, one page.
func rows(ctx context.Context, db Views, list string, f store.Filter) ([]store.Row, error) {
	p, err := db.List(ctx, list, f)
	return p.Rows, err
}

//go:embed openapi.json
var openapiDoc []byte

// openapi serves the OpenAPI 3.1 document that describes this API.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(openapiDoc)
	return err
}
