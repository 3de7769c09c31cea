package snowflake

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender checks Ident, StoredName and Literal against a decoder that
// reads quoted identifiers and string literals the way Snowflake does: the
// rendered text decodes to exactly the stored name or the value, and no
// quote ends it early. Only valid UTF-8 is checked, because Literal writes
// each invalid byte as U+FFFD and the values it gets come from JSON and
// YAML documents, which are UTF-8.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "corp_pypi", "o'brien", `say "hi"`, `back\slash`, `trailing\`, "semi;colon", "dash--dash",
		"new\nline", "Zürich", "日本語", "'; DROP DATABASE PLATFORM; --", `\'`, `''`, `""`, "$$", "SELECT",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("not UTF-8")
		}

		lit := Literal(s)
		value, rest, ok := decodeLiteral(lit)
		if !ok {
			t.Fatalf("Literal(%q) = %s does not end with its closing quote", s, lit)
		}
		if rest != "" {
			t.Fatalf("Literal(%q) = %s ends early; %q follows the closing quote", s, lit, rest)
		}
		if value != s {
			t.Fatalf("Literal(%q) = %s decodes to %q", s, lit, value)
		}

		if s == "" {
			return
		}
		ident := Ident(s)
		name, ok := decodeIdent(ident)
		if !ok {
			t.Fatalf("Ident(%q) = %s is neither a plain word nor one quoted identifier", s, ident)
		}
		if name != StoredName(s) {
			t.Fatalf("Ident(%q) = %s decodes to %q, but StoredName is %q", s, ident, name, StoredName(s))
		}
		if !SameName(StoredName(s), s) {
			t.Fatalf("SameName(StoredName(%q), %q) = false", s, s)
		}
	})
}

// decodeLiteral reads a '...' literal at the start of text with Snowflake's
// rules: two single quotes stand for one and a backslash escapes the next
// character, where \\ \' and \" stand for themselves.
// It returns the value and what follows.
func decodeLiteral(text string) (value, rest string, ok bool) {
	if !strings.HasPrefix(text, "'") {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' && i+1 < len(text) && text[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			return b.String(), text[i+1:], true
		case c == '\\' && i+1 < len(text):
			next := text[i+1]
			if next != '\\' && next != '\'' && next != '"' {
				// Literal escapes only backslashes, so any other escape
				// would change the value.
				return "", "", false
			}
			b.WriteByte(next)
			i++
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// decodeIdent reads one identifier: an unquoted word, which Snowflake
// upper-cases, or a "..." identifier with "" for a quote that makes up the
// whole text.
func decodeIdent(text string) (string, bool) {
	if !strings.HasPrefix(text, `"`) {
		if !isPlainIdentifier(text) || text != strings.ToUpper(text) {
			return "", false
		}
		return text, true
	}
	var b strings.Builder
	for i := 1; i < len(text); i++ {
		switch {
		case text[i] == '"' && i+1 < len(text) && text[i+1] == '"':
			b.WriteByte('"')
			i++
		case text[i] == '"':
			return b.String(), i == len(text)-1
		default:
			b.WriteByte(text[i])
		}
	}
	return "", false
}
