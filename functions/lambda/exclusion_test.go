package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/statemachines"
)

type aslState struct {
	Type       string                     `json:"Type"`
	Resource   string                     `json:"Resource"`
	Next       string                     `json:"Next"`
	Default    string                     `json:"Default"`
	Choices    []struct{ Next string }    `json:"Choices"`
	Parameters map[string]json.RawMessage `json:"Parameters"`
}

type aslMachine struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

// firstTasks returns the task names of the Task states that an execution
// of m can enter before any other Task state.
func firstTasks(t *testing.T, m aslMachine) map[string]bool {
	t.Helper()
	tasks := map[string]bool{}
	seen := map[string]bool{}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		s := m.States[name]
		switch s.Type {
		case "Task":
			tasks[strings.TrimSuffix(strings.TrimPrefix(s.Resource, "${"), "}")] = true
		case "Choice":
			for _, c := range s.Choices {
				queue = append(queue, c.Next)
			}
			queue = append(queue, s.Default)
		case "Pass":
			queue = append(queue, s.Next)
		}
	}
	return tasks
}

func TestFirstStepsMatchMachines(t *testing.T) {
	want := map[string]bool{}
	for _, definition := range [][]byte{statemachines.Provision, statemachines.Teardown} {
		var m aslMachine
		if err := json.Unmarshal(definition, &m); err != nil {
			t.Fatalf("decode definition: %v", err)
		}
		for task := range firstTasks(t, m) {
			want[task] = true
		}
	}
	for task := range want {
		if !firstSteps[task] {
			t.Errorf("task %s runs first in a state machine but is not in firstSteps", task)
		}
	}
	for task := range firstSteps {
		if !want[task] {
			t.Errorf("firstSteps has %s, which no state machine runs first", task)
		}
	}
}

// TestTasksPassCheckFields checks that every Task state of the provision
// and teardown machines passes what the exclusion check reads.
func TestTasksPassCheckFields(t *testing.T) {
	wantFields := map[string]string{
		"request.$":       `"$.request"`,
		"execution.$":     `"$$.Execution.Name"`,
		"redrive_count.$": `"$$.Execution.RedriveCount"`,
		"state_machine.$": `"$$.StateMachine.Id"`,
	}
	machines := map[string][]byte{"provision": statemachines.Provision, "teardown": statemachines.Teardown}
	for machine, definition := range machines {
		var m aslMachine
		if err := json.Unmarshal(definition, &m); err != nil {
			t.Fatalf("decode %s: %v", machine, err)
		}
		for name, s := range m.States {
			if s.Type != "Task" {
				continue
			}
			params := s.Parameters
			if payload, ok := params["Payload"]; ok {
				params = nil
				if err := json.Unmarshal(payload, &params); err != nil {
					t.Fatalf("%s %s: decode Payload: %v", machine, name, err)
				}
			}
			for field, want := range wantFields {
				if got := string(params[field]); got != want {
					t.Errorf("%s %s: parameter %s = %s, want %s", machine, name, field, got, want)
				}
			}
		}
	}
}
