package ledger

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// WitnessPolicy is a client's requirement of a checkpoint: cosignatures
// (c2sp.org/tlog-cosignature) by at least Quorum of Witnesses.
type WitnessPolicy struct {
	Quorum    int
	Witnesses []PolicyWitness
}

// PolicyWitness is one witness a policy counts.
type PolicyWitness struct {
	// ID names it in messages: the rulebook's id, or the key's name.
	ID       string
	Verifier *torchwood.CosignatureVerifier
}

// NewWitnessPolicy returns the policy of quorum cosignatures among the
// witnesses with verifier keys vkeys.
func NewWitnessPolicy(quorum int, vkeys []string) (*WitnessPolicy, error) {
	p := &WitnessPolicy{Quorum: quorum}
	for _, k := range vkeys {
		v, err := torchwood.NewCosignatureVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("%q is not a c2sp.org/tlog-cosignature verifier key: %w", k, err)
		}
		p.Witnesses = append(p.Witnesses, PolicyWitness{ID: v.Name(), Verifier: v})
	}
	return p, p.check()
}

// RulebookWitnessPolicy returns the policy that rb sets, or nil if it lists
// no witnesses.
func RulebookWitnessPolicy(rb *mechanism.Rulebook) (*WitnessPolicy, error) {
	if rb == nil || rb.Witnesses == nil {
		return nil, nil
	}
	p := &WitnessPolicy{Quorum: rb.Witnesses.Quorum}
	for _, w := range rb.Witnesses.List {
		v, err := torchwood.NewCosignatureVerifier(w.Key)
		if err != nil {
			return nil, fmt.Errorf("the rulebook's witness %q: %w", w.ID, err)
		}
		p.Witnesses = append(p.Witnesses, PolicyWitness{ID: w.ID, Verifier: v})
	}
	return p, p.check()
}

func (p *WitnessPolicy) check() error {
	if len(p.Witnesses) == 0 {
		return errors.New("a witness policy needs at least one witness")
	}
	if p.Quorum < 1 || p.Quorum > len(p.Witnesses) {
		return fmt.Errorf("the quorum of cosignatures must be from 1 to %d, the number of witnesses, not %d", len(p.Witnesses), p.Quorum)
	}
	seen := map[string]bool{}
	for _, w := range p.Witnesses {
		if seen[w.Verifier.Name()] {
			return fmt.Errorf("two witness keys are named %q", w.Verifier.Name())
		}
		seen[w.Verifier.Name()] = true
	}
	return nil
}

// String says the policy in words, such as "2 of the witnesses un, qatar".
func (p *WitnessPolicy) String() string {
	ids := make([]string, len(p.Witnesses))
	for i, w := range p.Witnesses {
		ids[i] = w.ID
	}
	return fmt.Sprintf("%d of the witnesses %s", p.Quorum, strings.Join(ids, ", "))
}

// ErrTooFewCosignatures is wrapped by CheckCheckpoint's error when a
// checkpoint lacks the cosignatures its policy requires.
var ErrTooFewCosignatures = errors.New("too few cosignatures")

// CheckCheckpoint verifies signed, a checkpoint note, with the log's key
// and the policy's witnesses: the log must have signed it for its origin,
// every signature by a known key must verify, and at least p.Quorum of the
// witnesses must have cosigned it. It returns the checkpoint and the ids of
// the witnesses that cosigned.
func (p *WitnessPolicy) CheckCheckpoint(signed []byte, logKey note.Verifier) (*torchwood.Checkpoint, []string, error) {
	singles := make([]torchwood.Policy, len(p.Witnesses))
	for i, w := range p.Witnesses {
		singles[i] = torchwood.SingleVerifierPolicy(w.Verifier)
	}
	logPolicy := torchwood.ThresholdPolicy(2, torchwood.OriginPolicy(logKey.Name()), torchwood.SingleVerifierPolicy(logKey))
	witnesses := torchwood.ThresholdPolicy(p.Quorum, singles...)
	n, err := note.Open(signed, torchwood.ThresholdPolicy(2, logPolicy, witnesses))
	if err != nil {
		var bad *note.InvalidSignatureError
		if errors.As(err, &bad) {
			return nil, nil, fmt.Errorf("the checkpoint's signature by %s does not verify", bad.Name)
		}
		return nil, nil, fmt.Errorf("the checkpoint does not verify with the log key: %w", err)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, nil, fmt.Errorf("the checkpoint is malformed: %w", err)
	}
	if err := logPolicy.Check(c.Origin, n.Sigs); err != nil {
		return nil, nil, fmt.Errorf("the checkpoint does not verify with the log key: %w", err)
	}
	var cosigned []string
	for i, w := range p.Witnesses {
		if singles[i].Check(c.Origin, n.Sigs) == nil {
			cosigned = append(cosigned, w.ID)
		}
	}
	if err := witnesses.Check(c.Origin, n.Sigs); err != nil {
		by := "none of them"
		if len(cosigned) > 0 {
			by = "only " + strings.Join(cosigned, ", ")
		}
		return nil, cosigned, fmt.Errorf("%w: the checkpoint of %d entries needs valid cosignatures by %s, and has them by %s",
			ErrTooFewCosignatures, c.N, p, by)
	}
	return &c, cosigned, nil
}
