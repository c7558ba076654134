package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/store"
)

// ReportsComparison names the check of the periodic reports among the
// counts of Result.Compared.
const ReportsComparison = "periodic reports"

// reports are the periodic reports an audit makes itself, from its own
// views, to check those the server serves and those the log's
// publications record: for each publication whose url is a report of
// this server at a stated size (/reports/PERIOD/DATE.FORMAT?size=N), the
// report at N, made when the replay reaches N; and the latest daily,
// weekly and monthly report (those whose period holds the log's time) at
// the audit's own size.
type reports struct {
	base string
	http *http.Client
	// want are the reports to make at each size, without format.
	want map[int64][]report.Address
	made map[report.Address]*report.Periodic
	// ahead are the answers to requests sent ahead (see prefetch), by
	// URL, each taken once.
	ahead map[string]chan fetched
}

// fetched is a server's answer to a request sent ahead.
type fetched struct {
	body []byte
	h    http.Header
	err  error
}

func newReports(base string, hc *http.Client) *reports {
	return &reports{base: base, http: hc, want: map[int64][]report.Address{}, made: map[report.Address]*report.Periodic{}}
}

// publication is a publication statement that records a report of this
// server.
type publication struct {
	idx    int64
	sha256 string
	addr   report.Address
}

// ours returns the publication of a row of the publications list, if its
// url is a report of this server at a stated size: its path is under the
// path of the audit's base address, whatever its host (the name the
// mediators published under, which an auditor may reach otherwise).
func (rs *reports) ours(r row) (publication, bool) {
	u, _ := r["url"].(string)
	base, a, err := report.ParseURL(u)
	if err != nil || pathOf(base) != pathOf(rs.base) {
		return publication{}, false
	}
	// A date that is no day names no report, here or anywhere: that is
	// the publication's own mistake, not the server's.
	if _, _, err := report.Periods(&mechanism.Rulebook{}, a.Kind, a.Date); err != nil {
		return publication{}, false
	}
	n, ok := r["idx"].(json.Number)
	idx, err := n.Int64()
	if !ok || err != nil {
		return publication{}, false
	}
	sum, _ := r["sha256"].(string)
	return publication{idx: idx, sha256: sum, addr: a}, true
}

// pathOf is the path of a base address, without its final slash.
func pathOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return strings.TrimSuffix(u.Path, "/")
}

// expect makes the audit make the report a (its format aside) when its
// replay reaches a.Size.
func (rs *reports) expect(a report.Address) {
	a.Format = ""
	if !slices.Contains(rs.want[a.Size], a) {
		rs.want[a.Size] = append(rs.want[a.Size], a)
	}
}

// stops are the sizes at which the replay from size from is to make
// reports.
func (rs *reports) stops(from int64) map[int64]bool {
	m := map[int64]bool{}
	for n := range rs.want {
		if n > from {
			m[n] = true
		}
	}
	return m
}

