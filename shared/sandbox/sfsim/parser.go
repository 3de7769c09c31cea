package sfsim

import (
	"strings"
)

// parser walks the tokens of one statement.
type parser struct {
	tokens []token
	pos    int
}

func (p *parser) peek() token { return p.tokens[p.pos] }

func (p *parser) next() token {
	t := p.tokens[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// isWord reports whether t is the unquoted keyword word.
func isWord(t token, word string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, word)
}

// peekWords reports whether the next tokens are the keywords words.
func (p *parser) peekWords(words ...string) bool {
	for i, w := range words {
		if p.pos+i >= len(p.tokens) || !isWord(p.tokens[p.pos+i], w) {
			return false
		}
	}
	return true
}

// accept consumes the keywords words when they come next.
func (p *parser) accept(words ...string) bool {
	if !p.peekWords(words...) {
		return false
	}
	p.pos += len(words)
	return true
}

func (p *parser) expect(words ...string) error {
	for _, w := range words {
		if !p.accept(w) {
			return p.unexpected()
		}
	}
	return nil
}

func (p *parser) acceptSymbol(sym string) bool {
	if t := p.peek(); t.kind == tokSymbol && t.text == sym {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expectSymbol(sym string) error {
	if !p.acceptSymbol(sym) {
		return p.unexpected()
	}
	return nil
}

// unexpected reports the next token the way Snowflake's syntax errors do.
func (p *parser) unexpected() error {
	t := p.peek()
	switch t.kind {
	case tokEOF:
		return syntaxError(t.pos, "unexpected '<EOF>'")
	case tokString:
		return syntaxError(t.pos, "unexpected string literal")
	default:
		return syntaxError(t.pos, "unexpected '"+t.text+"'")
	}
}

// end requires that the statement is complete.
func (p *parser) end() error {
	if p.peek().kind != tokEOF {
		return p.unexpected()
	}
	return nil
}

// ident reads one identifier and returns its stored name: upper case when
// unquoted, exact when quoted.
func (p *parser) ident() (string, error) {
	t := p.peek()
	switch t.kind {
	case tokWord:
		p.pos++
		return strings.ToUpper(t.text), nil
	case tokQuoted:
		if t.text == "" {
			return "", syntaxError(t.pos, "zero-length delimited identifier")
		}
		p.pos++
		return t.text, nil
	}
	return "", p.unexpected()
}

// lastIdent reads an identifier that must end the statement.
func (p *parser) lastIdent() (string, error) {
	name, err := p.ident()
	if err != nil {
		return "", err
	}
	if err := p.end(); err != nil {
		return "", err
	}
	return name, nil
}

// lastName reads a dotted name that must end the statement.
func (p *parser) lastName() ([]string, error) {
	parts, err := p.name()
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return parts, nil
}

// name reads a dotted name of up to three parts.
func (p *parser) name() ([]string, error) {
	first, err := p.ident()
	if err != nil {
		return nil, err
	}
	parts := []string{first}
	for p.acceptSymbol(".") {
		part, err := p.ident()
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	if len(parts) > 3 {
		return nil, compileError("invalid object name '%s'", strings.Join(parts, "."))
	}
	return parts, nil
}

func (p *parser) stringLiteral() (string, error) {
	t := p.peek()
	if t.kind != tokString {
		return "", p.unexpected()
	}
	p.pos++
	return t.text, nil
}

// stringList reads ( 'a', 'b', ... ).
func (p *parser) stringList() ([]string, error) {
	if err := p.expectSymbol("("); err != nil {
		return nil, err
	}
	var out []string
	for !p.acceptSymbol(")") {
		if len(out) > 0 {
			if err := p.expectSymbol(","); err != nil {
				return nil, err
			}
		}
		v, err := p.stringLiteral()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// nameList reads ( a.b.c, ... ).
func (p *parser) nameList() ([][]string, error) {
	if err := p.expectSymbol("("); err != nil {
		return nil, err
	}
	var out [][]string
	for !p.acceptSymbol(")") {
		if len(out) > 0 {
			if err := p.expectSymbol(","); err != nil {
				return nil, err
			}
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (p *parser) boolean() (bool, error) {
	switch {
	case p.accept("TRUE"):
		return true, nil
	case p.accept("FALSE"):
		return false, nil
	}
	return false, p.unexpected()
}

// property reads "KEY =" and returns KEY upper-cased, or "" at the end of
// the statement.
func (p *parser) property() (string, error) {
	t := p.peek()
	if t.kind == tokEOF {
		return "", nil
	}
	if t.kind != tokWord {
		return "", p.unexpected()
	}
	p.pos++
	if err := p.expectSymbol("="); err != nil {
		return "", err
	}
	return strings.ToUpper(t.text), nil
}
