package mechanism

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindCaseLink links two cases: two sides' accounts of one event, one
// event reported twice, or related events. KindCaseUnlink removes a link
// filed in error; the two cases can then be linked again as they should.
const (
	KindCaseLink   = "case.link"
	KindCaseUnlink = "case.unlink"
)

// Relations between two linked cases.
const (
	// RelationCounterClaim: the two cases are the two sides' accounts of
	// one event, each saying the other fired first.
	RelationCounterClaim = "counter_claim"
	// RelationDuplicate: the two cases report the same event; the one
	// that stands is counted, the other is not, and both stay in the
	// record.
	RelationDuplicate = "duplicate"
	// RelationRelated: related events, such as fire and the answer to it.
	RelationRelated = "related"
)

// Relations are the ways two cases can be linked.
var Relations = []string{RelationCounterClaim, RelationDuplicate, RelationRelated}

// CaseLink links case Case to case Other.
type CaseLink struct {
	statement.Fields
	Case     int64  `json:"case"`
	Other    int64  `json:"other"`
	Relation string `json:"relation"`
	// Stands is, for a duplicate, the case that stands (Case or Other):
	// the other one is not counted again.
	Stands *int64 `json:"stands,omitempty"`
	Text   string `json:"text"`
}

// CaseUnlink removes the link between Case and Other, saying why.
type CaseUnlink struct {
	statement.Fields
	Case  int64  `json:"case"`
	Other int64  `json:"other"`
	Text  string `json:"text"`
}

// Link is a link between two cases, as the state keeps it under each of
// them.
type Link struct {
	// Case and Other are the two cases as the linking statement named
	// them.
	Case  int64 `json:"case"`
	Other int64 `json:"other"`
	// Relation is one of Relations; Stands, for a duplicate, the case that
	// stands, and -1 otherwise.
	Relation string `json:"relation"`
	Stands   int64  `json:"stands"`
	// Index is the case.link statement; Body the body of its author.
	Index int64  `json:"index"`
	Body  string `json:"body"`
}

// other returns the case l links to c.
func (l Link) other(c int64) int64 {
	if l.Case == c {
		return l.Other
	}
	return l.Case
}

// linkers are the types of body whose members link and unlink cases.
var linkers = []string{BodyMonitor, BodyMediator}

// needRules3 refuses a statement of a kind that rules 3 brought, under
// older rules.
func (s *State) needRules3(kind string) error {
	if s.rules() < Rules3 {
		return statement.Invalid("%s: this kind of statement came with rules %d, and this mechanism follows rules %d; the founders amend the rulebook to \"rules\": %d to file it",
			kind, Rules3, s.rules(), Rules3)
	}
	return nil
}

// linkedCases checks the two cases a link or unlink names.
func (s *State) linkedCases(kind string, a, b int64) (*Case, *Case, error) {
	ca, err := s.caseFor(kind, a)
	if err != nil {
		return nil, nil, err
	}
	cb, ok := s.cases[b]
	if !ok {
		return nil, nil, field(kind, "other", "there is no case %d; give the id of an open or closed case, such as %d", b, a)
	}
	if a == b {
		return nil, nil, field(kind, "other", "a case cannot be linked to itself (case %d); give another case's id", a)
	}
	return ca, cb, nil
}

// linkBetween returns the link between cases a and b, if there is one.
func (s *State) linkBetween(a, b int64) (Link, bool) {
	i := slices.IndexFunc(s.reg.Links[a], func(l Link) bool { return l.other(a) == b })
	if i < 0 {
		return Link{}, false
	}
	return s.reg.Links[a][i], true
}

// DuplicateOf returns the case that stands for case id when id is linked
// as a duplicate of it, and -1 otherwise.
func (s *State) DuplicateOf(id int64) int64 {
	for _, l := range s.reg.Links[id] {
		if l.Relation == RelationDuplicate && l.Stands != id {
			return l.Stands
		}
	}
	return -1
}

