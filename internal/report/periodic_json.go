package report

import (
	"encoding/json"
	"fmt"
)

// JSON renders the report's content, every figure of it, as one JSON
// object: the fields of Periodic under their Go names (Kind, Date,
// LogSize, ByParty, Complaints, ...), times in RFC 3339, lists in the
// report's order. Like HTML and PDF, the same report gives the same
// bytes.
func (p *Periodic) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return nil, fmt.Errorf("couldn't render the report as JSON: %w", err)
	}
	return append(b, '\n'), nil
}
