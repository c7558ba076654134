package report

import (
	"slices"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// countryNames are the names of the countries the default rulebook's
// places lie in; any other country is shown by its code.
var countryNames = map[string]string{"AF": "Afghanistan", "PK": "Pakistan"}

// UnknownRegion is the name of the region of the events whose place has
// no country or province known.
const UnknownRegion = "Unknown or other (no province known)"

// region is the key and name of the region of an administrative unit:
// "PK/Balochistan", "Balochistan, Pakistan"; "AF/" for a country alone;
// "" for none.
func region(a mechanism.AdminUnit) (key, name string) {
	if a.Country == "" {
		return "", UnknownRegion
	}
	country := a.Country
	if n, ok := countryNames[country]; ok {
		country = n
	}
	if a.Admin1 == "" {
		return a.Country + "/", country + " (province not given)"
	}
	return a.Country + "/" + a.Admin1, a.Admin1 + ", " + country
}

// tally counts by key in this period and the last, keeping each key's
// name.
type tally struct {
	m map[string]*Change
}

func (t *tally) add(key, name string, last bool, n int64) {
	if t.m == nil {
		t.m = map[string]*Change{}
	}
	c, ok := t.m[key]
	if !ok {
		c = &Change{Key: key, Name: name}
		t.m[key] = c
	}
	if last {
		c.Last += n
	} else {
		c.This += n
	}
}

// sorted is the counts by key, the key "" last.
func (t *tally) sorted() []Change {
	out := make([]Change, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Change) int {
		switch {
		case a.Key == b.Key:
			return 0
		case a.Key == "":
			return 1
		case b.Key == "":
			return -1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// detail fills the figures read case by case: regions, access denials,
// commitments and the map's incidents.
func (p *Periodic) detail(rb *mechanism.Rulebook, d *store.PeriodDetail, o Options) {
	var gazetteer func(string) (mechanism.AdminUnit, bool)
	if o.Place != nil {
		gazetteer = func(id string) (mechanism.AdminUnit, bool) {
			a, _, _, ok := o.Place(id)
			return a, ok
		}
	}
	p.HasAccessCategory = slices.ContainsFunc(rb.Categories, func(c mechanism.Clause) bool { return c.ID == AccessDenied })
	var regions, denials tally
	incidents := map[Incident]*Incident{}
	for _, c := range d.Cases {
		key, name := region(placeAdmin(c.Admin, c.PlaceID, gazetteer))
		regions.add(key, name, c.Last, c.Count)
		if p.HasAccessCategory && c.Flagged {
			name := p.Name(c.Accused)
			if c.Accused == "" {
				name = "No party named"
			}
			denials.add(c.Accused, name, c.Last, c.Count)
		}
		if c.Last {
			continue
		}
		switch {
		case c.Lat != nil && c.Lon != nil:
			addIncidents(incidents, c.First, *c.Lat, *c.Lon, c.Standing, c.Count)
		case c.PlaceID != "" && o.Place != nil:
			if _, lat, lon, ok := o.Place(c.PlaceID); ok {
				addIncidents(incidents, c.First, lat, lon, c.Standing, c.Count)
				continue
			}
			p.Unlocated += c.Count
		default:
			p.Unlocated += c.Count
		}
	}
	p.ByRegion, p.AccessDenials = regions.sorted(), denials.sorted()
	p.Incidents = sortIncidents(incidents)
	p.Commitments = []store.PeriodCommitment{}
	p.Due, p.Met = Change{Key: "due", Name: "Due"}, Change{Key: "met", Name: "Met"}
	for _, c := range d.Commitments {
		met := c.Status == mechanism.DeadlineMet
		if c.Last {
			p.Due.Last++
			if met {
				p.Met.Last++
			}
			continue
		}
		p.Due.This++
		if met {
			p.Met.This++
		}
		p.Commitments = append(p.Commitments, c)
	}
}
