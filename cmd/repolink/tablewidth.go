package main

import (
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// displayWidth returns the number of terminal columns that s takes: none
// for a combining mark or a format character such as U+200B ZERO WIDTH
// SPACE, two for a wide or fullwidth East Asian rune, and one for any
// other rune. text/tabwriter counts one column per rune instead, so a name
// with combining marks would shift the columns after it.
func displayWidth(s string) int {
	columns := 0
	for _, r := range s {
		switch {
		case isZeroWidth(r):
		case isWide(r):
			columns += 2
		default:
			columns++
		}
	}
	return columns
}

// isZeroWidth reports whether r takes no column: a combining mark or a
// format character.
func isZeroWidth(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf)
}

// isWide reports whether r is a wide or fullwidth East Asian rune, which
// takes two columns.
func isWide(r rune) bool {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return true
	}
	return false
}

// displayName returns an execution name as a table shows it. A name with a
// combining mark or a format character is quoted with \u escapes for its
// non-ASCII runes, because it can render like another name: "cafe\u0301"
// and café with the precomposed U+00E9 look the same on a terminal.
func displayName(name string) string {
	if strings.IndexFunc(name, isZeroWidth) >= 0 {
		return strconv.QuoteToASCII(name)
	}
	return name
}

// writeTable writes rows as columns separated by at least two spaces,
// padded by displayWidth. The last cell of a row is not padded.
func writeTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
