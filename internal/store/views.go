package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// ViewTables are the tables fed from the log, in the order the digest reads
// them, each with the columns that order its rows.
var ViewTables = []struct{ Name, Order string }{
	{"members", "name"},
	{"statements", "idx"},
	{"cases", "id"},
	{"case_categories", "category, case_id"},
	{"case_bodies", "body, case_id"},
	{"case_statements", "case_id, idx"},
	{"claims", "idx, measure, party, actor, country"},
	{"findings", "idx"},
	{"penalties", "idx"},
	{"actors", "actor, body, label"},
	{"crossings", "crossing, side"},
	{"crossing_events", "idx"},
	{"commitments", "idx"},
	{"actions", "idx"},
	{"deadlines", "opened, name"},
	{"meetings", "idx"},
	{"publications", "idx"},
	{"evidence", "sha256"},
	{"custody", "idx"},
	{"verifications", "idx"},
	{"tokens", "sha256"},
	{"sealed", "idx"},
	{"events", "idx, seq"}, {"event_bodies", "body, told, idx, seq"},
	{"actor_registry", "id"},
	{"actor_claims", "idx"},
	{"case_actors", "actor, case_id"},
	{"replies", "idx"},
	{"places", "id"},
	{"links", "idx"},
	{"case_counts", "hour, reporter, category, standing"},
	{"standing_counts", "standing"},
}

// writes are the statements a Tx runs, prepared once on the writer
// connection of their database: the log's for those in logWrite, the
// views' for the rest. withInserts adds the inserts.
var writes = withInserts(map[string]string{
	"leaf": "SELECT idx FROM log_entries WHERE leaf_hash = ?",
	"checkpoint": `INSERT INTO log_checkpoint (id, size, signed) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, signed = excluded.signed`,
	"member": `INSERT INTO members (name, body, roles, label, key, active, enrolled, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET body = excluded.body, roles = excluded.roles, label = excluded.label,
		key = excluded.key, active = excluded.active, enrolled = excluded.enrolled, revoked = excluded.revoked`,
	"case.update": `UPDATE cases SET stage = ?, stage_idx = ?, report_count = ?, reply_count = ?, finding = ?, outcome = ?, party = ?,
		endorsed = ?, penalty_count = ?, deadlines_missed = ?, updated = ?, duplicate_of = ?, status = ?, closed = ?, closed_reason = ?, standing = ? WHERE id = ?`,
	"endorse": "UPDATE findings SET endorsed = ? WHERE idx = ?",
	// A confidential finding enters the findings view when its endorsement
	// discloses it, with the signers of its sealed statement.
	"finding.disclosed": `INSERT INTO findings (idx, case_id, outcome, party, confidence, rationale, clauses, rulebook_version, signers, endorsed)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, signers, ? FROM statements WHERE idx = ?`,
	"verified": "UPDATE evidence SET verified = ?, verified_idx = ? WHERE sha256 = ?",
	"revoke":   "UPDATE tokens SET revoked = ? WHERE sha256 = ?",
	"disclose": "UPDATE sealed SET disclosed = ?, disclosure = ? WHERE idx = ?",
	// An unlink marks the link between two cases that it removes: the one
	// that stood before it, and never a link filed after it that the same
	// batch inserts before its updates run.
	"unlink": `UPDATE links SET unlinked = ?, unlink_text = ? WHERE unlinked IS NULL AND idx < ?
		AND (case_id = ? AND other = ? OR case_id = ? AND other = ?)`,

	// The events' writes that read other views' rows (events.go).
	"event.published": eventWrites["event.published"], "event.earlier": eventWrites["event.earlier"],
})

// insert is an INSERT that a Tx queues until it commits: head, then rows
// of cols placeholders, then tail.
type insert struct {
	name, head, tail string
	cols             int
}

// maxRows is the most rows one statement of ins writes: a power of two,
// at most 64, and at most 1,000 parameters.
func (ins insert) maxRows() int {
	n := 1
	for n*2 <= 64 && n*2*ins.cols <= 1000 {
		n *= 2
	}
	return n
}

// sql is ins for rows rows.
func (ins insert) sql(rows int) string {
	row := "(?" + strings.Repeat(", ?", ins.cols-1) + ")"
	return ins.head + row + strings.Repeat(", "+row, rows-1) + ins.tail
}

// insertName names the write of ins for rows rows.
func insertName(ins insert, rows int) string {
	return "insert " + ins.name + " " + strconv.Itoa(rows)
}

