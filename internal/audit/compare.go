package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/store"
)

// A Comparison compares one kind of figure that the server publishes with
// the views that the audit replayed from the log. Default lists those an
// audit makes; a new public figure (the numbers in a published periodic
// report, say) gets a Comparison there, which fetches it from the server
// with the Client, recomputes it from the local views, and returns each
// figure that differs.
type Comparison struct {
	Name string
	// Compare returns the figures that differ and how many it compared.
	// The client asks the server for its figures at the log size that
	// local holds; an error that the client returns is returned as is.
	Compare func(ctx context.Context, c *Client, local *store.DB) (diffs []Difference, compared int, err error)
}

// Default returns the comparisons an audit makes: case counts by party
// (the cases each body reported and is accused in), by category, status
// and stage; every finding, penalty and commitment; each side's status of
// each crossing; and every publication statement's report hash.
func Default() []Comparison {
	return []Comparison{
		{"cases by party", compareCasesByParty},
		{"cases by category, status and stage", compareCaseCounts},
		{"findings", compareList("findings", "findings", "idx", labelled("finding %v", "idx"))},
		{"penalties", compareList("penalties", "penalties", "idx", labelled("penalty %v", "idx"))},
		{"commitments", compareList("commitments", "commitments", "idx", labelled("commitment %v", "idx"))},
		{"crossings", compareList("crossings", "crossings", "idx", labelled("%v, %v's side", "crossing", "side"))},
		{"publications", compareList("publications", "publications", "idx", labelled("publication %v", "idx"))},
	}
}

// Client asks the server for its figures as of one log size.
type Client struct {
	base string
	http *http.Client
	size int64
	// answers keeps each answer read at size, by URL: comparisons that
	// read the same figures (GET /api/v1/counts) ask the server once.
	answers map[string][]byte
	// counts are the audit's own counts at size, read once for both
	// comparisons of counts.
	counts *localCounts
}

// localCounts are the counts of the audit's views that GET
// /api/v1/counts answers with.
type localCounts struct {
	parties []store.Counts
	cases   store.CaseCounts
}

// at makes the client ask for the figures at log size n.
func (c *Client) at(n int64) {
	c.size, c.answers, c.counts = n, map[string][]byte{}, nil
}

// getCounts fetches GET /api/v1/counts into v, and returns the same
// counts of local. The first call at a size counts local's cases while
// the server counts its own.
func (c *Client) getCounts(ctx context.Context, local *store.DB, v any) (*localCounts, error) {
	if c.counts != nil {
		return c.counts, c.Get(ctx, "/api/v1/counts", nil, v)
	}
	var lc localCounts
	counted := make(chan error, 1)
	go func() {
		var err error
		lc.parties, lc.cases, err = local.AllCounts(ctx)
		counted <- err
	}()
	err := c.Get(ctx, "/api/v1/counts", nil, v)
	if lerr := <-counted; err == nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	c.counts = &lc
	return c.counts, nil
}

// Size is the log size whose figures the client asks for.
func (c *Client) Size() int64 { return c.size }

// grownError is an answer from views that hold more entries than the log
// size asked for: the log grew during the audit.
type grownError struct{ at, want int64 }

func (e *grownError) Error() string {
	return fmt.Sprintf("the server's views moved on to %d entries while the audit compared them at %d; the log kept growing during the audit, try again when it is quieter", e.at, e.want)
}

// ViewsAtHeader is the header in which the server says how many of the
// log's entries its answer reflects (web.ViewsAtHeader).
const ViewsAtHeader = "Sulh-Views-At"

// answerLimit is the most bytes the client reads of an answer.
const answerLimit = 64 << 20

// Get fetches path with the query q from the server, as of the log size
// c.Size, and decodes its JSON answer into v, numbers as json.Number. An
// answer from views that hold more entries is an error that makes Run
// verify them and compare again.
func (c *Client) Get(ctx context.Context, path string, q url.Values, v any) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set("at_least", strconv.FormatInt(c.size-1, 10))
	u := c.base + path + "?" + q.Encode()
	if body, ok := c.answers[u]; ok {
		return decode(u, body, v)
	}
	return retrying(ctx, 10, func() (time.Duration, error) { return c.get(ctx, u, v) })
}

