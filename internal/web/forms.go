package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// The forms file statements signed in the member's browser: each page
// reads its fields into a statement exactly as docs/statements.md writes
// it, shows the whole text that will be signed, signs it with a key this
// browser holds (static/js/sign.js) and submits it to POST
// /api/v1/statements. The server holds no key and signs nothing; these
// handlers only render the forms, from the rulebook.

// formKinds are the kinds that have a form, in the order the index lists
// them.
var formKinds = []string{
	mechanism.KindReport, mechanism.KindReply, mechanism.KindVerification, mechanism.KindCaseAdvance,
	mechanism.KindFinding, mechanism.KindEndorsement, mechanism.KindCrossingStatus, mechanism.KindCommitment,
	mechanism.KindAction, mechanism.KindMeeting, mechanism.KindCaseClose, mechanism.KindPenalty,
	mechanism.KindPublication, mechanism.KindEvidence, mechanism.KindCaseLink, mechanism.KindCaseUnlink,
	mechanism.KindPlace, mechanism.KindActor, mechanism.KindActorClaim,
}

// formKindBodyTypes are, for the kinds that any member of a body of the
// right type may file, those types (docs/statements.md, "Who signs").
var formKindBodyTypes = map[string][]string{
	mechanism.KindReport:         {"party", "mediator", "monitor"},
	mechanism.KindReply:          {"party"},
	mechanism.KindVerification:   {"mediator", "monitor"},
	mechanism.KindCrossingStatus: {"party", "monitor"},
	mechanism.KindCommitment:     {"party"},
	mechanism.KindAction:         {"party", "mediator", "monitor"},
	mechanism.KindMeeting:        {"mediator"},
	mechanism.KindPublication:    {"mediator"},
	mechanism.KindCaseLink:       {"mediator", "monitor"},
	mechanism.KindCaseUnlink:     {"mediator", "monitor"},
	mechanism.KindPlace:          {"mediator", "monitor"},
	mechanism.KindActor:          {"mediator", "monitor"},
	mechanism.KindActorClaim:     {"mediator", "monitor"},
}

// formKindRules are, for the kinds that a later version of the statement
// rules brought, that version: under older rules nobody is offered their
// form.
var formKindRules = map[string]int{
	mechanism.KindCaseClose:  mechanism.Rules3,
	mechanism.KindCaseLink:   mechanism.Rules3,
	mechanism.KindCaseUnlink: mechanism.Rules3,
	mechanism.KindPlace:      mechanism.Rules3,
	mechanism.KindActor:      mechanism.Rules3,
	mechanism.KindActorClaim: mechanism.Rules3,
}

// formKindQuorum names the quorum that signs a kind.
var formKindQuorum = map[string]string{
	mechanism.KindFinding:     mechanism.QuorumFinding,
	mechanism.KindEndorsement: mechanism.QuorumEndorsement,
	mechanism.KindPenalty:     mechanism.QuorumPenalty,
}

// formBodies are the ids of the rulebook's bodies whose members may file
// kind: the server refuses the others, so their forms are not offered.
func formBodies(rb *mechanism.Rulebook, kind string) []string {
	if rb.RulesVersion() < formKindRules[kind] {
		return nil
	}
	var out []string
	for _, b := range rb.Bodies {
		ok := slices.Contains(formKindBodyTypes[kind], b.Type)
		switch kind {
		case mechanism.KindCaseAdvance:
			for _, st := range rb.Stages {
				ok = ok || slices.Contains(st.By, b.ID) || slices.Contains(st.By, b.Type)
			}
		case mechanism.KindFinding, mechanism.KindEndorsement, mechanism.KindPenalty:
			ok = slices.Contains(rb.Quorums[formKindQuorum[kind]].Bodies, b.ID)
		case mechanism.KindCaseClose:
			ok = rb.MayClose(b)
		case mechanism.KindEvidence:
			ok = true // any member of a body
		}
		if ok {
			out = append(out, b.ID)
		}
	}
	return out
}

// formSigners is how many signatures kind's quorum needs (1 for a kind
// that its author alone signs).
func formSigners(rb *mechanism.Rulebook, kind string) int {
	q, ok := rb.Quorums[formKindQuorum[kind]]
	if !ok {
		return 1
	}
	return max(q.Signers, q.Min, 1)
}