// withInserts adds to w every insert for 1, 2, 4 … rows, up to its
// maxRows.
func withInserts(w map[string]string) map[string]string {
	for _, ins := range inserts {
		for rows := 1; rows <= ins.maxRows(); rows *= 2 {
			w[insertName(ins, rows)] = ins.sql(rows)
		}
	}
	return w
}

// logWrite names the writes of the log's database: its query, its
// checkpoint and its inserts.
var logWrite = func() map[string]bool {
	m := map[string]bool{"leaf": true, "checkpoint": true}
	log := map[string]bool{"entry": true, "hash": true, "sealed.body": true}
	for _, ins := range inserts {
		for rows := 1; log[ins.name] && rows <= ins.maxRows(); rows *= 2 {
			m[insertName(ins, rows)] = true
		}
	}
	return m
}()

// inserts are written at Commit, in this order, after the whole batch has
// been applied: a case or deadline that changed several times in a batch is
// then written once, in its final state.
var inserts = []insert{
	{"entry", "INSERT INTO log_entries (idx, leaf_hash, data, logged_at) VALUES ", "", 4},
	{"hash", "INSERT INTO log_hashes (id, hash) VALUES ", "", 2},
	{"statement", "INSERT INTO statements (idx, kind, author, body, at, signers) VALUES ", "", 6},
	{"case", `INSERT INTO cases (id, opened_at, reporter, accused, channel, event_at, event_precision,
		event_type, sub_event_type, categories, place_id, place_name, lat, lon, geo_precision, summary,
		admin_country, admin1, admin2, admin3, stage, stage_idx, report_count, reply_count, finding, outcome, party, endorsed, penalty_count, deadlines_missed, updated, duplicate_of,
		status, closed, closed_reason, standing) VALUES `, "", 36},
	// The counts of the cases opened, by countNewCases: added to those of
	// the cases before.
	{"case.count", "INSERT INTO case_counts (hour, reporter, category, standing, n) VALUES ",
		" ON CONFLICT (hour, reporter, category, standing) DO UPDATE SET n = n + excluded.n", 5},
	{"standing.count", "INSERT INTO standing_counts (standing, n) VALUES ", " ON CONFLICT (standing) DO UPDATE SET n = n + excluded.n", 2},
	{"case.category", "INSERT INTO case_categories (category, case_id) VALUES ", "", 2},
	{"case.body", "INSERT INTO case_bodies (body, case_id) VALUES ", " ON CONFLICT DO NOTHING", 2},
	{"case.statement", "INSERT INTO case_statements (case_id, idx) VALUES ", "", 2},
	{"claim", "INSERT INTO claims (idx, measure, party, actor, country, case_id, body, kind, low, best, high) VALUES ", "", 11},
	{"finding", "INSERT INTO findings (idx, case_id, outcome, party, confidence, rationale, clauses, rulebook_version, signers, endorsed) VALUES ", "", 10},
	{"penalty", "INSERT INTO penalties (idx, case_id, finding, penalty, party, text) VALUES ", "", 6},
	{"commitment", "INSERT INTO commitments (idx, body, actor, label, place, deadline, text, deadline_precision) VALUES ", "", 8},
	{"action", "INSERT INTO actions (idx, body, commitment, actor, label, place, at, text, verifies, result, time_precision) VALUES ", "", 11},
	{"crossing.event", "INSERT INTO crossing_events (idx, crossing, status, allowed, since, body, text, side, since_precision) VALUES ", "", 9},
	{"meeting", "INSERT INTO meetings (idx, round, place, start, end, bodies, agenda, outcome, start_precision, end_precision) VALUES ", "", 10},
	{"publication", "INSERT INTO publications (idx, title, sha256, size, period_from, period_to, url) VALUES ", "", 7},
	{"evidence", `INSERT INTO evidence (sha256, idx, case_id, size, media_type, name, collector, tool, source_url, captured_at,
		place_name, lat, lon, body, verified, verified_idx) VALUES `, "", 16},
	{"sealed", "INSERT INTO sealed (idx, author, body, sealed_kind, visibility, digest, disclosed, disclosure) VALUES ", "", 8},
	{"sealed.body", "INSERT INTO sealed_bodies (idx, salt, body) VALUES ", "", 3},
	{"token", "INSERT INTO tokens (sha256, member, label, issued, expires, revoked) VALUES ", "", 6},
	{"custody", "INSERT INTO custody (idx, sha256, event, from_, to_, note, body) VALUES ", "", 7},
	{"verification", "INSERT INTO verifications (idx, sha256, analyst, date, source, technical, content, result, body) VALUES ", "", 9},
	// Upserts: rows with the same key apply in order, as SQLite runs them.
	{"actor", "INSERT INTO actors (actor, body, label, first, last, mentions) VALUES ",
		" ON CONFLICT (actor, body, label) DO UPDATE SET last = excluded.last, mentions = mentions + 1", 6},
	// Each side's status of a crossing stands beside the other's.
	{"crossing", "INSERT INTO crossings (crossing, side, name, status, allowed, since, since_precision, idx, body) VALUES ",
		` ON CONFLICT (crossing, side) DO UPDATE SET name = excluded.name, status = excluded.status, allowed = excluded.allowed,
		since = excluded.since, since_precision = excluded.since_precision, idx = excluded.idx, body = excluded.body`, 9},
	{"deadline", "INSERT INTO deadlines (opened, name, subject, stage, bodies, due, status, closed) VALUES ",
		" ON CONFLICT (opened, name) DO UPDATE SET status = excluded.status, closed = excluded.closed", 8},
	eventInserts[0], eventInserts[1],
	{"actor.claim", `INSERT INTO actor_claims (idx, case_id, actor, position, speaker, medium, via, url, said_at, said_precision,
		language, words, translation, author, body) VALUES `, "", 15},
	{"reply", "INSERT INTO replies (idx, case_id, body, positions, language) VALUES ", "", 5},
	{"case.actor", "INSERT INTO case_actors (actor, case_id) VALUES ", " ON CONFLICT DO NOTHING", 2},
	// An actor statement adds the actor or, for one already added,
	// amends it: the body that added it and when stay.
	{"actor.entry", "INSERT INTO actor_registry (id, type, names, aliases, labels, note, body, added, amended) VALUES ",
		` ON CONFLICT (id) DO UPDATE SET type = excluded.type, names = excluded.names, aliases = excluded.aliases,
		labels = excluded.labels, note = excluded.note, amended = excluded.added`, 9},
	{"place", `INSERT INTO places (id, idx, name, names, aliases, lat, lon, geo_precision, type, admin, source_note, body, author)
		VALUES `, "", 13},
	{"link", "INSERT INTO links (idx, case_id, other, relation, stands, body, author, text, unlinked, unlink_text) VALUES ", "", 10},
}

