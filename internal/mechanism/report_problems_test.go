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
