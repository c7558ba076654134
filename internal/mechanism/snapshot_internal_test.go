package mechanism

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// How the snapshot handles each field of each type the state holds.
const (
	// kept: written and read back.
	kept = "kept"
	// keptNilAsEmpty: kept, but a nil and an empty list are alike.
	keptNilAsEmpty = "kept; nil and empty alike"
	// derived: not written, but rebuilt from what is, when it is read.
	derived = "derived"
	// lazy: not written; rebuilt when it is first used.
	lazy = "lazy"
	// asJSON: written as its JSON, and compared so.
	asJSON = "as JSON"
	// scratch: what the last Apply did, valid until the next; not kept.
	scratch = "scratch"
)

// snapshotFields says, for every struct type the state reaches, how the
// snapshot handles each of its fields. A field added to one of these types,
// or a new type the state reaches, fails TestSnapshotFields until it is
// written in snapshot.go and listed here.
var snapshotFields = map[reflect.Type]map[string]string{
	reflect.TypeFor[State](): {
		"Size": kept, "Rulebook": asJSON, "Time": kept,
		"members": kept, "keys": kept, "ring": lazy, "cases": kept, "commitments": kept, "actions": kept,
		"evidence": kept, "tokens": kept, "sealed": kept, "open": keptNilAsEmpty, "leaves": kept, "texts": kept,
		"reg":     kept,
		"changed": scratch, "changedCases": scratch, "changedDeadlines": scratch, "subjects": scratch,
		"payload": scratch, "signed": scratch, "events": scratch, "dry": scratch,
		"caseDeadlines": lazy, "caseDeadlinesOf": lazy,
	},
	// The registries are kept as their JSON: every field is exported.
	reflect.TypeFor[registries](): {"Actors": kept, "Said": kept, "Places": kept, "Links": kept, "Reported": kept, "Events": kept, "Closures": kept},
	reflect.TypeFor[RegisteredActor](): {
		"ID": kept, "Type": kept, "Names": kept, "Aliases": kept, "Labels": kept, "Body": kept, "Added": kept, "Amended": kept,
	},
	reflect.TypeFor[ActorSaid](): {"Actor": kept, "Position": kept, "Index": kept},
	reflect.TypeFor[Link](): {
		"Case": kept, "Other": kept, "Relation": kept, "Stands": kept, "Index": kept, "Body": kept,
	},
	reflect.TypeFor[ReportedEvent](): {
		"Case": kept, "Time": kept, "Precision": kept, "EventType": kept, "PlaceID": kept, "PlaceName": kept, "Lat": kept, "Lon": kept,
	},
	reflect.TypeFor[CaseEvent](): {"Time": kept, "Precision": kept},
	reflect.TypeFor[Closure]():   {"Index": kept, "Reason": kept, "Stage": kept, "Body": kept},
	reflect.TypeFor[Key](): {
		// The name is the one it is listed under; the hash and the
		// verifier come from VKey.
		"Name": derived, "Hash": derived, "VKey": kept, "Active": kept, "Since": kept, "Until": kept, "verifier": derived,
	},
	reflect.TypeFor[Member](): {
		"Name": kept, "Body": kept, "Roles": kept, "Label": kept, "Key": kept, "Enrolled": kept, "Revoked": kept,
	},
	reflect.TypeFor[Case](): {
		"ID": kept, "Stage": kept, "Entered": kept, "Opened": kept, "Reporter": kept, "Accused": kept,
		"Reports": kept, "Replies": kept, "Findings": kept, "Finding": kept, "Outcome": kept, "Party": kept, "Confidence": kept,
		"Blamed": kept, "Answerable": kept, "Endorsed": kept, "Penalties": kept, "Deadlines": kept, "Updated": kept,
	},
	reflect.TypeFor[Deadline](): {
		"Subject": kept, "Opened": kept, "Name": kept, "Stage": kept, "Bodies": kept, "Acted": kept,
		"Due": kept, "Status": kept, "Closed": kept,
		"heapIndex": derived, // the deadline's place in the heap, which is kept
	},
	reflect.TypeFor[commitment]():   {"party": kept, "deadline": kept},
	reflect.TypeFor[EvidenceItem](): {"SHA256": kept, "Registered": kept, "Case": kept},
	reflect.TypeFor[Token](): {
		"SHA256": kept, "Member": kept, "Expires": kept, "Issued": kept, "Revoked": kept,
	},
	reflect.TypeFor[SealedItem](): {
		"Index": kept, "Author": kept, "Body": kept, "Kind": kept, "Visibility": kept, "Digest": kept,
		"Disclosed": kept, "Case": kept, "Version": kept,
	},
}

