// Package jsonerror describes why a JSON document did not decode into the
// value that a handler expected. The errors of encoding/json name Go types,
// such as "Go value of type workflow.plain", which mean nothing to the
// sender of an event, so the description names JSON types and fields.
package jsonerror

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Describe returns what was wrong with the document that err failed to
// decode, as a clause that completes "the document ...". The clause names
// the field and its JSON type for a value of the wrong type, and the byte
// offset for text that is not JSON. Other errors, such as those of an
// UnmarshalJSON method, are returned as they are.
func Describe(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return "is a JSON " + typeErr.Value
		}
		return fmt.Sprintf("has %s as a JSON %s, not %s", typeErr.Field, typeErr.Value, jsonType(typeErr.Type))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		if syntaxErr.Offset == 0 {
			return "is empty"
		}
		// Offset counts the bytes read up to and including the bad one.
		return fmt.Sprintf("is not valid JSON at byte %d", syntaxErr.Offset)
	}
	return "is invalid: " + err.Error()
}

// jsonType returns the JSON type, with its article, that decodes into a Go
// value of type t.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "another JSON type"
}
