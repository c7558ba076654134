package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// Address is where a server serves a periodic report:
// /reports/{Kind}/{Date}.{Format}, with ?size=Size when it names a log
// size (Size 0: the size the server's views hold when asked).
type Address struct {
	Kind, Date string
	// Format is "html", "pdf" or "json".
	Format string
	Size   int64
}

// The formats a periodic report is served in.
var formats = []string{"html", "pdf", "json"}

// Path is the address's path and query, such as
// /reports/daily/2025-11-12.html?size=82.
func (a Address) Path() string {
	p := "/reports/" + a.Kind + "/" + url.PathEscape(a.Date) + "." + a.Format
	if a.Size > 0 {
		p += "?size=" + strconv.FormatInt(a.Size, 10)
	}
	return p
}

// String names the report as a difference or a message does:
// "daily/2025-11-12 at size 82".
func (a Address) String() string {
	s := a.Kind + "/" + a.Date
	if a.Size > 0 {
		s += " at size " + strconv.FormatInt(a.Size, 10)
	}
	return s
}

// ParseFile reads a report's kind and file name, daily and
// 2025-11-12.html, into an address without a size. The date is only
// checked to have the shape YYYY-MM-DD; Periods checks it is a day.
func ParseFile(kind, file string) (Address, error) {
	if kind != Daily && kind != Weekly && kind != Monthly {
		return Address{}, fmt.Errorf("no such report: the reports are /reports/{daily,weekly,monthly}/YYYY-MM-DD.{html,pdf,json}")
	}
	date, format, ok := strings.Cut(file, ".")
	if !ok || !isDate(date) {
		return Address{}, fmt.Errorf("no such report %q: a report's file is YYYY-MM-DD.html, .pdf or .json", file)
	}
	for _, f := range formats {
		if format == f {
			return Address{Kind: kind, Date: date, Format: format}, nil
		}
	}
	return Address{}, fmt.Errorf("no such report %q: a report's file is YYYY-MM-DD.html, .pdf or .json", file)
}

