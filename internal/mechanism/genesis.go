package mechanism

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// DefaultRulebook is the rulebook of the October 2025 Pakistan–Afghanistan
// truce, as a template: its founders and administrators have no keys yet.
//
//go:embed rulebooks/pak-afg-2025.json
var DefaultRulebook []byte

// ParseRulebook reads a rulebook file strictly: unknown fields and trailing
// data are refused.
func ParseRulebook(b []byte) (*Rulebook, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var rb Rulebook
	if err := d.Decode(&rb); err != nil {
		return nil, fmt.Errorf("couldn't read rulebook: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("couldn't read rulebook: trailing data after the JSON object")
	}
	return &rb, nil
}

// Genesis returns the signed rulebook statement that starts a mechanism's log,
// written by the first signer at time at and signed by every signer.
func Genesis(rb *Rulebook, at time.Time, signers ...note.Signer) ([]byte, error) {
	return RulebookStatement(rb, at, nil, signers...)
}

// RulebookStatement returns a signed rulebook statement (the genesis, or an
// amendment that refers to refs), written by the first signer.
func RulebookStatement(rb *Rulebook, at time.Time, refs []statement.Ref, signers ...note.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, fmt.Errorf("a rulebook statement needs at least one founder's key")
	}
	if refs == nil {
		refs = []statement.Ref{}
	}
	obj, err := json.Marshal(rulebookStatement{
		Fields: statement.Fields{
			Mechanism: rb.ID,
			Kind:      KindRulebook,
			Author:    signers[0].Name(),
			At:        statement.FormatTime(at),
			Refs:      refs,
		},
		Rulebook: *rb,
	})
	if err != nil {
		return nil, err
	}
	return statement.Sign(obj, signers...)
}
