package execview

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/repolink/repolink/statemachines"
)

// routeVariable is the input path that the route's Choice states test.
const routeVariable = "$.request.route"

// aslState is the part of an Amazon States Language state that
// ResultSteps follows.
type aslState struct {
	Type       string
	Next       string
	Default    string
	Resource   string
	ResultPath string
	Parameters struct{ FunctionName string }
	Choices    []struct {
		Variable     string
		StringEquals string
		Next         string
	}
	Catch []struct{ Next string }
}

// ResultSteps maps each key under $.resources that the named state
// machine, Provision or Teardown, writes for a request on route to the
// task name of the step that writes it. On azure-privatelink, for example,
// it maps proxy_vm to azure_proxy_vm and endpoint_live to await_endpoint.
// A Choice state that tests $.request.route leads only to the route's
// branch, while other Choice states and a Catch lead to every branch. It
// returns an empty map for another machine.
func ResultSteps(machine, route string) map[string]string {
	definition := map[string][]byte{Provision: statemachines.Provision, Teardown: statemachines.Teardown}[machine]
	steps := map[string]string{}
	var def struct {
		StartAt string
		States  map[string]aslState
	}
	if json.Unmarshal(definition, &def) != nil {
		return steps
	}

	seen := map[string]bool{}
	todo := []string{def.StartAt}
	for len(todo) > 0 {
		name := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		state, ok := def.States[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if state.Type == "Task" && strings.HasPrefix(state.ResultPath, "$.resources.") {
			task := state.Resource
			if state.Parameters.FunctionName != "" {
				task = state.Parameters.FunctionName
			}
			steps[strings.TrimPrefix(state.ResultPath, "$.resources.")] = strings.TrimSuffix(strings.TrimPrefix(task, "${"), "}")
		}
		todo = append(todo, nextStates(state, route)...)
	}
	return steps
}

// ResourceOrder returns the keys under $.resources that the steps of an
// execution of machine on route write, in the order in which those steps
// first started. entered are the names of the Task states that the
// execution entered, oldest first, as its history records them.
func ResourceOrder(machine, route string, entered []string) []string {
	// One task may write more than one key, from different states.
	keysOf := map[string][]string{}
	for key, step := range ResultSteps(machine, route) {
		keysOf[step] = append(keysOf[step], key)
	}
	var keys []string
	seen := map[string]bool{}
	for _, state := range entered {
		step, ok := Step(machine, state)
		if !ok || seen[step] {
			continue
		}
		seen[step] = true
		written := keysOf[step]
		slices.Sort(written)
		keys = append(keys, written...)
	}
	return keys
}

// nextStates returns the states that state may lead to for a request on
// route. The Choice states are evaluated in order, so a branch of the
// route ends the list and the Default is not reached.
func nextStates(state aslState, route string) []string {
	next := []string{state.Next}
	for _, c := range state.Catch {
		next = append(next, c.Next)
	}
	if state.Type != "Choice" {
		return next
	}
	for _, c := range state.Choices {
		if c.Variable != routeVariable {
			next = append(next, c.Next)
			continue
		}
		if c.StringEquals == route {
			return append(next, c.Next)
		}
	}
	return append(next, state.Default)
}
