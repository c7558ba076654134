package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// Row is one row of a view, by column name. Columns holding JSON lists are
// json.RawMessage; NULL is nil.
type Row map[string]any

// jsonColumns are the view columns that hold JSON arrays.
var jsonColumns = map[string]bool{
	"categories": true, "clauses": true, "signers": true, "allowed": true, "bodies": true, "agenda": true,
	"source": true, "technical": true, "content": true, "visibility": true,
	"names": true, "aliases": true, "labels": true, "positions": true,
}

func scanRows(rows *sql.Rows) ([]Row, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []Row{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(Row, len(cols))
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if s, ok := v.(string); ok && jsonColumns[c] {
				v = json.RawMessage(s)
			}
			r[c] = v
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Case returns the case with id, or ErrNotFound.
func (db *DB) Case(ctx context.Context, id int64) (Row, error) {
	return db.one(ctx, "cases", "id", id)
}

// Statement returns the statements row of the entry at idx, or
// ErrNotFound.
func (db *DB) Statement(ctx context.Context, idx int64) (Row, error) {
	return db.one(ctx, "statements", "idx", idx)
}

// Sealed returns the sealed row of the entry at idx, or ErrNotFound.
func (db *DB) Sealed(ctx context.Context, idx int64) (Row, error) {
	return db.one(ctx, "sealed", "idx", idx)
}

// one returns the row of a list whose key column is id.
func (db *DB) one(ctx context.Context, list, key string, id int64) (Row, error) {
	l, _ := ListNamed(list)
	rows, err := db.r.QueryContext(ctx, "SELECT "+l.columns+" FROM "+l.from+" WHERE "+key+" = ?", id)
	if err != nil {
		return nil, fmt.Errorf("couldn't read %s %d: %w", list, id, err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't read %s %d: %w", list, id, err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out[0], nil
}

// History returns every statement about a case, oldest first: its index,
// kind, author, body, time and the statement's text as it was signed.
func (db *DB) History(ctx context.Context, caseID int64) ([]Row, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT s.idx, s.kind, s.author, s.body, s.at
		FROM case_statements c JOIN statements s ON s.idx = c.idx
		WHERE c.case_id = ? ORDER BY c.idx`, caseID)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the history of case %d: %w", caseID, err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the history of case %d: %w", caseID, err)
	}
	for _, r := range out {
		idx, _ := r["idx"].(int64)
		data, err := db.log.Entry(ctx, idx)
		if err != nil {
			return nil, fmt.Errorf("couldn't read the history of case %d: %w", caseID, err)
		}
		r["data"] = string(data)
	}
	return out, nil
}

// Counts are a body's cases, each event once: a case linked as a
// duplicate of another is counted under the case that stands for it.
type Counts struct {
	Body string `json:"body"`
	// Reported are the cases the body opened; Accused those that accuse
	// it; Duplicates the cases it opened that are linked as duplicates,
	// which neither counts.
	Reported   int64 `json:"reported"`
	Accused    int64 `json:"accused"`
	Duplicates int64 `json:"duplicates"`
}

// Counts returns, for every body that reported a case or is accused in
// one, its counts, by body.
func (db *DB) Counts(ctx context.Context) ([]Counts, error) {
	c, _, err := db.counts(ctx, false)
	return c, err
}

// CaseCounts are the cases, each event once (not those linked as
// duplicates of another), by category, status and stage: what the case
// list shows, counted, for each value of its filters category, status
// and stage with distinct=true.
type CaseCounts struct {
	ByCategory map[string]int64 `json:"by_category"`
	ByStatus   map[string]int64 `json:"by_status"`
	ByStage    map[string]int64 `json:"by_stage"`
}

// CaseCounts counts the cases, each event once, by category, status and
// stage.
func (db *DB) CaseCounts(ctx context.Context) (CaseCounts, error) {
	_, c, err := db.counts(ctx, true)
	return c, err
}

// AllCounts returns Counts and CaseCounts, read in one snapshot of the
// views.
func (db *DB) AllCounts(ctx context.Context) ([]Counts, CaseCounts, error) {
	return db.counts(ctx, true)
}

// counts reads every case once, grouped by what Counts and CaseCounts
// count it by, and sums the groups; and, if categories, the cases again
// by category: two reads of the cases, where each count apart took five.
func (db *DB) counts(ctx context.Context, categories bool) ([]Counts, CaseCounts, error) {
	c := CaseCounts{ByCategory: map[string]int64{}, ByStatus: map[string]int64{}, ByStage: map[string]int64{}}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, c, fmt.Errorf("couldn't count the cases: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT reporter, accused, duplicate_of IS NOT NULL, status, stage, COUNT(*) FROM cases GROUP BY 1, 2, 3, 4, 5`)
	if err != nil {
		return nil, c, fmt.Errorf("couldn't count the cases: %w", err)
	}
	defer rows.Close()
	bodies := map[string]*Counts{}
	body := func(b string) *Counts {
		if bodies[b] == nil {
			bodies[b] = &Counts{Body: b}
		}
		return bodies[b]
	}
	for rows.Next() {
		var reporter, accused, status, stage string
		var duplicate bool
		var n int64
		if err := rows.Scan(&reporter, &accused, &duplicate, &status, &stage, &n); err != nil {
			return nil, c, fmt.Errorf("couldn't count the cases: %w", err)
		}
		// A body accused only in duplicates is listed, with none.
		r := body(reporter)
		var a *Counts
		if accused != "" {
			a = body(accused)
		}
		if duplicate {
			r.Duplicates += n
			continue
		}
		r.Reported += n
		if a != nil {
			a.Accused += n
		}
		c.ByStatus[status] += n
		c.ByStage[stage] += n
	}
	if err := rows.Err(); err != nil {
		return nil, c, fmt.Errorf("couldn't count the cases: %w", err)
	}
	out := make([]Counts, 0, len(bodies))
	for _, b := range slices.Sorted(maps.Keys(bodies)) {
		out = append(out, *bodies[b])
	}
	if categories {
		if err := tallyCases(ctx, tx, `SELECT k.category, COUNT(*) FROM case_categories k JOIN cases c ON c.id = k.case_id WHERE c.duplicate_of IS NULL GROUP BY k.category`, c.ByCategory); err != nil {
			return nil, c, err
		}
	}
	return out, c, nil
}

func tallyCases(ctx context.Context, tx *sql.Tx, q string, into map[string]int64) error {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("couldn't count the cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("couldn't count the cases: %w", err)
		}
		into[k] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't count the cases: %w", err)
	}
	return nil
}

// Count returns the number of rows in the named view.
func (db *DB) Count(ctx context.Context, view string) (int64, error) {
	l, ok := ListNamed(view)
	if !ok {
		return 0, fmt.Errorf("no view %q", view)
	}
	var n int64
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.from).Scan(&n); err != nil {
		return 0, fmt.Errorf("couldn't count %s: %w", view, err)
	}
	return n, nil
}

// TokenMember returns the member an API token is bound to, given the
// SHA-256 of its secret, if the token is neither revoked nor expired at
// now and its member is still active; ErrNotFound otherwise.
func (db *DB) TokenMember(ctx context.Context, sha string, now string) (member, body string, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT t.member, m.body FROM tokens t JOIN members m ON m.name = t.member
		WHERE t.sha256 = ? AND t.revoked IS NULL AND t.expires > ? AND m.active = 1`, sha, now).Scan(&member, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("couldn't look up a token: %w", err)
	}
	return member, body, nil
}

// SealedBody returns the confidential body and salt of the sealed statement
// at idx, or ErrNotFound.
func (db *DB) SealedBody(ctx context.Context, idx int64) (salt, body []byte, err error) {
	err = db.r.QueryRowContext(ctx, "SELECT salt, body FROM sealed_bodies WHERE idx = ?", idx).Scan(&salt, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("couldn't read sealed body %d: %w", idx, err)
	}
	return salt, body, nil
}

// Notice is one item of a body's inbox.
type Notice struct {
	Kind  string `json:"kind"`
	Case  int64  `json:"case"`
	Index int64  `json:"index"`
	At    string `json:"at"`
	Text  string `json:"text"`
	// Due and Status are a deadline's: the one told, or for a finding the
	// window to reply it opened.
	Due    string `json:"due,omitempty"`
	Status string `json:"status,omitempty"`
}

// Notice kinds.
const (
	NoticeAllegation  = "allegation"
	NoticeReply       = "reply"
	NoticeDeadline    = "deadline"
	NoticePublished   = "published"
	NoticeFinding     = EventFinding
	NoticeEndorsement = EventEndorsement
	NoticePenalty     = EventPenalty
	NoticeReplyWindow = EventReplyWindow
	// NoticePossibleDuplicate tells the filer of a report, and the
	// monitors, that it may report an open case's event again.
	NoticePossibleDuplicate = EventPossibleDuplicate
)

// Inbox lists what the members of body must know, newest first: cases that
// accuse it, replies on the cases it reported, deadlines that bind it and
// are open or missed, cases that reached rb's last stage, and the
// findings, endorsements, penalties and reply windows that concern it, as
// the core told them (the events view), each with its window to reply as
// it stands; and, for a mediator body, witnesses' refusals of the log's
// checkpoints (indexed by the refused checkpoint's last entry).
func (db *DB) Inbox(ctx context.Context, body string, rb *mechanism.Rulebook, limit int) ([]Notice, error) {
	rows, err := db.r.QueryContext(ctx, `
		SELECT ?4, c.id, c.id, c.opened_at, c.reporter || ': ' || c.summary, '', '' FROM cases c WHERE c.accused = ?1
		UNION ALL
		SELECT ?5, c.id, s.idx, s.at, s.author || ' replied on case ' || c.id, '', ''
			FROM cases c JOIN case_statements h ON h.case_id = c.id JOIN statements s ON s.idx = h.idx
			WHERE c.reporter = ?1 AND s.kind = 'reply'
		UNION ALL
		SELECT ?6, d.subject, d.opened, s.at, d.name, d.due, d.status
			FROM deadlines d JOIN statements s ON s.idx = d.opened
			WHERE d.status IN ('open', 'missed') AND EXISTS (SELECT 1 FROM json_each(d.bodies) WHERE value = ?1)
		UNION ALL
		SELECT ?7, c.id, c.stage_idx, s.at, c.outcome || ' ' || c.party || ': ' || c.summary, '', ''
			FROM cases c JOIN statements s ON s.idx = c.stage_idx WHERE c.stage = ?2
		ORDER BY 3 DESC, 1 LIMIT ?3`, body, lastStage(rb), limit, NoticeAllegation, NoticeReply, NoticeDeadline, NoticePublished)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the inbox of %s: %w", body, err)
	}
	defer rows.Close()
	out := []Notice{}
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
	ds, err := db.decisionNotices(ctx, body, limit)
	if err != nil {
		return nil, err
	}
	out = append(out, ds...)
	ws, err := db.witnessNotices(ctx, body, rb, limit)
	if err != nil {
		return nil, err
	}
	out = append(out, ws...)
	slices.SortStableFunc(out, func(a, b Notice) int {
		return cmp.Or(cmp.Compare(b.Index, a.Index), cmp.Compare(a.Kind, b.Kind))
	})
	return out[:min(len(out), limit)], nil
}

// lastStage returns the id of rb's last stage, or "".
func lastStage(rb *mechanism.Rulebook) string {
	if rb == nil {
		return ""
	}
	return rb.Published()
}

// jsonStrings decodes a JSON array of strings, or gives none.
func jsonStrings(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	return out
}

// Registration is the statement that first registered an evidence file,
// which decides who may have the file.
type Registration struct {
	Index int64
	Name  string // the file's name as registered
	// Sealed says the registration is a sealed statement's body, readable
	// by Body (its author's) and Visibility, until it is Disclosed.
	Sealed     bool
	Body       string
	Visibility []string
	Disclosed  bool
}

// FirstRegistration returns the statement that first registered the file
// with the given SHA-256, public or sealed, or ErrNotFound. A later
// statement naming the same hash grants nothing.
func (db *DB) FirstRegistration(ctx context.Context, sha string) (*Registration, error) {
	var r Registration
	var visibility string
	err := db.r.QueryRowContext(ctx, `
		SELECT idx, name, 0, '', '[]', 0 FROM evidence WHERE sha256 = ?1
		UNION ALL
		SELECT s.idx, COALESCE(json_extract(CAST(b.body AS TEXT), '$.name'), ''), 1, s.body, s.visibility, s.disclosed IS NOT NULL
			FROM sealed s JOIN sealed_bodies b ON b.idx = s.idx
			WHERE s.sealed_kind = 'evidence' AND json_extract(CAST(b.body AS TEXT), '$.sha256') = ?1
		ORDER BY 1 LIMIT 1`, sha).Scan(&r.Index, &r.Name, &r.Sealed, &r.Body, &visibility, &r.Disclosed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't look up the registration of evidence %s: %w", sha, err)
	}
	r.Visibility = jsonStrings(visibility)
	return &r, nil
}

// Rulebook returns the JSON of the rulebook in force: that of the latest
// rulebook statement in the log.
func (db *DB) Rulebook(ctx context.Context) ([]byte, error) {
	var idx int64
	err := db.r.QueryRowContext(ctx, `SELECT idx FROM statements WHERE kind = 'rulebook' ORDER BY idx DESC LIMIT 1`).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the rulebook: %w", err)
	}
	data, err := db.log.Entry(ctx, idx)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the rulebook: %w", err)
	}
	return data, nil
}

// Actor returns the registered actor with id, with its counts as the
// actor_registry list gives them, or ErrNotFound.
func (db *DB) Actor(ctx context.Context, id string) (Row, error) {
	l, _ := ListNamed("actor_registry")
	rows, err := db.r.QueryContext(ctx, "SELECT "+l.columns+" FROM "+l.from+" WHERE id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("couldn't read actor %q: %w", id, err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't read actor %q: %w", id, err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out[0], nil
}

// ActorClaims returns what actors said, in the order they said it (by
// the time of their words, then by log index), about a case when caseID
// is not negative, or else by one actor: each row an actor_claims row
// with the actor's type and names from the registry.
func (db *DB) ActorClaims(ctx context.Context, caseID int64, actor string) ([]Row, error) {
	where, arg := "c.case_id = ?", any(caseID)
	if caseID < 0 {
		where, arg = "c.actor = ?", actor
	}
	rows, err := db.r.QueryContext(ctx, `SELECT c.*, r.type, r.names FROM actor_claims c JOIN actor_registry r ON r.id = c.actor
		WHERE `+where+` ORDER BY c.said_at, c.idx`, arg)
	if err != nil {
		return nil, fmt.Errorf("couldn't read what actors said: %w", err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't read what actors said: %w", err)
	}
	return out, nil
}

// AddedPlace is a place that a place statement added to the gazetteer, as
// the places view holds it.
type AddedPlace struct {
	// Index is the statement that added it; Body and Author who did.
	Index        int64
	ID, Name     string
	Names        map[string]string
	Aliases      []string
	Lat, Lon     float64
	GeoPrecision int
	Type         string
	Admin        []mechanism.AdminUnit
	Source       string
	Body, Author string
}

// AddedPlaces returns the places added by the statements after index
// after, in log order.
func (db *DB) AddedPlaces(ctx context.Context, after int64) ([]AddedPlace, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT idx, id, name, names, aliases, lat, lon, geo_precision, type, admin, source_note, body, author
		FROM places WHERE idx > ? ORDER BY idx`, after)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the added places: %w", err)
	}
	defer rows.Close()
	var out []AddedPlace
	for rows.Next() {
		var p AddedPlace
		var names, aliases, admin string
		if err := rows.Scan(&p.Index, &p.ID, &p.Name, &names, &aliases, &p.Lat, &p.Lon, &p.GeoPrecision, &p.Type, &admin, &p.Source, &p.Body, &p.Author); err != nil {
			return nil, fmt.Errorf("couldn't read the added places: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(names), &p.Names), json.Unmarshal([]byte(aliases), &p.Aliases), json.Unmarshal([]byte(admin), &p.Admin)); err != nil {
			return nil, fmt.Errorf("couldn't read the added place %q: %w", p.ID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the added places: %w", err)
	}
	return out, nil
}

// Member is a member as the views hold it.
type Member struct {
	Name  string   `json:"name"`
	Body  string   `json:"body"`
	Roles []string `json:"roles"`
	Label string   `json:"label"`
	// Key is the member's current verifier key, or its last one once
	// revoked.
	Key    string `json:"key"`
	Active bool   `json:"active"`
	// Enrolled is the log index that enrolled the member (0 for the
	// rulebook); Revoked the one that revoked it, if any.
	Enrolled int64  `json:"enrolled"`
	Revoked  *int64 `json:"revoked,omitempty"`
}

// Member returns the member named name, or ErrNotFound.
func (db *DB) Member(ctx context.Context, name string) (Member, error) {
	var m Member
	var roles string
	var revoked sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT name, body, roles, label, key, active, enrolled, revoked FROM members WHERE name = ?`, name).
		Scan(&m.Name, &m.Body, &roles, &m.Label, &m.Key, &m.Active, &m.Enrolled, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("couldn't read member %q: %w", name, err)
	}
	m.Roles = []string{}
	if roles != "" {
		m.Roles = strings.Split(roles, ",")
	}
	if revoked.Valid {
		m.Revoked = &revoked.Int64
	}
	return m, nil
}
