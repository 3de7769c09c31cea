package snowflake

import (
	"errors"
	"fmt"
	"strings"
)

// maxIdentifierLength is Snowflake's limit on identifier length in
// characters, quoted or not.
const maxIdentifierLength = 255

// reservedWords are the keywords that Snowflake's "Reserved & limited
// keywords" page lists. Ident quotes a name that matches one of them, even
// where Snowflake would accept it unquoted, because one rule for every
// statement is simpler than tracking which keyword is limited where.
var reservedWords = map[string]bool{
	"ACCOUNT": true, "ALL": true, "ALTER": true, "AND": true, "ANY": true, "AS": true,
	"BETWEEN": true, "BY": true, "CASE": true, "CAST": true, "CHECK": true, "COLUMN": true,
	"CONNECT": true, "CONNECTION": true, "CONSTRAINT": true, "CREATE": true, "CROSS": true,
	"CURRENT": true, "CURRENT_DATE": true, "CURRENT_TIME": true, "CURRENT_TIMESTAMP": true,
	"CURRENT_USER": true, "DATABASE": true, "DELETE": true, "DISTINCT": true, "DROP": true,
	"ELSE": true, "EXISTS": true, "FALSE": true, "FOLLOWING": true, "FOR": true, "FROM": true,
	"FULL": true, "GRANT": true, "GROUP": true, "GSCLUSTER": true, "HAVING": true, "ILIKE": true,
	"IN": true, "INCREMENT": true, "INNER": true, "INSERT": true, "INTERSECT": true, "INTO": true,
	"IS": true, "ISSUE": true, "JOIN": true, "LATERAL": true, "LEFT": true, "LIKE": true,
	"LOCALTIME": true, "LOCALTIMESTAMP": true, "MINUS": true, "NATURAL": true, "NOT": true,
	"NULL": true, "OF": true, "ON": true, "OR": true, "ORDER": true, "ORGANIZATION": true,
	"QUALIFY": true, "REGEXP": true, "REVOKE": true, "RIGHT": true, "RLIKE": true, "ROW": true,
	"ROWS": true, "SAMPLE": true, "SCHEMA": true, "SELECT": true, "SET": true, "SOME": true,
	"START": true, "TABLE": true, "TABLESAMPLE": true, "THEN": true, "TO": true, "TRIGGER": true,
	"TRUE": true, "TRY_CAST": true, "UNION": true, "UNIQUE": true, "UPDATE": true, "USING": true,
	"VALUES": true, "VIEW": true, "WHEN": true, "WHENEVER": true, "WHERE": true, "WINDOW": true,
	"WITH": true,
}

// isPlainIdentifier reports whether name can be written unquoted: it starts
// with an ASCII letter or underscore, continues with ASCII letters, digits,
// underscores or dollar signs, and is not a reserved word.
func isPlainIdentifier(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case i > 0 && (r == '$' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return !reservedWords[strings.ToUpper(name)]
}

// quotedName returns the name inside a quoted identifier, such as
// Data-Science for "Data-Science", and reports whether name has that form:
// a double quote at each end, at least one character between them, and
// each double quote inside doubled. Snowflake reads a quoted name this way
// in SQL and at login, where gosnowflake sends the request's role,
// database, schema and warehouse as written, so Ident reads it the same way.
func quotedName(name string) (string, bool) {
	if len(name) < 3 || name[0] != '"' || name[len(name)-1] != '"' {
		return "", false
	}
	inner := name[1 : len(name)-1]
	if strings.Count(inner, `""`)*2 != strings.Count(inner, `"`) {
		return "", false
	}
	return strings.ReplaceAll(inner, `""`, `"`), true
}

// quote double-quotes name with each inner `"` doubled, so that Snowflake
// reads the name with every character and its case.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Ident renders one identifier of a name given in a request. A name written
// as a quoted identifier, such as "data_science" with the quotes, names
// exactly the text inside. A plain name is upper-cased and left unquoted,
// the way Snowflake stores unquoted names. Any other name is double-quoted
// with inner `"` doubled and its case kept. Using Ident for create,
// reference, grant and lookup keeps them on the same stored name.
func Ident(name string) string {
	if inner, ok := quotedName(name); ok {
		return StoredIdent(inner)
	}
	if isPlainIdentifier(name) {
		return strings.ToUpper(name)
	}
	return quote(name)
}

// StoredName returns the name as Snowflake stores it and SHOW prints it after
// creating the object with Ident(name).
func StoredName(name string) string {
	if inner, ok := quotedName(name); ok {
		return inner
	}
	if isPlainIdentifier(name) {
		return strings.ToUpper(name)
	}
	return name
}

// StoredIdent renders a name as SHOW prints it, so that the identifier
// names that exact object. It is Ident for every name that Ident stores
// unchanged, and a quoted name otherwise, such as for a lower-case name that
// was created quoted.
func StoredIdent(name string) string {
	if StoredName(name) == name {
		return Ident(name)
	}
	return quote(name)
}

// SameName reports whether a name printed by SHOW is the object created
// with Ident(name). The comparison is exact because Snowflake treats quoted
// names as case-sensitive.
func SameName(showName, name string) bool {
	return showName == StoredName(name)
}

// CheckName returns an error when name cannot be an identifier at all: it is
// empty, longer than 255 characters, or contains a NUL byte.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case len([]rune(name)) > maxIdentifierLength:
		return fmt.Errorf("name %.40q... is longer than %d characters", name, maxIdentifierLength)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("name %q contains a NUL byte", name)
	}
	return nil
}

// Qualified renders a dotted name such as db.schema.object, each part
// through Ident.
func Qualified(parts ...string) string {
	rendered := make([]string, len(parts))
	for i, part := range parts {
		rendered[i] = Ident(part)
	}
	return strings.Join(rendered, ".")
}

// Literal renders s as a single-quoted string literal. Snowflake reads
// backslash escapes inside '...', so a backslash is doubled, and a single
// quote is doubled. Every other character, newlines and non-ASCII included,
// is kept as it is.
func Literal(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`''`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// LikePattern returns the pattern, before quoting, that a SHOW ... LIKE
// clause needs to match the object created with Ident(name): the stored name
// with `\`, `_` and `%` escaped by a backslash. Render it with Literal.
// SHOW ... LIKE matches case-insensitively, so callers must still pick the
// exact row with SameName.
//
// NOTE: that SHOW ... LIKE takes the backslash as its escape character is
// assumed from Snowflake's LIKE operator; no SHOW reference page states it.
func LikePattern(name string) string {
	var b strings.Builder
	for _, r := range StoredName(name) {
		if r == '\\' || r == '_' || r == '%' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// literalList renders ('a', 'b', ...).
func literalList(values []string) string {
	rendered := make([]string, len(values))
	for i, v := range values {
		rendered[i] = Literal(v)
	}
	return "(" + strings.Join(rendered, ", ") + ")"
}