// exec runs the named write now.
func (t *Tx) exec(name string, args ...any) error {
	if t.skip[name] {
		return nil
	}
	s, ok := t.stmts[name]
	if !ok {
		s = t.tx.StmtContext(t.ctx, t.writes[name])
		t.stmts[name] = s
	}
	_, err := s.ExecContext(t.ctx, args...)
	return err
}

// add queues a row of the named insert until flush.
func (t *Tx) add(name string, args ...any) {
	if t.skip[name] {
		return
	}
	t.rows[name] = append(t.rows[name], args...)
}

// flush writes what the transaction queued: rows, then the final state of
// the cases, deadlines and members that changed.
func (t *Tx) flush() error {
	var newCases map[int64]bool
	if len(t.newCases) > 0 {
		newCases = make(map[int64]bool, len(t.newCases))
		for _, nc := range t.newCases {
			newCases[nc.id] = true
			t.add("case", append(nc.cols, caseState(t.caseOrder[t.cases[nc.id]])...)...)
		}
		t.countNewCases()
	}
	for _, d := range t.deadlineOrder {
		t.add("deadline", d.Opened, d.Name, d.Subject, d.Stage, jsonList(d.Bodies), statement.FormatTime(d.Due), d.Status, nullIndex(d.Closed))
	}
	for _, ins := range inserts {
		if err := t.insertRows(ins, t.rows[ins.name]); err != nil {
			return fmt.Errorf("couldn't write %s rows: %w", ins.name, err)
		}
	}
	for _, u := range t.updates {
		if err := t.exec(u.name, u.args...); err != nil {
			return err
		}
	}
	for _, c := range t.caseOrder {
		if newCases[c.ID] {
			continue
		}
		st := caseState(c)
		if err := t.exec("case.update", append(st[:len(st):len(st)], c.ID)...); err != nil {
			return err
		}
	}
	for i := range t.memberOrder {
		if err := t.putMember(&t.memberOrder[i]); err != nil {
			return err
		}
	}
	t.reset()
	return nil
}

// insertRows writes the rows of args, many to a statement: the
// statement's work is then SQLite's per row, not the driver's per call.
// Upserts among them apply in order, as one statement per row would.
func (t *Tx) insertRows(ins insert, args []any) error {
	rows := ins.maxRows()
	for len(args) > 0 {
		for rows*ins.cols > len(args) {
			rows /= 2
		}
		if err := t.exec(insertName(ins, rows), args[:rows*ins.cols]...); err != nil {
			return err
		}
		args = args[rows*ins.cols:]
	}
	return nil
}

