package engine

import (
	"encoding/json"
	"reflect"
	"slices"
)

// jsonObject is a JSON object that keeps its members in document order, as
// the Jackson objects of Step Functions do. Every JSON object that the
// engine decodes, builds or evaluates is a *jsonObject.
//
// Most objects have a few members, which a linear scan finds faster than a
// map lookup. An object with more than indexThreshold members also keeps an
// index from key to position. The index is built when the object is filled,
// never on a lookup, so that concurrent readers do not race.
type jsonObject struct {
	members []objectMember
	index   map[string]int
}

// objectMember is one key and value of a JSON object.
type objectMember struct {
	key   string
	value any
}

// indexThreshold is the member count above which an object keeps an index.
const indexThreshold = 16

// newObject returns an empty object with room for size members.
func newObject(size int) *jsonObject {
	return &jsonObject{members: make([]objectMember, 0, size)}
}

// objectOf builds an object from key and value pairs in order, for objects
// that the engine writes itself. It panics on an odd number of arguments or
// a key that is not a string.
func objectOf(pairs ...any) *jsonObject {
	if len(pairs)%2 != 0 {
		panic("objectOf: odd number of arguments")
	}
	o := newObject(len(pairs) / 2)
	for i := 0; i < len(pairs); i += 2 {
		o.Set(pairs[i].(string), pairs[i+1])
	}
	return o
}

// Len returns the number of members.
func (o *jsonObject) Len() int { return len(o.members) }

// Members returns the members in document order. The caller must not
// change the slice.
func (o *jsonObject) Members() []objectMember { return o.members }

// Keys returns the keys in document order.
func (o *jsonObject) Keys() []string {
	keys := make([]string, len(o.members))
	for i, m := range o.members {
		keys[i] = m.key
	}
	return keys
}

// Get returns the value of key and whether the object has it.
func (o *jsonObject) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.members[i].value, true
	}
	return nil, false
}

// Value returns the value of key, or nil when the object does not have it.
func (o *jsonObject) Value(key string) any {
	v, _ := o.Get(key)
	return v
}

// Has reports whether the object has key.
func (o *jsonObject) Has(key string) bool { return o.find(key) >= 0 }

// Set replaces the value of key where the object has it, keeping its
// position, and appends key otherwise.
func (o *jsonObject) Set(key string, value any) {
	if i := o.find(key); i >= 0 {
		o.members[i].value = value
		return
	}
	o.members = append(o.members, objectMember{key: key, value: value})
	switch {
	case o.index != nil:
		o.index[key] = len(o.members) - 1
	case len(o.members) > indexThreshold:
		o.buildIndex()
	}
}

// find returns the position of key, or -1.
func (o *jsonObject) find(key string) int {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].key == key {
			return i
		}
	}
	return -1
}

func (o *jsonObject) buildIndex() {
	o.index = make(map[string]int, len(o.members))
	for i, m := range o.members {
		o.index[m.key] = i
	}
}

// Clone returns a copy of the object that shares its values.
func (o *jsonObject) Clone() *jsonObject {
	c := &jsonObject{members: make([]objectMember, len(o.members), len(o.members)+1)}
	copy(c.members, o.members)
	if o.index != nil {
		c.buildIndex()
	}
	return c
}

// MarshalJSON encodes the object with its members in document order, for
// an object inside a value that encodeJSON hands to encoding/json.
func (o *jsonObject) MarshalJSON() ([]byte, error) {
	return encodeJSON(o)
}

var _ json.Marshaler = (*jsonObject)(nil)

// sortedObjectKeys returns the keys of o in sorted order, for messages that
// list problems in a stable order.
func sortedObjectKeys(o *jsonObject) []string {
	keys := o.Keys()
	slices.Sort(keys)
	return keys
}

// equalValues reports whether two decoded JSON values are deeply equal,
// like reflect.DeepEqual except that objects are equal whatever their key
// order.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case *jsonObject:
		y, ok := b.(*jsonObject)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if x.Len() != y.Len() {
			return false
		}
		for _, m := range x.members {
			w, ok := y.Get(m.key)
			if !ok || !equalValues(m.value, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
