package report

import (
	"context"
	"fmt"
	"sync"

	"github.com/sulh-project/sulh/internal/gazetteer"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// PlaceViews are views that hold the places the log added: store.DB is
// one.
type PlaceViews interface {
	AddedPlaces(ctx context.Context, after int64) ([]store.AddedPlace, error)
}

// embedded is the embedded gazetteer, read once.
var embedded = sync.OnceValues(gazetteer.Load)

// PlacesIn returns the Options that place an event named by a place id
// as the server places it (web's gazetteer): by the embedded gazetteer's
// place of that id, or else the log's place of that id as views v hold
// it, its first administrative unit and its coordinates. A report made
// from views of a log size with these options is the server's report of
// that size: the audit and the reports made by replaying the log use it.
func PlacesIn(ctx context.Context, v PlaceViews) (Options, error) {
	base, err := embedded()
	if err != nil {
		return Options{}, fmt.Errorf("couldn't load the gazetteer: %w", err)
	}
	added, err := v.AddedPlaces(ctx, -1)
	if err != nil {
		return Options{}, err
	}
	logged := make(map[string]store.AddedPlace, len(added))
	for _, p := range added {
		logged[p.ID] = p // in log order: the latest statement of an id stands
	}
	return Options{Place: func(id string) (mechanism.AdminUnit, float64, float64, bool) {
		if p, ok := base.Place(id); ok {
			if len(p.Admin) == 0 {
				return mechanism.AdminUnit{}, 0, 0, false
			}
			a := p.Admin[0]
			return mechanism.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2}, p.Lat, p.Lon, true
		}
		p, ok := logged[id]
		if !ok || len(p.Admin) == 0 {
			return mechanism.AdminUnit{}, 0, 0, false
		}
		a := p.Admin[0]
		return mechanism.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2}, p.Lat, p.Lon, true
	}}, nil
}
