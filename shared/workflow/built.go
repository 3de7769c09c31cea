package workflow

import "encoding/json"

// BuiltAny reports whether the $.resources object resources records a
// resource that a step created, adopted or updated, which a teardown of the
// run must handle. Results that a step only checked or skipped, such as the
// preflight's, do not count. JSON that is not an object returns false.
func BuiltAny(resources json.RawMessage) bool {
	var steps map[string]json.RawMessage
	if json.Unmarshal(resources, &steps) != nil {
		return false
	}
	for _, raw := range steps {
		var result Result
		if json.Unmarshal(raw, &result) != nil {
			continue
		}
		switch result.Action {
		case Created, Adopted, Updated:
			return true
		}
	}
	return false
}