// retrying calls try until it asks for no retry, at most attempts times,
// waiting as long as it asks between two calls.
func retrying(ctx context.Context, attempts int, try func() (retry time.Duration, err error)) error {
	for attempt := 1; ; attempt++ {
		retry, err := try()
		if retry == 0 || attempt == attempts {
			return err
		}
		select {
		case <-time.After(retry):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fetch makes one GET of u, within timeout, and reads the whole answer
// (at most answerLimit bytes). retry, if not zero, is how long to wait
// before asking again: a 503's Retry-After, at most maxWait, or a second
// after a failed connection. An answer other than 200 or 503 is a
// *statusError.
func fetch(ctx context.Context, hc *http.Client, u string, timeout, maxWait time.Duration) (body []byte, h http.Header, retry time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("User-Agent", "sulh audit")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, time.Second, fmt.Errorf("couldn't fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, answerLimit+1))
	if err != nil {
		return nil, nil, time.Second, fmt.Errorf("couldn't read %s: %w", u, err)
	}
	if len(body) > answerLimit {
		return nil, nil, 0, fmt.Errorf("%s: the answer is over %d bytes", u, answerLimit)
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		wait := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, maxWait)
		}
		return nil, nil, wait, fmt.Errorf("%s: %s: %s", u, resp.Status, bytes.TrimSpace(body))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, &statusError{u, resp.Status, strings.TrimSpace(string(body))}
	}
	return body, resp.Header, 0, nil
}

// statusError is an answer other than 200 or 503.
type statusError struct{ url, status, body string }

func (e *statusError) Error() string { return e.url + ": " + e.status + ": " + e.body }

// get makes one request; retry, if not zero, is how long to wait before
// the next.
func (c *Client) get(ctx context.Context, u string, v any) (retry time.Duration, err error) {
	body, h, retry, err := fetch(ctx, c.http, u, time.Minute, 5*time.Second)
	if err != nil {
		return retry, err
	}
	at, err := strconv.ParseInt(h.Get(ViewsAtHeader), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: the answer does not say which log size it reflects (its %s header is %q)", u, ViewsAtHeader, h.Get(ViewsAtHeader))
	}
	switch {
	case at > c.size:
		return 0, &grownError{at: at, want: c.size}
	case at < c.size:
		return 0, fmt.Errorf("%s: the server answered from views of %d entries when asked for at least %d", u, at, c.size)
	}
	if c.answers != nil {
		c.answers[u] = body
	}
	return 0, decode(u, body, v)
}

// decode decodes the JSON answer body from u into v, numbers as
// json.Number.
func decode(u string, body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: not the JSON expected: %w", u, err)
	}
	return nil
}

// compareCasesByParty compares GET /api/v1/counts's counts of each body's
// cases.
func compareCasesByParty(ctx context.Context, c *Client, local *store.DB) ([]Difference, int, error) {
	var got struct {
		Items []store.Counts `json:"items"`
	}
	counts, err := c.getCounts(ctx, local, &got)
	if err != nil {
		return nil, 0, err
	}
	want := counts.parties
	figures := func(l []store.Counts) map[string]int64 {
		m := map[string]int64{}
		for _, c := range l {
			m[c.Body+" reported"] = c.Reported
			m[c.Body+" accused"] = c.Accused
			m[c.Body+" duplicates"] = c.Duplicates
		}
		return m
	}
	d, n := compareFigures("cases by party", figures(got.Items), figures(want))
	return d, n, nil
}

// compareCaseCounts compares GET /api/v1/counts's tallies of cases by
// category, status and stage.
func compareCaseCounts(ctx context.Context, c *Client, local *store.DB) ([]Difference, int, error) {
	var got map[string]json.RawMessage
	counts, err := c.getCounts(ctx, local, &got)
	if err != nil {
		return nil, 0, err
	}
	want := counts.cases
	var diffs []Difference
	compared := 0
	for _, t := range []struct {
		name, field string
		want        map[string]int64
	}{
		{"cases by category", "by_category", want.ByCategory},
		{"cases by status", "by_status", want.ByStatus},
		{"cases by stage", "by_stage", want.ByStage},
	} {
		var tally map[string]int64
		if raw, ok := got[t.field]; !ok {
			return nil, 0, fmt.Errorf("GET /api/v1/counts has no %s", t.field)
		} else if err := json.Unmarshal(raw, &tally); err != nil {
			return nil, 0, fmt.Errorf("GET /api/v1/counts: %s: %w", t.field, err)
		}
		d, n := compareFigures(t.name, tally, t.want)
		diffs = append(diffs, d...)
		compared += n
	}
	return diffs, compared, nil
}

// compareFigures compares named figures; one that a side lacks is 0
// there, as the server leaves out what it counts none of.
func compareFigures(name string, server, log map[string]int64) ([]Difference, int) {
	var diffs []Difference
	keys := slices.Sorted(maps.Keys(server))
	for k := range log {
		if _, ok := server[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if server[k] != log[k] {
			diffs = append(diffs, Difference{name, shown(k), strconv.FormatInt(server[k], 10), strconv.FormatInt(log[k], 10)})
		}
	}
	return diffs, len(keys)
}

// listPage is how many rows a list comparison asks for at once.
const listPage = 500

// row is a list's row as JSON values: numbers as json.Number.
type row map[string]any

// compareList compares a list of the API, /api/v1/<list>, row by row and
// column by column with the same list of the local views, paging both
// newest first by key, an integer column. Columns that the server adds to
// its rows (times in each zone and the like) are not compared; every
// column of the views is.
func compareList(name, list, key string, label func(row) string) func(ctx context.Context, c *Client, local *store.DB) ([]Difference, int, error) {
	return func(ctx context.Context, c *Client, local *store.DB) ([]Difference, int, error) {
		var served int64
		server := &pager{key: key, fetch: func(before int64) ([]row, int64, error) {
			q := url.Values{"limit": {strconv.Itoa(listPage)}}
			if before != 0 {
				q.Set("before", strconv.FormatInt(before, 10))
			}
			var page struct {
				Items []row       `json:"items"`
				Next  json.Number `json:"next"`
			}
			if err := c.Get(ctx, "/api/v1/"+list, q, &page); err != nil {
				return nil, 0, err
			}
			// Each row is a statement's: a server that lists more rows
			// than the log has entries will not be paged through forever.
			if served += int64(len(page.Items)); served > c.size {
				return nil, 0, fmt.Errorf("GET /api/v1/%s lists more rows than the log's %d entries", list, c.size)
			}
			var next int64
			if page.Next != "" {
				var err error
				if next, err = page.Next.Int64(); err != nil || next >= before && before != 0 {
					return nil, 0, fmt.Errorf("GET /api/v1/%s: next is %q after a page before %d", list, page.Next, before)
				}
			}
			return page.Items, next, nil
		}}
		mine := &pager{key: key, fetch: func(before int64) ([]row, int64, error) {
			p, err := local.List(ctx, list, store.Filter{Limit: listPage, Before: before})
			if err != nil {
				return nil, 0, err
			}
			rows := make([]row, len(p.Rows))
			for i, r := range p.Rows {
				if rows[i], err = asJSON(r); err != nil {
					return nil, 0, err
				}
			}
			return rows, p.Next, nil
		}}
		var diffs []Difference
		compared := 0
		for {
			a, err := server.peek()
			if err != nil {
				return nil, 0, err
			}
			b, err := mine.peek()
			if err != nil {
				return nil, 0, err
			}
			if a == nil && b == nil {
				return diffs, compared, nil
			}
			compared++
			switch {
			case b == nil || a != nil && server.k > mine.k:
				diffs = append(diffs, Difference{name, label(a), "lists it", "none"})
				server.pop()
			case a == nil || mine.k > server.k:
				diffs = append(diffs, Difference{name, label(b), "none", "has it"})
				mine.pop()
			default:
				for _, col := range slices.Sorted(maps.Keys(b)) {
					want := canonical(b[col])
					got, ok := a[col]
					if !ok {
						diffs = append(diffs, Difference{name, label(b) + ": " + col, "none", want})
					} else if g := canonical(got); g != want {
						diffs = append(diffs, Difference{name, label(b) + ": " + col, g, want})
					}
				}
				server.pop()
				mine.pop()
			}
		}
	}
}

// labelled returns a label of a row: format with the values of columns.
func labelled(format string, columns ...string) func(row) string {
	return func(r row) string {
		args := make([]any, len(columns))
		for i, c := range columns {
			args[i] = shown(fmt.Sprint(r[c]))
		}
		return fmt.Sprintf(format, args...)
	}
}

// shown is a name or value from the server as a difference shows it:
// as it is if it is a plain word, quoted otherwise, so that what a server
// sends cannot pass for the audit's own words or reach a terminal as
// control characters.
func shown(s string) string {
	if s == "" || len(s) > 100 {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == ' ') {
			return strconv.Quote(s)
		}
	}
	return s
}

// pager reads a list a page at a time, newest first.
type pager struct {
	key   string
	fetch func(before int64) ([]row, int64, error)
	rows  []row
	next  int64 // the next page's before, or 0
	begun bool
	k     int64 // the key of rows[0]
}

// peek returns the next row without taking it, or nil at the end.
func (p *pager) peek() (row, error) {
	for len(p.rows) == 0 {
		if p.begun && p.next == 0 {
			return nil, nil
		}
		rows, next, err := p.fetch(p.next)
		if err != nil {
			return nil, err
		}
		p.begun, p.rows, p.next = true, rows, next
		if len(rows) == 0 {
			p.next = 0
		}
	}
	n, ok := p.rows[0][p.key].(json.Number)
	k, err := n.Int64()
	if !ok || err != nil {
		return nil, fmt.Errorf("a row without an integer %s: %v", p.key, p.rows[0])
	}
	p.k = k
	return p.rows[0], nil
}

func (p *pager) pop() { p.rows = p.rows[1:] }

// asJSON returns a row of the views as the API would show it, decoded.
func asJSON(r store.Row) (row, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out row
	return out, d.Decode(&out)
}

// canonical is a JSON value as compact JSON text, objects with their keys
// sorted.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
