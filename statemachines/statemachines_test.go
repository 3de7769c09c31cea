package statemachines

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
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

// lambdaServiceErrors are the errors that Step Functions reports when the
// Lambda service, not the function, fails an invocation. They are
// transient, so every task that invokes a function retries them.
var lambdaServiceErrors = []string{
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

type retrier struct {
	ErrorEquals []string
	MaxAttempts *int
}

// taskRetries returns the retriers of every Task state in states and in the
// states of its Parallel branches and Map processors, by state name.
func taskRetries(t *testing.T, states map[string]json.RawMessage) map[string][]retrier {
	t.Helper()
	out := map[string][]retrier{}
	for name, raw := range states {
		var state struct {
			Type     string
			Retry    []retrier
			Branches []struct {
				States map[string]json.RawMessage
			}
			Iterator, ItemProcessor *struct {
				States map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(raw, &state); err != nil {
			t.Fatalf("state %s: %v", name, err)
		}
		if state.Type == "Task" {
			out[name] = state.Retry
		}
		var nested []map[string]json.RawMessage
		for _, branch := range state.Branches {
			nested = append(nested, branch.States)
		}
		for _, processor := range []*struct{ States map[string]json.RawMessage }{state.Iterator, state.ItemProcessor} {
			if processor != nil {
				nested = append(nested, processor.States)
			}
		}
		for _, states := range nested {
			for inner, retries := range taskRetries(t, states) {
				out[name+"/"+inner] = retries
			}
		}
	}
	return out
}

func TestTasksRetryLambdaServiceErrors(t *testing.T) {
	for name, data := range map[string][]byte{"provision": Provision, "teardown": Teardown, "egress-refresh": EgressRefresh} {
		var def struct {
			States map[string]json.RawMessage
		}
		if err := json.Unmarshal(data, &def); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for stateName, retries := range taskRetries(t, def.States) {
			covered := false
			for i, r := range retries {
				if slices.Equal(r.ErrorEquals, lambdaServiceErrors) {
					covered = true
				}
				if slices.Contains(r.ErrorEquals, "States.ALL") && (i != len(retries)-1 || len(r.ErrorEquals) != 1) {
					t.Errorf("%s: state %s has States.ALL in a retrier that is not the last or not alone", name, stateName)
				}
			}
			if !covered {
				t.Errorf("%s: state %s has no retrier for %v", name, stateName, lambdaServiceErrors)
			}
		}
	}
}

// TestProvisionStartsWithPreflight checks that the provision machine's
// first state is the one that workflow.MayHaveBuilt treats as building
// nothing, so a run that stopped there blocks no later run of its request.
func TestProvisionStartsWithPreflight(t *testing.T) {
	var def definition
	if err := json.Unmarshal(Provision, &def); err != nil {
		t.Fatal(err)
	}
	if def.StartAt != workflow.PreflightState {
		t.Fatalf("provision starts at %q, want %q", def.StartAt, workflow.PreflightState)
	}
	if got := def.States[def.StartAt].Type; got != "Task" {
		t.Errorf("state %s is a %s, want a Task", def.StartAt, got)
	}
}
