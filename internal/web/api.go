package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
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

// param is one query parameter a list accepts, and the condition it adds.
type param struct {
	name string
	// drive, if set, is "table.column" of a (value, case_id) table that
	// the query may walk instead of testing cond; see store.Drive.
	drive string
	// cond is a condition with one "?" per use of the value, such as
	// "stage = ?"; check, if not nil, validates the value first.
	cond  string
	check func(string) error
	// convert, if not nil, validates the value and gives the argument.
	convert func(string) (string, error)
}

// listSpec is a view served as a list.
type listSpec struct {
	view   string
	params []param
}

func eq(name, column string) param { return param{name: name, cond: column + " = ?"} }

func intParam(name, column string) param {
	return param{name: name, cond: column + " = ?", check: func(v string) error {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return badRequest("%s must be an integer", name)
		}
		return nil
	}}
}

// timeParam is a time in any zone, such as 2025-10-20T22:00:00+05:00;
// the condition compares it in UTC, as the views store times.
func timeParam(name, cond string) param {
	return param{name: name, cond: cond, convert: func(v string) (string, error) {
		t, err := parseAnyZone(v)
		if err != nil {
			return "", badRequest("%s: %q is not an RFC 3339 time such as 2025-10-20T22:00:00+05:00 or 2025-10-20T17:00:00Z", name, v)
		}
		return t, nil
	}}
}

func enumParam(name, column string, allowed []string) param {
	return param{name: name, cond: column + " = ?", check: func(v string) error {
		if !slices.Contains(allowed, v) {
			return badRequest("%s must be one of %v", name, allowed)
		}
		return nil
	}}
}

// lists are the list routes, by path under /api/v1/.
var lists = map[string]listSpec{
	"cases": {"cases", []param{
		eq("stage", "stage"),
		{name: "party", cond: "EXISTS (SELECT 1 FROM case_bodies b WHERE b.body = ? AND b.case_id = cases.id)", drive: "case_bodies.body"},
		eq("accused", "accused"),
		eq("reporter", "reporter"),
		eq("type", "event_type"),
		eq("sub_type", "sub_event_type"),
		{name: "category", cond: "EXISTS (SELECT 1 FROM case_categories k WHERE k.category = ? AND k.case_id = cases.id)", drive: "case_categories.category"},
		enumParam("outcome", "outcome", mechanism.Outcomes),
		timeParam("from", "event_at >= ?"),
		timeParam("to", "event_at < ?"),
	}},
	"statements":  {"statements", []param{eq("kind", "kind"), eq("author", "author"), eq("body", "body")}},
	"claims":      {"claims", []param{intParam("case", "case_id"), eq("body", "body"), eq("measure", "measure")}},
	"findings":    {"findings", []param{intParam("case", "case_id"), eq("party", "party"), enumParam("outcome", "outcome", mechanism.Outcomes)}},
	"penalties":   {"penalties", []param{intParam("case", "case_id"), eq("party", "party")}},
	"actors":      {"actors", []param{eq("actor", "actor"), eq("body", "body")}},
	"crossings":   {"crossings", []param{enumParam("status", "status", mechanism.Crossings)}},
	"commitments": {"commitments", []param{eq("body", "body"), eq("actor", "actor")}},
	"actions":     {"actions", []param{eq("body", "body"), intParam("commitment", "commitment"), intParam("verifies", "verifies")}},
	"deadlines": {"deadlines", []param{
		enumParam("status", "status", []string{mechanism.DeadlineOpen, mechanism.DeadlineMet, mechanism.DeadlineMissed}),
		intParam("subject", "subject"),
		eq("name", "name"),
		{name: "body", cond: "EXISTS (SELECT 1 FROM json_each(bodies) WHERE value = ?)"},
	}},
	"evidence": {"evidence", []param{intParam("case", "case_id"), eq("media_type", "media_type"), eq("body", "body"),
		enumParam("verified", "verified", append([]string{""}, mechanism.VerificationResults...))}},
	"custody":       {"custody", []param{eq("sha256", "sha256"), enumParam("event", "event", mechanism.CustodyEvents)}},
	"verifications": {"verifications", []param{eq("sha256", "sha256"), enumParam("result", "result", mechanism.VerificationResults)}},
	"sealed":        {"sealed", []param{eq("author", "author"), eq("body", "body"), enumParam("sealed_kind", "sealed_kind", mechanism.SealableKinds)}},
	"meetings":      {"meetings", nil},
	"publications":  {"publications", nil},
	"members":       {"members", []param{eq("body", "body")}},
}