func (t *Tx) reset() {
	// Each insert keeps its slice, emptied, for the next batch's rows;
	// what the slices held is cleared, for the collector.
	for name, args := range t.rows {
		clear(args)
		t.rows[name] = args[:0]
	}
	clear(t.newCases)
	t.newCases = t.newCases[:0]
	clear(t.cases)
	clear(t.caseOrder)
	t.caseOrder = t.caseOrder[:0]
	clear(t.deadlines)
	clear(t.deadlineOrder)
	t.deadlineOrder = t.deadlineOrder[:0]
	clear(t.members)
	clear(t.memberOrder)
	t.memberOrder = t.memberOrder[:0]
	clear(t.updates)
	t.updates = t.updates[:0]
	clear(t.leaves)
}

// update is a write that flush runs after the inserts, in order.
type update struct {
	name string
	args []any
}

// pendingCase is a case opened in this transaction: its opening report's
// columns, to which flush adds its final workflow state, and what the
// dashboard's counts count it by.
type pendingCase struct {
	id         int64
	cols       []any
	hour       string // the first 13 characters of its event_at
	reporter   string
	categories []string
}

// countKey is a row of case_counts.
type countKey struct{ hour, reporter, category, standing string }

// countNewCases queues the counts of the cases this transaction opens, in
// their final state, as the trigger case_counts_insert of migration 0009
// counted each: a case not a duplicate counts once under the category "" and
// once under each other category it has, by the hour of its event, its
// reporter and its standing; and once by its standing alone.
func (t *Tx) countNewCases() {
	var keys []countKey
	counts := map[countKey]int64{}
	var standings []string
	byStanding := map[string]int64{}
	count := func(k countKey) {
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	for _, nc := range t.newCases {
		c := t.caseOrder[t.cases[nc.id]]
		if c.DuplicateOf >= 0 {
			continue
		}
		count(countKey{nc.hour, nc.reporter, "", c.Standing})
		for i, cat := range nc.categories {
			if cat != "" && !slices.Contains(nc.categories[:i], cat) {
				count(countKey{nc.hour, nc.reporter, cat, c.Standing})
			}
		}
		if byStanding[c.Standing] == 0 {
			standings = append(standings, c.Standing)
		}
		byStanding[c.Standing]++
	}
	for _, k := range keys {
		t.add("case.count", k.hour, k.reporter, k.category, k.standing, counts[k])
	}
	for _, st := range standings {
		t.add("standing.count", st, byStanding[st])
	}
}

// caseState is the workflow columns of a case, in the order of the "case"
// insert and of case.update.
func caseState(c mechanism.CaseState) []any {
	return []any{c.Stage, c.Entered, c.Reports, c.Replies, nullIndex(c.Finding), c.Outcome, c.Party,
		nullIndex(c.Endorsed), c.Penalties, c.DeadlinesMissed, c.Updated, nullIndex(c.DuplicateOf), c.Status, nullIndex(c.Closed), c.ClosedReason, c.Standing}
}

// jsonList encodes a list as a JSON array, [] for none.
func jsonList[T any](l []T) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func nullIndex(i int64) any {
	if i < 0 {
		return nil
	}
	return i
}

func nullPtr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// Project updates the views for statement st from e, what applying it did.
func (t *Tx) Project(e *mechanism.Effects, st *statement.Statement) error {
	if err := t.project(e, st); err != nil {
		return fmt.Errorf("couldn't update views for entry %d: %w", e.Index, err)
	}
	return nil
}

func (t *Tx) project(e *mechanism.Effects, st *statement.Statement) error {
	for _, m := range e.Members {
		if i, ok := t.members[m.Name]; ok {
			t.memberOrder[i] = m
			continue
		}
		t.members[m.Name] = len(t.memberOrder)
		t.memberOrder = append(t.memberOrder, m)
	}
	project, ok := projections[e.Kind]
	if !ok {
		return fmt.Errorf("no projection of the kind %q", e.Kind)
	}
	signers := jsonList(e.Signers)
	t.add("statement", e.Index, e.Kind, e.Author, e.Body, st.At, signers)
	project(t, e, st, signers)
	if !t.skip["event"] {
		t.projectEvents(e, st)
	}
	for _, id := range e.Subjects {
		t.add("case.statement", id, e.Index)
	}
	for _, c := range e.Cases {
		if i, ok := t.cases[c.ID]; ok {
			t.caseOrder[i] = c
			continue
		}
		t.cases[c.ID] = len(t.caseOrder)
		t.caseOrder = append(t.caseOrder, c)
	}
	for _, d := range e.Deadlines {
		if t.skip != nil && d.Name != auditDeadline {
			continue
		}
		k := deadlineKey{d.Opened, d.Name}
		if i, ok := t.deadlines[k]; ok {
			t.deadlineOrder[i] = d
			continue
		}
		t.deadlines[k] = len(t.deadlineOrder)
		t.deadlineOrder = append(t.deadlineOrder, d)
	}
	// Rebuilding a large log is one transaction: write as it goes.
	if len(t.rows["statement"]) >= 4096*6 {
		return t.flush()
	}
	return nil
}

type deadlineKey struct {
	opened int64
	name   string
}

// projection writes the view rows of one kind of statement: e's payload
// is that kind's; signers is e.Signers as the views store them.
type projection func(t *Tx, e *mechanism.Effects, st *statement.Statement, signers string)

// projections are the views' rows of each kind of statement, by kind. A
// kind without rows of its own (its members, cases and deadlines are
// written for every kind) projects nothing.
var projections = map[string]projection{
	mechanism.KindRulebook:       projectNothing,
	mechanism.KindMemberEnrol:    projectNothing,
	mechanism.KindMemberRevoke:   projectNothing,
	mechanism.KindKeyRotate:      projectNothing,
	mechanism.KindReport:         projectReport,
	mechanism.KindReply:          projectReply,
	mechanism.KindCaseAdvance:    projectNothing,
	mechanism.KindFinding:        projectFinding,
	mechanism.KindEndorsement:    projectEndorsement,
	mechanism.KindPenalty:        projectPenalty,
	mechanism.KindCommitment:     projectCommitment,
	mechanism.KindAction:         projectAction,
	mechanism.KindCrossingStatus: projectCrossingStatus,
	mechanism.KindMeeting:        projectMeeting,
	mechanism.KindPublication:    projectPublication,
	mechanism.KindEvidence:       projectEvidence,
	mechanism.KindVerification:   projectVerification,
	mechanism.KindTokenIssue:     projectTokenIssue,
	mechanism.KindTokenRevoke:    projectTokenRevoke,
	mechanism.KindSealed:         projectSealed,
	mechanism.KindDisclosure:     projectDisclosure,
	mechanism.KindActor:          projectActor,
	mechanism.KindActorClaim:     projectActorClaim,
	mechanism.KindPlace:          projectPlace,
	mechanism.KindCaseLink:       projectCaseLink,
	mechanism.KindCaseUnlink:     projectCaseUnlink,
	mechanism.KindCaseClose:      projectNothing,
}

func projectNothing(*Tx, *mechanism.Effects, *statement.Statement, string) {}

func projectReport(t *Tx, e *mechanism.Effects, st *statement.Statement, _ string) {
	p, idx := e.Payload.(*mechanism.Report), e.Index
	caseID := idx
	if p.Case != nil {
		caseID = *p.Case
	} else {
		// Times are stored in one form, so that they compare as text.
		event, _ := statement.ParseTime(p.Event.Time)
		var admin mechanism.AdminUnit
		if len(p.Place.Admin) > 0 {
			admin = p.Place.Admin[0]
		}
		eventAt := statement.FormatTime(event)
		t.newCases = append(t.newCases, pendingCase{idx, []any{idx, statement.FormatTime(st.Time), e.Body, p.Accused, p.Channel,
			eventAt, p.Event.Precision, p.EventType, p.SubEventType, jsonList(p.Categories), p.Place.ID,
			p.Place.Name, nullPtr(p.Place.Lat), nullPtr(p.Place.Lon), p.Place.GeoPrecision, p.Summary,
			admin.Country, admin.Admin1, admin.Admin2, admin.Admin3}, eventAt[:min(13, len(eventAt))], e.Body, p.Categories})
		for _, c := range p.Categories {
			t.add("case.category", c, idx)
		}
		for _, b := range []string{e.Body, p.Accused} {
			if b != "" {
				t.add("case.body", b, idx)
			}
		}
	}
	t.claims(idx, caseID, e.Body, e.Kind, p.Casualties)
	t.actors(idx, e.Body, p.Actors...)
	t.caseActors(caseID, p.Actors...)
}

func projectReply(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Reply)
	t.claims(e.Index, p.Case, e.Body, e.Kind, p.Casualties)
	t.actors(e.Index, e.Body, p.Actors...)
	t.caseActors(p.Case, p.Actors...)
	t.add("reply", e.Index, p.Case, e.Body, jsonList(p.Stances()), p.Language)
}

