package statement

import "fmt"

// Code is a stable, machine-readable reason class for a refused statement.
type Code string

// The codes a refusal can carry. Surfaces map them to HTTP statuses and exit
// codes; the strings are part of the API.
const (
	CodeMalformed Code = "malformed"   // not a well-formed statement
	CodeInvalid   Code = "invalid"     // well-formed, but breaks a rule of the mechanism
	CodeForbidden Code = "forbidden"   // a key that may not sign this
	CodeDuplicate Code = "duplicate"   // already in the log
	CodeTooLarge  Code = "too_large"   // over MaxSize
	CodeNotFound  Code = "not_found"   // refers to something that does not exist
	CodeInternal  Code = "internal"    // the server failed; the detail is in its log
	CodeShutdown  Code = "unavailable" // the server is stopping
)

// Error is a refusal with a stable code and a sentence for the submitter.
type Error struct {
	Code   Code
	Reason string
	// Index is, for CodeDuplicate, the log index of the statement already
	// there.
	Index int64
}

// Duplicate returns the CodeDuplicate error of a statement whose text is
// already in the log at index idx.
func Duplicate(idx int64) *Error {
	return &Error{Code: CodeDuplicate, Reason: fmt.Sprintf("this statement is already in the log at index %d", idx), Index: idx}
}

func (e *Error) Error() string { return e.Reason }

// Malformed returns a CodeMalformed error.
func Malformed(format string, args ...any) *Error {
	return &Error{Code: CodeMalformed, Reason: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error.
func Invalid(format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Reason: fmt.Sprintf(format, args...)}
}

// Forbidden returns a CodeForbidden error.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Reason: fmt.Sprintf(format, args...)}
}
