package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The engine decodes and encodes a state's input and output at every
// transition, so the JSON values that it builds itself (*jsonObject, maps,
// slices, strings, json.Number, bool and nil) take the fast paths below.
// Both give the same values and text as encoding/json, except that objects
// keep their document order. The decoder hands deep nesting and invalid
// JSON to decodeJSON's slower path, and the encoder any other Go type to
// encoding/json.

// maxFastDepth is the nesting depth above which the fast paths hand a value
// to encoding/json, which allows up to 10,000 levels (Go 1.26).
const maxFastDepth = 256

// parseFast decodes JSON text like a json.Decoder with UseNumber that reads
// one value and then finds the end of the input. It returns false for text
// that it leaves to encoding/json.
func parseFast(text []byte) (any, bool) {
	p := fastParser{text: text}
	if stack, ok := memberStacks.Get().(*[]objectMember); ok {
		p.members = *stack
	}
	defer p.releaseMembers()
	p.skipSpace()
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return v, p.pos == len(p.text)
}

// memberStacks is a pool of the member stacks of finished parses for reuse.
var memberStacks sync.Pool

// maxPooledMembers is the capacity above which a member stack is dropped
// instead of pooled, so that one large document does not pin its stack.
const maxPooledMembers = 1024

// releaseMembers returns the parser's member stack to memberStacks.
func (p *fastParser) releaseMembers() {
	if p.members == nil || cap(p.members) > maxPooledMembers {
		return
	}
	// A parse that failed leaves members behind, which must not be kept
	// alive by the pool.
	clear(p.members)
	stack := p.members[:0]
	memberStacks.Put(&stack)
}

type fastParser struct {
	text []byte
	pos  int
	// members is a stack of the members of the objects being read. An
	// object's members stay on it until the closing brace, so that its map
	// is made at its final size instead of growing member by member.
	members []objectMember
}

