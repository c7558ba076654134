package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// Event is something the mechanism notifies its subscribers of.
type Event struct {
	Kind   string   `json:"kind"`
	Index  int64    `json:"index"`
	Case   int64    `json:"case"`
	Bodies []string `json:"bodies"`
	At     string   `json:"at"`
	Text   string   `json:"text"`
	Due    string   `json:"due,omitempty"`
}

// Event kinds.
const (
	EventAllegation     = "allegation"
	EventDeadlineMissed = "deadline_missed"
	EventPublished      = "published"
	// EventFinding, EventEndorsement and EventPenalty tell a decision on a
	// case to the bodies it concerns, with what they may do and by when.
	EventFinding     = "finding"
	EventEndorsement = "endorsement"
	EventPenalty     = "penalty"
	// EventReplyWindow tells bodies that a window to reply on a case opened
	// for them after the case's opening report (whose window the
	// allegation tells).
	EventReplyWindow = "reply_window"
)

// Events returns the events of the statements with index in (after, upto],
// oldest first: cases that accuse a party, deadlines found missed, cases
// that reached rb's last stage, findings, endorsements, penalties and
// reply windows.
func (db *DB) Events(ctx context.Context, after, upto int64, rb *mechanism.Rulebook) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `
		SELECT ?4, c.id, c.id, json_array(c.accused), c.opened_at, c.reporter || ': ' || c.summary, ''
			FROM cases c WHERE c.accused != '' AND c.id > ?1 AND c.id <= ?2
		UNION ALL
		SELECT ?5, d.closed, d.subject, d.bodies, s.at, d.name, d.due
			FROM deadlines d JOIN statements s ON s.idx = d.closed WHERE d.status = 'missed' AND d.closed > ?1 AND d.closed <= ?2
		UNION ALL
		SELECT ?6, c.stage_idx, c.id, json_array(c.reporter, c.accused), s.at, c.outcome || ' ' || c.party || ': ' || c.summary, ''
			FROM cases c JOIN statements s ON s.idx = c.stage_idx WHERE c.stage = ?3 AND c.stage_idx > ?1 AND c.stage_idx <= ?2
		ORDER BY 2, 1`, after, upto, lastStage(rb), EventAllegation, EventDeadlineMissed, EventPublished)
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
	ds, err := db.decisions(ctx, func(index, _ string) string { return index + " > ?3 AND " + index + " <= ?4" }, "", after, upto)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		out = append(out, d.event(rb))
	}
	slices.SortStableFunc(out, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

// lastStage returns the id of rb's last stage, or "".
func lastStage(rb *mechanism.Rulebook) string {
	if rb == nil {
		return ""
	}
	return rb.Published()
}

// decision is a statement about a case that is told to the bodies it
// concerns: a finding, an endorsement, a penalty, or a reply window opened
// after the case's opening.
type decision struct {
	kind              string
	index, caseID     int64
	at                string
	reporter, accused string
	// finding is the index of the finding, with its outcome, party and
	// confidence: the finding endorsed, or that a penalty attaches to.
	finding                    int64
	outcome, party, confidence string
	// penalty is a penalty's id, and penaltyOn the party it falls on.
	penalty, penaltyOn string
	// windows are the reply windows of the case, oldest first.
	windows []window
}

// window is a reply window, a deadline named mechanism.DeadlineReply.
type window struct {
	Opened int64    `json:"opened"`
	Bodies []string `json:"bodies"`
	Due    string   `json:"due"`
	Status string   `json:"status"`
}

// decisionSelects are the SELECTs of decisions, one for each kind: the
// column that holds the index of the statement told, and a condition that
// ?3 is a body the row concerns. ?1 is the name of reply deadlines, ?2 the
// outcomes of a finding that blame its party.
var decisionSelects = []struct{ sql, index, concerns string }{
	{`SELECT '` + EventFinding + `', f.idx, f.case_id, s.at, c.reporter, c.accused, f.idx, f.outcome, f.party, f.confidence, '', '', ` + windowsColumn + `
		FROM findings f JOIN statements s ON s.idx = f.idx JOIN cases c ON c.id = f.case_id WHERE 1`,
		"f.idx", blamedOrParty},
	{`SELECT '` + EventEndorsement + `', f.endorsed, f.case_id, s.at, c.reporter, c.accused, f.idx, f.outcome, f.party, f.confidence, '', '', ` + windowsColumn + `
		FROM findings f JOIN statements s ON s.idx = f.endorsed JOIN cases c ON c.id = f.case_id WHERE f.endorsed IS NOT NULL`,
		"f.endorsed", blamedOrParty},
	{`SELECT '` + EventPenalty + `', p.idx, p.case_id, s.at, c.reporter, c.accused, p.finding, f.outcome, f.party, f.confidence, p.penalty, p.party, ` + windowsColumn + `
		FROM penalties p JOIN statements s ON s.idx = p.idx JOIN cases c ON c.id = p.case_id JOIN findings f ON f.idx = p.finding WHERE 1`,
		"p.idx", "(p.party = ?3 OR c.reporter = ?3 OR c.accused = ?3)"},
	{`SELECT '` + EventReplyWindow + `', d.opened, d.subject, s.at, c.reporter, c.accused, -1, '', '', '', '', '', ` + windowsColumn + `
		FROM deadlines d JOIN statements s ON s.idx = d.opened JOIN cases c ON c.id = d.subject
		WHERE d.name = ?1 AND d.opened != d.subject`,
		"d.opened", "EXISTS (SELECT 1 FROM json_each(d.bodies) WHERE value = ?3)"},
}

// windowsColumn is a JSON array of the reply windows of case c.
const windowsColumn = `(SELECT json_group_array(json_object('opened', w.opened, 'bodies', json(w.bodies), 'due', w.due, 'status', w.status))
	FROM deadlines w WHERE w.subject = c.id AND w.name = ?1)`

// blamedOrParty is the condition that ?3 is the reporter or the accused
// party of the case of finding f, or a body f blames.
const blamedOrParty = "(c.reporter = ?3 OR c.accused = ?3 OR (f.party = ?3 AND f.outcome IN (SELECT value FROM json_each(?2))))"

// blamingOutcomes is a JSON array of the outcomes of a finding that blame
// its party, as mechanism.Finding.Blames says.
var blamingOutcomes = func() string {
	var out []string
	for _, o := range mechanism.Outcomes {
		if len((&mechanism.Finding{Outcome: o, Party: "p"}).Blames()) > 0 {
			out = append(out, o)
		}
	}
	return jsonList(out)
}()

// decisions returns the decisions that where selects, newest first, then
// tail: where is given each SELECT's index column and concerns condition,
// and args are ?3 and ?4.
func (db *DB) decisions(ctx context.Context, where func(index, concerns string) string, tail string, args ...any) ([]decision, error) {
	var q []string
	for _, s := range decisionSelects {
		q = append(q, s.sql+" AND "+where(s.index, s.concerns))
	}
	rows, err := db.r.QueryContext(ctx, strings.Join(q, "\nUNION ALL\n")+"\nORDER BY 2 DESC, 1 "+tail,
		append([]any{mechanism.DeadlineReply, blamingOutcomes}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("couldn't read decisions: %w", err)
	}
	defer rows.Close()
	var out []decision
	for rows.Next() {
		var d decision
		var ws string
		if err := rows.Scan(&d.kind, &d.index, &d.caseID, &d.at, &d.reporter, &d.accused, &d.finding, &d.outcome, &d.party, &d.confidence,
			&d.penalty, &d.penaltyOn, &ws); err != nil {
			return nil, fmt.Errorf("couldn't read decisions: %w", err)
		}
		if err := json.Unmarshal([]byte(ws), &d.windows); err != nil {
			return nil, fmt.Errorf("couldn't read the reply windows of case %d: %w", d.caseID, err)
		}
		slices.SortFunc(d.windows, func(a, b window) int { return cmp.Compare(a.Opened, b.Opened) })
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read decisions: %w", err)
	}
	return out, nil
}

// withDecisions adds to notices, which are newest first, the decisions
// that concern body, and keeps the newest limit.
func (db *DB) withDecisions(ctx context.Context, notices []Notice, body string, rb *mechanism.Rulebook, limit int) ([]Notice, error) {
	ds, err := db.decisions(ctx, func(_, concerns string) string { return concerns }, "LIMIT ?4", body, limit)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the inbox of %s: %w", body, err)
	}
	for _, d := range ds {
		e := d.event(rb)
		n := Notice{Kind: e.Kind, Case: e.Case, Index: e.Index, At: e.At, Text: e.Text}
		// The window a body may reply in, as it stands: for a finding, the
		// first opened for a body it blames since it was filed.
		if w := d.toldWindow(); w != nil {
			n.Due, n.Status = w.Due, w.Status
		}
		notices = append(notices, n)
	}
	slices.SortStableFunc(notices, func(a, b Notice) int {
		return cmp.Or(cmp.Compare(b.Index, a.Index), cmp.Compare(a.Kind, b.Kind))
	})
	return notices[:min(len(notices), limit)], nil
}

// toldWindow returns the reply window the decision tells of: for a reply
// window itself, for a finding the first window opened, at or after it,
// for a body it blames; nil for others.
func (d *decision) toldWindow() *window {
	for i, w := range d.windows {
		switch {
		case d.kind == EventReplyWindow && w.Opened == d.index,
			d.kind == EventFinding && w.Opened >= d.finding && slices.ContainsFunc(d.blamed(), func(b string) bool { return slices.Contains(w.Bodies, b) }):
			return &d.windows[i]
		}
	}
	return nil
}

// blamed returns the bodies the decision's finding blames.
func (d *decision) blamed() []string {
	return (&mechanism.Finding{Outcome: d.outcome, Party: d.party}).Blames()
}

// bodies returns the bodies the decision concerns: the case's reporter
// and accused party, and every body its finding blames; for a penalty the
// party it falls on besides; for a reply window the bodies it is for.
func (d *decision) bodies() []string {
	if d.kind == EventReplyWindow {
		if w := d.toldWindow(); w != nil {
			return w.Bodies
		}
		return nil
	}
	var out []string
	l := append([]string{d.reporter, d.accused}, d.blamed()...)
	if d.kind == EventPenalty {
		l = append(l, d.penaltyOn)
	}
	for _, b := range l {
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// event tells the decision under rulebook rb: what was decided, and what
// the bodies it concerns may do and by when. It tells what was so when
// the statement was filed, so that it reads the same whenever it is told.
func (d *decision) event(rb *mechanism.Rulebook) Event {
	e := Event{Kind: d.kind, Index: d.index, Case: d.caseID, Bodies: d.bodies(), At: d.at}
	var t strings.Builder
	switch d.kind {
	case EventFinding:
		fmt.Fprintf(&t, "Finding %d on case %d %s (%s confidence).", d.finding, d.caseID, findingSays(d.outcome, d.party), d.confidence)
		for _, b := range d.blamed() {
			// The window the finding itself opened for b, if any.
			i := slices.IndexFunc(d.windows, func(w window) bool { return w.Opened == d.index && slices.Contains(w.Bodies, b) })
			switch {
			case i >= 0:
				fmt.Fprintf(&t, " %s may reply on case %d until %s.", b, d.caseID, d.windows[i].Due)
				e.Due = d.windows[i].Due
			case rb != nil && rb.RulesVersion() >= mechanism.Rules2:
				fmt.Fprintf(&t, " %s may reply on case %d; its window to reply opens when the case enters the reply stage.", b, d.caseID)
			}
		}
	case EventEndorsement:
		fmt.Fprintf(&t, "Endorsement %d on case %d endorses finding %d, which %s (%s confidence).", d.index, d.caseID, d.finding, findingSays(d.outcome, d.party), d.confidence)
		d.mayReply(&t, d.blamed())
	case EventPenalty:
		fmt.Fprintf(&t, "Penalty %d on case %d: %s on %s, for finding %d.", d.index, d.caseID, penaltySays(rb, d.penalty), d.penaltyOn, d.finding)
		d.mayReply(&t, []string{d.penaltyOn})
	case EventReplyWindow:
		if w := d.toldWindow(); w != nil {
			fmt.Fprintf(&t, "%s may reply on case %d until %s.", andList(w.Bodies), d.caseID, w.Due)
			e.Due = w.Due
		}
	}
	e.Text = t.String()
	return e
}

// mayReply tells that each of bodies that may reply on the case may do so,
// with no time limit: those that had a window to reply on it by the
// statement.
func (d *decision) mayReply(t *strings.Builder, bodies []string) {
	for _, b := range bodies {
		if slices.ContainsFunc(d.windows, func(w window) bool { return w.Opened <= d.index && slices.Contains(w.Bodies, b) }) {
			fmt.Fprintf(t, " %s may reply on case %d at any time.", b, d.caseID)
		}
	}
}

// findingSays says what a finding with outcome concludes about party.
func findingSays(outcome, party string) string {
	switch outcome {
	case mechanism.OutcomeAttributed:
		return "attributes the violation to " + party
	case mechanism.OutcomeCleared:
		return "clears " + party
	case mechanism.OutcomeNotAttributable:
		return "finds the violation not attributable to any party"
	}
	return "concludes " + strings.TrimSpace(outcome+" "+party)
}

// penaltySays names a penalty, with its text in rb when rb has it.
func penaltySays(rb *mechanism.Rulebook, id string) string {
	if rb != nil {
		for _, p := range rb.Penalties {
			if p.ID == id && p.Text != "" {
				return fmt.Sprintf("%s (%s)", id, p.Text)
			}
		}
	}
	return id
}

// andList joins l as "a", "a and b", "a, b and c".
func andList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

// NotifyCursor returns the index up to which events have been queued, and
// whether one was ever recorded.
func (db *DB) NotifyCursor(ctx context.Context) (int64, bool, error) {
	var c int64
	err := db.w.QueryRowContext(ctx, "SELECT cursor FROM notify_state WHERE id = 1").Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("couldn't read the notice cursor: %w", err)
	}
	return c, true, nil
}

// Delivery is one notice to one subscriber.
type Delivery struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Kind        string `json:"kind"`
	Index       int64  `json:"index"`
	Payload     []byte `json:"-"`
	Attempts    int    `json:"attempts"`
	NextAt      string `json:"next_at"`
	Status      string `json:"status"`
	LastError   string `json:"last_error"`
	CreatedAt   string `json:"created_at"`
	DeliveredAt string `json:"delivered_at"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Queue records deliveries and moves the notice cursor to cursor, in one
// transaction.
func (db *DB) Queue(ctx context.Context, ds []Delivery, cursor int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't queue notices: %w", err)
	}
	defer tx.Rollback()
	if err := insertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notify_state (id, cursor) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor`, cursor); err != nil {
		return fmt.Errorf("couldn't move the notice cursor: %w", err)
	}
	return tx.Commit()
}

