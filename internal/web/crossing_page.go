package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// crossingStatus is one status of a crossing as the page shows it.
type crossingStatus struct {
	Index                 int64
	Side, Status, Allowed string
	Since                 when
	Body, Text            string
}

// crossingPage shows a crossing: each side's latest status side by side,
// and every status reported for it.
func (s *Server) crossingPage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if len(id) > store.MaxTextParam {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no crossing with so long a name"}
	}
	c, err := s.crossing(r.Context(), id)
	if err != nil {
		return err
	}
	l := s.locale(w, r)
	data := struct {
		ID, Name      string
		Sides, Events []crossingStatus
	}{ID: id, Name: fmt.Sprint(c["name"])}
	for _, row := range c["sides"].([]store.Row) {
		data.Sides = append(data.Sides, statusOf(l, row))
	}
	for _, row := range c["events"].([]store.Row) {
		data.Events = append(data.Events, statusOf(l, row))
	}
	return s.renderTitled(w, r, "crossing.html", func(l *Locale) string { return l.T("cases.crossing_title", "Name", data.Name) }, "map", data)
}

// statusOf reads a row of the crossings or crossing_events view.
func statusOf(l *Locale, row store.Row) crossingStatus {
	str := func(k string) string { v, _ := row[k].(string); return v }
	idx, _ := row["idx"].(int64)
	var allowed []string
	if raw, ok := row["allowed"].(json.RawMessage); ok {
		json.Unmarshal(raw, &allowed) // the view writes it as a JSON list
	}
	return crossingStatus{Index: idx, Side: str("side"), Status: str("status"), Allowed: strings.Join(allowed, ", "),
		Since: whenOf(l, row["since"], str("since_precision")), Body: str("body"), Text: str("text")}
}