// TestSnapshotFields: every field of every type of this package that the
// state reaches is listed in snapshotFields, and nothing else is. The
// comparison of states (equalStates) goes by the same list, so a field
// listed as kept that the snapshot forgets fails the round trips.
func TestSnapshotFields(t *testing.T) {
	pkg := reflect.TypeFor[State]().PkgPath()
	seen := map[reflect.Type]bool{}
	var visit func(typ reflect.Type, from string)
	visit = func(typ reflect.Type, from string) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			visit(typ.Elem(), from)
			return
		case reflect.Map:
			visit(typ.Key(), from)
			visit(typ.Elem(), from)
			return
		case reflect.Struct:
		default:
			return
		}
		if typ.PkgPath() != pkg || seen[typ] {
			return // time.Time and the like: kept whole
		}
		seen[typ] = true
		rules, ok := snapshotFields[typ]
		if !ok {
			t.Errorf("%s (reached through %s) is not in snapshotFields: write it in snapshot.go and list how each of its fields is kept", typ.Name(), from)
			return
		}
		var names []string
		for f := range typ.Fields() {
			names = append(names, f.Name)
			rule, ok := rules[f.Name]
			switch {
			case !ok:
				t.Errorf("%s.%s is not in snapshotFields: write it in snapshot.go (or say why not) and list it", typ.Name(), f.Name)
			case rule == kept || rule == keptNilAsEmpty || rule == derived:
				visit(f.Type, typ.Name()+"."+f.Name)
			}
		}
		for name := range rules {
			if !slices.Contains(names, name) {
				t.Errorf("snapshotFields lists %s.%s, which is no longer a field", typ.Name(), name)
			}
		}
	}
	visit(reflect.TypeFor[State](), "State")
	for typ := range snapshotFields {
		if !seen[typ] {
			t.Errorf("snapshotFields lists %s, which the state no longer reaches", typ.Name())
		}
	}
	// The rulebook is kept as its JSON: every field must have a name there.
	var checkJSON func(typ reflect.Type)
	checkJSON = func(typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			checkJSON(typ.Elem())
			return
		case reflect.Struct:
		default:
			return
		}
		for f := range typ.Fields() {
			if tag := f.Tag.Get("json"); !f.IsExported() || tag == "-" || tag == "" {
				t.Errorf("the rulebook is kept as JSON, and %s.%s has no JSON name", typ.Name(), f.Name)
			}
			checkJSON(f.Type)
		}
	}
	checkJSON(reflect.TypeFor[Rulebook]())
}

// MarshalSnapshotInBlocks is MarshalSnapshot with up to perBlock cases in
// a block, so that tests cross the blocks' bounds with a few cases.
func MarshalSnapshotInBlocks(s *State, perBlock int) ([]byte, error) {
	return s.marshalSnapshot(perBlock)
}

// EqualStates returns an error that lists how a and b differ in what a
// snapshot keeps, or nil: field by field as snapshotFields says, and with
// the same pointers shared on both sides.
func EqualStates(a, b *State) error {
	d := &differ{pairs: map[ptrKey]uintptr{}, back: map[ptrKey]uintptr{}}
	ra, err := json.Marshal(a.Rulebook)
	if err != nil {
		return err
	}
	rb, err := json.Marshal(b.Rulebook)
	if err != nil {
		return err
	}
	d.path = []string{"State"}
	if string(ra) != string(rb) {
		d.add(".Rulebook: %s != %s", ra, rb)
	}
	d.value(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), kept)
	return d.err()
}

// EqualEffects returns an error that lists how a and b differ, or nil.
// Unlike reflect.DeepEqual it takes two verifiers of the same key as
// equal.
func EqualEffects(a, b *Effects) error {
	d := &differ{pairs: map[ptrKey]uintptr{}, back: map[ptrKey]uintptr{}, path: []string{"Effects"}}
	d.value(reflect.ValueOf(a), reflect.ValueOf(b), kept)
	return d.err()
}

type ptrKey struct {
	typ  reflect.Type
	addr uintptr
}