// formKind is a form as the index lists it.
type formKind struct {
	Kind   string
	Bodies []string
}

// formPage is the data of the forms' pages.
type formPage struct {
	Kind     string
	Kinds    []formKind
	Bodies   []string // who may file Kind
	Signers  int      // how many must sign Kind
	Case     string   // the case the form is for, from ?case=
	Version  int      // the rulebook's version, which a finding names
	Parties  []mechanism.Body
	All      []mechanism.Body // every body of the rulebook
	Langs    []Language       // the interface's languages, in which names are asked for
	Types    []mechanism.EventType
	Stages   string // the rulebook's stages, as JSON, for case.advance
	Quorums  string // per kind with a form, how many must sign, as JSON
	Members  string // per body, its type, as JSON
	Channels []string
	Enums    map[string][]string
}

// formEnums are the lists of values the forms offer.
var formEnums = map[string][]string{
	"precision":    mechanism.Precisions,
	"measure":      mechanism.Measures,
	"method":       mechanism.Methods,
	"position":     mechanism.ReplyPositions,
	"outcome":      mechanism.Outcomes,
	"check":        mechanism.CheckResults,
	"verification": mechanism.VerificationResults,
	"crossing":     mechanism.Crossings,
	"action":       mechanism.ActionResults,
	"reason":       mechanism.CloseReasons,
	"custody":      mechanism.CustodyEvents,
	"relation":     mechanism.Relations,
	"placetype":    mechanism.PlaceTypes,
	"actortype":    mechanism.ActorTypes,
	"claim":        mechanism.ClaimPositions,
	"medium":       mechanism.ClaimMedia,
	"channel":      {"party", "mediator", "monitor", "public", "ngo", "un"},
}

// formsIndex lists the forms; the page's script shows those that the
// member of the chosen key may file.
func (s *Server) formsIndex(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "the log is empty"}
	}
	p := s.formData(rb, "")
	for _, k := range formKinds {
		p.Kinds = append(p.Kinds, formKind{k, formBodies(rb, k)})
	}
	return s.render(w, r, "form.html", "forms.title", "file", p)
}

// formPageHandler renders the form for the kind the path names.
func (s *Server) formPageHandler(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	kind := r.PathValue("kind")
	if rb == nil || !slices.Contains(formKinds, kind) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no form for this kind of statement; the forms are at /file"}
	}
	p := s.formData(rb, kind)
	if c := r.URL.Query().Get("case"); c != "" {
		if n, err := strconv.ParseInt(c, 10, 64); err == nil && n >= 0 {
			p.Case = strconv.FormatInt(n, 10)
		}
	}
	return s.render(w, r, "form.html", "forms.kind."+kind, "file", p)
}

// cosignPage is where the second signer of a quorum's statement reads the
// note the first signed, co-signs it and submits it.
func (s *Server) cosignPage(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "the log is empty"}
	}
	p := s.formData(rb, "")
	p.Kind = "cosign"
	return s.render(w, r, "form.html", "forms.cosign.title", "file", p)
}

func (s *Server) formData(rb *mechanism.Rulebook, kind string) *formPage {
	p := &formPage{Kind: kind, Version: rb.Version, Types: mechanism.EventTypes, Enums: formEnums, Langs: Languages}
	if kind != "" {
		p.Bodies = formBodies(rb, kind)
		p.Signers = formSigners(rb, kind)
	}
	types := map[string]string{}
	for _, b := range rb.Bodies {
		types[b.ID] = b.Type
		p.All = append(p.All, b)
		if b.Type == "party" {
			p.Parties = append(p.Parties, b)
		}
	}
	quorums := map[string]any{}
	for _, k := range formKinds {
		quorums[k] = map[string]any{"signers": formSigners(rb, k), "bodies": formBodies(rb, k)}
	}
	p.Stages = mustJSON(rb.Stages)
	p.Quorums = mustJSON(quorums)
	p.Members = mustJSON(types)
	return p
}

// mustJSON is v as JSON, for a data- attribute (html/template escapes it
// there).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values of our own types always marshal
	}
	return string(b)
}
