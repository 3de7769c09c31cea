package sfsim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tokWord   tokenKind = iota // unquoted identifier or keyword
	tokQuoted                  // "double-quoted identifier"
	tokString                  // 'string literal'
	tokDollar                  // $$ body $$
	tokNumber
	tokSymbol // one of ( ) , . = ; * and the like
	tokEOF
)

// token is one lexical unit. text is the value: a quoted identifier or a
// literal without quotes and with escapes resolved, a word as written.
type token struct {
	kind tokenKind
	text string
	pos  int
}

// tokenize splits one SQL text the way Snowflake reads it: unquoted words,
// "quoted identifiers" with "" for a quote, string literals with backslash
// escapes and a doubled single quote for a quote, $$ bodies, numbers,
// symbols, and -- // /* */ comments.
func tokenize(sql string) ([]token, error) {
	var out []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(sql[i:], "--") || strings.HasPrefix(sql[i:], "//"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 1
			}
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return nil, syntaxError(i, "unterminated comment")
			}
			i += end + 4
		case strings.HasPrefix(sql[i:], "$$"):
			end := strings.Index(sql[i+2:], "$$")
			if end < 0 {
				return nil, syntaxError(i, "unterminated $$ string")
			}
			out = append(out, token{kind: tokDollar, text: sql[i+2 : i+2+end], pos: i})
			i += end + 4
		case c == '\'':
			text, next, err := scanString(sql, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: tokString, text: text, pos: i})
			i = next
		case c == '"':
			text, next, err := scanQuoted(sql, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: tokQuoted, text: text, pos: i})
			i = next
		case isWordStart(c):
			start := i
			for i < len(sql) && isWordPart(sql[i]) {
				i++
			}
			out = append(out, token{kind: tokWord, text: sql[start:i], pos: start})
		case c >= '0' && c <= '9':
			start := i
			for i < len(sql) && (sql[i] >= '0' && sql[i] <= '9' || sql[i] == '.') {
				i++
			}
			out = append(out, token{kind: tokNumber, text: sql[start:i], pos: start})
		case strings.ContainsRune("(),.=;*<>!+-/", rune(c)):
			out = append(out, token{kind: tokSymbol, text: string(c), pos: i})
			i++
		default:
			r, _ := utf8.DecodeRuneInString(sql[i:])
			return nil, syntaxError(i, fmt.Sprintf("unexpected '%c'", r))
		}
	}
	out = append(out, token{kind: tokEOF, pos: len(sql)})
	return out, nil
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isWordPart(c byte) bool {
	return isWordStart(c) || c == '$' || c >= '0' && c <= '9'
}

func scanQuoted(sql string, start int) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for i < len(sql) {
		if sql[i] == '"' {
			if i+1 < len(sql) && sql[i+1] == '"' {
				b.WriteByte('"')
				i += 2
				continue
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(sql[i])
		i++
	}
	return "", 0, syntaxError(start, "unterminated quoted identifier")
}

// scanString reads a '...' literal with Snowflake's escapes: \\ \' \" \n \t
// \r \b \f \0, \ooo octal, \xhh hex, \uhhhh Unicode, and a doubled single
// quote for a quote. A backslash before any other character keeps that character.
func scanString(sql string, start int) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' && i+1 < len(sql) && sql[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == '\'':
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(sql):
			n, err := writeEscape(&b, sql[i+1:])
			if err != nil {
				return "", 0, syntaxError(i, err.Error())
			}
			i += 1 + n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, syntaxError(start, "unterminated string literal")
}

// writeEscape writes the character of the escape sequence that follows a
// backslash and returns how many bytes of rest it used.
func writeEscape(b *strings.Builder, rest string) (int, error) {
	simple := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', '0': 0}
	switch c := rest[0]; {
	case c >= '0' && c <= '7' && len(rest) >= 3 && isOctal(rest[1]) && isOctal(rest[2]):
		v, _ := strconv.ParseUint(rest[:3], 8, 8)
		b.WriteByte(byte(v))
		return 3, nil
	case simple[c] != 0 || c == '0':
		b.WriteByte(simple[c])
		return 1, nil
	case c == 'x':
		if len(rest) < 3 {
			return 0, fmt.Errorf("invalid \\x escape")
		}
		v, err := strconv.ParseUint(rest[1:3], 16, 8)
		if err != nil {
			return 0, fmt.Errorf("invalid \\x escape")
		}
		b.WriteByte(byte(v))
		return 3, nil
	case c == 'u':
		if len(rest) < 5 {
			return 0, fmt.Errorf("invalid \\u escape")
		}
		v, err := strconv.ParseUint(rest[1:5], 16, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid \\u escape")
		}
		b.WriteRune(rune(v))
		return 5, nil
	default:
		// Any other character, including \ ' and ", stands for itself. A
		// multi-byte character is copied whole.
		_, size := utf8.DecodeRuneInString(rest)
		b.WriteString(rest[:size])
		return size, nil
	}
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// splitStatements returns the token runs between semicolons, dropping empty
// ones, so that a single trailing semicolon is not a second statement.
func splitStatements(tokens []token) [][]token {
	var out [][]token
	var cur []token
	for _, t := range tokens {
		if t.kind == tokEOF || t.kind == tokSymbol && t.text == ";" {
			if len(cur) > 0 {
				out = append(out, append(cur, token{kind: tokEOF, pos: t.pos}))
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	return out
}
