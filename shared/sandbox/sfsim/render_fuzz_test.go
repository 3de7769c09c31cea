package sfsim

import (
	"testing"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/snowflake"
)

// FuzzRenderedLiterals renders values with the snowflake package and reads
// them back with the sandbox's lexer. A literal and an identifier must each
// come back as one token with exactly the value or stored name, and the
// statement built from them must stay one statement.
func FuzzRenderedLiterals(f *testing.F) {
	for _, s := range []string{
		"corp_pypi", "o'brien", `say "hi"`, `back\slash`, `trailing\`, "semi;colon", "dash--dash",
		"new\nline", "Zürich", "'; DROP DATABASE PLATFORM; --", `\'`, "$$", "/* x */", "-- x\n;",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || !utf8.ValidString(s) {
			t.Skip("empty or not UTF-8")
		}
		sql := "CREATE SECRET " + snowflake.Qualified("DB", s) + " TYPE = GENERIC_STRING SECRET_STRING = " + snowflake.Literal(s)
		tokens, err := tokenize(sql)
		if err != nil {
			t.Fatalf("tokenize(%q): %v", sql, err)
		}
		if n := len(splitStatements(tokens)); n != 1 {
			t.Fatalf("%q reads as %d statements, want 1", sql, n)
		}

		var literal, name *token
		for i := range tokens {
			switch tokens[i].kind {
			case tokString:
				if literal != nil {
					t.Fatalf("%q has more than one string literal", sql)
				}
				literal = &tokens[i]
			case tokQuoted, tokWord:
				if i > 0 && tokens[i-1].kind == tokSymbol && tokens[i-1].text == "." {
					name = &tokens[i]
				}
			}
		}
		if literal == nil || literal.text != s {
			t.Fatalf("literal of %q reads back as %+v", s, literal)
		}
		if name == nil || name.text != snowflake.StoredName(s) {
			t.Fatalf("identifier %q reads back as %+v, want %q", s, name, snowflake.StoredName(s))
		}
	})
}