func projectActor(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.ActorEntry)
	t.add("actor.entry", p.ID, p.Type, jsonObject(p.Names), jsonList(p.Aliases), jsonObject(p.Labels), p.Note, e.Body, e.Index, nil)
}

func projectActorClaim(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.ActorClaim)
	src := &p.Source
	// Times are stored in one form, so that they compare as text.
	said, _ := statement.ParseTime(src.Time.Time)
	t.add("actor.claim", e.Index, p.Case, p.Actor, p.Position, p.Speaker, src.Medium, src.Via, src.URL, statement.FormatTime(said),
		src.Time.Precision, src.Language, src.Words, src.Translation, e.Author, e.Body)
	t.add("case.actor", p.Actor, p.Case)
}

func projectFinding(t *Tx, e *mechanism.Effects, _ *statement.Statement, signers string) {
	p := e.Payload.(*mechanism.Finding)
	t.add("finding", e.Index, p.Case, p.Outcome, p.Party, p.Confidence, p.Rationale, jsonList(p.Clauses), p.RulebookVersion, signers, nil)
}

func projectEndorsement(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p, idx := e.Payload.(*mechanism.Endorsement), e.Index
	if p.Body != nil {
		var f mechanism.Finding
		json.Unmarshal(p.Body, &f) // the core has decoded it strictly
		t.updates = append(t.updates,
			update{"finding.disclosed", []any{p.Finding, f.Case, f.Outcome, f.Party, f.Confidence, f.Rationale, jsonList(f.Clauses), f.RulebookVersion, idx, p.Finding}},
			update{"disclose", []any{idx, string(p.Body), p.Finding}})
		return
	}
	t.updates = append(t.updates, update{"endorse", []any{idx, p.Finding}})
}

