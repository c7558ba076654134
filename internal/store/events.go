package store

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Event is something the mechanism notifies its subscribers of: one of
// the core's events (mechanism.Event) as the views keep it.
type Event struct {
	Kind   string   `json:"kind"`
	Index  int64    `json:"index"`
	Case   int64    `json:"case"`
	Bodies []string `json:"bodies"`
	At     string   `json:"at"`
	Text   string   `json:"text"`
	Due    string   `json:"due,omitempty"`
}

// Event kinds: the core's, and EventDeadlineNear, which the notifier
// tells by the server's clock.
const (
	EventAllegation     = mechanism.EventAllegation
	EventDeadlineMissed = mechanism.EventDeadlineMissed
	EventPublished      = mechanism.EventPublished
	EventFinding        = mechanism.EventFinding
	EventEndorsement    = mechanism.EventEndorsement
	EventPenalty        = mechanism.EventPenalty
	EventReplyWindow    = mechanism.EventReplyWindow
	// EventPossibleDuplicate is a case whose report matches an open case
	// its body opened (mechanism.SameEvent).
	EventPossibleDuplicate = mechanism.EventPossibleDuplicate
)

// eventInserts are the rows of the events: written in batches, after the
// rows of cases and statements.
var eventInserts = []insert{
	{"event", "INSERT INTO events (idx, seq, kind, told, case_id, bodies, at, text, due, finding, blamed) VALUES ", "", 11},
	{"event.body", "INSERT INTO event_bodies (body, told, idx, seq) VALUES ", "", 4},
}

// eventWrites write an event whose row needs another view's: they run
// after the batch's inserts, so that row is there.
var eventWrites = map[string]string{
	// A published case's text ends with the case's summary.
	"event.published": `INSERT INTO events (idx, seq, kind, told, case_id, bodies, at, text, due, finding, blamed)
		SELECT ?, ?, ?, ?, ?, ?, ?, ? || summary, ?, ?, ? FROM cases WHERE id = ?`,
	// An event that tells of an earlier statement (a confidential finding
	// its endorsement discloses) has that statement's time.
	"event.earlier": `INSERT INTO events (idx, seq, kind, told, case_id, bodies, at, text, due, finding, blamed)
		SELECT ?, ?, ?, ?, ?, ?, at, ?, ?, ?, ? FROM statements WHERE idx = ?`,
}

// projectEvents writes the events of e, the effects of statement st, and
// the bodies each concerns. An event's time is its statement's, as the
// statement gives it; a case's opening, as the cases view has it.
func (t *Tx) projectEvents(e *mechanism.Effects, st *statement.Statement) {
	for seq, ev := range e.Events {
		bodies, blamed, finding := jsonList(ev.Bodies), jsonList(ev.Blamed), nullIndex(ev.Finding)
		due := ""
		if !ev.Due.IsZero() {
			due = statement.FormatTime(ev.Due)
		}
		at := st.At
		if ev.Kind == mechanism.EventAllegation {
			at = statement.FormatTime(st.Time)
		}
		switch {
		case ev.Kind == mechanism.EventPublished:
			t.updates = append(t.updates, update{"event.published", []any{e.Index, seq, ev.Kind, ev.Index, ev.Case, bodies, at,
				mechanism.PublishedText(ev.Outcome, ev.Party, ""), due, finding, blamed, ev.Case}})
		case ev.Index != e.Index:
			t.updates = append(t.updates, update{"event.earlier", []any{e.Index, seq, ev.Kind, ev.Index, ev.Case, bodies,
				ev.Text, due, finding, blamed, ev.Index}})
		default:
			t.add("event", e.Index, seq, ev.Kind, ev.Index, ev.Case, bodies, at, ev.Text, due, finding, blamed)
		}
		for _, b := range ev.Bodies {
			t.add("event.body", b, ev.Index, e.Index, seq)
		}
	}
}

// Events returns the events of the statements with index in (after, upto],
// in the order they were told: cases that accuse a party, deadlines found
// missed, cases published, findings, endorsements, penalties and reply
// windows.
func (db *DB) Events(ctx context.Context, after, upto int64) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT kind, told, case_id, bodies, at, text, due FROM events
		WHERE idx > ? AND idx <= ? ORDER BY idx, kind, seq`, after, upto)
	if err != nil {
		return nil, fmt.Errorf("couldn't read events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var bodies string
		if err := rows.Scan(&e.Kind, &e.Index, &e.Case, &bodies, &e.At, &e.Text, &e.Due); err != nil {
			return nil, fmt.Errorf("couldn't read events: %w", err)
		}
		e.Bodies = parseBodies(bodies)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read events: %w", err)
	}
	return out, nil
}

// decisionNotices returns the newest limit findings, endorsements,
// penalties, reply windows and possible duplicates that concern body, newest first, each with
// the window to reply it tells of as it stands: for a reply window itself;
// for a finding, the first window opened at or after it for a body it
// blames.
func (db *DB) decisionNotices(ctx context.Context, body string, limit int) ([]Notice, error) {
	rows, err := db.r.QueryContext(ctx, `
		SELECT e.kind, e.case_id, e.told, e.at, e.text, COALESCE(w.due, ''), COALESCE(w.status, '')
		FROM event_bodies b JOIN events e ON e.idx = b.idx AND e.seq = b.seq
		LEFT JOIN deadlines w ON w.name = ?2 AND w.opened = (
			SELECT MIN(x.opened) FROM deadlines x WHERE x.subject = e.case_id AND x.name = ?2 AND x.opened >= e.told
			AND (e.kind = ?4 AND x.opened = e.told
				OR e.kind = ?5 AND EXISTS (SELECT 1 FROM json_each(x.bodies) xb JOIN json_each(e.blamed) eb ON xb.value = eb.value)))
		WHERE b.body = ?1 AND e.kind IN (?4, ?5, ?6, ?7, ?8)
		ORDER BY b.told DESC, e.kind LIMIT ?3`,
		body, mechanism.DeadlineReply, limit, EventReplyWindow, EventFinding, EventEndorsement, EventPenalty, EventPossibleDuplicate)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the inbox of %s: %w", body, err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		if err := rows.Scan(&n.Kind, &n.Case, &n.Index, &n.At, &n.Text, &n.Due, &n.Status); err != nil {
			return nil, fmt.Errorf("couldn't read the inbox of %s: %w", body, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the inbox of %s: %w", body, err)
	}
	return out, nil
}