// filter builds a store filter from a request's query parameters, refusing
// unknown ones so that a misspelt filter is not silently ignored.
func filter(q url.Values, spec listSpec) (store.Filter, error) {
	f := store.Filter{Limit: defaultLimit}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		vs := q[name]
		if len(vs) != 1 {
			return f, badRequest("parameter %s is given %d times", name, len(vs))
		}
		v := vs[0]
		switch name {
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
			if spec.view != "cases" {
				break
			}
			b, err := parseBBox(v)
			if err != nil {
				return f, err
			}
			f.Cond("lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?", b[1], b[3], b[0], b[2])
			continue
		}
		i := slices.IndexFunc(spec.params, func(p param) bool { return p.name == name })
		if i < 0 {
			return f, badRequest("unknown parameter %q; %s takes %s", name, spec.view, paramNames(spec))
		}
		p := spec.params[i]
		if len(v) > 200 {
			return f, badRequest("parameter %s is too long", name)
		}
		if p.check != nil {
			if err := p.check(v); err != nil {
				return f, err
			}
		}
		if p.convert != nil {
			var err error
			if v, err = p.convert(v); err != nil {
				return f, err
			}
		}
		if table, column, ok := strings.Cut(p.drive, "."); ok && f.Drive == nil {
			f.Drive = &store.Drive{Table: table, Column: column, Value: v}
			continue
		}
		args := make([]any, strings.Count(p.cond, "?"))
		for j := range args {
			args[j] = v
		}
		f.Cond(p.cond, args...)
	}
	return f, nil
}

func paramNames(spec listSpec) string {
	names := []string{"limit", "before"}
	if spec.view == "cases" {
		names = append(names, "bbox")
	}
	for _, p := range spec.params {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

// parseBBox parses "minLon,minLat,maxLon,maxLat".
func parseBBox(v string) ([4]float64, error) {
	var b [4]float64
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return b, badRequest("bbox must be minLon,minLat,maxLon,maxLat")
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return b, badRequest("bbox must be minLon,minLat,maxLon,maxLat in degrees")
		}
		b[i] = x
	}
	if b[0] > b[2] || b[1] > b[3] || b[1] < -90 || b[3] > 90 || b[0] < -180 || b[2] > 180 {
		return b, badRequest("bbox must be minLon,minLat,maxLon,maxLat with min ≤ max, within ±180 and ±90")
	}
	return b, nil
}

// listHandler serves a view as {"items": [...], "next": cursor or null}.
func (s *Server) listHandler(spec listSpec) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := filter(r.URL.Query(), spec)
		if err != nil {
			return err
		}
		rows, err := s.log.Views().Query(r.Context(), spec.view, f)
		if err != nil {
			return err
		}
		if spec.view == "deadlines" {
			markOverdue(rows, time.Now())
		}
		addLocalTimes(rows, s.zones())
		if spec.view == "cases" {
			resolvePlaces(rows)
		}
		var next any
		if len(rows) == f.Limit {
			next = rows[len(rows)-1][store.Cursor]
		}
		for _, r := range rows {
			delete(r, store.Cursor)
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

// caseDetail serves a case with its full history, claims, findings,
// penalties, evidence with the verifications of each item, and deadlines.
func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ctx, db := r.Context(), s.log.Views()
	c, err := db.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no case " + strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return err
	}
	history, err := db.History(ctx, id)
	if err != nil {
		return err
	}
	for _, h := range history {
		data, _ := h["data"].(string)
		delete(h, "data")
		if st, err := statement.Parse([]byte(data)); err == nil {
			h["statement"] = json.RawMessage(st.JSON)
		}
		h["index"] = h["idx"]
		delete(h, "idx")
	}
	c["history"] = history
	byCase := store.Filter{Where: []string{"case_id = ?"}, Args: []any{id}, Limit: maxLimit}
	for _, v := range []string{"claims", "findings", "penalties"} {
		if c[v], err = query(ctx, db, v, byCase); err != nil {
			return err
		}
	}
	if c["evidence"], err = query(ctx, db, "evidence", byCase); err != nil {
		return err
	}
	if c["verifications"], err = query(ctx, db, "verifications", store.Filter{
		Where: []string{"sha256 IN (SELECT sha256 FROM evidence WHERE case_id = ?)"}, Args: []any{id}, Limit: maxLimit}); err != nil {
		return err
	}
	deadlines, err := query(ctx, db, "deadlines", store.Filter{Where: []string{"subject = ?"}, Args: []any{id}, Limit: maxLimit})
	if err != nil {
		return err
	}
	markOverdue(deadlines, time.Now())
	c["deadlines"] = deadlines
	zones := s.zones()
	addLocalTimes([]store.Row{c}, zones)
	resolvePlaces([]store.Row{c})
	for _, v := range []string{"history", "claims", "findings", "penalties", "evidence", "verifications", "deadlines"} {
		if rows, ok := c[v].([]store.Row); ok {
			addLocalTimes(rows, zones)
		}
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// crossingDetail serves a crossing and every status reported for it.
func (s *Server) crossingDetail(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ctx, db := r.Context(), s.log.Views()
	rows, err := query(ctx, db, "crossings", store.Filter{Where: []string{"crossing = ?"}, Args: []any{id}})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no status was ever reported for crossing " + strconv.Quote(id)}
	}
	c := rows[0]
	events, err := query(ctx, db, "crossing_events", store.Filter{Where: []string{"crossing = ?"}, Args: []any{id}, Limit: maxLimit})
	if err != nil {
		return err
	}
	addLocalTimes(append(events, c), s.zones())
	c["events"] = events
	writeJSON(w, http.StatusOK, c)
	return nil
}

// query lists rows of a view without their cursors.
func query(ctx context.Context, db *store.DB, view string, f store.Filter) ([]store.Row, error) {
	rows, err := db.Query(ctx, view, f)
	for _, r := range rows {
		delete(r, store.Cursor)
	}
	return rows, err
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
