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
	text(10, "", fmt.Sprintf("Period: %s to %s (the cut-off, %s in %s); the period before from %s.",
		statement.FormatTime(p.From), statement.FormatTime(p.To), p.CutOff, p.Zone, statement.FormatTime(p.LastFrom)))
	text(10, "", fmt.Sprintf("Made from the first %d statements of the log (log size %d).", p.LogSize, p.LogSize))

	text(12, "B", "Complaints by party accused")
	var rows [][]string
	for i, c := range p.Complaints {
		rows = append(rows, []string{p.Name(c.Party), n(c.Received), n(c.Last), p.ByParty[i].Delta(), n(c.Ruled), n(c.Verified), n(c.Cleared), n(c.Pending), n(c.Closed)})
	}
	table([]float64{40, 18, 16, 16, 24, 18, 18, 18, 16}, []string{"Party", "Received", "Before", "Change", "Ruled", "Verified", "Cleared", "Pending", "Closed"}, rows)
	if len(rows) > 0 {
		p.pdfChart(pdf, tr, p.PartyChart())
	}

	text(12, "B", "Events by category")
	rows = nil
	for _, c := range p.ByCategory {
		rows = append(rows, []string{c.Name, n(c.This), n(c.Last), c.Delta()})
	}
	table([]float64{80, 30, 30, 30}, []string{"Category", "This period", "Before", "Change"}, rows)
	if len(rows) > 0 {
		p.pdfChart(pdf, tr, p.CategoryChart())
	}
	changes := func(first string, cs []Change) {
		rows = nil
		for _, c := range cs {
			rows = append(rows, []string{c.Name, n(c.This), n(c.Last), c.Delta()})
		}
		table([]float64{80, 30, 30, 30}, []string{first, "This period", "Before", "Change"}, rows)
	}

	text(12, "B", "Events by region")
	text(9, "", "The province of each event's place, as the report that opened the case gives it or else as the gazetteer gives its place.")
	changes("Region", p.ByRegion)

	text(12, "B", "Access denied to monitors, by party")
	if p.HasAccessCategory {
		text(9, "", `Events of the category "access_denied" (monitors denied access to a site), by the party accused of denying it.`)
		changes("Party", p.AccessDenials)
	} else {
		text(10, "", `The rulebook has no category "access_denied", so no access denials are counted.`)
	}

	text(12, "B", "Commitments due and met")
	text(9, "", "Commitments whose deadline falls in the period; met when the party filed an action referencing the commitment by its deadline, as the mechanism's core decides.")
	changes("", []Change{p.Due, p.Met})
	rows = nil
	for _, c := range p.Commitments {
		closed := ""
		if c.Closed != nil {
			closed = n(*c.Closed)
		}
		rows = append(rows, []string{n(c.Index), p.Name(c.Party), c.Group, c.Deadline, c.Status, closed})
	}
	if len(rows) > 0 {
		table([]float64{24, 34, 50, 38, 18, 26}, []string{"Commitment", "Party", "Group", "Deadline", "Status", "Met/missed by"}, rows)
	}

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
	if err := p.pdfMap(pdf, text); err != nil {
		return nil, err
	}
	text(8, "", "Every figure counts each event once, by its event time, and a case's standing is the one the mechanism's core gave it. The same log size and period make this file again byte for byte; its SHA-256 and size are what a publication statement records.")

	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("couldn't render the report as PDF: %w", err)
	}
	return b.Bytes(), nil
}

// pdfScale is how many millimetres of the PDF a unit of the SVG charts
// and map takes: 640 units across 180 mm.
const pdfScale = 180.0 / 640.0

// room starts a new page unless h millimetres fit on this one.
func room(pdf *fpdf.Fpdf, h float64) {
	_, ph := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+h > ph-bottom {
		pdf.AddPage()
	}
}