// isDate reports whether s has the shape YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ParseSize reads a report's size parameter: a log size of at least 1,
// written in decimal digits without a sign or leading zeros, so that one
// report has one address.
func ParseSize(s string) (int64, error) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, fmt.Errorf("size %q is not a log size: it is a whole number of statements, at least 1, such as 82", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("size %q is not a log size: it is a whole number of statements, at least 1, such as 82", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// ParseURL reads the address of a report at a stated size, as a
// publication's url holds it (http://host/reports/daily/2025-11-12.html?size=82),
// and returns it with the URL's base (http://host). A URL that is not
// one is an error.
func ParseURL(raw string) (base string, a Address, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", a, fmt.Errorf("%q is not the address of a report on a server", raw)
	}
	dir, file := path.Split(u.Path)
	prefix, kind, ok := strings.Cut(strings.TrimSuffix(dir, "/"), "/reports/")
	if !ok || strings.Contains(kind, "/") {
		return "", a, fmt.Errorf("%q is not the address of a periodic report (/reports/PERIOD/DATE.FORMAT)", raw)
	}
	if a, err = ParseFile(kind, file); err != nil {
		return "", a, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || len(q) != 1 || len(q["size"]) != 1 {
		return "", a, fmt.Errorf("%q does not name a log size: its query is not ?size=N", raw)
	}
	if a.Size, err = ParseSize(q.Get("size")); err != nil {
		return "", a, err
	}
	return u.Scheme + "://" + u.Host + prefix, a, nil
}

// Replayer is a log whose first entries can be replayed into views of
// their own: *ledger.Log is one.
type Replayer interface {
	ReplayTo(ctx context.Context, views ledger.ViewBuilder, size int64) (*mechanism.State, error)
}

var _ Replayer = (*ledger.Log)(nil)

// ErrBusy is returned by At.Make when another replay kept it waiting for
// as long as its context allowed.
var ErrBusy = errors.New("another report is being made from an earlier log size")

// At makes periodic reports as of a log size: from views of the log's
// first entries, replayed through the core apart from the live views. It
// keeps the reports it made, the most recent ones, so that the same
// report is not replayed again, and makes one at a time.
type At struct {
	src  Replayer
	dir  string        // where the replays' views go; "" for the system's
	turn chan struct{} // held by the replay under way
	max  int
	// replays counts the replays begun.
	replays atomic.Int64

	mu    sync.Mutex
	made  map[Address]*Periodic // by kind, date and size (no format)
	order []Address             // oldest first
}

// NewAt returns an At that replays src, in temporary folders under dir
// ("" for the system's), and keeps the last keep reports it made.
func NewAt(src Replayer, dir string, keep int) *At {
	return &At{src: src, dir: dir, turn: make(chan struct{}, 1), max: keep, made: map[Address]*Periodic{}}
}

// Cached returns the report a.Kind, a.Date at a.Size if At keeps it.
func (at *At) Cached(a Address) (*Periodic, bool) {
	a.Format = ""
	at.mu.Lock()
	defer at.mu.Unlock()
	p, ok := at.made[a]
	return p, ok
}

// Replays returns how many replays At has begun.
func (at *At) Replays() int64 { return at.replays.Load() }

// Keep keeps p, made at its log size, as At keeps what it makes: for a
// report made otherwise (from the live views) at a size.
func (at *At) Keep(p *Periodic) {
	a := Address{Kind: p.Kind, Date: p.Date, Size: p.LogSize}
	at.mu.Lock()
	defer at.mu.Unlock()
	if _, ok := at.made[a]; ok {
		return
	}
	at.made[a] = p
	at.order = append(at.order, a)
	for len(at.order) > at.max {
		delete(at.made, at.order[0])
		at.order = at.order[1:]
	}
}

// Make returns the report a.Kind for a.Date as of the log's first a.Size
// entries, made by replaying them unless At keeps it. The one replay
// makes and keeps the date's other kinds of report at that size too, each
// a replay of its own otherwise. While another replay runs it waits, at
// most wait; then it returns ErrBusy.
func (at *At) Make(ctx context.Context, a Address, wait time.Duration) (*Periodic, error) {
	if p, ok := at.Cached(a); ok {
		return p, nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case at.turn <- struct{}{}:
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-at.turn }()
	if p, ok := at.Cached(a); ok { // made while this one waited
		return p, nil
	}
	at.replays.Add(1)
	ps, err := at.replay(ctx, a)
	if err != nil {
		return nil, err
	}
	at.KeepAll(ps)
	return ps[0], nil
}

// KeepAll keeps ps, made in one pass at their log size, the report asked
// for first: that one is kept last, as the most recent.
func (at *At) KeepAll(ps []*Periodic) {
	for _, p := range ps[1:] {
		at.Keep(p)
	}
	at.Keep(ps[0])
}

// replay makes the report a, then the other kinds of a.Date, from views
// of the log's first a.Size entries, in a temporary folder that it
// removes.
func (at *At) replay(ctx context.Context, a Address) ([]*Periodic, error) {
	dir, err := os.MkdirTemp(at.dir, "sulh-report-")
	if err != nil {
		return nil, fmt.Errorf("couldn't create a folder for the report's views: %w", err)
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "report.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	state, err := at.src.ReplayTo(ctx, db, a.Size)
	if err != nil {
		return nil, fmt.Errorf("couldn't replay the log to size %d: %w", a.Size, err)
	}
	if state.Rulebook == nil {
		return nil, fmt.Errorf("couldn't make a report at size %d: the log has no rulebook there", a.Size)
	}
	o, err := PlacesIn(ctx, db)
	if err != nil {
		return nil, err
	}
	ps, err := MakeAll(ctx, db, state.Rulebook, EveryKind(a.Kind, a.Date), o)
	if err != nil {
		return nil, err
	}
	if ps[0].LogSize != a.Size {
		return nil, fmt.Errorf("couldn't make the report at size %d: the replayed views hold %d entries", a.Size, ps[0].LogSize)
	}
	return ps, nil
}

// EveryKind returns the reports of every kind for date, kind first: those
// that MakeAll makes in one pass, for about what one of them costs alone.
func EveryKind(kind, date string) []Request {
	reqs := []Request{{kind, date}}
	for _, k := range Kinds {
		if k != kind {
			reqs = append(reqs, Request{k, date})
		}
	}
	return reqs
}

// DateOf returns the date (YYYY-MM-DD) of the daily report whose period
// holds t: the weekly and monthly reports of that date hold it too.
func DateOf(rb *mechanism.Rulebook, t time.Time) string {
	loc := zone(rb)
	lt := t.In(loc)
	if !lt.Before(cutOff(lt, loc, rb.CutOff())) {
		lt = lt.AddDate(0, 0, 1)
	}
	return lt.Format("2006-01-02")
}
