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

// contentTypes are the content types the formats are served with.
var contentTypes = map[string]string{"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}

// Render renders the report in format, "html", "pdf" or "json" (as an
// Address names them), and gives the content type it is served with.
func (p *Periodic) Render(format string) (b []byte, contentType string, err error) {
	switch format {
	case "html":
		b, err = p.HTML()
	case "pdf":
		b, err = p.PDF()
	case "json":
		b, err = p.JSON()
	default:
		return nil, "", fmt.Errorf("couldn't render the report: no format %q (html, pdf or json)", format)
	}
	return b, contentTypes[format], err
}
