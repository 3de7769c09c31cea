package engine

import (
	"bytes"
	"encoding/json"
)

// Most states of a workflow place their result at a top-level field of
// their input ("ResultPath": "$.name") and keep the default OutputPath. When
// the input text is the encoding that encodeJSON gives for it, the output
// text is that same text with one member inserted or replaced. So the
// functions below edit the text instead of decoding the input, setting the
// field and encoding the whole document again, and give the same bytes.

// splicedOutput returns the output text of state s for result, placed by
// ResultPath into the input of cursor c, when the fast path applies. It
// returns false when the state's paths or the input need the general path.
func splicedOutput(c *cursor, s *state, result any) (json.RawMessage, bool) {
	if !c.inputEncoded || s.OutputPath.null || s.OutputPath.path != nil ||
		s.ResultPath.null || s.ResultPath.path == nil {
		return nil, false
	}
	name, ok := s.ResultPath.path.topLevelName()
	if !ok {
		return nil, false
	}
	// Depth 1 is the depth of the member in the output, so that appendFast
	// hands over the same values as when it encodes the whole output.
	value, ok := appendFast(nil, result, 1)
	if !ok {
		return nil, false
	}
	return setMember(c.Input, name, value)
}

// passOutput returns the output of a Pass state that places its fixed
// Result into its input, without decoding the input, when splicedOutput
// applies. A state with an InputPath or Parameters takes the general path,
// which reports their errors.
func passOutput(c *cursor, s *state) (json.RawMessage, bool) {
	if s.Type != typePass || !s.HasResult || s.InputPath.path != nil || s.Parameters != nil {
		return nil, false
	}
	return splicedOutput(c, s, s.Result)
}

// setMember returns the JSON object text obj with the member name set to
// the encoded value. obj must be compact, with keys that are unique and free
// of escape sequences, as encodeJSON writes an object. An existing member
// keeps its position and a new one goes last, as Path.Set places them. It
// returns false for any other text and for a name that needs escaping.
func setMember(obj []byte, name string, value []byte) (json.RawMessage, bool) {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, false
	}
	key := appendString(nil, name)
	if !bytes.Equal(key[1:len(key)-1], []byte(name)) {
		return nil, false
	}

	// start and end delimit the member text to replace, or both are the
	// closing brace, where a new member goes.
	start, end := len(obj)-1, len(obj)-1
	p := fastParser{text: obj, pos: 1}
	for p.pos < len(obj)-1 {
		memberStart := p.pos
		memberKey, ok := p.compactKey()
		if !ok || !p.skipCompact(1) {
			return nil, false
		}
		memberEnd := p.pos
		if !p.memberSeparator() {
			return nil, false
		}
		if string(memberKey) == name {
			if start != len(obj)-1 {
				// A repeated key is not as encodeJSON writes an object.
				return nil, false
			}
			start, end = memberStart, memberEnd
		}
	}

	out := make([]byte, 0, len(obj)+len(key)+len(value)+2)
	out = append(out, obj[:start]...)
	if start == len(obj)-1 && len(obj) > 2 {
		// The member goes last, after the existing ones.
		out = append(out, ',')
	}
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, value...)
	return append(out, obj[end:]...), true
}
