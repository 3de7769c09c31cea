package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// filterExpr is a JSONPath filter such as ?(@.status == 'ok' && @.size > 2).
// It is evaluated against each child of the node the filter applies to.
type filterExpr interface {
	match(current, root any) bool
}

type filterOr struct{ left, right filterExpr }
type filterAnd struct{ left, right filterExpr }
type filterNot struct{ inner filterExpr }

// filterCompare compares two operands; with an empty op it tests that the
// left operand exists.
type filterCompare struct {
	left, right filterOperand
	op          string
}

type filterOperand struct {
	path    *Path // nil for a literal
	current bool  // path rooted at @ rather than $
	literal any
}

func (f filterOr) match(c, r any) bool  { return f.left.match(c, r) || f.right.match(c, r) }
func (f filterAnd) match(c, r any) bool { return f.left.match(c, r) && f.right.match(c, r) }
func (f filterNot) match(c, r any) bool { return !f.inner.match(c, r) }

// match follows Jayway JsonPath, the JSONPath library of Step Functions. An
// operand path that selects nothing is undefined, and undefined equals no
// value, not even null or another undefined. So != matches an item that
// lacks the field, while ==, <, <=, > and >= do not.
func (f filterCompare) match(current, root any) bool {
	left, leftOK := f.left.value(current, root)
	if f.op == "" {
		return leftOK
	}
	right, rightOK := f.right.value(current, root)
	if !leftOK || !rightOK {
		return f.op == "!="
	}
	return compareValues(left, right, f.op)
}

func (o filterOperand) value(current, root any) (any, bool) {
	if o.path == nil {
		return o.literal, true
	}
	doc := root
	if o.current {
		doc = current
	}
	v, err := o.path.Get(doc)
	if err != nil {
		return nil, false
	}
	return v, true
}

// compareValues applies a comparison operator. Numbers compare numerically
// and strings by UTF-16 code units, as in Java. Values of different types
// are only ever unequal.
func compareValues(a, b any, op string) bool {
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			switch op {
			case "==":
				return x == y
			case "!=":
				return x != y
			case "<":
				return x < y
			case "<=":
				return x <= y
			case ">":
				return x > y
			case ">=":
				return x >= y
			}
		}
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			c := compareJavaStrings(x, y)
			switch op {
			case "==":
				return c == 0
			case "!=":
				return c != 0
			case "<":
				return c < 0
			case "<=":
				return c <= 0
			case ">":
				return c > 0
			case ">=":
				return c >= 0
			}
		}
	}
	switch op {
	case "==":
		return equalValues(a, b)
	case "!=":
		return !equalValues(a, b)
	}
	return false
}

// toFloat converts a JSON number to float64 for Choice rules, filters and
// intrinsic arguments.
// NOTE: integers above 2^53 that round to the same float64, such as
// 9007199254740993 and 9007199254740992, therefore compare equal. No AWS
// document or recording shows how Step Functions compares them.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func parseFilter(src string) (filterExpr, error) {
	p := &filterParser{src: src}
	expr, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", src, err)
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("filter %q: unexpected %q", src, p.src[p.pos:])
	}
	return expr, nil
}

type filterParser struct {
	src string
	pos int
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) accept(tok string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *filterParser) or() (filterExpr, error) {
	return p.leftAssociative("||", p.and, func(left, right filterExpr) filterExpr { return filterOr{left, right} })
}

func (p *filterParser) and() (filterExpr, error) {
	return p.leftAssociative("&&", p.unary, func(left, right filterExpr) filterExpr { return filterAnd{left, right} })
}

// leftAssociative parses operands joined by op, which groups from the left.
func (p *filterParser) leftAssociative(op string, operand func() (filterExpr, error),
	join func(left, right filterExpr) filterExpr) (filterExpr, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.accept(op) {
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = join(left, right)
	}
	return left, nil
}

func (p *filterParser) unary() (filterExpr, error) {
	if p.accept("!") && !strings.HasPrefix(p.src[p.pos:], "=") {
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return filterNot{inner}, nil
	}
	if p.accept("(") {
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, errors.New("missing )")
		}
		return inner, nil
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.accept(op) {
			right, err := p.operand()
			if err != nil {
				return nil, err
			}
			return filterCompare{left: left, right: right, op: op}, nil
		}
	}
	if left.path == nil {
		return nil, errors.New("a literal needs a comparison")
	}
	return filterCompare{left: left}, nil
}

func (p *filterParser) operand() (filterOperand, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return filterOperand{}, errors.New("missing operand")
	}
	rest := p.src[p.pos:]
	switch c := rest[0]; {
	case c == '@' || c == '$':
		end := p.pos + 1
		for end < len(p.src) && !strings.ContainsRune(" =!<>&|)", rune(p.src[end])) {
			if p.src[end] == '[' {
				close, err := matchingBracket(p.src, end)
				if err != nil {
					return filterOperand{}, err
				}
				end = close
			}
			end++
		}
		text := p.src[p.pos:end]
		p.pos = end
		path, err := ParsePath("$" + text[1:])
		if err != nil {
			return filterOperand{}, err
		}
		return filterOperand{path: path, current: c == '@'}, nil
	case c == '\'' || c == '"':
		s, n, err := readQuoted(rest)
		if err != nil {
			return filterOperand{}, err
		}
		p.pos += n
		return filterOperand{literal: s}, nil
	}
	end := p.pos
	for end < len(p.src) && !strings.ContainsRune(" =!<>&|)", rune(p.src[end])) {
		end++
	}
	word := p.src[p.pos:end]
	p.pos = end
	if word == "" {
		return filterOperand{}, fmt.Errorf("invalid literal %q", word)
	}
	v, err := decodeJSON([]byte(word))
	if err != nil {
		return filterOperand{}, fmt.Errorf("invalid literal %q", word)
	}
	return filterOperand{literal: v}, nil
}
