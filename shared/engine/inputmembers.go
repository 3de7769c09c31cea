package engine

import (
	"bytes"
	"slices"
)

// A Task state with Parameters and a Choice state read only a few members
// of their input, through paths such as $.name.field. For such a state the
// definition lists those top-level member names, and on entry the engine
// decodes only those members of the input text instead of the whole
// document, whose size grows with every ResultPath that adds to it.

// inputMemberNames returns the names of the top-level members of the state
// input that s reads on entry, and false when s may read more than those
// members or the whole input. Only Task states with Parameters and Choice
// states whose input and output are the whole state input qualify, because
// the other types encode or pass on the whole input.
func (s *state) inputMemberNames() ([]string, bool) {
	if s.InputPath.null || s.InputPath.path != nil {
		return nil, false
	}
	var names []string
	ok := true
	add := func(p *Path) {
		if p == nil || p.IsContext() || !ok {
			return
		}
		var name string
		if name, ok = p.firstMemberName(); ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	switch s.Type {
	case typeTask:
		if s.Parameters == nil {
			return nil, false
		}
		if !s.Parameters.inputPaths(add) {
			return nil, false
		}
		add(s.TimeoutSecondsPath)
		add(s.HeartbeatSecondsPath)
	case typeChoice:
		if s.OutputPath.null || s.OutputPath.path != nil {
			return nil, false
		}
		for _, rule := range s.Choices {
			rule.paths(add)
		}
	default:
		return nil, false
	}
	return names, ok
}

// firstMemberName returns the name in the first segment of a definite
// input path, such as "a" for $.a or $.a.b[0]. A definite path has no
// wildcards, filters or recursive descent, so it reads nothing outside
// that member.
func (p *Path) firstMemberName() (string, bool) {
	if p.context || !p.Definite() || len(p.segments) == 0 || p.segments[0].kind != segName {
		return "", false
	}
	return p.segments[0].name, true
}

// inputPaths calls add for every path in the template and reports whether
// paths are all that the template reads. It returns false when an
// intrinsic function reads the input, because its arguments are not
// listed.
func (t *template) inputPaths(add func(*Path)) bool {
	for _, f := range t.fields {
		switch {
		case f.value != nil:
			if !f.value.inputPaths(add) {
				return false
			}
		case f.intrinsic != nil:
			return false
		default:
			add(f.path)
		}
	}
	for _, item := range t.items {
		if !item.inputPaths(add) {
			return false
		}
	}
	return true
}

// paths calls add for the Variable and ValuePath of the rule and of the
// rules nested in it.
func (r *choiceRule) paths(add func(*Path)) {
	for _, sub := range r.And {
		sub.paths(add)
	}
	for _, sub := range r.Or {
		sub.paths(add)
	}
	if r.Not != nil {
		r.Not.paths(add)
	}
	add(r.Variable)
	add(r.ValuePath)
}

// decodeMembers decodes the members named in names from the JSON object
// text obj into a new object, in document order, and leaves the other
// members undecoded. obj must be compact, with unique keys that are free
// of escape sequences, as encodeJSON writes an object. It returns false for
// any other text, which the caller then decodes whole.
func decodeMembers(obj []byte, names []string) (*jsonObject, bool) {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, false
	}
	out := newObject(len(names))
	p := fastParser{text: obj, pos: 1}
	for p.pos < len(obj)-1 {
		key, ok := p.compactKey()
		if !ok {
			return nil, false
		}
		name, selected := memberName(names, key)
		if selected {
			if out.Has(name) {
				return nil, false
			}
			// Depth 1 is the depth of a member value in a whole-document
			// parse, so that the same values fall back to encoding/json.
			v, ok := p.value(1)
			if !ok {
				return nil, false
			}
			out.Set(name, v)
		} else if !p.skipCompact(1) {
			return nil, false
		}
		if !p.memberSeparator() {
			return nil, false
		}
	}
	return out, true
}

// compactKey reads the key of the object member at p.pos and moves past
// the colon after it. It returns false for a key with an escape sequence,
// which encodeJSON writes only for names that need one, so that the caller
// can compare the key with a name as bytes.
func (p *fastParser) compactKey() ([]byte, bool) {
	start := p.pos
	if p.pos >= len(p.text) || p.text[p.pos] != '"' || !p.skipString() {
		return nil, false
	}
	key := p.text[start+1 : p.pos-1]
	if bytes.IndexByte(key, '\\') >= 0 || p.pos >= len(p.text) || p.text[p.pos] != ':' {
		return nil, false
	}
	p.pos++
	return key, true
}

// memberSeparator moves past the comma after a member value of the object
// that p.text holds, and reports false unless another member follows the
// comma or the value ends at the object's closing brace.
func (p *fastParser) memberSeparator() bool {
	last := len(p.text) - 1
	switch {
	case p.pos >= len(p.text):
		return false
	case p.text[p.pos] == ',':
		p.pos++
		return p.pos != last
	}
	return p.pos == last
}

// memberName returns the entry of names that equals key.
func memberName(names []string, key []byte) (string, bool) {
	for _, name := range names {
		if name == string(key) {
			return name, true
		}
	}
	return "", false
}

// stateInput decodes the input of cursor c for the entry of state s. When
// s reads only some members of an input that encodeJSON wrote, it decodes
// only those.
func stateInput(c *cursor, s *state) (any, error) {
	if c.inputEncoded && s.inputMembersOK {
		if obj, ok := decodeMembers(c.Input, s.inputMembers); ok {
			return obj, nil
		}
	}
	return decodeJSON(c.Input)
}
