package web

import (
	"context"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// Views are the tables the server reads, written by the follower behind
// the log. store.DB is the SQLite adapter.
type Views interface {
	// List returns a page of a list (see store.Lists); a filter the list
	// does not take is a *store.FilterError.
	List(ctx context.Context, list string, f store.Filter) (store.Page, error)
	// Each calls fn with each row of a list that f selects, one at a
	// time, as List reads them (store.DB.Each), for the exports.
	Each(ctx context.Context, list string, f store.Filter, fn func(store.Row) error) error
	// ClaimSides returns the claimants, measures and sides of the claims
	// on the cases a filter selects (store.DB.ClaimSides).
	ClaimSides(ctx context.Context, f store.Filter) ([]store.ClaimSide, int64, error)
	// Case, Statement and Sealed return one row, or store.ErrNotFound.
	Case(ctx context.Context, id int64) (store.Row, error)
	Statement(ctx context.Context, idx int64) (store.Row, error)
	Sealed(ctx context.Context, idx int64) (store.Row, error)
	// History returns every statement about a case, oldest first, each
	// with its text as signed.
	History(ctx context.Context, caseID int64) ([]store.Row, error)
	// SealedBody returns a sealed statement's body and salt, or
	// store.ErrNotFound.
	SealedBody(ctx context.Context, idx int64) (salt, body []byte, err error)
	// TokenMember returns the active member an API token is bound to,
	// given the SHA-256 of its secret, or store.ErrNotFound.
	TokenMember(ctx context.Context, sha string, now string) (member, body string, err error)
	// Member returns a member as the views hold it, or
	// store.ErrNotFound.
	Member(ctx context.Context, name string) (store.Member, error)
	// FirstRegistration returns the statement that first registered an
	// evidence file, or store.ErrNotFound.
	FirstRegistration(ctx context.Context, sha string) (*store.Registration, error)
	// Inbox returns what a body has to know, newest first.
	Inbox(ctx context.Context, body string, rb *mechanism.Rulebook, limit int) ([]store.Notice, error)
	// Actor returns a registered actor with its counts, or
	// store.ErrNotFound.
	Actor(ctx context.Context, id string) (store.Row, error)
	// ActorClaims returns what actors said about a case (caseID ≥ 0) or
	// what one actor said (caseID < 0), in the order they said it.
	ActorClaims(ctx context.Context, caseID int64, actor string) ([]store.Row, error)
	// AddedPlaces returns the places that place statements after index
	// after added to the gazetteer, in log order.
	AddedPlaces(ctx context.Context, after int64) ([]store.AddedPlace, error)
	// Counts returns each body's cases, each event once.
	Counts(ctx context.Context) ([]store.Counts, error)
	// PublishedFindings returns a page of the findings of the cases in
	// rb's stage of publication, newest first, before the index before
	// (0: from the newest).
	PublishedFindings(ctx context.Context, rb *mechanism.Rulebook, before int64, limit int) (store.Page, error)
	// StatementCases returns the cases a statement belongs to.
	StatementCases(ctx context.Context, idx int64) ([]int64, error)
	// AddTip keeps a tip from the public, apart from the log, and Tips
	// (newest first, ids below before if positive) and Tip read tips back:
	// for the monitors alone (see mayReadTips).
	AddTip(ctx context.Context, t store.Tip) (int64, error)
	Tips(ctx context.Context, before int64, limit int) ([]store.Tip, error)
	Tip(ctx context.Context, id int64) (store.Tip, error)
	// AllCounts returns each body's cases and the cases by category,
	// status and stage, each event once, read in one snapshot.
	AllCounts(ctx context.Context) ([]store.Counts, store.CaseCounts, error)
	// Dashboard returns the dashboard's figures.
	Dashboard(ctx context.Context, q store.DashboardQuery) (*store.Dashboard, error)
	// PeriodCases returns the latest cases of a period by event time,
	// each event once, at most limit: their id, place_id, lat, lon and
	// standing.
	PeriodCases(ctx context.Context, p store.Period, limit int) ([]store.Row, error)
	// LogTime returns the log's time as the views hold it, or the zero
	// time for empty views.
	LogTime(ctx context.Context) (time.Time, error)
	// PeriodFigures, PeriodDetails and ViewsCursor are what a periodic
	// report reads beside the dashboard's figures (report.Views).
	PeriodFigures(ctx context.Context, rb *mechanism.Rulebook, this, last store.Period) (*store.PeriodFigures, error)
	PeriodDetails(ctx context.Context, periods []store.Periods, flag string) ([]*store.PeriodDetail, error)
	ViewsCursor(ctx context.Context) (int64, error)
}