func projectPenalty(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Penalty)
	t.add("penalty", e.Index, p.Case, p.Finding, p.Penalty, p.Party, p.Text)
}

func projectCommitment(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Commitment)
	place := ""
	if p.Place != nil {
		place = p.Place.Name
	}
	t.add("commitment", e.Index, e.Body, p.Group.ID, p.Group.Label, place, p.Deadline, p.Text, p.DeadlinePrecision)
	t.actors(e.Index, e.Body, p.Group)
}

func projectAction(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Action)
	var actor, label, place string
	if p.Group != nil {
		actor, label = p.Group.ID, p.Group.Label
		t.actors(e.Index, e.Body, *p.Group)
	}
	if p.Place != nil {
		place = p.Place.Name
	}
	t.add("action", e.Index, e.Body, nullPtr(p.Commitment), actor, label, place, p.Time, p.Text, nullPtr(p.Verifies), p.Result, p.TimePrecision)
}

func projectCrossingStatus(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.CrossingStatus)
	allowed := jsonList(p.Allowed)
	// The core sets Side to a party's own when it names none.
	t.add("crossing", p.Crossing, p.Side, p.Name, p.Status, allowed, p.Since, p.SincePrecision, e.Index, e.Body)
	t.add("crossing.event", e.Index, p.Crossing, p.Status, allowed, p.Since, e.Body, p.Text, p.Side, p.SincePrecision)
}

func projectPlace(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.AddedPlace)
	names, _ := json.Marshal(p.Names)
	if p.Names == nil {
		names = []byte("{}")
	}
	t.add("place", p.ID, e.Index, p.Name, string(names), jsonList(p.Aliases), *p.Lat, *p.Lon, p.GeoPrecision, p.Type,
		jsonList(p.Admin), p.Source, e.Body, e.Author)
}

func projectMeeting(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Meeting)
	t.add("meeting", e.Index, p.Round, p.Place, p.Start, p.End, jsonList(p.Bodies), jsonList(p.Agenda), p.Outcome, p.StartPrecision, p.EndPrecision)
}

func projectPublication(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Publication)
	t.add("publication", e.Index, p.Title, p.SHA256, p.Size, p.From, p.To, p.URL)
}

func projectEvidence(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p, idx := e.Payload.(*mechanism.Evidence), e.Index
	if p.Custody != nil {
		t.add("custody", idx, p.SHA256, p.Custody.Event, p.Custody.From, p.Custody.To, p.Custody.Note, e.Body)
	}
	if p.Size == 0 {
		return // custody only
	}
	var captured, place string
	var lat, lon any
	if p.Captured != nil {
		c, _ := statement.ParseTime(p.Captured.Time)
		captured = statement.FormatTime(c)
	}
	if p.Place != nil {
		place, lat, lon = p.Place.Name, nullPtr(p.Place.Lat), nullPtr(p.Place.Lon)
	}
	t.add("evidence", p.SHA256, idx, nullPtr(p.Case), p.Size, p.MediaType, p.Name, p.Collector, p.Tool, p.SourceURL, captured,
		place, lat, lon, e.Body, "", nil)
}

