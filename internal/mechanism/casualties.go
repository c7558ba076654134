package mechanism

import (
	"slices"
	"strconv"

	"github.com/sulh-project/sulh/internal/statement"
)

// SideFigure is one figure of a casualty claim that says whose dead or
// injured it counts (rules 3): a party's forces, an armed group's
// fighters, or the civilians of a country. A figure that is not known is
// absent, never 0: Best is required, and Low and High stay absent when
// the claim gives no range.
type SideFigure struct {
	// Measure is one of Measures, such as "killed_civilian".
	Measure string `json:"measure"`
	// Party is the party whose forces a combatant figure counts.
	Party string `json:"party,omitempty"`
	// Actor is the armed group (an actor id such as "ttp") whose
	// fighters a combatant figure counts, when they are no party's.
	Actor string `json:"actor,omitempty"`
	// Country is the country (ISO 3166-1 alpha-2, such as "AF") whose
	// civilians a civilian figure counts.
	Country string `json:"country,omitempty"`
	Low     *int64 `json:"low,omitempty"`
	Best    *int64 `json:"best"`
	High    *int64 `json:"high,omitempty"`
}

// Whose says whose dead or injured the figure counts, as one word: the
// party, the actor or the country.
func (f *SideFigure) Whose() string {
	switch {
	case f.Party != "":
		return f.Party
	case f.Actor != "":
		return f.Actor
	}
	return f.Country
}

// civilian reports whether measure counts civilians.
func civilian(measure string) bool { return measure == Measures[0] || measure == Measures[2] }

// checkCasualties checks a claim's figures. Under rules 3 each figure
// says whose it is, in c.Sides; the figures of Killed and Injured, which
// say only civilian or combatant, are refused, and Sides under earlier
// rules.
func (s *State) checkCasualties(kind string, c *Casualties) error {
	if c == nil {
		return nil
	}
	if err := c.check(kind); err != nil {
		return err
	}
	if err := s.needsRules3(kind, "casualties.sides", c.Sides != nil); err != nil {
		return err
	}
	if s.rules() < Rules3 {
		return nil
	}
	for i, f := range c.Splits() {
		if f != nil {
			return field(kind, "casualties."+splitNames[i], "says civilian or combatant but not whose: file the figure in casualties.sides, with its party, actor or country, such as {\"measure\": %q, %s, \"best\": 3}",
				Measures[i], whoseExample(Measures[i]))
		}
	}
	if len(c.Sides) == 0 {
		return field(kind, "casualties.sides", "lists at least one figure; leave casualties out when there are none")
	}
	if len(c.Sides) > maxList {
		return field(kind, "casualties.sides", "at most %d figures", maxList)
	}
	for i := range c.Sides {
		f := &c.Sides[i]
		name := "casualties.sides[" + strconv.Itoa(i) + "]"
		if err := checkEnum(kind, name+".measure", f.Measure, Measures); err != nil {
			return err
		}
		if civilian(f.Measure) {
			if f.Party != "" || f.Actor != "" || !countryRE.MatchString(f.Country) {
				return field(kind, name, "counts civilians: say of which country, as \"country\": an ISO 3166-1 alpha-2 code such as \"AF\" or \"PK\", and no party or actor")
			}
		} else {
			switch {
			case f.Country != "" || (f.Party == "") == (f.Actor == ""):
				return field(kind, name, "counts combatants: say whose, as \"party\" (a party's forces, such as \"pakistan\") or \"actor\" (an armed group, such as \"ttp\"), one of the two")
			case f.Party != "":
				if err := s.party(kind, name+".party", f.Party); err != nil {
					return err
				}
			case !statement.ValidID(f.Actor):
				return field(kind, name+".actor", "%q is not an actor id such as \"ttp\"", f.Actor)
			}
		}
		if slices.ContainsFunc(c.Sides[:i], func(g SideFigure) bool { return g.Measure == f.Measure && g.Whose() == f.Whose() }) {
			return field(kind, name, "%s of %s is given twice; give one figure for each measure and side", f.Measure, f.Whose())
		}
		if f.Best == nil {
			return field(kind, name+".best", "is required: a figure that is not known is left out, never filed as 0")
		}
		lo, hi := *f.Best, *f.Best
		if f.Low != nil {
			lo = *f.Low
		}
		if f.High != nil {
			hi = *f.High
		}
		switch {
		case lo < 0 || *f.Best < 0 || hi < 0:
			return field(kind, name, "counts cannot be negative")
		case lo > *f.Best || *f.Best > hi:
			return field(kind, name, "must have low ≤ best ≤ high (got %d, %d, %d)", lo, *f.Best, hi)
		case hi > maxCount:
			return field(kind, name, "at most %d", maxCount)
		}
	}
	return nil
}

// splitNames name the figures of Killed and Injured as the JSON has them.
var splitNames = []string{"killed.civilian", "killed.combatant", "injured.civilian", "injured.combatant"}

// whoseExample is an example of the side of a figure of measure.
func whoseExample(measure string) string {
	if civilian(measure) {
		return `"country": "AF"`
	}
	return `"party": "pakistan"`
}

func (f *SideFigure) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "measure":
			f.Measure = r.String()
		case "party":
			f.Party = r.String()
		case "actor":
			f.Actor = r.String()
		case "country":
			f.Country = r.String()
		case "low":
			f.Low = r.IntPtr()
		case "best":
			f.Best = r.IntPtr()
		case "high":
			f.High = r.IntPtr()
		default:
			r.Fail()
		}
	}
}
