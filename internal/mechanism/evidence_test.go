package mechanism_test

import (
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// photo is the SHA-256 of the evidence item the tests register.
var photo = sha("crater photo")

// evidence registers photo by author, on the set-up case, with extra fields.
func (f *fixture) evidence(author string, extra fields) []byte {
	return f.stmt(mechanism.KindEvidence, with(fields{
		"sha256": photo, "size": 2048, "media_type": "image/jpeg", "name": "crater.jpg",
		"collector": "Field monitor 1", "tool": "Phone camera", "source_url": "https://example.org/crater",
		"captured": event(nil), "place": place(nil), "case": caseID,
	}, extra), author)
}

// berkeley is a verification of photo by author with every check passed.
func (f *fixture) berkeley(author string, extra fields) []byte {
	passed := fields{"result": "passed", "notes": "checked"}
	return f.stmt(mechanism.KindVerification, with(fields{
		"evidence": photo, "analyst": "Analyst A", "date": after(0),
		"source": passed, "technical": passed, "content": passed, "result": "verified",
	}, extra), author)
}

func TestEvidence(t *testing.T) {
	f := setUpCase(t)
	f.must(f.evidence("alice", nil))
	idx := f.st.Size - 1
	item, ok := f.st.Evidence(photo)
	if !ok || item.Registered != idx || item.Case != caseID {
		t.Fatalf("Evidence(photo) = %+v, %v", item, ok)
	}
	if got := f.st.Subjects(); len(got) != 1 || got[0] != caseID {
		t.Errorf("Subjects after registering evidence on case %d: %v", caseID, got)
	}
	if p, ok := f.st.Payload().(*mechanism.Evidence); !ok || p.SHA256 != photo {
		t.Errorf("Payload: %#v", f.st.Payload())
	}
	// Custody follows, by anyone who holds the item.
	f.must(f.stmt(mechanism.KindEvidence, fields{"sha256": photo, "custody": fields{"event": "transferred", "from": "Field monitor 1", "to": "Mediators' lab"}}, "bob"))
	// A monitor or mediator verifies it; the case's history gets it.
	f.must(f.berkeley("admin-m1", nil))
	if got := f.st.Subjects(); len(got) != 1 || got[0] != caseID {
		t.Errorf("Subjects after a verification: %v", got)
	}
	f.must(f.berkeley("admin-m2", fields{"result": "inconclusive", "content": fields{"result": "inconclusive"}}))
}

func TestEvidenceRefusals(t *testing.T) {
	registered := func(f *fixture) { f.must(f.evidence("alice", nil)) }
	runRefusals(t, []wcase{
		{name: "by a founder", msg: func(f *fixture) []byte { return f.evidence("founder-1", nil) },
			code: forb, want: []string{`"founder-1" belongs to no body and cannot file evidence statements`}},
		{name: "bad hash", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"sha256": "ABC"}) },
			code: inv, want: []string{"evidence: sha256: must be a SHA-256 in lower-case hex"}},
		{name: "no size", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"size": nil}) },
			code: inv, want: []string{"evidence: size: must be the file's size in bytes, 1 or more"}},
		{name: "no media type", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"media_type": nil}) },
			code: inv, want: []string{"evidence: media_type: is required"}},
		{name: "no collector", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"collector": nil}) },
			code: inv, want: []string{"evidence: collector: is required"}},
		{name: "long tool", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"tool": long(201)}) },
			code: inv, want: []string{"evidence: tool: must be at most 200 bytes"}},
		{name: "long name", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"name": long(256)}) },
			code: inv, want: []string{"evidence: name: must be at most 255 bytes"}},
		{name: "source not a web address", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"source_url": "file:///etc/passwd"}) },
			code: inv, want: []string{"evidence: source_url: must be an http or https address"}},
		{name: "capture after the statement", msg: func(f *fixture) []byte {
			return f.evidence("alice", fields{"captured": event(fields{"time": after(48 * 3600 * 1e9)})})
		}, code: inv, want: []string{"evidence: captured.time:", "after the statement's own time"}},
		{name: "capture precision", msg: func(f *fixture) []byte {
			return f.evidence("alice", fields{"captured": event(fields{"precision": "hour"})})
		}, code: inv, want: []string{`evidence: captured.precision: "hour" is not one of`}},
		{name: "bad place", msg: func(f *fixture) []byte {
			return f.evidence("alice", fields{"place": place(fields{"geo_precision": 4})})
		},
			code: inv, want: []string{"evidence: place.geo_precision"}},
		{name: "unknown case", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"case": 99}) },
			code: inv, want: []string{"evidence: case: there is no case 99"}},
		{name: "unknown custody event", msg: func(f *fixture) []byte {
			return f.evidence("alice", fields{"custody": fields{"event": "lost"}})
		}, code: inv, want: []string{`evidence: custody.event: "lost" is not one of`}},
		{name: "custody note too long", msg: func(f *fixture) []byte {
			return f.evidence("alice", fields{"custody": fields{"event": "collected", "note": long(32<<10 + 1)}})
		}, code: inv, want: []string{"evidence: custody.note: must be at most"}},
		{name: "registered twice", setup: registered, msg: func(f *fixture) []byte { return f.evidence("bob", nil) },
			code: inv, want: []string{"evidence: sha256: the file was registered at index 6; a later evidence statement carries sha256 and custody only"}},
		{name: "custody without an event", setup: registered, msg: func(f *fixture) []byte {
			return f.stmt(mechanism.KindEvidence, fields{"sha256": photo}, "bob")
		}, code: inv, want: []string{"a later evidence statement carries sha256 and custody only"}},
		{name: "unknown field", msg: func(f *fixture) []byte { return f.evidence("alice", fields{"exif": "x"}) },
			code: malf, want: []string{"invalid evidence statement", "exif"}},

		{name: "verification by a party", setup: registered, msg: func(f *fixture) []byte { return f.berkeley("alice", nil) },
			code: forb, want: []string{"verification statements are filed by members of a body of type [monitor mediator]"}},
		{name: "verification of an unknown item", msg: func(f *fixture) []byte { return f.berkeley("admin-m1", nil) },
			code: inv, want: []string{"verification: evidence: " + `"` + photo + `" is not a registered evidence item`}},
		{name: "verification without analyst", setup: registered, msg: func(f *fixture) []byte { return f.berkeley("admin-m1", fields{"analyst": nil}) },
			code: inv, want: []string{"verification: analyst: is required"}},
		{name: "verification dated later", setup: registered, msg: func(f *fixture) []byte {
			return f.berkeley("admin-m1", fields{"date": after(48 * 3600 * 1e9)})
		}, code: inv, want: []string{"verification: date:", "after the statement's own time"}},
		{name: "unknown check result", setup: registered, msg: func(f *fixture) []byte {
			return f.berkeley("admin-m1", fields{"technical": fields{"result": "fine"}})
		}, code: inv, want: []string{`verification: technical.result: "fine" is not one of`}},
		{name: "check notes too long", setup: registered, msg: func(f *fixture) []byte {
			return f.berkeley("admin-m1", fields{"source": fields{"result": "passed", "notes": long(32<<10 + 1)}})
		}, code: inv, want: []string{"verification: source.notes: must be at most"}},
		{name: "unknown result", setup: registered, msg: func(f *fixture) []byte { return f.berkeley("admin-m1", fields{"result": "true"}) },
			code: inv, want: []string{`verification: result: "true" is not one of`}},
		{name: "verified with a failed check", setup: registered, msg: func(f *fixture) []byte {
			return f.berkeley("admin-m1", fields{"content": fields{"result": "failed"}})
		}, code: inv, want: []string{"verification: result: an item is verified only when its source, technical and content checks all passed"}},
	})
}