func projectVerification(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Verification)
	check := func(c mechanism.Check) string { b, _ := json.Marshal(c); return string(b) }
	t.add("verification", e.Index, p.Evidence, p.Analyst, p.Date, check(p.Source), check(p.Technical), check(p.Content), p.Result, e.Body)
	t.updates = append(t.updates, update{"verified", []any{p.Result, e.Index, p.Evidence}})
}

func projectTokenIssue(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.TokenIssue)
	exp, _ := statement.ParseTime(p.Expires)
	t.add("token", p.Token, e.Author, p.Label, e.Index, statement.FormatTime(exp), nil)
}

func projectTokenRevoke(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.TokenRevoke)
	t.updates = append(t.updates, update{"revoke", []any{e.Index, p.Token}})
}

func projectSealed(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Sealed)
	t.add("sealed", e.Index, e.Author, e.Body, p.SealedKind, jsonList(p.Visibility), p.Digest, nil, "")
}

func projectDisclosure(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.Disclosure)
	t.updates = append(t.updates, update{"disclose", []any{e.Index, string(p.Body), p.Sealed}})
}

func projectCaseLink(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.CaseLink)
	t.add("link", e.Index, p.Case, p.Other, p.Relation, nullPtr(p.Stands), e.Body, e.Author, p.Text, nil, "")
}

func projectCaseUnlink(t *Tx, e *mechanism.Effects, _ *statement.Statement, _ string) {
	p := e.Payload.(*mechanism.CaseUnlink)
	t.updates = append(t.updates, update{"unlink", []any{e.Index, p.Text, e.Index, p.Case, p.Other, p.Other, p.Case}})
}

// claims writes each figure of c as a row of its own: every side's and
// every filer's figures stay apart, never merged.
func (t *Tx) claims(idx, caseID int64, body, kind string, c *mechanism.Casualties) {
	for i, f := range c.Splits() {
		if f != nil {
			t.add("claim", idx, mechanism.Measures[i], "", "", "", caseID, body, kind, f.Low, f.Best, f.High)
		}
	}
	if c == nil {
		return
	}
	for _, f := range c.Sides {
		t.add("claim", idx, f.Measure, f.Party, f.Actor, f.Country, caseID, body, kind, nullPtr(f.Low), *f.Best, nullPtr(f.High))
	}
}

func (t *Tx) actors(idx int64, body string, l ...mechanism.Actor) {
	for _, a := range l {
		t.add("actor", a.ID, body, a.Label, idx, idx, 1)
	}
}

// caseActors records that case names each actor of l.
func (t *Tx) caseActors(caseID int64, l ...mechanism.Actor) {
	for _, a := range l {
		t.add("case.actor", a.ID, caseID)
	}
}

// jsonObject encodes a map as a JSON object, {} for none; encoding/json
// writes its keys in order.
func jsonObject(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (t *Tx) putMember(m *mechanism.Member) error {
	active := 0
	if m.Active() {
		active = 1
	}
	return t.exec("member", m.Name, m.Body, strings.Join(m.Roles, ","), m.Label, m.Key.VKey, active, m.Enrolled, nullIndex(m.Revoked))
}

// PutSealedBody keeps the confidential body of the sealed statement at
// idx, and its salt, beside the log.
func (t *Tx) PutSealedBody(idx int64, salt, body []byte) error {
	t.add("sealed.body", idx, salt, body)
	return nil
}

// Digest returns the log size the views reflect and the SHA-256 of a
// canonical dump of every view: for each table of ViewTables in order, its
// name and then each row, in order, as its column values in brackets,
// separated by commas, text quoted as strconv.Quote quotes it, one per
// line. Equal digests mean equal views. It reads one snapshot, so
// a server may keep writing meanwhile.
func (db *DB) Digest(ctx context.Context) (int64, [32]byte, error) {
	digest, err := db.BeginDigest(ctx)
	if err != nil {
		return 0, [32]byte{}, err
	}
	return digest()
}

// BeginDigest takes the snapshot of the views that Digest reads, and
// returns the function that reads it and returns the digest, which it
// must call once. Views that are switched meanwhile leave its digest that
// of the views before.
func (db *DB) BeginDigest(ctx context.Context) (func() (int64, [32]byte, error), error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the views: %w", err)
	}
	// The entries the views hold, in the same snapshot as their rows:
	// the follower may be behind the log. The first read takes the
	// snapshot.
	var size int64
	err = tx.QueryRowContext(ctx, "SELECT cursor FROM views_state WHERE id = 1").Scan(&size)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		tx.Rollback()
		return nil, fmt.Errorf("couldn't read the views' cursor: %w", err)
	}
	return func() (int64, [32]byte, error) {
		defer tx.Rollback()
		h := sha256.New()
		for _, v := range ViewTables {
			if err := dumpTable(ctx, tx, v.Name, v.Order, h); err != nil {
				return 0, [32]byte{}, err
			}
		}
		var out [32]byte
		h.Sum(out[:0])
		return size, out, nil
	}, nil
}