// DueDeliveries returns pending deliveries due at or before now.
func (db *DB) DueDeliveries(ctx context.Context, now string, limit int) ([]Delivery, error) {
	return db.deliveries(ctx, "WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?", now, limit)
}

// Deliveries returns the latest deliveries, newest first: the delivery log.
func (db *DB) Deliveries(ctx context.Context, limit int) ([]Delivery, error) {
	return db.deliveries(ctx, "ORDER BY id DESC LIMIT ?", limit)
}

func (db *DB) deliveries(ctx context.Context, where string, args ...any) ([]Delivery, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, url, kind, idx, payload, attempts, next_at, status, last_error, created_at, delivered_at
		FROM deliveries `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("couldn't read deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.URL, &d.Kind, &d.Index, &d.Payload, &d.Attempts, &d.NextAt, &d.Status, &d.LastError, &d.CreatedAt, &d.DeliveredAt); err != nil {
			return nil, fmt.Errorf("couldn't read deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateDelivery records the outcome of an attempt.
func (db *DB) UpdateDelivery(ctx context.Context, d Delivery) error {
	_, err := db.w.ExecContext(ctx, `UPDATE deliveries SET attempts = ?, next_at = ?, status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
		d.Attempts, d.NextAt, d.Status, d.LastError, d.DeliveredAt, d.ID)
	if err != nil {
		return fmt.Errorf("couldn't record delivery %d: %w", d.ID, err)
	}
	return nil
}

