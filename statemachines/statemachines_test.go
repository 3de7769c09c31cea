package statemachines

import (
	"encoding/json"
	"testing"
)

type definition struct {
	StartAt string
	States  map[string]struct {
		Type  string
		Next  string
		Catch []struct {
			ErrorEquals []string
			Next        string
		}
	}
}

// TestCatchDoesNotEndInFail checks that no Task catches an error only to
// fail the execution. Redrive restarts an execution at the state that
// failed, so a catch into a Fail state would make every redrive fail at
// once without running the failed task again.
func TestCatchDoesNotEndInFail(t *testing.T) {
	for name, data := range map[string][]byte{"provision": Provision, "teardown": Teardown, "egress-refresh": EgressRefresh} {
		var def definition
		if err := json.Unmarshal(data, &def); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for stateName, state := range def.States {
			for _, catch := range state.Catch {
				next := catch.Next
				for hops := 0; hops < 10 && def.States[next].Type == "Pass"; hops++ {
					next = def.States[next].Next
				}
				if def.States[next].Type == "Fail" {
					t.Errorf("%s: state %s catches %v into Fail state %s, so a redrive could not run it again", name, stateName, catch.ErrorEquals, next)
				}
			}
		}
	}
}
