package mechanism

import (
	"fmt"

	"filippo.io/torchwood"

	"github.com/sulh-project/sulh/internal/statement"
)

// Witnesses are who cosign the log's checkpoints (c2sp.org/tlog-witness,
// c2sp.org/tlog-cosignature), and how many of them a client requires: a
// checkpoint with fewer valid cosignatures is not to be trusted. Where a
// witness is reached is the server operator's setting, not the rulebook's:
// clients check cosignatures with the keys alone.
type Witnesses struct {
	// Quorum is how many of the listed witnesses must have cosigned a
	// checkpoint.
	Quorum int `json:"quorum"`
	// List is the witnesses, each with its cosignature key.
	List []Witness `json:"list"`
}

// Witness is one cosigner of the log, such as a litewitness that a party,
// a mediator or an outside office runs.
type Witness struct {
	// ID names the witness in the server's settings (sulh serve
	// --witness ID=URL) and on its metrics.
	ID string `json:"id"`
	// Name says who runs it.
	Name string `json:"name"`
	// Key is its c2sp.org/tlog-cosignature verifier key, as litewitness
	// prints it at start: NAME+HASH+BASE64.
	Key string `json:"key"`
}

// maxWitnesses bounds a rulebook's list of witnesses.
const maxWitnesses = 32

// Witness returns the witness with id id.
func (w *Witnesses) Witness(id string) (*Witness, bool) {
	for i := range w.List {
		if w.List[i].ID == id {
			return &w.List[i], true
		}
	}
	return nil, false
}

// check validates the witnesses of a rulebook whose log has origin origin.
func (w *Witnesses) check(origin string) error {
	if len(w.List) == 0 || len(w.List) > maxWitnesses {
		return statement.Invalid("rulebook: witnesses.list: needs 1 to %d witnesses, each with an id, a name and a cosignature key", maxWitnesses)
	}
	ids, names := map[string]bool{}, map[string]string{}
	for i, x := range w.List {
		at := fmt.Sprintf("witnesses.list[%d]", i)
		if !statement.ValidID(x.ID) || ids[x.ID] {
			return statement.Invalid("rulebook: %s: id %q must be a unique identifier (lower-case letters, digits, '.', '_', '-')", at, x.ID)
		}
		ids[x.ID] = true
		if x.Name == "" || len(x.Name) > 200 {
			return statement.Invalid("rulebook: %s (%s): name must be 1 to 200 bytes: who runs the witness", at, x.ID)
		}
		v, err := torchwood.NewCosignatureVerifier(x.Key)
		if err != nil {
			return statement.Invalid("rulebook: %s (%s): key is not a c2sp.org/tlog-cosignature verifier key (NAME+HASH+BASE64, as litewitness prints it): %v", at, x.ID, err)
		}
		if v.Name() == origin {
			return statement.Invalid("rulebook: %s (%s): the witness's key is named like the log (%q); a witness is not the log", at, x.ID, origin)
		}
		if prev, ok := names[v.Name()]; ok {
			return statement.Invalid("rulebook: %s (%s): its key has the name %q, as witness %q's does; each witness's key needs its own name", at, x.ID, v.Name(), prev)
		}
		names[v.Name()] = x.ID
	}
	if w.Quorum < 1 || w.Quorum > len(w.List) {
		return statement.Invalid("rulebook: witnesses.quorum must be from 1 to %d, the number of witnesses listed, not %d", len(w.List), w.Quorum)
	}
	return nil
}