func parseBodies(s string) []string {
	var out []string
	for _, b := range jsonStrings(s) {
		if b != "" {
			out = append(out, b)
		}
	}
	return out
}

// EventDeadlineNear is the kind of a deadline about to pass.
const EventDeadlineNear = "deadline_near"

// NearDeadlines returns the open deadlines due between now and until
// whose nearing has not been notified yet.
func (db *DB) NearDeadlines(ctx context.Context, now, until string) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT d.opened, d.subject, d.bodies, d.name, d.due FROM deadlines d
		WHERE d.status = 'open' AND d.due > ? AND d.due <= ?
		AND NOT EXISTS (SELECT 1 FROM notified_due n WHERE n.opened = d.opened AND n.name = d.name)
		ORDER BY d.due`, now, until)
	if err != nil {
		return nil, fmt.Errorf("couldn't read deadlines: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var bodies string
		if err := rows.Scan(&e.Index, &e.Case, &bodies, &e.Text, &e.Due); err != nil {
			return nil, fmt.Errorf("couldn't read deadlines: %w", err)
		}
		e.Kind, e.Bodies, e.At = EventDeadlineNear, parseBodies(bodies), now
		out = append(out, e)
	}
	return out, rows.Err()
}

// QueueNear records deliveries of nearing deadlines and that they were
// notified, in one transaction.
func (db *DB) QueueNear(ctx context.Context, ds []Delivery, near []Event) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't queue notices: %w", err)
	}
	defer tx.Rollback()
	if err := insertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	for _, e := range near {
		if _, err := tx.ExecContext(ctx, "INSERT INTO notified_due (opened, name) VALUES (?, ?) ON CONFLICT DO NOTHING", e.Index, e.Text); err != nil {
			return fmt.Errorf("couldn't record a notified deadline: %w", err)
		}
	}
	return tx.Commit()
}

// insertDeliveries queues ds, pending, in tx.
func insertDeliveries(ctx context.Context, tx *sql.Tx, ds []Delivery) error {
	for _, d := range ds {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (url, kind, idx, payload, attempts, next_at, status, last_error, created_at, delivered_at)
			VALUES (?, ?, ?, ?, 0, ?, 'pending', '', ?, '')`, d.URL, d.Kind, d.Index, d.Payload, d.NextAt, d.CreatedAt)
		if err != nil {
			return fmt.Errorf("couldn't queue a notice: %w", err)
		}
	}
	return nil
}
