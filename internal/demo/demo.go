// Package demo creates mechanisms with freshly generated keys: the demo that
// `sulh demo` serves, the mechanism `sulh bench` measures, and the ones
// tests run against.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// KeysDir is the folder, under a data folder, that holds generated keys.
const KeysDir = "keys"

// Keys are the private keys generated for a mechanism, by key name.
type Keys struct {
	Dir     string
	Signers map[string]note.Signer
	VKeys   map[string]string
	// Founders are the founders' key names; Admins the first administrator
	// of each body, by body id.
	Founders []string
	Admins   map[string]string
}

// Signer returns the signer named name; it panics if there is none, which is
// a programming error.
func (k *Keys) Signer(name string) note.Signer {
	s, ok := k.Signers[name]
	if !ok {
		panic("demo: no key named " + name)
	}
	return s
}

// Generate creates a key named name in k.Dir.
func (k *Keys) Generate(name string) (string, error) {
	path := filepath.Join(k.Dir, name+".key")
	vkey, err := statement.GenerateKey(name, path)
	if err != nil {
		return "", err
	}
	s, err := statement.LoadSigner(path)
	if err != nil {
		return "", err
	}
	k.Signers[name] = s
	k.VKeys[name] = vkey
	return vkey, nil
}

// FillRulebook parses a rulebook template and gives a new key to every
// founder slot (as many as the quorum, at least one, when the template
// lists none) and to every body without administrators. Keys are written to
// keysDir, which is created.
func FillRulebook(template []byte, keysDir string) (*mechanism.Rulebook, *Keys, error) {
	rb, err := mechanism.ParseRulebook(template)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("couldn't create key folder: %w", err)
	}
	k := &Keys{Dir: keysDir, Signers: map[string]note.Signer{}, VKeys: map[string]string{}, Admins: map[string]string{}}
	if len(rb.Founders.Keys) == 0 {
		for i := range max(rb.Founders.Quorum, 1) {
			name := fmt.Sprintf("%s-founder-%d", rb.ID, i+1)
			vkey, err := k.Generate(name)
			if err != nil {
				return nil, nil, err
			}
			rb.Founders.Keys = append(rb.Founders.Keys, vkey)
			k.Founders = append(k.Founders, name)
		}
	}
	for i := range rb.Bodies {
		b := &rb.Bodies[i]
		if len(b.Administrators) > 0 {
			continue
		}
		name := b.ID + "-admin"
		vkey, err := k.Generate(name)
		if err != nil {
			return nil, nil, err
		}
		b.Administrators = []string{vkey}
		k.Admins[b.ID] = name
	}
	return rb, k, nil
}

// Mechanism is a mechanism created with generated keys.
type Mechanism struct {
	Log  *datadir.Node
	Keys *Keys
}

// Create makes a mechanism in dataDir from a rulebook template, with keys
// under dataDir/keys, the genesis signed by every founder at time at.
func Create(ctx context.Context, dataDir string, template []byte, at time.Time, opts ledger.Options) (*Mechanism, error) {
	if datadir.Exists(dataDir) {
		return nil, fmt.Errorf("%s already holds a mechanism", dataDir)
	}
	rb, keys, err := FillRulebook(template, filepath.Join(dataDir, KeysDir))
	if err != nil {
		return nil, err
	}
	var founders []note.Signer
	for _, name := range keys.Founders {
		founders = append(founders, keys.Signer(name))
	}
	genesis, err := mechanism.Genesis(rb, at, founders...)
	if err != nil {
		return nil, err
	}
	l, err := datadir.Init(ctx, dataDir, genesis, opts)
	if err != nil {
		return nil, err
	}
	return &Mechanism{Log: l, Keys: keys}, nil
}

