package report

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-pdf/fpdf"

	"github.com/sulh-project/sulh/internal/statement"
)

// PDF renders the report as a PDF of A4 pages with the same content as
// HTML. It is deterministic: its creation and modification dates are the
// period's end, its objects are written in a fixed order and compressed
// alike, so the same report gives the same bytes. It uses the PDF's core
// fonts, whose code page (Windows-1252) holds Latin text alone: a
// character outside it (Arabic, Pashto, Urdu) prints as "?", and the HTML
// report is the one to read for such text.
func (p *Periodic) PDF() ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(p.To)
	pdf.SetModificationDate(p.To)
	pdf.SetProducer("sulh", false)
	pdf.SetCreator("sulh", false)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(p.Title), false)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()
	text := func(size float64, style, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.MultiCell(0, size*0.5, tr(s), "", "L", false)
		pdf.Ln(1)
	}
	table := func(widths []float64, header []string, rows [][]string) {
		if len(rows) == 0 {
			text(10, "", "None.")
			return
		}
		pdf.SetFont("Helvetica", "B", 8)
		for i, h := range header {
			pdf.CellFormat(widths[i], 5, tr(h), "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 8)
		for _, row := range rows {
			for i, c := range row {
				r := []rune(c)
				if len(r) > 200 {
					r = r[:200]
				}
				for pdf.GetStringWidth(tr(string(r))) > widths[i]-2 && len(r) > 1 {
					r = r[:len(r)-1]
				}
				c = string(r)
				pdf.CellFormat(widths[i], 5, tr(c), "1", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
		}
		pdf.Ln(3)
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	text(14, "B", p.Title)
	text(10, "", fmt.Sprintf("Period: %s to %s (the cut-off, 19:30 in %s); the period before from %s.",
		statement.FormatTime(p.From), statement.FormatTime(p.To), p.Zone, statement.FormatTime(p.LastFrom)))
	text(10, "", fmt.Sprintf("Made from the first %d statements of the log (log size %d).", p.LogSize, p.LogSize))

	text(12, "B", "Complaints by party accused")
	var rows [][]string
	for i, c := range p.Complaints {
		rows = append(rows, []string{p.Name(c.Party), n(c.Received), n(c.Last), p.ByParty[i].Delta(), n(c.Ruled), n(c.Verified), n(c.Cleared), n(c.Pending), n(c.Closed)})
	}
	table([]float64{40, 18, 16, 16, 24, 18, 18, 18, 16}, []string{"Party", "Received", "Before", "Change", "Ruled", "Verified", "Cleared", "Pending", "Closed"}, rows)

	text(12, "B", "Events by category")
	rows = nil
	for _, c := range p.ByCategory {
		rows = append(rows, []string{c.Name, n(c.This), n(c.Last), c.Delta()})
	}
	table([]float64{80, 30, 30, 30}, []string{"Category", "This period", "Before", "Change"}, rows)

	text(12, "B", "Findings published")
	rows = nil
	for _, f := range p.Findings {
		rows = append(rows, []string{n(f.Case), n(f.Index), f.Outcome, p.Name(f.Party), f.Confidence, f.Published, f.Summary})
	}
	table([]float64{12, 14, 26, 26, 20, 38, 54}, []string{"Case", "Finding", "Outcome", "Party", "Confidence", "Published", "Summary"}, rows)

	text(12, "B", "Crossings")
	text(9, "", fmt.Sprintf("Each side's latest status at log size %d.", p.LogSize))
	rows = nil
	for _, c := range p.Crossings {
		rows = append(rows, []string{c.Name, p.Name(c.Side), c.Status, c.Since, n(c.Index)})
	}
	table([]float64{50, 40, 30, 45, 20}, []string{"Crossing", "Side", "Status", "Since", "Statement"}, rows)
	text(8, "", "Every figure counts each event once, by its event time, and a case's standing is the one the mechanism's core gave it. The same log size and period make this file again byte for byte; its SHA-256 and size are what a publication statement records.")

	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("couldn't render the report as PDF: %w", err)
	}
	return b.Bytes(), nil
}