// pdfChart draws a bar chart as the HTML's SVG draws it, scaled.
func (p *Periodic) pdfChart(pdf *fpdf.Fpdf, tr func(string) string, c *chart) {
	h := c.H * pdfScale
	room(pdf, h)
	left, _, _, _ := pdf.GetMargins()
	x0, y0 := left, pdf.GetY()
	at := func(x, y float64) (float64, float64) { return x0 + x*pdfScale, y0 + y*pdfScale }
	this, last := [3]int{0x1f, 0x5f, 0xa8}, [3]int{0xb8, 0xb8, 0xb8}
	rect := func(x, y, w, hh float64, c [3]int) {
		pdf.SetFillColor(c[0], c[1], c[2])
		X, Y := at(x, y)
		pdf.Rect(X, Y, w*pdfScale, hh*pdfScale, "F")
	}
	label := func(x, y float64, size float64, s string, right bool) {
		pdf.SetFont("Helvetica", "", size)
		X, Y := at(x, y)
		if right {
			X -= pdf.GetStringWidth(s)
		}
		pdf.Text(X, Y, s)
	}
	rect(c.LabelW, 4, 10, 10, this)
	label(c.LabelW+14, 13, 7, "This period", false)
	rect(c.LabelW+110, 4, 10, 10, last)
	label(c.LabelW+124, 13, 7, "The period before", false)
	for _, b := range c.Bars {
		name := []rune(tr(b.Label))
		for len(name) > 1 && pdf.GetStringWidth(string(name)) > (c.LabelW-10)*pdfScale {
			name = name[:len(name)-1]
		}
		label(c.LabelW-6, b.Y+14, 7, string(name), true)
		rect(c.LabelW, b.Y, b.ThisW, 10, this)
		label(c.LabelW+b.ThisW+4, b.Y+9, 6, strconv.FormatInt(b.This, 10), false)
		rect(c.LabelW, b.Y+11, b.LastW, 10, last)
		label(c.LabelW+b.LastW+4, b.Y+20, 6, strconv.FormatInt(b.Last, 10), false)
	}
	pdf.SetY(y0 + h + 3)
}

// pdfMap draws the report's map as the HTML's SVG draws it, scaled, with
// its legend.
func (p *Periodic) pdfMap(pdf *fpdf.Fpdf, text func(float64, string, string)) error {
	m, err := p.Map()
	if err != nil {
		return err
	}
	w, h := m.W*pdfScale, m.H*pdfScale
	room(pdf, h+30)
	text(12, "B", "Map of the period's incidents")
	left, _, _, _ := pdf.GetMargins()
	x0, y0 := left, pdf.GetY()
	at := func(x, y float64) (float64, float64) { return x0 + x*pdfScale, y0 + y*pdfScale }
	pts := func(l [][2]float64) []fpdf.PointType {
		out := make([]fpdf.PointType, len(l))
		for i, q := range l {
			out[i].X, out[i].Y = at(q[0], q[1])
		}
		return out
	}
	pdf.ClipRect(x0, y0, w, h, false)
	pdf.SetFillColor(0xe8, 0xee, 0xf2)
	pdf.Rect(x0, y0, w, h, "F")
	pdf.SetDrawColor(0x8a, 0x83, 0x76)
	pdf.SetLineWidth(0.2)
	for _, s := range m.Shapes {
		pdf.SetFillColor(s.Fill[0], s.Fill[1], s.Fill[2])
		pdf.Polygon(pts(s.Pts), "DF")
	}
	if len(m.Line) > 1 {
		pdf.SetDrawColor(0x5a, 0x4a, 0x3a)
		pdf.SetLineWidth(0.35)
		pdf.SetDashPattern([]float64{1.4, 0.85}, 0)
		l := pts(m.Line)
		for i := 1; i < len(l); i++ {
			pdf.Line(l[i-1].X, l[i-1].Y, l[i].X, l[i].Y)
		}
		pdf.SetDashPattern(nil, 0)
	}
	pdf.SetDrawColor(0xff, 0xff, 0xff)
	pdf.SetLineWidth(0.3)
	for _, q := range m.Points {
		c := standingColour(q.Class)
		pdf.SetFillColor(c[0], c[1], c[2])
		X, Y := at(q.X, q.Y)
		pdf.Circle(X, Y, q.Radius()*pdfScale, "DF")
	}
	pdf.ClipEnd()
	pdf.SetDrawColor(0x99, 0x99, 0x99)
	pdf.SetLineWidth(0.2)
	pdf.Rect(x0, y0, w, h, "D")
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetY(y0 + h + 2)
	var legend []string
	for _, l := range m.Legend() {
		legend = append(legend, fmt.Sprintf("%s: %d", l.Standing, l.Count))
	}
	x := x0
	y := pdf.GetY() + 2
	pdf.SetFont("Helvetica", "", 8)
	for i, l := range m.Legend() {
		c := standingColour(l.Standing)
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.Circle(x+1.2, y-1, 1.2, "F")
		pdf.Text(x+3.5, y, legend[i])
		x += 8 + pdf.GetStringWidth(legend[i])
	}
	pdf.SetY(y + 3)
	area := ""
	if m.AreaName != "" {
		area = ", framed on the " + m.AreaName
	}
	text(8, "", fmt.Sprintf("%d of the period's incidents drawn (a point for those within a hundredth of a degree of each other, larger as it stands for more); %d outside the frame and %d without coordinates not drawn. Equirectangular projection%s; boundaries from Natural Earth (1:50m), simplified.",
		m.Drawn, m.Outside, p.Unlocated, area))
	return nil
}
