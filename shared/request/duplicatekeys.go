package request

import "strings"

// DuplicateKeysOutside returns a FieldError for each object key that
// appears twice in the same object of doc, a valid JSON document that
// contains a request document at $.request, such as an execution input.
// A repeated "request" key is one of them, because encoding/json would
// keep the last value and start that request without a word. Keys inside
// $.request are left to ParseJSON, which reports them with the rest of
// the request's errors.
func DuplicateKeysOutside(doc []byte) []FieldError {
	var fields []FieldError
	for _, field := range duplicateKeys(doc) {
		if !strings.HasPrefix(field.Path, "$.request.") && !strings.HasPrefix(field.Path, "$.request[") {
			fields = append(fields, field)
		}
	}
	return fields
}
