package web

import (
	"slices"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestFormsCatalogue holds the catalogue to the forms' strings that the
// templates build from values ({{.L.T (printf "forms.v.%s" .)}}), which
// TestCatalogueHasEveryString cannot see: every value a form offers, every
// ACLED event and sub-event type, and every form's title and introduction,
// in every language.
func TestFormsCatalogue(t *testing.T) {
	var ids []string
	for _, values := range formEnums {
		for _, v := range values {
			ids = append(ids, "forms.v."+v)
		}
	}
	for _, et := range mechanism.EventTypes {
		ids = append(ids, "forms.et."+et.ID)
		for _, st := range et.SubTypes {
			ids = append(ids, "forms.st."+st.ID)
		}
	}
	for _, k := range formKinds {
		ids = append(ids, "forms.kind."+k, "forms.intro."+k)
	}
	for _, l := range Languages {
		loc := newLocale(l.Code, nil)
		for _, id := range ids {
			if s := loc.T(id); s == id || s == "" {
				t.Errorf("%s: the catalogue has no %q", l.Code, id)
			}
		}
	}
}

// TestFormBodies: each form is offered to the bodies whose members may
// file its kind under the default rulebook, and a quorum's kinds say how
// many sign.
func TestFormBodies(t *testing.T) {
	rb, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string][]string{
		mechanism.KindReport:         {"pakistan", "afghanistan", "qatar", "turkiye", "monitors"},
		mechanism.KindReply:          {"pakistan", "afghanistan"},
		mechanism.KindVerification:   {"qatar", "turkiye", "monitors"},
		mechanism.KindCaseAdvance:    {"qatar", "turkiye", "board"},
		mechanism.KindFinding:        {"qatar", "turkiye"},
		mechanism.KindEndorsement:    {"board"},
		mechanism.KindCrossingStatus: {"pakistan", "afghanistan", "monitors"},
		mechanism.KindCommitment:     {"pakistan", "afghanistan"},
		mechanism.KindAction:         {"pakistan", "afghanistan", "qatar", "turkiye", "monitors"},
		mechanism.KindMeeting:        {"qatar", "turkiye"},
		mechanism.KindCaseClose:      {"qatar", "turkiye"},
		mechanism.KindPenalty:        {"board"},
		mechanism.KindPublication:    {"qatar", "turkiye"},
		mechanism.KindEvidence:       {"pakistan", "afghanistan", "qatar", "turkiye", "monitors", "board"},
		mechanism.KindCaseLink:       {"qatar", "turkiye", "monitors"},
		mechanism.KindCaseUnlink:     {"qatar", "turkiye", "monitors"},
		mechanism.KindPlace:          {"qatar", "turkiye", "monitors"},
		mechanism.KindActor:          {"qatar", "turkiye", "monitors"},
		mechanism.KindActorClaim:     {"qatar", "turkiye", "monitors"},
	} {
		if got := formBodies(rb, kind); !slices.Equal(got, want) {
			t.Errorf("%s: offered to %v, want %v", kind, got, want)
		}
	}
	// Under rules 2 the kinds of rules 3 have no form.
	old := *rb
	old.Rules = mechanism.Rules2
	for _, kind := range []string{mechanism.KindCaseClose, mechanism.KindCaseLink, mechanism.KindCaseUnlink, mechanism.KindPlace, mechanism.KindActor, mechanism.KindActorClaim} {
		if got := formBodies(&old, kind); got != nil {
			t.Errorf("%s under rules 2: offered to %v", kind, got)
		}
	}
	for kind, want := range map[string]int{mechanism.KindFinding: 2, mechanism.KindEndorsement: 2, mechanism.KindPenalty: 2, mechanism.KindReport: 1} {
		if got := formSigners(rb, kind); got != want {
			t.Errorf("%s: %d signers, want %d", kind, got, want)
		}
	}
}
