package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
)

// errCycle reports a value that contains itself, which has no JSON text.
var errCycle = errors.New("the value contains a cycle")

// appendDeep appends v as compact JSON for the values that appendFast
// leaves over: nesting deeper than maxFastDepth and Go types other than the
// engine's own. It walks objects, maps and slices itself at any depth, so
// that its work grows with the size of v, and hands each other value to
// encoding/json alone. Deeper than maxFastDepth, it records the containers
// on the way down in ancestors, so that a value that contains itself
// returns errCycle instead of overflowing the stack.
func appendDeep(dst []byte, v any, depth int, ancestors map[any]bool) ([]byte, error) {
	switch x := v.(type) {
	case *jsonObject:
		if x == nil {
			return append(dst, "null"...), nil
		}
		leave, err := enterContainer(ancestors, depth, x)
		if err != nil {
			return dst, err
		}
		defer leave()
		dst = append(dst, '{')
		for i, m := range x.members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.key)
			dst = append(dst, ':')
			if dst, err = appendDeep(dst, m.value, depth+1, ancestors); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		leave, err := enterContainer(ancestors, depth, reflect.ValueOf(x).UnsafePointer())
		if err != nil {
			return dst, err
		}
		defer leave()
		dst = append(dst, '{')
		// encoding/json writes a map with its keys sorted.
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendDeep(dst, x[k], depth+1, ancestors); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		if len(x) == 0 {
			return append(dst, "[]"...), nil
		}
		leave, err := enterContainer(ancestors, depth, sliceIdentity{&x[0], len(x)})
		if err != nil {
			return dst, err
		}
		defer leave()
		dst = append(dst, '[')
		for i, item := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendDeep(dst, item, depth+1, ancestors); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	if out, ok := appendFast(dst, v, 0); ok {
		return out, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

// sliceIdentity is a slice's first item and length, which tell two slices
// apart as encoding/json's cycle check does.
type sliceIdentity struct {
	first *any
	n     int
}

// enterContainer records container as a member of the path from the root when
// depth is above maxFastDepth, and returns the function that removes it.
// It returns errCycle when the path already has container.
func enterContainer(ancestors map[any]bool, depth int, container any) (func(), error) {
	if depth <= maxFastDepth {
		return func() {}, nil
	}
	if ancestors[container] {
		return nil, errCycle
	}
	ancestors[container] = true
	return func() { delete(ancestors, container) }, nil
}
