package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/web"
)

// mustDemo creates the demo mechanism with its members and, when scenario
// is true, its scenario, with the views holding all of it. It returns the
// mechanism, the story (nil without the scenario) and the registry of its
// metrics.
func mustDemo(t *testing.T, scenario bool) (*demo.Mechanism, *demo.Story, *prometheus.Registry) {
	t.Helper()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m, err := demo.Create(ctx, t.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	var story *demo.Story
	if scenario {
		if story, err = m.Scenario(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Tests read the views directly too: they hold everything filed.
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
	return m, story, reg
}

// mustServe serves m's API and pages until the test ends.
func mustServe(t *testing.T, m *demo.Mechanism, reg *prometheus.Registry) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
	t.Cleanup(srv.Close)
	return srv
}