// Sign signs a statement of the given kind by author (and any co-signers) for
// this mechanism, with the kind's own fields, at time at.
func (m *Mechanism) Sign(kind, author string, at time.Time, fields map[string]any, cosigners ...string) ([]byte, error) {
	obj := map[string]any{
		"mechanism": m.Log.Rulebook().ID,
		"kind":      kind,
		"author":    author,
		"at":        statement.FormatTime(at),
		"refs":      []statement.Ref{},
	}
	for k, v := range fields {
		obj[k] = v
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	signers := []note.Signer{m.Keys.Signer(author)}
	for _, c := range cosigners {
		signers = append(signers, m.Keys.Signer(c))
	}
	return statement.Sign(b, signers...)
}

// Enrol generates a key for a new member of body, enrolled by the body's
// administrator with roles.
func (m *Mechanism) Enrol(ctx context.Context, body, name, label string, at time.Time, roles ...string) (ledger.Receipt, error) {
	vkey, err := m.Keys.Generate(name)
	if err != nil {
		return ledger.Receipt{}, err
	}
	if roles == nil {
		roles = []string{}
	}
	msg, err := m.Sign(mechanism.KindMemberEnrol, m.Keys.Admins[body], at, map[string]any{
		"body": body, "key": vkey, "roles": roles, "label": label,
	})
	if err != nil {
		return ledger.Receipt{}, err
	}
	return m.Log.Submit(ctx, msg)
}

// SampleReport returns the fields of a report filed by a party through its
// own channel, accusing the party accused, with summary: cross-border fire
// at Torkham, one injured combatant claimed. Tests and benchmarks use it.
func SampleReport(summary, accused string, event time.Time) map[string]any {
	return map[string]any{
		"channel":        "party",
		"accused":        accused,
		"event":          map[string]any{"time": statement.FormatTime(event), "precision": "exact"},
		"place":          map[string]any{"name": "Torkham", "lat": 34.1008, "lon": 71.0918, "geo_precision": 1},
		"event_type":     "battles",
		"sub_event_type": "armed_clash",
		"categories":     []string{"cross_border_fire"},
		"casualties":     map[string]any{"sides": []any{map[string]any{"measure": "injured_combatant", "party": accused, "low": 1, "best": 1, "high": 1}}},
		"clauses":        []string{"c1"},
		"summary":        summary,
		"language":       "en",
	}
}

// Start is the time of the demo's genesis: the Doha ceasefire of
// 19 October 2025.
var Start = time.Date(2025, 10, 19, 12, 0, 0, 0, time.UTC)

// Members enrols a member of each body of the demo mechanism, and two of
// its board, as their administrators would.
func (m *Mechanism) Members(ctx context.Context) error {
	at := Start.Add(time.Hour)
	members := []struct{ body, name, label, role string }{
		{"pakistan", "pakistan-liaison-1", "Liaison officer of Pakistan", "reporter"},
		{"afghanistan", "afghanistan-liaison-1", "Liaison officer of Afghanistan", "reporter"},
		{"qatar", "qatar-investigator-1", "Investigator of Qatar", "investigator"},
		{"turkiye", "turkiye-investigator-1", "Investigator of Türkiye", "investigator"},
		{"monitors", "monitors-field-1", "Field monitor", "observer"},
		{"board", "board-qatar-1", "Member of the joint board, for Qatar", "board"},
		{"board", "board-turkiye-1", "Member of the joint board, for Türkiye", "board"},
	}
	for i, mb := range members {
		if _, ok := m.Keys.Admins[mb.body]; !ok {
			return fmt.Errorf("the demo rulebook has no body %q", mb.body)
		}
		if _, err := m.Enrol(ctx, mb.body, mb.name, mb.label, at.Add(time.Duration(i)*time.Minute), mb.role); err != nil {
			return fmt.Errorf("couldn't enrol %s: %w", mb.name, err)
		}
	}
	return nil
}

// Submit signs a statement (see Sign) and appends it.
func (m *Mechanism) Submit(ctx context.Context, kind, author string, at time.Time, fields map[string]any, cosigners ...string) (ledger.Receipt, error) {
	msg, err := m.Sign(kind, author, at, fields, cosigners...)
	if err != nil {
		return ledger.Receipt{}, err
	}
	r, err := m.Log.Submit(ctx, msg)
	if err != nil {
		return r, fmt.Errorf("couldn't file a %s by %s: %w", kind, author, err)
	}
	return r, nil
}

// Seed enrols the demo's members (see Members) and files one sample report
// from each party; tests start from it.
func (m *Mechanism) Seed(ctx context.Context) error {
	if err := m.Members(ctx); err != nil {
		return err
	}
	reports := []struct {
		author, accused, summary string
		at                       time.Time
	}{
		{"pakistan-liaison-1", "afghanistan", "Sample report: alleged fire from across the border at a post near Torkham.", Start.Add(30 * time.Hour)},
		{"afghanistan-liaison-1", "pakistan", "Sample report: alleged fire from across the border at a post near Torkham.", Start.Add(31 * time.Hour)},
	}
	for _, r := range reports {
		if _, err := m.Submit(ctx, mechanism.KindReport, r.author, r.at, SampleReport(r.summary, r.accused, r.at.Add(-2*time.Hour))); err != nil {
			return err
		}
	}
	return nil
}
