package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/statement"
)

// CasesOptions configure Cases.
type CasesOptions struct {
	Dir     string // data folder; a bench mechanism is created there if it holds none
	N       int    // cases the views must hold; reports are appended until they do
	Queries int    // requests per kind of query
	// Progress, if set, is told how many reports were appended so far.
	Progress func(done int)
}

// QueryResult is the latency of one kind of case-list query.
type QueryResult struct {
	Name  string  `json:"name"`
	Query string  `json:"example"`
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	P99ms float64 `json:"p99_ms"`
	// Items is the mean number of cases a query answered.
	Items float64 `json:"mean_items"`
}

// CasesResult is what Cases measured.
type CasesResult struct {
	Cases   int64         `json:"cases"`
	Added   int           `json:"added"`
	Queries []QueryResult `json:"queries"`
	// P95ms is over every query of every kind.
	P95ms float64 `json:"p95_ms"`
	CPUs  int     `json:"cpus"`
}

// Cases makes sure the mechanism in opts.Dir has at least opts.N cases
// (appending reports, as Ledger does), then measures GET /api/v1/cases
// through a server on loopback with the filters people use: none, a party,
// a stage, an event type, a category, a week of event time, a bounding box,
// a combination, and a page deep into the list.
func Cases(ctx context.Context, opts CasesOptions) (*CasesResult, error) {
	if opts.N < 1 || opts.Queries < 1 {
		return nil, fmt.Errorf("n and queries must be at least 1")
	}
	have := int64(0)
	if datadir.Exists(opts.Dir) {
		l, err := datadir.Open(ctx, opts.Dir, ledger.Options{})
		if err != nil {
			return nil, err
		}
		have, err = l.DB.Count(ctx, "cases")
		l.Close()
		if err != nil {
			return nil, err
		}
	}
	added := 0
	if missing := int64(opts.N) - have; missing > 0 {
		if _, err := Ledger(ctx, Options{Dir: opts.Dir, N: int(missing), Clients: 16, Progress: opts.Progress}); err != nil {
			return nil, err
		}
		added = int(missing)
	}
	reg := prometheus.NewRegistry()
	l, err := datadir.Open(ctx, opts.Dir, ledger.Options{Registerer: reg})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	count, err := l.DB.Count(ctx, "cases")
	if err != nil {
		return nil, err
	}
	stop, base, err := serveLoopback(l, reg)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := &http.Client{Timeout: time.Minute}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	day := func() time.Time {
		return now.Add(-time.Duration(rng.IntN(2000)) * time.Minute).Truncate(24 * time.Hour)
	}
	kinds := []struct {
		name  string
		query func() url.Values
	}{
		{"latest", func() url.Values { return url.Values{} }},
		{"party", func() url.Values { return url.Values{"party": {pick(rng, "pakistan", "afghanistan")}} }},
		{"stage", func() url.Values { return url.Values{"stage": {"received"}} }},
		{"type", func() url.Values {
			e := benchEvents[rng.IntN(len(benchEvents))]
			return url.Values{"type": {e.typ}, "sub_type": {e.sub}}
		}},
		{"category", func() url.Values { return url.Values{"category": {benchEvents[rng.IntN(len(benchEvents))].category}} }},
		{"week", func() url.Values {
			d := day()
			return url.Values{"from": {statement.FormatTime(d.Add(-7 * 24 * time.Hour))}, "to": {statement.FormatTime(d)}}
		}},
		{"bbox", func() url.Values {
			lon, lat := 69+rng.Float64()*2.5, 31+rng.Float64()*3.5
			return url.Values{"bbox": {fmt.Sprintf("%.3f,%.3f,%.3f,%.3f", lon, lat, lon+0.5, lat+0.5)}}
		}},
		{"combined", func() url.Values {
			return url.Values{"accused": {"afghanistan"}, "category": {"cross_border_fire"}, "bbox": {"69,31,72,35"}, "limit": {"100"}}
		}},
		{"deep page", func() url.Values {
			return url.Values{"before": {fmt.Sprint(1 + rng.Int64N(max(count, 1)))}}
		}},
	}
	res := &CasesResult{Cases: count, Added: added, CPUs: runtime.NumCPU()}
	var all []time.Duration
	for _, k := range kinds {
		lat := make([]time.Duration, 0, opts.Queries)
		items := 0
		var example string
		for range opts.Queries {
			q := k.query().Encode()
			example = "/api/v1/cases?" + q
			t0 := time.Now()
			n, err := getItems(ctx, client, base+example)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", example, err)
			}
			lat = append(lat, time.Since(t0))
			items += n
		}
		all = append(all, lat...)
		slices.Sort(lat)
		res.Queries = append(res.Queries, QueryResult{Name: k.name, Query: example, N: len(lat),
			P50ms: ms(pct(lat, 50)), P95ms: ms(pct(lat, 95)), P99ms: ms(pct(lat, 99)), Items: float64(items) / float64(len(lat))})
	}
	slices.Sort(all)
	res.P95ms = ms(pct(all, 95))
	return res, nil
}

func pick(rng *rand.Rand, options ...string) string { return options[rng.IntN(len(options))] }

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[min(len(sorted)*p/100, len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// getItems fetches a list and counts its items.
func getItems(ctx context.Context, client *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", resp.Status, b)
	}
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return 0, err
	}
	return len(page.Items), nil
}
