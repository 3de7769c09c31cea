package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errNoResults reports a definite path that matches nothing in the document.
var errNoResults = errors.New("no results")

// Path is a compiled JSONPath expression as Step Functions accepts it: a
// root ($ for the state input, $$ for the context object) followed by child
// names, indexes, wildcards, slices, unions, recursive descent and filters.
type Path struct {
	text     string
	context  bool
	segments []pathSegment
}

type segmentKind int

const (
	segName segmentKind = iota
	segIndex
	segWildcard
	segSlice
	segNames
	segIndexes
	segFilter
)

type pathSegment struct {
	kind      segmentKind
	recursive bool // preceded by ".."
	name      string
	index     int
	names     []string
	indexes   []int
	slice     [3]*int
	filter    filterExpr
}

// String returns the path as written.
func (p *Path) String() string { return p.text }

// IsContext reports whether the path is rooted at the context object ($$).
func (p *Path) IsContext() bool { return p.context }

// Definite reports whether the path selects at most one node, so that it
// returns a value rather than a list of matches.
func (p *Path) Definite() bool {
	for _, s := range p.segments {
		if s.recursive || (s.kind != segName && s.kind != segIndex) {
			return false
		}
	}
	return true
}

// topLevelName returns the field name of a path of the form $.name, which
// Set writes as one member of the top-level object.
func (p *Path) topLevelName() (string, bool) {
	if p.context || len(p.segments) != 1 {
		return "", false
	}
	seg := p.segments[0]
	if seg.kind != segName || seg.recursive {
		return "", false
	}
	return seg.name, true
}

// isReference reports whether the path is a reference path: a definite path
// of names and non-negative indexes that can be written to (ResultPath).
func (p *Path) isReference() bool {
	if p.context || !p.Definite() {
		return false
	}
	for _, s := range p.segments {
		if s.kind == segIndex && s.index < 0 {
			return false
		}
	}
	return true
}

// ParsePath compiles a JSONPath expression.
func ParsePath(text string) (*Path, error) {
	p := &pathParser{src: text}
	path, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %w", text, err)
	}
	return path, nil
}

type pathParser struct {
	src string
	pos int
}

func (p *pathParser) parse() (*Path, error) {
	path := &Path{text: p.src}
	if !strings.HasPrefix(p.src, "$") {
		return nil, errors.New("must start with $")
	}
	p.pos = 1
	if strings.HasPrefix(p.src, "$$") {
		path.context = true
		p.pos = 2
	}
	for p.pos < len(p.src) {
		seg, err := p.segment()
		if err != nil {
			return nil, err
		}
		path.segments = append(path.segments, seg)
	}
	return path, nil
}

func (p *pathParser) segment() (pathSegment, error) {
	var seg pathSegment
	switch p.src[p.pos] {
	case '.':
		p.pos++
		if p.pos < len(p.src) && p.src[p.pos] == '.' {
			seg.recursive = true
			p.pos++
		}
		if p.pos >= len(p.src) {
			return seg, errors.New("path ends after a dot")
		}
		if p.src[p.pos] == '[' {
			if !seg.recursive {
				return seg, fmt.Errorf("unexpected [ after . at offset %d", p.pos)
			}
			return p.bracket(seg)
		}
		if p.src[p.pos] == '*' {
			p.pos++
			seg.kind = segWildcard
			return seg, nil
		}
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] != '.' && p.src[p.pos] != '[' {
			p.pos++
		}
		seg.kind = segName
		seg.name = p.src[start:p.pos]
		return seg, nil
	case '[':
		return p.bracket(seg)
	default:
		return seg, fmt.Errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
	}
}