func (p *fastParser) skipSpace() {
	for p.pos < len(p.text) {
		switch p.text[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *fastParser) value(depth int) (any, bool) {
	if p.pos >= len(p.text) || depth > maxFastDepth {
		return nil, false
	}
	switch b := p.text[p.pos]; {
	case b == '{':
		return p.object(depth)
	case b == '[':
		return p.array(depth)
	case b == '"':
		return p.quoted()
	case b == '-' || (b >= '0' && b <= '9'):
		return p.number()
	case b == 't':
		return true, p.literal("true")
	case b == 'f':
		return false, p.literal("false")
	case b == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *fastParser) literal(word string) bool {
	if !bytes.HasPrefix(p.text[p.pos:], []byte(word)) {
		return false
	}
	p.pos += len(word)
	return true
}

func (p *fastParser) object(depth int) (any, bool) {
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.text) && p.text[p.pos] == '}' {
		p.pos++
		return newObject(0), true
	}
	first := len(p.members)
	for {
		p.skipSpace()
		if p.pos >= len(p.text) || p.text[p.pos] != '"' {
			return nil, false
		}
		key, ok := p.quotedString()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if p.pos >= len(p.text) || p.text[p.pos] != ':' {
			return nil, false
		}
		p.pos++
		p.skipSpace()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		p.members = append(p.members, objectMember{key: key, value: v})
		p.skipSpace()
		if p.pos >= len(p.text) {
			return nil, false
		}
		switch p.text[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.popObject(first), true
		default:
			return nil, false
		}
	}
}

// popObject returns the members above first on the stack as an object and
// removes them from the stack.
func (p *fastParser) popObject(first int) *jsonObject {
	members := p.members[first:]
	obj := newObject(len(members))
	if len(members) > indexThreshold {
		obj.index = make(map[string]int, len(members))
	}
	for _, m := range members {
		// A repeated key keeps its first position and its last value, as
		// Jackson's ObjectNode does.
		obj.Set(m.key, m.value)
	}
	clear(members)
	p.members = p.members[:first]
	return obj
}

func (p *fastParser) array(depth int) (any, bool) {
	p.pos++ // [
	arr := make([]any, 0)
	p.skipSpace()
	if p.pos < len(p.text) && p.text[p.pos] == ']' {
		p.pos++
		return arr, true
	}
	for {
		p.skipSpace()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.text) {
			return nil, false
		}
		switch p.text[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, true
		default:
			return nil, false
		}
	}
}

func (p *fastParser) quoted() (any, bool) {
	s, ok := p.quotedString()
	if !ok {
		return nil, false
	}
	return s, true
}

// quotedString is quoted for an object key, which needs no interface
// value.
func (p *fastParser) quotedString() (string, bool) {
	start := p.pos + 1
	for i := start; i < len(p.text); {
		b := p.text[i]
		switch {
		case b == '"':
			p.pos = i + 1
			return string(p.text[start:i]), true
		case b < 0x20:
			return "", false
		case b == '\\':
			return p.unquote()
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(p.text[i:])
			if r == utf8.RuneError && size == 1 {
				return p.unquote()
			}
			i += size
		}
	}
	return "", false
}

// unquote reads a string with escape sequences or invalid UTF-8 through
// encoding/json, which resolves surrogate pairs and replaces invalid bytes
// and lone surrogates with U+FFFD.
func (p *fastParser) unquote() (string, bool) {
	start := p.pos
	if !p.skipString() {
		return "", false
	}
	var s string
	if err := json.Unmarshal(p.text[start:p.pos], &s); err != nil {
		return "", false
	}
	return s, true
}

// number reads a number as the JSON grammar defines it and keeps its text,
// as UseNumber does.
func (p *fastParser) number() (any, bool) {
	start := p.pos
	if !p.skipNumber() {
		return nil, false
	}
	return json.Number(p.text[start:p.pos]), true
}

// skipNumber moves past a number as the JSON grammar defines it, without
// copying its text, and reports whether it found one.
func (p *fastParser) skipNumber() bool {
	i := p.pos
	if p.text[i] == '-' {
		i++
	}
	switch {
	case i < len(p.text) && p.text[i] == '0':
		i++
	case i < len(p.text) && p.text[i] >= '1' && p.text[i] <= '9':
		i = skipDigits(p.text, i)
	default:
		return false
	}
	if i < len(p.text) && p.text[i] == '.' {
		i++
		if i >= len(p.text) || !isDigit(p.text[i]) {
			return false
		}
		i = skipDigits(p.text, i)
	}
	if i < len(p.text) && (p.text[i] == 'e' || p.text[i] == 'E') {
		i++
		if i < len(p.text) && (p.text[i] == '+' || p.text[i] == '-') {
			i++
		}
		if i >= len(p.text) || !isDigit(p.text[i]) {
			return false
		}
		i = skipDigits(p.text, i)
	}
	p.pos = i
	return true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func skipDigits(text []byte, i int) int {
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	return i
}

// appendFast appends v as compact JSON without HTML escaping, the way
// encodeJSON's encoder writes it. It returns false when v contains a value
// that it leaves to encoding/json.
func appendFast(dst []byte, v any, depth int) ([]byte, bool) {
	if depth > maxFastDepth {
		return dst, false
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendString(dst, x), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case json.Number:
		// encoding/json writes an empty Number as 0 and rejects an
		// invalid one, so only a valid, non-empty one is copied here.
		if !isJSONNumber(string(x)) {
			return dst, false
		}
		return append(dst, x...), true
	case json.RawMessage:
		return appendRaw(dst, x)
	case *jsonObject:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '{')
		for i, m := range x.members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.key)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendFast(dst, m.value, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case map[string]any:
		// Event details are maps, written with sorted keys as encoding/json
		// writes them.
		if x == nil {
			return append(dst, "null"...), true
		}
		// Event details have a few keys, which fit an array on the stack.
		var stackKeys [8]string
		keys := stackKeys[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendFast(dst, x[k], depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, item := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendFast(dst, item, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// appendRaw appends raw as encoding/json embeds a json.RawMessage:
// compacted, and null for nil. It returns false for invalid JSON.
func appendRaw(dst []byte, raw json.RawMessage) ([]byte, bool) {
	if raw == nil {
		return append(dst, "null"...), true
	}
	if isCompactJSON(raw) {
		// Compacting it would copy it unchanged.
		return append(dst, raw...), true
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return dst, false
	}
	return append(dst, buf.Bytes()...), true
}

// isJSONNumber reports whether s is a number in the JSON grammar.
func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	p := fastParser{text: []byte(s)}
	if s[0] != '-' && !isDigit(s[0]) {
		return false
	}
	return p.skipNumber() && p.pos == len(s)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string with the escapes of encoding/json
// without HTML escaping: \" \\ \b \f \n \r \t, \u00XX for other control
// characters, \ufffd for invalid UTF-8, and \u2028 and \u2029.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isCompactJSON reports whether text is one JSON value without whitespace
// outside its strings, which json.Compact returns unchanged. It returns
// false for anything else, and for nesting deeper than maxFastDepth.
func isCompactJSON(text []byte) bool {
	p := fastParser{text: text}
	return p.skipCompact(0) && p.pos == len(text)
}

// skipCompact moves past one compact JSON value and reports whether it
// found one. Strings may hold valid escape sequences and any bytes from 0x20
// up, as json.Compact copies them.
func (p *fastParser) skipCompact(depth int) bool {
	if p.pos >= len(p.text) || depth > maxFastDepth {
		return false
	}
	switch b := p.text[p.pos]; {
	case b == '{':
		return p.skipMembers(depth, '}', true)
	case b == '[':
		return p.skipMembers(depth, ']', false)
	case b == '"':
		return p.skipString()
	case b == '-' || isDigit(b):
		return p.skipNumber()
	case b == 't':
		return p.literal("true")
	case b == 'f':
		return p.literal("false")
	case b == 'n':
		return p.literal("null")
	}
	return false
}

// skipMembers moves past the members of an object (keyed is set) or the
// items of an array, from its opening to its closing character.
func (p *fastParser) skipMembers(depth int, closing byte, keyed bool) bool {
	p.pos++
	if p.pos < len(p.text) && p.text[p.pos] == closing {
		p.pos++
		return true
	}
	for {
		if keyed {
			if p.pos >= len(p.text) || p.text[p.pos] != '"' || !p.skipString() {
				return false
			}
			if p.pos >= len(p.text) || p.text[p.pos] != ':' {
				return false
			}
			p.pos++
		}
		if !p.skipCompact(depth + 1) {
			return false
		}
		if p.pos >= len(p.text) {
			return false
		}
		switch p.text[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return true
		default:
			return false
		}
	}
}

func (p *fastParser) skipString() bool {
	for i := p.pos + 1; i < len(p.text); i++ {
		switch b := p.text[i]; {
		case b == '"':
			p.pos = i + 1
			return true
		case b < 0x20:
			return false
		case b == '\\':
			i++
			if i >= len(p.text) {
				return false
			}
			switch p.text[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(p.text) {
					return false
				}
				for _, h := range p.text[i+1 : i+5] {
					if !isDigit(h) && (h < 'a' || h > 'f') && (h < 'A' || h > 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}
