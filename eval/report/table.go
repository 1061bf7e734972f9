package report

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// NewTable is the bordered table every llmfall command prints (the eval
// matrix, chains, judge calibrate, simulate): bold headers and a space of
// padding in each cell, styled for r.
func NewTable(r *lipgloss.Renderer) *table.Table {
	return table.New().Border(lipgloss.NormalBorder()).BorderStyle(r.NewStyle()).
		StyleFunc(func(row, _ int) lipgloss.Style { return CellStyle(r, row) })
}

// CellStyle is NewTable's style for a cell of row, for tables that add to it
// (a colour per cell).
func CellStyle(r *lipgloss.Renderer, row int) lipgloss.Style {
	s := r.NewStyle().Padding(0, 1)
	if row == table.HeaderRow {
		s = s.Bold(true)
	}
	return s
}

// Grid is a table's content, for FitTable.
type Grid struct {
	Headers []string
	Rows    [][]string
	// Style adds to CellStyle for a cell of a row (table.HeaderRow for the
	// headers): a colour, an alignment. Nil adds nothing.
	Style func(row, col int) lipgloss.Style
}

func (g Grid) style(r *lipgloss.Renderer, row, col int) lipgloss.Style {
	if g.Style == nil {
		return r.NewStyle()
	}
	return g.Style(row, col)
}

func (g Grid) table(r *lipgloss.Renderer) string {
	t := NewTable(r).Headers(g.Headers...).StyleFunc(func(row, col int) lipgloss.Style {
		return CellStyle(r, row).Inherit(g.style(r, row, col))
	})
	for _, row := range g.Rows {
		t.Row(row...)
	}
	return t.Render()
}

// stacked shows each row as a "header: cell" line for its first cell, then
// one indented such line per other cell: as narrow as the content allows,
// for terminals the table does not fit.
func (g Grid) stacked(r *lipgloss.Renderer) string {
	var b strings.Builder
	bold := r.NewStyle().Bold(true)
	for i, row := range g.Rows {
		if i > 0 {
			b.WriteString("\n")
		}
		if len(g.Headers) > 0 {
			b.WriteString(g.Headers[0] + ": ")
		}
		b.WriteString(bold.Inherit(g.style(r, i, 0)).Render(row[0]))
		for col := 1; col < len(row); col++ {
			if row[col] == "" {
				continue
			}
			b.WriteString("\n  ")
			if col < len(g.Headers) {
				b.WriteString(g.Headers[col] + ": ")
			}
			b.WriteString(g.style(r, i, col).UnsetAlign().Render(row[col]))
		}
	}
	return b.String()
}

// FitTable renders the first grid whose bordered table fits in width
// columns (a width of 0 fits anything), so that a caller can offer a
// shortened form after the full one; when none fits, the first grid
// stacked, rather than a table that the terminal would wrap mid-cell.
func FitTable(r *lipgloss.Renderer, width int, grids ...Grid) string {
	for _, g := range grids {
		if s := g.table(r); width <= 0 || lipgloss.Width(s) <= width {
			return s
		}
	}
	return grids[0].stacked(r)
}