func (p *pathParser) bracket(seg pathSegment) (pathSegment, error) {
	end, err := matchingBracket(p.src, p.pos)
	if err != nil {
		return seg, err
	}
	body := strings.TrimSpace(p.src[p.pos+1 : end])
	p.pos = end + 1
	switch {
	case body == "*":
		seg.kind = segWildcard
	case strings.HasPrefix(body, "?"):
		expr := strings.TrimSpace(body[1:])
		if !strings.HasPrefix(expr, "(") || !strings.HasSuffix(expr, ")") {
			return seg, fmt.Errorf("filter %q must be written ?(...)", body)
		}
		f, err := parseFilter(expr[1 : len(expr)-1])
		if err != nil {
			return seg, err
		}
		seg.kind = segFilter
		seg.filter = f
	case strings.HasPrefix(body, "'") || strings.HasPrefix(body, `"`):
		names, err := splitQuotedNames(body)
		if err != nil {
			return seg, err
		}
		if len(names) == 1 {
			seg.kind = segName
			seg.name = names[0]
		} else {
			seg.kind = segNames
			seg.names = names
		}
	case strings.Contains(body, ":"):
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return seg, fmt.Errorf("invalid slice [%s]", body)
		}
		seg.kind = segSlice
		for i, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return seg, fmt.Errorf("invalid slice [%s]", body)
			}
			seg.slice[i] = &n
		}
		if seg.slice[2] != nil && *seg.slice[2] <= 0 {
			return seg, fmt.Errorf("invalid slice step in [%s]", body)
		}
	default:
		var indexes []int
		for part := range strings.SplitSeq(body, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return seg, fmt.Errorf("invalid index [%s]", body)
			}
			indexes = append(indexes, n)
		}
		if len(indexes) == 1 {
			seg.kind = segIndex
			seg.index = indexes[0]
		} else {
			seg.kind = segIndexes
			seg.indexes = indexes
		}
	}
	return seg, nil
}

// matchingBracket returns the offset of the ] that closes the [ at open,
// skipping quoted strings and nested brackets.
func matchingBracket(s string, open int) (int, error) {
	depth := 0
	var quote byte
	for i := open; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
			if depth == 0 {
				if c != ']' {
					return 0, fmt.Errorf("unbalanced brackets at offset %d", i)
				}
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("missing ] for [ at offset %d", open)
}

func splitQuotedNames(body string) ([]string, error) {
	var names []string
	rest := body
	for {
		rest = strings.TrimSpace(rest)
		if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
			return nil, fmt.Errorf("invalid name list [%s]", body)
		}
		name, n, err := readQuoted(rest)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
		rest = strings.TrimSpace(rest[n:])
		if rest == "" {
			return names, nil
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("invalid name list [%s]", body)
		}
		rest = rest[1:]
	}
}

// readQuoted reads a string quoted with ' or " at the start of s, with
// backslash escapes, and returns it with the number of bytes consumed.
func readQuoted(s string) (string, int, error) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == quote {
			return b.String(), i + 1, nil
		}
		b.WriteByte(c)
	}
	return "", 0, fmt.Errorf("unterminated string %s", s)
}

