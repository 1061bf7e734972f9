package report

import (
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
