package mechanism_test

import (
	"testing"

	"github.com/sulh-project/sulh/internal/statement"
)

// TestReportProblemsAtOnce: a report with several bad fields is refused
// once, with every field's problem, in the order of the report's fields;
// with one bad field, with that one alone; and a forbidden channel is
// refused for itself, before any field is looked at.
func TestReportProblemsAtOnce(t *testing.T) {
	f := setUpCase(t)
	bad := fields{
		"event":      fields{"time": "2025-03-01T06:00:00Z", "precision": "hour"},
		"event_type": "picnic",
		"summary":    "",
		"language":   "Urdu",
	}
	f.refuse(f.report("alice", bad), statement.CodeInvalid,
		`report: 4 problems: event.precision: "hour" is not one of`,
		`. event_type: "picnic" is not one of ACLED's event types`,
		`. summary: is required`,
		`. language: "Urdu" is not a language tag`)
	f.refuse(f.report("alice", fields{"language": "Urdu"}), statement.CodeInvalid, `report: language: "Urdu" is not a language tag`)
	f.refuse(f.report("alice", with(bad, fields{"channel": "mediator"})), statement.CodeForbidden, `report: channel "mediator" is for members of a mediator body`)
}

// TestProblemsAtOnce: the other kinds whose fields' problems are gathered
// list them all too, and a check that rests on another field is left out
// when that field is itself wrong (an unknown status says nothing of
// whom it allows).
func TestProblemsAtOnce(t *testing.T) {
	f := setUpCase(t)
	f.refuse(f.meeting("admin-m1", fields{"round": 0, "outcome": ""}), statement.CodeInvalid,
		"meeting: 2 problems: round: must be from 1 to 10000. outcome: is required")
	f.refuse(f.crossing("alice", fields{"status": "half_open", "allowed": []string{"refugees_leaving"}, "since": "yesterday"}), statement.CodeInvalid,
		`crossing.status: 2 problems: status: "half_open" is not one of`, ". since: ")
	f.refuse(f.reply("bob", caseID, fields{"text": "", "language": "Pashto"}), statement.CodeInvalid,
		"reply: 2 problems: text: is required", `. language: "Pashto" is not a language tag`)
	f.refuse(f.action("alice", fields{"text": "", "time": "soon", "commitment": 999}), statement.CodeInvalid,
		"action: 3 problems: text: is required", ". commitment: there is no commitment at index 999", ". time: ")
}