// dumpTable writes the canonical dump of a view to w. SQLite makes each
// row's line itself, with rowLine: the driver takes a lock for every
// column it reads, and once a row is less work than once a value (the
// digest of a million entries' views took a fifth less CPU).
func dumpTable(ctx context.Context, tx *sql.Tx, name, order string, w io.Writer) error {
	fmt.Fprintf(w, "%s\n", name)
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+name+" LIMIT 0")
	if err != nil {
		return fmt.Errorf("couldn't read view %s: %w", name, err)
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return fmt.Errorf("couldn't read view %s: %w", name, err)
	}
	for i, c := range cols {
		cols[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
	}
	rows, err = tx.QueryContext(ctx, "SELECT "+rowLineFunc+"("+strings.Join(cols, ", ")+") FROM "+name+" ORDER BY "+order)
	if err != nil {
		return fmt.Errorf("couldn't read view %s: %w", name, err)
	}
	defer rows.Close()
	var line sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("couldn't read view %s: %w", name, err)
		}
		w.Write(line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read view %s: %w", name, err)
	}
	return nil
}

// rowLineFunc is the SQL function, on every connection of the views'
// driver, that gives a row's line in the digest: its values in the
// canonical form, between brackets, separated by commas, and a newline.
const rowLineFunc = "sulh_row_line"

// rowLine is rowLineFunc. Its text and blob arguments are SQLite's own
// memory, valid only for the call: their bytes are copied into the line.
var rowLine = &sqlite.FunctionImpl{
	NArgs:         -1,
	Deterministic: true,
	VolatileArgs:  true,
	Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		line := make([]byte, 0, 128)
		line = append(line, '[')
		for i, x := range args {
			if i > 0 {
				line = append(line, ',')
			}
			line = appendValue(line, x)
		}
		return append(line, "]\n"...), nil
	},
}

// appendValue appends a column value in the digest's canonical form.
func appendValue(b []byte, x any) []byte {
	switch x := x.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case string:
		return appendQuoted(b, x)
	case []byte:
		return appendQuoted(b, x)
	default:
		return strconv.AppendQuote(b, fmt.Sprint(x))
	}
}

// appendQuoted appends s quoted, as strconv.AppendQuote does. Most of the
// views' text is printable ASCII with no quote or backslash, which that
// quotes as it is, and so does this, without working out rune by rune
// whether each is printable: the digest of a million entries' views read
// a third of its time there.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, string(s))
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// parseRowLine reads a line that rowLine wrote of null, integer, real and
// text values (a blob reads as text): its values as nil, int64, float64
// and string. A number without a point, an exponent or the letters of
// Inf and NaN reads as an integer where int64 holds it, as a whole real
// that rowLine wrote does.
func parseRowLine(line string) ([]any, error) {
	rest, ok := strings.CutPrefix(line, "[")
	if ok {
		rest, ok = strings.CutSuffix(rest, "]\n")
	}
	if !ok {
		return nil, fmt.Errorf("%q is not a row line", line)
	}
	out := []any{}
	for rest != "" {
		if len(out) > 0 {
			if rest, ok = strings.CutPrefix(rest, ","); !ok || rest == "" {
				return nil, fmt.Errorf("the values of row line %q are not separated by commas", line)
			}
		}
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("row line %q holds a text not quoted", line)
			}
			s, _ := strconv.Unquote(q)
			out, rest = append(out, s), rest[len(q):]
			continue
		}
		tok := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			tok = rest[:i]
		}
		rest = rest[len(tok):]
		var v any
		var err error
		switch {
		case tok == "null":
		case strings.ContainsAny(tok, ".eEnN"):
			v, err = strconv.ParseFloat(tok, 64)
		default:
			if v, err = strconv.ParseInt(tok, 10, 64); errors.Is(err, strconv.ErrRange) {
				v, err = strconv.ParseFloat(tok, 64) // a whole real beyond int64
			}
		}
		if err != nil {
			return nil, fmt.Errorf("row line %q holds %q, which is no value", line, tok)
		}
		out = append(out, v)
	}
	return out, nil
}
