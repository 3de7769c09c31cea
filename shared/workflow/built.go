package workflow

import "encoding/json"

// PreflightState is the name of the provision state machine's first state.
// Its step checks the request and builds nothing.
const PreflightState = "Preflight"

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

// MayHaveBuilt reports whether a provision run that stopped before it
// succeeded may have left resources that a teardown must remove.
// resources is the last $.resources of its history, and it counts when it
// records a built resource (see BuiltAny). lastTask is the last Task state
// the run entered, and it counts when it is a building step, because a
// step that fails after its cloud call succeeded records nothing. A run
// that entered no Task state after preflight built nothing.
func MayHaveBuilt(lastTask string, resources json.RawMessage) bool {
	return BuiltAny(resources) || (lastTask != "" && lastTask != PreflightState)
}
