package mechanism

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/statement"
)

// Enumerations of fields that several kinds share.
var (
	Precisions = []string{"exact", "day", "week", "month"}
	ActorRoles = []string{"actor1", "actor2", "associated"}
	Methods    = []string{"seen", "heard", "camera", "drone", "open_source", "hearsay"}
)

// EventTime is when an event happened, and how precisely that is known.
type EventTime struct {
	Time      string `json:"time"`
	Precision string `json:"precision"`
}

// Place is where something happened.
type Place struct {
	// ID is a gazetteer id, when the place is known to it.
	ID   string   `json:"id,omitempty"`
	Name string   `json:"name"`
	Lat  *float64 `json:"lat,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
	// GeoPrecision is ACLED's: 1 the place itself, 2 near it or its
	// district, 3 only the province.
	GeoPrecision int         `json:"geo_precision"`
	Admin        []AdminUnit `json:"admin,omitempty"`
}

// AdminUnit places a location in one country's administrative units; a
// border place has one per side.
type AdminUnit struct {
	Country string `json:"country"` // ISO 3166-1 alpha-2
	Admin1  string `json:"admin1,omitempty"`
	Admin2  string `json:"admin2,omitempty"`
	Admin3  string `json:"admin3,omitempty"`
}

// Actor is who took part, as a canonical id and as the author calls it,
// kept verbatim.
type Actor struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Role  string `json:"role,omitempty"`
}

// Casualties are claimed figures: killed and injured, civilians and
// combatants, each as a range. Under rules 3 they are in Sides, each
// saying whose dead or injured it counts; Killed and Injured, which do
// not, are for the rules before.
type Casualties struct {
	Killed  Split `json:"killed"`
	Injured Split `json:"injured"`
	// Sides are the figures, each of one side (rules 3).
	Sides []SideFigure `json:"sides,omitempty"`
}

// Split is a figure for civilians and one for combatants.
type Split struct {
	Civilian  *Figure `json:"civilian,omitempty"`
	Combatant *Figure `json:"combatant,omitempty"`
}

// Figure is a count with its low and high estimates.
type Figure struct {
	Low  int64 `json:"low"`
	Best int64 `json:"best"`
	High int64 `json:"high"`
}

// Measures names the four figures of Casualties, in a fixed order.
var Measures = []string{"killed_civilian", "killed_combatant", "injured_civilian", "injured_combatant"}

// Splits returns the figures of Killed and Injured in the order of
// Measures; absent ones are nil.
func (c *Casualties) Splits() [4]*Figure {
	if c == nil {
		return [4]*Figure{}
	}
	return [4]*Figure{c.Killed.Civilian, c.Killed.Combatant, c.Injured.Civilian, c.Injured.Combatant}
}

// Observation is how the author knows.
type Observation struct {
	Method   string   `json:"method"`
	Observer *Point   `json:"observer,omitempty"`
	Bearing  *float64 `json:"bearing,omitempty"`  // degrees from true north
	Distance *float64 `json:"distance,omitempty"` // metres
}

// Point is a position in WGS 84. Under rules 3 both coordinates are
// required: a position not known is left out, never read as 0, 0.
type Point struct {
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
}

// coords returns the point's coordinates, 0 for an absent one, as the
// rules before 3 read them.
func (p *Point) coords() (lat, lon float64) {
	if p.Lat != nil {
		lat = *p.Lat
	}
	if p.Lon != nil {
		lon = *p.Lon
	}
	return lat, lon
}

// Origin is where the author says an attack came from.
type Origin struct {
	// Territory is the party from whose territory it came.
	Territory string `json:"territory"`
	Place     string `json:"place,omitempty"`
}

// Limits on fields: texts in characters (in bytes under rules 1 and 2),
// lists in items.
const (
	maxName    = 200
	maxSummary = 500
	maxText    = 32 << 10
	maxList    = 32
	maxCount   = 1_000_000
	// maxTextBytes bounds a text in bytes whatever its limit in
	// characters, so that a statement holding it still fits in a log entry
	// (statement.MaxSize, 64 KiB).
	maxTextBytes = 48 << 10
)

var (
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// problems gathers the field problems of one statement, so that its
// refusal names them all at once rather than the first alone. Only what a
// refusal says depends on it: a statement with any problem is refused, as
// it would be at the first.
type problems struct {
	kind string
	errs []error
}

// add keeps err, if it is not nil, and reports whether it was nil.
func (p *problems) add(err error) bool {
	if err != nil {
		p.errs = append(p.errs, err)
	}
	return err == nil
}

// err is the refusal for every problem kept: nil for none, the one for
// one, and for several a sentence that lists them in the order found.
// A problem other than an invalid field (a forbidden signer, say) is
// refused alone, as it would have been on its own.
func (p *problems) err() error {
	if len(p.errs) <= 1 {
		if len(p.errs) == 1 {
			return p.errs[0]
		}
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems: ", p.kind, len(p.errs))
	for i, err := range p.errs {
		var e *statement.Error
		if !errors.As(err, &e) || e.Code != statement.CodeInvalid {
			return err
		}
		if i > 0 {
			b.WriteString(". ")
		}
		b.WriteString(strings.TrimPrefix(e.Reason, p.kind+": "))
	}
	return statement.Invalid("%s", b.String())
}

// errOf is the error of a check that also returns a value.
func errOf[T any](_ T, err error) error { return err }

// field reports a problem with a field of a kind of statement.
func field(kind, name, format string, args ...any) error {
	return statement.Invalid(kind+": "+name+": "+format, args...)
}

// textCheck checks a text field: checkText under rules 3, or the rules of
// the mechanism's version (State.checkText).
type textCheck func(kind, name, s string, max int, required bool) error

// checkText checks free text by the rules of rules 3: valid UTF-8, at most
// max characters and maxTextBytes bytes, present if required. Kinds born
// under rules 3, which earlier rules refuse, call it; kinds that rules 1
// and 2 know call State.checkText, which keeps their limits in bytes under
// those rules.
func checkText(kind, name, s string, max int, required bool) error {
	if required && s == "" {
		return field(kind, name, "is required; give a text of 1 to %d characters", max)
	}
	if !utf8.ValidString(s) {
		return field(kind, name, "must be UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return field(kind, name, "must be at most %d characters; this one has %d", max, n)
	}
	if len(s) > maxTextBytes {
		return field(kind, name, "must be at most %d bytes in UTF-8, so that the statement fits in a log entry; this one has %d", maxTextBytes, len(s))
	}
	return nil
}

// checkTextBytes is checkText by the rules of rules 1 and 2: at most max
// bytes.
func checkTextBytes(kind, name, s string, max int, required bool) error {
	if required && s == "" {
		return field(kind, name, "is required; give a text of 1 to %d bytes", max)
	}
	if len(s) > max {
		return field(kind, name, "must be at most %d bytes under rules 1 and 2, where a letter of Arabic script takes 2; this one has %d (amend the rulebook to rules %d to count in characters)", max, len(s), Rules3)
	}
	if !utf8.ValidString(s) {
		return field(kind, name, "must be UTF-8 text")
	}
	return nil
}

// checkText checks a text field of a kind that rules 1 and 2 know, by the
// rules in force: limits in characters under rules 3, in bytes before.
func (s *State) checkText(kind, name, v string, max int, required bool) error {
	return s.textCheck()(kind, name, v, max, required)
}

// textCheck returns the check of text fields by the rules in force.
func (s *State) textCheck() textCheck {
	if s.rules() < Rules3 {
		return checkTextBytes
	}
	return checkText
}

func checkEnum(kind, name, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return field(kind, name, "%q is not one of %v", v, allowed)
	}
	return nil
}

// checkIDs checks a list of identifiers, each of which must satisfy ok.
func checkIDs(kind, name string, l []string, ok func(string) bool, what string) error {
	if len(l) > maxList {
		return field(kind, name, "at most %d items", maxList)
	}
	for i, v := range l {
		if !statement.ValidID(v) || slices.Contains(l[:i], v) {
			return field(kind, name, "%q must be a unique identifier", v)
		}
		if ok != nil && !ok(v) {
			return field(kind, name, "%q is not %s", v, what)
		}
	}
	return nil
}

func checkLanguage(kind, v string) error {
	if !languageRE.MatchString(v) {
		return field(kind, "language", "%q is not a language tag such as \"en\", \"ur\", \"ps\" or \"fa-AF\"", v)
	}
	return nil
}

func checkEvidence(kind string, l []string) error {
	if len(l) > maxList {
		return field(kind, "evidence", "at most %d items", maxList)
	}
	for i, h := range l {
		if !sha256RE.MatchString(h) || slices.Contains(l[:i], h) {
			return field(kind, "evidence", "%q must be a unique SHA-256 in lower-case hex", h)
		}
	}
	return nil
}

// checkTime parses a time field; latest bounds it when not zero.
func checkTime(kind, name, v string, latest time.Time) (time.Time, error) {
	t, err := statement.ParseTime(v)
	if err != nil {
		return time.Time{}, field(kind, name, "%v", err)
	}
	if !latest.IsZero() && t.After(latest) {
		return time.Time{}, field(kind, name, "%s is after the statement's own time", v)
	}
	return t, nil
}

func checkCoord(kind, name string, lat, lon float64) error {
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return field(kind, name, "latitude must be within ±90 and longitude within ±180")
	}
	return nil
}

// check checks a place by the rules of rules 3; checkWith checks it with
// the text check given (State.textCheck).
func (p *Place) check(kind string) error { return p.checkWith(kind, checkText) }

func (p *Place) checkWith(kind string, checkText textCheck) error {
	if p.ID != "" && !statement.ValidID(p.ID) {
		return field(kind, "place.id", "%q is not an identifier", p.ID)
	}
	if err := checkText(kind, "place.name", p.Name, maxName, true); err != nil {
		return err
	}
	if (p.Lat == nil) != (p.Lon == nil) {
		return field(kind, "place", "lat and lon go together")
	}
	if p.Lat != nil {
		if err := checkCoord(kind, "place", *p.Lat, *p.Lon); err != nil {
			return err
		}
	}
	if p.GeoPrecision < 1 || p.GeoPrecision > 3 {
		return field(kind, "place.geo_precision", "must be 1 (the place itself), 2 (near it, or its district) or 3 (the province)")
	}
	if len(p.Admin) > 4 {
		return field(kind, "place.admin", "at most 4 units")
	}
	for _, a := range p.Admin {
		if !countryRE.MatchString(a.Country) {
			return field(kind, "place.admin.country", "%q is not an ISO 3166-1 alpha-2 code such as \"PK\"", a.Country)
		}
		for _, s := range []string{a.Admin1, a.Admin2, a.Admin3} {
			if err := checkText(kind, "place.admin", s, maxName, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkActors checks a list of actors by the rules of rules 3;
// checkActorsWith checks it with the text check given (State.textCheck).
func checkActors(kind string, l []Actor) error { return checkActorsWith(kind, l, checkText) }

func checkActorsWith(kind string, l []Actor, checkText textCheck) error {
	if len(l) > maxList {
		return field(kind, "actors", "at most %d items", maxList)
	}
	for _, a := range l {
		if err := a.checkWith(kind, "actors", checkText); err != nil {
			return err
		}
	}
	return nil
}

// check checks an actor by the rules of rules 3; checkWith checks it
// with the text check given (State.textCheck).
func (a *Actor) check(kind, name string) error { return a.checkWith(kind, name, checkText) }

func (a *Actor) checkWith(kind, name string, checkText textCheck) error {
	if !statement.ValidID(a.ID) {
		return field(kind, name+".id", "%q is not an identifier such as \"ttp\"", a.ID)
	}
	if err := checkText(kind, name+".label", a.Label, maxName, true); err != nil {
		return err
	}
	if a.Role != "" {
		return checkEnum(kind, name+".role", a.Role, ActorRoles)
	}
	return nil
}

func (c *Casualties) check(kind string) error {
	if c == nil {
		return nil
	}
	for i, f := range c.Splits() {
		if f == nil {
			continue
		}
		if f.Low < 0 || f.Best < 0 || f.High < 0 {
			return field(kind, "casualties."+Measures[i], "counts cannot be negative")
		}
		if f.Low > f.Best || f.Best > f.High {
			return field(kind, "casualties."+Measures[i], "must have low ≤ best ≤ high (got %d, %d, %d)", f.Low, f.Best, f.High)
		}
		if f.High > maxCount {
			return field(kind, "casualties."+Measures[i], "at most %d", maxCount)
		}
	}
	return nil
}

func (o *Observation) check(kind string, rules int) error {
	if o == nil {
		return nil
	}
	if err := checkEnum(kind, "observation.method", o.Method, Methods); err != nil {
		return err
	}
	if o.Observer != nil {
		if rules >= Rules3 && (o.Observer.Lat == nil || o.Observer.Lon == nil) {
			return field(kind, "observation.observer", "needs both lat and lon, such as {\"lat\": 34.11, \"lon\": 71.09}; leave the observer out when the position is not known")
		}
		lat, lon := o.Observer.coords()
		if err := checkCoord(kind, "observation.observer", lat, lon); err != nil {
			return err
		}
	}
	if o.Bearing != nil && (math.IsNaN(*o.Bearing) || *o.Bearing < 0 || *o.Bearing >= 360) {
		return field(kind, "observation.bearing", "must be in degrees, from 0 up to 360")
	}
	if o.Distance != nil && (math.IsNaN(*o.Distance) || *o.Distance < 0 || *o.Distance > 1e6) {
		return field(kind, "observation.distance", "must be in metres, from 0 to 1,000,000")
	}
	return nil
}

// The payloads' parts read themselves from a statement.Reader, as
// encoding/json would decode them (see statement.Decoder).

func (e *EventTime) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "time":
			e.Time = r.String()
		case "precision":
			e.Precision = r.String()
		default:
			r.Fail()
		}
	}
}

func (p *Place) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "id":
			p.ID = r.String()
		case "name":
			p.Name = r.String()
		case "lat":
			p.Lat = r.FloatPtr()
		case "lon":
			p.Lon = r.FloatPtr()
		case "geo_precision":
			p.GeoPrecision = int(r.Int())
		case "admin":
			p.Admin = []AdminUnit{}
			for range r.Array() {
				var a AdminUnit
				a.read(r)
				p.Admin = append(p.Admin, a)
			}
		default:
			r.Fail()
		}
	}
}

func (a *AdminUnit) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "country":
			a.Country = r.String()
		case "admin1":
			a.Admin1 = r.String()
		case "admin2":
			a.Admin2 = r.String()
		case "admin3":
			a.Admin3 = r.String()
		default:
			r.Fail()
		}
	}
}

func (a *Actor) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "id":
			a.ID = r.String()
		case "label":
			a.Label = r.String()
		case "role":
			a.Role = r.String()
		default:
			r.Fail()
		}
	}
}

// readActors reads a list of actors.
func readActors(r *statement.Reader) []Actor {
	l := []Actor{}
	for range r.Array() {
		var a Actor
		a.read(r)
		l = append(l, a)
	}
	return l
}

func (c *Casualties) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "killed":
			c.Killed.read(r)
		case "injured":
			c.Injured.read(r)
		case "sides":
			c.Sides = []SideFigure{}
			for range r.Array() {
				var f SideFigure
				f.read(r)
				c.Sides = append(c.Sides, f)
			}
		default:
			r.Fail()
		}
	}
}

func (s *Split) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "civilian":
			s.Civilian = new(Figure)
			s.Civilian.read(r)
		case "combatant":
			s.Combatant = new(Figure)
			s.Combatant.read(r)
		default:
			r.Fail()
		}
	}
}

func (f *Figure) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "low":
			f.Low = r.Int()
		case "best":
			f.Best = r.Int()
		case "high":
			f.High = r.Int()
		default:
			r.Fail()
		}
	}
}

func (o *Observation) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "method":
			o.Method = r.String()
		case "observer":
			o.Observer = new(Point)
			o.Observer.read(r)
		case "bearing":
			o.Bearing = r.FloatPtr()
		case "distance":
			o.Distance = r.FloatPtr()
		default:
			r.Fail()
		}
	}
}

func (p *Point) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "lat":
			p.Lat = r.FloatPtr()
		case "lon":
			p.Lon = r.FloatPtr()
		default:
			r.Fail()
		}
	}
}

func (o *Origin) read(r *statement.Reader) {
	for k := range r.Object() {
		switch k {
		case "territory":
			o.Territory = r.String()
		case "place":
			o.Place = r.String()
		default:
			r.Fail()
		}
	}
}
