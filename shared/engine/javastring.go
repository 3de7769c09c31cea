package engine

import (
	"cmp"
	"unicode/utf8"
)

// compareJavaStrings orders two strings the way Java's String.compareTo
// does, by UTF-16 code units, and returns -1, 0 or +1. Jayway JsonPath
// orders filter operands with String.compareTo, and the Choice string
// operators of Step Functions, a Java service, are taken to do the same.
//
// The order differs from the code point order of Go's strings.Compare only
// where a character above U+FFFF meets one in U+E000..U+FFFF. In UTF-16 the
// first is a surrogate pair starting at 0xD800..0xDBFF, so it sorts first.
func compareJavaStrings(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmp.Compare(utf16Order(ra), utf16Order(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// utf16Order maps a code point to a key whose order is that of its UTF-16
// encoding. U+E000..U+FFFF move above every supplementary code point.
// Surrogate code points cannot occur, because decoding yields U+FFFD.
func utf16Order(r rune) int {
	if r >= 0xE000 && r <= 0xFFFF {
		return int(r) + utf8.MaxRune
	}
	return int(r)
}