// Get evaluates the path against doc. A definite path returns the value it
// selects, or an error wrapping errNoResults. Any other path returns a list
// of every match, which may be empty.
//
// doc is a value that the engine decoded or one that encoding/json decoded
// into maps. A map has no document order, so [*], .*, .. and filters list
// its members in sorted key order.
func (p *Path) Get(doc any) (any, error) {
	nodes := []any{doc}
	for _, seg := range p.segments {
		var next []any
		for _, n := range nodes {
			if seg.recursive {
				for _, d := range descendants(n) {
					next = seg.apply(d, next, doc)
				}
				continue
			}
			next = seg.apply(n, next, doc)
		}
		nodes = next
	}
	if p.Definite() {
		if len(nodes) == 0 {
			return nil, fmt.Errorf("path %s: %w", p.text, errNoResults)
		}
		return nodes[0], nil
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

func (s *pathSegment) apply(n any, out []any, root any) []any {
	switch s.kind {
	case segName:
		if v, ok := memberValue(n, s.name); ok {
			out = append(out, v)
		}
	case segNames:
		for _, name := range s.names {
			if v, ok := memberValue(n, name); ok {
				out = append(out, v)
			}
		}
	case segIndex:
		if arr, ok := n.([]any); ok {
			if v, ok := arrayItem(arr, s.index); ok {
				out = append(out, v)
			}
		}
	case segIndexes:
		if arr, ok := n.([]any); ok {
			for _, i := range s.indexes {
				if v, ok := arrayItem(arr, i); ok {
					out = append(out, v)
				}
			}
		}
	case segWildcard:
		out = append(out, children(n)...)
	case segSlice:
		if arr, ok := n.([]any); ok {
			out = append(out, sliceItems(arr, s.slice)...)
		}
	case segFilter:
		for _, c := range children(n) {
			if s.filter.match(c, root) {
				out = append(out, c)
			}
		}
	}
	return out
}

func arrayItem(arr []any, i int) (any, bool) {
	if i < 0 {
		i += len(arr)
	}
	if i < 0 || i >= len(arr) {
		return nil, false
	}
	return arr[i], true
}

func sliceItems(arr []any, bounds [3]*int) []any {
	n := len(arr)
	clamp := func(p *int, def int) int {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += n
		}
		return max(0, min(v, n))
	}
	start, end := clamp(bounds[0], 0), clamp(bounds[1], n)
	step := 1
	if bounds[2] != nil {
		step = *bounds[2]
	}
	var out []any
	for i := start; i < end; i += step {
		out = append(out, arr[i])
	}
	return out
}

// memberValue returns the value of member name in the object n, and false
// when n is not an object or lacks name.
func memberValue(n any, name string) (any, bool) {
	switch obj := n.(type) {
	case *jsonObject:
		return obj.Get(name)
	case map[string]any:
		v, ok := obj[name]
		return v, ok
	}
	return nil, false
}

// children returns the values of an object in document order, as Jayway
// JsonPath on Jackson lists them for [*], .*, .. and filters in Step
// Functions, or the items of an array. A map's values come in sorted key
// order.
func children(n any) []any {
	switch v := n.(type) {
	case []any:
		return v
	case *jsonObject:
		out := make([]any, len(v.members))
		for i, m := range v.members {
			out[i] = m.value
		}
		return out
	case map[string]any:
		out := make([]any, 0, len(v))
		for _, k := range sortedKeys(v) {
			out = append(out, v[k])
		}
		return out
	}
	return nil
}

// descendants returns n and every value below it, each before its
// children, as recursive descent (..) visits them.
func descendants(n any) []any {
	return appendDescendants(nil, n)
}

// appendDescendants appends to one list, because a list per level that is
// copied into its parent's costs depth times size for a deep value.
func appendDescendants(out []any, n any) []any {
	out = append(out, n)
	for _, c := range children(n) {
		out = appendDescendants(out, c)
	}
	return out
}

// Set writes value at the reference path inside doc and returns the new
// document. Missing objects on the way are created. The document is changed
// in place where it is an object or array.
func (p *Path) Set(doc, value any) (any, error) {
	if len(p.segments) == 0 {
		return value, nil
	}
	if !p.isReference() {
		return nil, fmt.Errorf("path %s is not a reference path", p.text)
	}
	if doc == nil {
		doc = newObject(1)
	}
	cur := doc
	for i, seg := range p.segments {
		last := i == len(p.segments)-1
		switch seg.kind {
		case segName:
			obj, ok := cur.(*jsonObject)
			if !ok {
				return nil, fmt.Errorf("path %s: cannot set field %q on %s", p.text, seg.name, typeName(cur))
			}
			if last {
				obj.Set(seg.name, value)
				return doc, nil
			}
			next, ok := obj.Get(seg.name)
			if !ok || next == nil {
				next = newObject(1)
				obj.Set(seg.name, next)
			}
			cur = next
		case segIndex:
			arr, ok := cur.([]any)
			if !ok || seg.index >= len(arr) {
				return nil, fmt.Errorf("path %s: index %d is out of range", p.text, seg.index)
			}
			if last {
				arr[seg.index] = value
				return doc, nil
			}
			cur = arr[seg.index]
		}
	}
	return doc, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *jsonObject:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number, float64, int, int64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