func (s *State) applyCaseLink(st *statement.Statement, _ time.Time) error {
	const k = KindCaseLink
	if err := s.needRules3(k); err != nil {
		return err
	}
	l := new(CaseLink)
	if err := st.Decode(l); err != nil {
		return err
	}
	b, err := s.bodyOfType(st, linkers...)
	if err != nil {
		return err
	}
	ca, cb, err := s.linkedCases(k, l.Case, l.Other)
	if err != nil {
		return err
	}
	pr := problems{kind: k}
	pr.add(checkEnum(k, "relation", l.Relation, Relations))
	pr.add(checkText(k, "text", l.Text, maxText, true))
	if err := pr.err(); err != nil {
		return err
	}
	if old, ok := s.linkBetween(l.Case, l.Other); ok {
		return statement.Invalid("case.link: cases %d and %d are already linked (%s, by the statement at index %d); to change the link, file a case.unlink of them first",
			l.Case, l.Other, old.Relation, old.Index)
	}
	stands := int64(-1)
	switch {
	case l.Relation != RelationDuplicate && l.Stands != nil:
		return field(k, "stands", "is given only for a duplicate; leave it out of a %s link", l.Relation)
	case l.Relation == RelationDuplicate && l.Stands == nil:
		return field(k, "stands", "a duplicate says which case stands: %d or %d", l.Case, l.Other)
	case l.Relation == RelationDuplicate && *l.Stands != l.Case && *l.Stands != l.Other:
		return field(k, "stands", "%d is neither of the linked cases; give %d or %d", *l.Stands, l.Case, l.Other)
	case l.Relation == RelationDuplicate:
		stands = *l.Stands
		dup := l.Case + l.Other - stands
		if o := s.DuplicateOf(stands); o >= 0 {
			return field(k, "stands", "case %d is itself a duplicate of case %d; let case %d stand", stands, o, o)
		}
		if o := s.DuplicateOf(dup); o >= 0 {
			return field(k, "stands", "case %d is already a duplicate of case %d; link case %d to case %d instead, or unlink it first", dup, o, o, stands)
		}
	}
	if s.dry {
		return nil
	}
	link := Link{Case: l.Case, Other: l.Other, Relation: l.Relation, Stands: stands, Index: s.Size, Body: b.ID}
	if s.reg.Links == nil {
		s.reg.Links = map[int64][]Link{}
	}
	s.reg.Links[l.Case] = append(s.reg.Links[l.Case], link)
	s.reg.Links[l.Other] = append(s.reg.Links[l.Other], link)
	s.touch(ca)
	s.touch(cb)
	s.payload = l
	return nil
}

func (s *State) applyCaseUnlink(st *statement.Statement, _ time.Time) error {
	const k = KindCaseUnlink
	if err := s.needRules3(k); err != nil {
		return err
	}
	u := new(CaseUnlink)
	if err := st.Decode(u); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, linkers...); err != nil {
		return err
	}
	ca, cb, err := s.linkedCases(k, u.Case, u.Other)
	if err != nil {
		return err
	}
	if err := checkText(k, "text", u.Text, maxText, true); err != nil {
		return err
	}
	if _, ok := s.linkBetween(u.Case, u.Other); !ok {
		return field(k, "other", "cases %d and %d are not linked; there is nothing to unlink", u.Case, u.Other)
	}
	if s.dry {
		return nil
	}
	for _, id := range []int64{u.Case, u.Other} {
		other := u.Case + u.Other - id
		s.reg.Links[id] = slices.DeleteFunc(s.reg.Links[id], func(l Link) bool { return l.other(id) == other })
		if len(s.reg.Links[id]) == 0 {
			delete(s.reg.Links, id)
		}
	}
	if len(s.reg.Links) == 0 {
		s.reg.Links = nil // as before any link, so that the state is the same
	}
	s.touch(ca)
	s.touch(cb)
	s.payload = u
	return nil
}

// When returns when a statement of kind, whose JSON object is obj, says its subject happened, and how precisely: a report's event
// time; for every other kind, the statement's own time, at, exactly. A
// case's history runs in this order, and by index where it ties.
func When(kind string, obj []byte, at time.Time) (time.Time, string) {
	if kind == KindReport {
		var r struct {
			Event EventTime `json:"event"`
		}
		if json.Unmarshal(obj, &r) == nil {
			if t, err := statement.ParseTime(r.Event.Time); err == nil && slices.Contains(Precisions, r.Event.Precision) {
				return t, r.Event.Precision
			}
		}
	}
	return at, "exact"
}
