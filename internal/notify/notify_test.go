package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/notify"
	"github.com/sulh-project/sulh/internal/store"
)

// mustMembers returns a demo mechanism with its members enrolled.
func mustMembers(t *testing.T) *demo.Mechanism {
	t.Helper()
	ctx := context.Background()
	m, err := demo.Create(ctx, t.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

// scenario returns a demo mechanism with the demo's scenario filed.
func scenario(t *testing.T) (*demo.Mechanism, *demo.Story) {
	t.Helper()
	m := mustMembers(t)
	story, err := m.Scenario(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m, story
}

// TestDeliver sends the demo's notices to a receiver that fails twice
// before it accepts: every notice arrives, signed by the log, after its
// retries.
func TestDeliver(t *testing.T) {
	ctx := context.Background()
	m, story := scenario(t)
	rc := &notify.Receiver{LogKey: m.Log.VerifierKey()}
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		rc.ServeHTTP(w, r)
	}))
	defer srv.Close()
	n := notify.New(m.Log.Log, m.Log.DB, notify.Options{Subscribers: []string{srv.URL}})
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < 10; i++ {
		if err := n.Send(ctx, now); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	log, err := m.Log.DB.Deliveries(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	published := false
	for _, d := range log {
		if d.Status != store.DeliveryDelivered {
			t.Errorf("delivery %+v not delivered", d)
		}
		published = published || (d.Kind == store.EventPublished)
	}
	if len(log) == 0 || !published || log[len(log)-1].Attempts != 2 {
		t.Errorf("%d deliveries, published %v; the first took %d attempts, want 2 (one refused)", len(log), published, log[len(log)-1].Attempts)
	}
	// The receiver got every notice, verified, with the published case.
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `"kind":"published"`) || !strings.Contains(rec.Body.String(), `"case":`+itoa(story.Published)) {
		t.Errorf("the receiver holds %s", rec.Body)
	}
	// Nothing new: nothing more is queued.
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := m.Log.DB.Deliveries(ctx, 1000); len(again) != len(log) {
		t.Errorf("a second Queue added %d deliveries", len(again)-len(log))
	}
}

// TestGiveUp gives a notice up after MaxAttempts, each later than the one
// before.
func TestGiveUp(t *testing.T) {
	ctx := context.Background()
	m, _ := scenario(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	n := notify.New(m.Log.Log, m.Log.DB, notify.Options{Subscribers: []string{srv.URL}})
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var waits []time.Duration
	for i := 0; i < notify.MaxAttempts; i++ {
		if err := n.Send(ctx, now); err != nil {
			t.Fatal(err)
		}
		log, _ := m.Log.DB.Deliveries(ctx, 1)
		next, _ := time.Parse(time.RFC3339Nano, log[0].NextAt)
		waits = append(waits, next.Sub(now).Round(time.Second))
		now = next
	}
	log, _ := m.Log.DB.Deliveries(ctx, 1000)
	for _, d := range log {
		if d.Status != store.DeliveryFailed || d.Attempts != notify.MaxAttempts || !strings.Contains(d.LastError, "500") {
			t.Fatalf("delivery %+v; want failed after %d attempts", d, notify.MaxAttempts)
		}
	}
	if waits[0] != time.Second || waits[1] != 2*time.Second || waits[2] != 4*time.Second {
		t.Errorf("waits between attempts %v; want 1s, 2s, 4s …", waits)
	}
}

// TestReceiverRefusesForgeries checks that a notice not signed by the log
// is refused.
func TestReceiverRefusesForgeries(t *testing.T) {
	m, _ := scenario(t)
	rc := &notify.Receiver{LogKey: m.Log.VerifierKey()}
	signed, err := m.Log.SignNote(notify.Version + "\n{\"kind\":\"published\",\"case\":1}\n")
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(signed), `"case":1`, `"case":2`, 1)
	for _, tc := range []struct {
		body string
		want int
	}{{string(signed), http.StatusNoContent}, {forged, http.StatusBadRequest}, {"hello", http.StatusBadRequest}} {
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("POST %q: %d, want %d", tc.body[:min(len(tc.body), 30)], rec.Code, tc.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDeadlineNear tells the accused party, once, that its right of reply
// ends within a day.
func TestDeadlineNear(t *testing.T) {
	ctx := context.Background()
	m := mustMembers(t)
	// A report filed 60 hours ago: Afghanistan's 72-hour reply ends in 12.
	at := time.Now().UTC().Add(-60 * time.Hour).Truncate(time.Second)
	r, err := m.Submit(ctx, mechanism.KindReport, "pakistan-liaison-1", at, demo.SampleReport("Fire at Torkham.", "afghanistan", at.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	rc := &notify.Receiver{LogKey: m.Log.VerifierKey()}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	n := notify.New(m.Log.Log, m.Log.DB, notify.Options{Subscribers: []string{srv.URL}})
	for range 2 {
		if err := n.Queue(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n.Send(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := m.Log.DB.Deliveries(ctx, 100)
	var near []store.Delivery
	for _, d := range log {
		if d.Kind == store.EventDeadlineNear {
			near = append(near, d)
		}
	}
	if len(near) != 1 || near[0].Index != r.Index || near[0].Status != store.DeliveryDelivered {
		t.Fatalf("deadline_near deliveries %+v; want one, of the reply deadline opened at %d", near, r.Index)
	}
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `"kind":"deadline_near"`) || !strings.Contains(rec.Body.String(), `"bodies":["afghanistan"]`) {
		t.Errorf("the receiver holds %s", rec.Body)
	}
}
