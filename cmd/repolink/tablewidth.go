package main

import (
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
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

// isZeroWidth reports whether r takes no column: a combining mark, a
// format character, or a Hangul vowel or final consonant jamo, which joins
// the leading consonant before it into one syllable.
func isZeroWidth(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) ||
		(r >= 0x1160 && r <= 0x11FF) || (r >= 0xD7B0 && r <= 0xD7FF)
}

// isBlank reports whether r renders as nothing or as empty space on most
// terminals although it is not a space: a default-ignorable code point,
// such as U+3164 HANGUL FILLER, or U+2800 BRAILLE PATTERN BLANK.
func isBlank(r rune) bool {
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) || r == 0x2800
}

// looksLikeAnother reports whether name can render like a different name:
// it has a rune that takes no column or renders blank, or it is not in
// Unicode normalization form C, as "cafe\u0301" beside "caf\u00e9".
func looksLikeAnother(name string) bool {
	return strings.IndexFunc(name, func(r rune) bool { return isZeroWidth(r) || isBlank(r) }) >= 0 ||
		!norm.NFC.IsNormalString(name)
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

// displayName returns an execution name as a table shows it. A name that
// looksLikeAnother is quoted with \u escapes for its non-ASCII runes:
// "cafe\u0301" and café with the precomposed U+00E9 look the same on a
// terminal. Commands that take a name accept the quoted form too (see
// nameArg).
func displayName(name string) string {
	if looksLikeAnother(name) {
		return strconv.QuoteToASCII(name)
	}
	return name
}

// nameArg returns the execution name that the command-line argument arg
// gives. An argument in double quotes, as displayName writes a name, is
// unquoted. No execution name contains a double quote, so the quoted form
// cannot be a name of its own.
func nameArg(arg string) string {
	if len(arg) >= 2 && strings.HasPrefix(arg, `"`) && strings.HasSuffix(arg, `"`) {
		if name, err := strconv.Unquote(arg); err == nil {
			return name
		}
	}
	return arg
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