// makeAt makes the reports wanted at size from the views, which hold the
// log's first size entries, under rb, the rulebook in force there: all
// in one pass over their cases (report.MakeAll).
func (rs *reports) makeAt(ctx context.Context, local *store.DB, size int64, rb *mechanism.Rulebook) error {
	var todo []report.Address
	var reqs []report.Request
	for _, a := range rs.want[size] {
		if _, ok := rs.made[a]; !ok {
			todo = append(todo, a)
			reqs = append(reqs, report.Request{Kind: a.Kind, Date: a.Date})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if rb == nil {
		return fmt.Errorf("couldn't make the report %s: the log has no rulebook there", todo[0])
	}
	places, err := report.PlacesIn(ctx, local)
	if err != nil {
		return err
	}
	ps, err := report.MakeAll(ctx, local, rb, reqs, places)
	if err != nil {
		return fmt.Errorf("couldn't make the reports at size %d: %w", size, err)
	}
	for i, p := range ps {
		if p.LogSize != size {
			return fmt.Errorf("couldn't make the report %s: the audit's views hold %d entries", todo[i], p.LogSize)
		}
		rs.made[todo[i]] = p
	}
	return nil
}

// listed fetches the server's list of publications, as it is now, and
// expects the reports of those of this server above size from: the sizes
// the replay is to stop at. A publication the server does not list is
// found after the replay, in the audit's own views.
func (rs *reports) listed(ctx context.Context, from int64) error {
	before := int64(0)
	for range 10000 {
		q := url.Values{"limit": {strconv.Itoa(listPage)}}
		if before != 0 {
			q.Set("before", strconv.FormatInt(before, 10))
		}
		b, _, err := rs.get(ctx, rs.base+"/api/v1/publications?"+q.Encode())
		if err != nil {
			return err
		}
		var page struct {
			Items []row       `json:"items"`
			Next  json.Number `json:"next"`
		}
		if err := decode("/api/v1/publications", b, &page); err != nil {
			return err
		}
		for _, r := range page.Items {
			if p, ok := rs.ours(r); ok && p.addr.Size > from {
				rs.expect(p.addr)
			}
		}
		next, err := page.Next.Int64()
		if page.Next == "" || err != nil || len(page.Items) == 0 || before != 0 && next >= before {
			return nil
		}
		before = next
	}
	return nil
}

// published returns the publications of this server's reports in the
// audit's own views, and expects the reports of those at index since and
// after: those an earlier audit, resumed from, did not check.
func (rs *reports) published(ctx context.Context, local *store.DB, since int64) ([]publication, error) {
	var pubs []publication
	err := local.Each(ctx, "publications", store.Filter{}, func(r store.Row) error {
		j, err := asJSON(r)
		if err != nil {
			return err
		}
		if p, ok := rs.ours(j); ok {
			pubs = append(pubs, p)
			if p.idx >= since {
				rs.expect(p.addr)
			}
		}
		return nil
	})
	return pubs, err
}

// missing are the sizes wanted whose reports are not made.
func (rs *reports) missing() map[int64]bool {
	m := map[int64]bool{}
	for n, as := range rs.want {
		for _, a := range as {
			if _, ok := rs.made[a]; !ok {
				m[n] = true
			}
		}
	}
	return m
}

// latestOf are the addresses of the latest daily, weekly and monthly
// reports of the entries state is of: those whose period holds the log's
// time.
func latestOf(state *mechanism.State) []report.Address {
	if state.Rulebook == nil || state.Time.IsZero() {
		return nil
	}
	date := report.DateOf(state.Rulebook, state.Time)
	var out []report.Address
	for _, kind := range report.Kinds {
		out = append(out, report.Address{Kind: kind, Date: date, Size: state.Size})
	}
	return out
}

// latest expects and makes the latest daily, weekly and monthly reports
// at the size of the views, which hold the entries state is of, and
// returns their addresses.
func (rs *reports) latest(ctx context.Context, local *store.DB, state *mechanism.State) ([]report.Address, error) {
	out := latestOf(state)
	if len(out) == 0 {
		return nil, nil
	}
	for _, a := range out {
		rs.expect(a)
	}
	return out, rs.makeAt(ctx, local, state.Size, state.Rulebook)
}

// prefetch asks the server, on a goroutine of its own and one request at
// a time, for what check will fetch of the reports at addrs (their HTML,
// PDF and JSON), so that the server makes them while the audit makes its
// own and compares the other figures: on a large log, making a report is
// most of a comparison's time, and the server makes its own in its own
// process. A request is sent ahead only once, and its answer is what get
// would have returned. The function it returns cancels what is not yet
// answered, returns once the goroutine has stopped, and forgets the
// answers not taken, so that a request cancelled is sent again if get is
// asked for it.
func (rs *reports) prefetch(ctx context.Context, addrs []report.Address) (stop func()) {
	type request struct {
		url string
		c   chan fetched
	}
	var reqs []request
	if rs.ahead == nil {
		rs.ahead = map[string]chan fetched{}
	}
	for _, a := range addrs {
		for _, f := range []string{"html", "pdf", "json"} {
			a.Format = f
			u := rs.base + a.Path()
			if _, ok := rs.ahead[u]; ok {
				continue
			}
			c := make(chan fetched, 1)
			rs.ahead[u] = c
			reqs = append(reqs, request{u, c})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, r := range reqs {
			var f fetched
			f.body, f.h, f.err = rs.ask(ctx, r.url)
			r.c <- f
		}
	}()
	return func() {
		cancel()
		<-done
		for _, r := range reqs {
			delete(rs.ahead, r.url)
		}
	}
}

// get fetches u from the server, or takes the answer to the request sent
// ahead for it.
func (rs *reports) get(ctx context.Context, u string) (body []byte, h http.Header, err error) {
	if c, ok := rs.ahead[u]; ok {
		delete(rs.ahead, u)
		select {
		case f := <-c:
			return f.body, f.h, f.err
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	return rs.ask(ctx, u)
}

// check compares each publication's report and each of latest with what
// the server serves at log size size: the SHA-256 of the bytes at a
// publication's address with the one it records, and, for each report
// the audit made, its own bytes with both, and the figures of the
// server's JSON at that size with its own, each that differs named. It
// returns the differences and how many figures it compared.
func (rs *reports) check(ctx context.Context, size int64, pubs []publication, latest []report.Address) ([]Difference, int, error) {
	var diffs []Difference
	compared := 0
	differ := func(a report.Address, what, server, log string) {
		diffs = append(diffs, Difference{"report " + a.String(), what, server, log})
	}
	sums := map[report.Address]string{} // of the bytes served, by address
	// served returns the SHA-256 of the bytes the server serves at a, or
	// "" if it does not serve them, which it names.
	served := func(a report.Address) (string, error) {
		if s, ok := sums[a]; ok {
			return s, nil
		}
		b, h, err := rs.get(ctx, rs.base+a.Path())
		var se *statusError
		if errors.As(err, &se) {
			differ(a, a.Format+" served", shown(se.status), "the report")
			sums[a] = ""
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if got := h.Get("X-Log-Size"); got != strconv.FormatInt(a.Size, 10) {
			differ(a, a.Format+" served: X-Log-Size", shown(got), strconv.FormatInt(a.Size, 10))
		}
		sum := sha256.Sum256(b)
		sums[a] = hex.EncodeToString(sum[:])
		return sums[a], nil
	}
	// mine returns the audit's own report a and its SHA-256, if it made
	// it.
	mine := func(a report.Address) (string, []byte, bool, error) {
		k := a
		k.Format = ""
		p, ok := rs.made[k]
		if !ok {
			return "", nil, false, nil
		}
		b, _, err := p.Render(a.Format)
		if err != nil {
			return "", nil, false, err
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]), b, true, nil
	}
	// compareBytes compares the bytes the server serves at a with the
	// audit's.
	compareBytes := func(a report.Address) error {
		want, _, ok, err := mine(a)
		if err != nil || !ok {
			return err
		}
		got, err := served(a)
		if err != nil {
			return err
		}
		compared++
		if got != want && got != "" {
			differ(a, "sha256 of "+a.Format+" served", got, want)
		}
		return nil
	}
	figuresDone := map[report.Address]bool{}
	// compareJSON compares the server's JSON figures of a with the
	// audit's.
	compareJSON := func(a report.Address) error {
		a.Format = "json"
		if figuresDone[a] {
			return nil
		}
		figuresDone[a] = true
		_, want, ok, err := mine(a)
		if err != nil || !ok {
			return err
		}
		b, _, err := rs.get(ctx, rs.base+a.Path())
		var se *statusError
		if errors.As(err, &se) {
			differ(a, "json served", shown(se.status), "the report's figures")
			return nil
		}
		if err != nil {
			return err
		}
		var server, log any
		if err := decode(a.Path(), b, &server); err != nil {
			differ(a, "its figures", "not JSON", "JSON")
			return nil
		}
		if err := decode(a.Path(), want, &log); err != nil {
			return err
		}
		s, l := map[string]string{}, map[string]string{}
		flatten("", server, s)
		flatten("", log, l)
		keys := slices.Sorted(maps.Keys(l))
		for k := range s {
			if _, ok := l[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			compared++
			got, ok := s[k]
			if !ok {
				got = "none"
			}
			want, ok := l[k]
			if !ok {
				want = "none"
			}
			if got != want {
				differ(a, k, got, want)
			}
		}
		return nil
	}
	for _, p := range pubs {
		if p.addr.Size > size {
			continue // a size the log does not hold yet
		}
		got, err := served(p.addr)
		if err != nil {
			return nil, 0, err
		}
		compared++
		if got != p.sha256 && got != "" {
			differ(p.addr, fmt.Sprintf("sha256 of %s served, as publication %d records it", p.addr.Format, p.idx), got, shown(p.sha256))
		}
		want, _, ok, err := mine(p.addr)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			compared++
			if p.sha256 != want {
				differ(p.addr, fmt.Sprintf("sha256 that publication %d records", p.idx), shown(p.sha256), want)
			}
			if err := compareBytes(p.addr); err != nil {
				return nil, 0, err
			}
		}
		if err := compareJSON(p.addr); err != nil {
			return nil, 0, err
		}
	}
	for _, a := range latest {
		for _, f := range []string{"html", "pdf"} {
			a.Format = f
			if err := compareBytes(a); err != nil {
				return nil, 0, err
			}
		}
		if err := compareJSON(a); err != nil {
			return nil, 0, err
		}
	}
	return diffs, compared, nil
}

// flatten writes each value of a JSON document into out under its path:
// Complaints[afghanistan].Received. An element of a list is named by its
// Key, Party, Crossing and Side, or Index, if it has one, else by its
// place. Names are shown as a difference shows them (quoted unless plain
// words), so that what a server sends cannot pass for a path.
func flatten(path string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := shown(k)
			if path != "" {
				p = path + "." + p
			}
			flatten(p, x, out)
		}
	case []any:
		for i, x := range v {
			flatten(path+"["+shown(elementName(x, i))+"]", x, out)
		}
	default:
		out[path] = canonical(v)
	}
}

// elementName names a list's element in a path.
func elementName(x any, i int) string {
	m, ok := x.(map[string]any)
	if ok {
		str := func(k string) string {
			switch s := m[k].(type) {
			case string:
				return s
			case json.Number:
				return s.String()
			}
			return ""
		}
		switch {
		case str("Key") != "":
			return str("Key")
		case str("Party") != "":
			return str("Party")
		case str("Crossing") != "" && str("Side") != "":
			return str("Crossing") + " " + str("Side")
		case str("Index") != "":
			return str("Index")
		}
	}
	return strconv.Itoa(i)
}

// ask fetches u, whole, with its headers, waiting and asking again
// while the server answers 503 (a report being replayed).
func (rs *reports) ask(ctx context.Context, u string) (body []byte, h http.Header, err error) {
	err = retrying(ctx, 30, func() (retry time.Duration, err error) {
		body, h, retry, err = fetch(ctx, rs.http, u, 5*time.Minute, 10*time.Second)
		return retry, err
	})
	return body, h, err
}

// again makes the reports wanted at sizes that the audit's replay passed
// before it knew of them (a publication the server did not list, or one
// of a size before the audit it resumed from): it verifies and replays
// the whole log once more, into temporary views, stopping at those sizes.
// The log must have grown from cp. It tells step when it begins.
func (rs *reports) again(ctx context.Context, r torchwood.TileReader, key note.Verifier, cp *ledger.Checkpoint, progress func(done, total int64), step func(string)) error {
	stops := map[int64]bool{}
	for n := range rs.missing() {
		if n <= cp.N {
			stops[n] = true
		}
	}
	if len(stops) == 0 {
		return nil
	}
	step("verifying and replaying the log again, for the reports of the sizes it passed before it knew of them")
	w, err := openWork(ctx, "", nil)
	if err != nil {
		return err
	}
	defer w.close()
	_, err = w.replay(ctx, r, key, &cp.Tree, progress, stops, func(size int64, rb *mechanism.Rulebook) error {
		return rs.makeAt(ctx, w.db, size, rb)
	})
	return err
}