// differ compares values reflectively. It reads unexported fields but
// never calls their methods, which reflect forbids; a func is compared by
// its code, which is enough for the verifiers of one key.
type differ struct {
	diffs       []string
	pairs, back map[ptrKey]uintptr // pointers of a to those of b, and back
	path        []string           // where value is, written out only for a difference
}

func (d *differ) add(format string, args ...any) {
	if len(d.diffs) < 20 {
		d.diffs = append(d.diffs, strings.Join(d.path, "")+": "+fmt.Sprintf(format, args...))
	}
}

// at compares a and b, which are at step from where value is.
func (d *differ) at(step string, a, b reflect.Value, rule string) {
	d.path = append(d.path, step)
	d.value(a, b, rule)
	d.path = d.path[:len(d.path)-1]
}

func (d *differ) err() error {
	if len(d.diffs) == 0 {
		return nil
	}
	return fmt.Errorf("they differ:\n\t%s", strings.Join(d.diffs, "\n\t"))
}

func (d *differ) value(a, b reflect.Value, rule string) {
	if a.Type() != b.Type() {
		d.add("type %s != %s", a.Type(), b.Type())
		return
	}
	switch a.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			d.add("%v != %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			d.add("%d != %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			d.add("%d != %d", a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			d.add("%v != %v", a.Float(), b.Float())
		}
	case reflect.String:
		if a.String() != b.String() {
			d.add("%q != %q", a.String(), b.String())
		}
	case reflect.Func:
		if a.IsNil() != b.IsNil() || a.Pointer() != b.Pointer() {
			d.add("different funcs")
		}
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				d.add("nil != not nil")
			}
			return
		}
		d.value(a.Elem(), b.Elem(), kept)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				d.add("nil != not nil")
			}
			return
		}
		ka, kb := ptrKey{a.Type(), a.Pointer()}, ptrKey{b.Type(), b.Pointer()}
		pa, seenA := d.pairs[ka]
		pb, seenB := d.back[kb]
		if seenA || seenB {
			if pa != b.Pointer() || pb != a.Pointer() {
				d.add("shared with another part of one state and not of the other")
			}
			return
		}
		d.pairs[ka], d.back[kb] = b.Pointer(), a.Pointer()
		d.value(a.Elem(), b.Elem(), kept)
	case reflect.Array:
		for i := range a.Len() {
			d.at("["+strconv.Itoa(i)+"]", a.Index(i), b.Index(i), kept)
		}
	case reflect.Slice:
		if rule != keptNilAsEmpty && a.IsNil() != b.IsNil() {
			d.add("nil != empty")
			return
		}
		if a.Len() != b.Len() {
			d.add("length %d != %d", a.Len(), b.Len())
			return
		}
		for i := range a.Len() {
			d.at("["+strconv.Itoa(i)+"]", a.Index(i), b.Index(i), kept)
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			d.add("nil != empty")
			return
		}
		if a.Len() != b.Len() {
			d.add("%d entries != %d", a.Len(), b.Len())
		}
		bk := map[string]reflect.Value{}
		for it := b.MapRange(); it.Next(); {
			bk[mapKey(it.Key())] = it.Value()
		}
		for it := a.MapRange(); it.Next(); {
			k := mapKey(it.Key())
			vb, ok := bk[k]
			if !ok {
				d.add("[%s] missing", k)
				continue
			}
			d.at("["+k+"]", it.Value(), vb, kept)
		}
	case reflect.Struct:
		rules := snapshotFields[a.Type()]
		for i := range a.NumField() {
			f := a.Type().Field(i)
			rule := kept
			if rules != nil {
				rule = rules[f.Name]
			}
			switch rule {
			case kept, keptNilAsEmpty, derived:
				d.at("."+f.Name, a.Field(i), b.Field(i), rule)
			case asJSON, lazy, scratch:
			default:
				d.add(".%s: not in snapshotFields", f.Name)
			}
		}
	default:
		d.add("cannot compare a %s", a.Kind())
	}
}

// mapKey is a map key as a string.
func mapKey(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int64:
		return fmt.Sprint(k.Int())
	case reflect.Array:
		var sb strings.Builder
		for i := range k.Len() {
			fmt.Fprintf(&sb, "%02x", k.Index(i).Uint())
		}
		return sb.String()
	}
	return fmt.Sprintf("%v", k)
}
