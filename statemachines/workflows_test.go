package statemachines

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// workflowsFile is the Google Workflows definition that must stay in step
// with provision.asl.json for the routes it builds.
const workflowsFile = "provision.workflows.yaml"

// stepCall is one handler call on a route, in a form that both definitions
// can be reduced to.
type stepCall struct {
	Handler string
	// Key is where the result is stored under the document's resources.
	Key string
	// Retries is sorted by predicate name.
	Retries []retryPolicy
	// Token is whether the input carries a callback token or URL.
	Token bool
	// WaitSeconds is the timeout of the callback wait, 0 for a plain task.
	WaitSeconds int
}

type retryPolicy struct {
	Predicate    string
	MaxRetries   int
	InitialDelay float64
	MaxDelay     float64
	Multiplier   float64
}

// aslPredicates maps the error names of an ASL retrier to the Workflows
// predicate that retries them.
var aslPredicates = map[string]string{
	"NotReady":            "not_ready",
	"Throttled,Transient": "throttled_or_transient",
}

type aslState struct {
	Type       string
	Resource   string
	Parameters map[string]any
	ResultPath string
	Next       string
	Choices    []map[string]any
	Default    string
	Retry      []struct {
		ErrorEquals     []string
		IntervalSeconds float64
		BackoffRate     float64
		MaxAttempts     int
		MaxDelaySeconds float64
	}
	TimeoutSeconds int
}

// aslCalls walks provision.asl.json from StartAt for one route and returns
// the tasks it runs, in order.
func aslCalls(t *testing.T, route string) []stepCall {
	t.Helper()
	var machine struct {
		StartAt string
		States  map[string]aslState
	}
	if err := json.Unmarshal(Provision, &machine); err != nil {
		t.Fatalf("decode provision.asl.json: %v", err)
	}

	// The walk takes the path on which every check passes, so the
	// endpoint wait completes with the poller's live report.
	doc := map[string]any{"request": map[string]any{"route": route}, "resources": map[string]any{}}
	if status, ok := poller.LiveStatuses[(&request.Request{Route: request.Route(route)}).RouteCloud()]; ok {
		doc["resources"] = map[string]any{"endpoint_live": map[string]any{"endpoint_state": poller.LiveEndpointState, "status": status}}
	}

	var calls []stepCall
	name := machine.StartAt
	for hops := 0; name != ""; hops++ {
		if hops > len(machine.States) {
			t.Fatalf("provision.asl.json: route %s loops at state %s", route, name)
		}
		state, ok := machine.States[name]
		if !ok {
			t.Fatalf("provision.asl.json: route %s reaches missing state %s", route, name)
		}
		switch state.Type {
		case "Task":
			calls = append(calls, aslCall(t, name, state))
			name = state.Next
		case "Choice":
			next := state.Default
			for _, choice := range state.Choices {
				if matchesRule(t, choice, doc) {
					next, _ = choice["Next"].(string)
					break
				}
			}
			name = next
		case "Pass":
			name = state.Next
		case "Succeed":
			return calls
		default:
			t.Fatalf("provision.asl.json: route %s reaches %s state %s", route, state.Type, name)
		}
	}
	t.Fatalf("provision.asl.json: route %s ends without a Succeed state", route)
	return nil
}

// matchesRule evaluates an ASL choice rule on doc. It supports the
// operators that provision.asl.json uses and the paths of plain fields.
func matchesRule(t *testing.T, rule, doc map[string]any) bool {
	t.Helper()
	if rules, ok := rule["And"].([]any); ok {
		for _, sub := range rules {
			if !matchesRule(t, sub.(map[string]any), doc) {
				return false
			}
		}
		return true
	}
	if rules, ok := rule["Or"].([]any); ok {
		for _, sub := range rules {
			if matchesRule(t, sub.(map[string]any), doc) {
				return true
			}
		}
		return false
	}
	if sub, ok := rule["Not"].(map[string]any); ok {
		return !matchesRule(t, sub, doc)
	}

	variable, _ := rule["Variable"].(string)
	var value any = doc
	present := true
	for _, field := range strings.Split(strings.TrimPrefix(variable, "$."), ".") {
		object, ok := value.(map[string]any)
		if !ok {
			present = false
			break
		}
		if value, ok = object[field]; !ok {
			present = false
			break
		}
	}
	switch {
	case rule["IsPresent"] != nil:
		return present == rule["IsPresent"]
	case rule["IsString"] != nil:
		_, isString := value.(string)
		return present && isString == rule["IsString"]
	case rule["StringEquals"] != nil:
		return present && value == rule["StringEquals"]
	}
	t.Fatalf("provision.asl.json: choice rule %v uses an operator that this test does not evaluate", rule)
	return false
}

func aslCall(t *testing.T, name string, state aslState) stepCall {
	t.Helper()
	resource := state.Resource
	params := state.Parameters
	if function, ok := params["FunctionName"].(string); ok {
		resource = function
		params, _ = params["Payload"].(map[string]any)
	}
	handler := strings.TrimSuffix(strings.TrimPrefix(resource, "${"), "}")
	call := stepCall{
		Handler:     handler,
		Key:         strings.TrimPrefix(state.ResultPath, "$.resources."),
		WaitSeconds: state.TimeoutSeconds,
	}
	_, call.Token = params["token.$"]
	for _, retrier := range state.Retry {
		// Errors of the Lambda service have no counterpart in Workflows,
		// whose throttled_or_transient predicate retries the HTTP 429 and
		// 503 responses of a function call.
		if strings.HasPrefix(retrier.ErrorEquals[0], "Lambda.") {
			continue
		}
		predicate, ok := aslPredicates[strings.Join(retrier.ErrorEquals, ",")]
		if !ok {
			t.Fatalf("provision.asl.json: state %s retries %v, which no Workflows predicate covers", name, retrier.ErrorEquals)
		}
		call.Retries = append(call.Retries, retryPolicy{
			Predicate:    predicate,
			MaxRetries:   retrier.MaxAttempts,
			InitialDelay: retrier.IntervalSeconds,
			MaxDelay:     retrier.MaxDelaySeconds,
			Multiplier:   retrier.BackoffRate,
		})
	}
	sortRetries(call.Retries)
	return call
}

// workflowsStep holds the parts of a Workflows step that the walk reads.
type workflowsStep struct {
	Call   string                      `json:"call"`
	Args   map[string]any              `json:"args"`
	Try    *workflowsStep              `json:"try"`
	Retry  *workflowsRetry             `json:"retry"`
	Steps  []map[string]*workflowsStep `json:"steps"`
	Switch []struct {
		Condition any                         `json:"condition"`
		Next      string                      `json:"next"`
		Steps     []map[string]*workflowsStep `json:"steps"`
	} `json:"switch"`
	Except *workflowsExcept `json:"except"`
	Next   string           `json:"next"`
	Assign []map[string]any `json:"assign"`
	Raise  json.RawMessage  `json:"raise"`
	Return json.RawMessage  `json:"return"`
}

type workflowsExcept struct {
	As    string                      `json:"as"`
	Steps []map[string]*workflowsStep `json:"steps"`
}

type workflowsRetry struct {
	Predicate  string `json:"predicate"`
	MaxRetries int    `json:"max_retries"`
	Backoff    struct {
		InitialDelay float64 `json:"initial_delay"`
		MaxDelay     float64 `json:"max_delay"`
		Multiplier   float64 `json:"multiplier"`
	} `json:"backoff"`
}

type workflowsSubworkflow struct {
	Params []string                    `json:"params"`
	Steps  []map[string]*workflowsStep `json:"steps"`
}

// handlerURL matches the URL of a step call and captures the handler name.
var handlerURL = regexp.MustCompile(`^\$\{base_url \+ "/([a-z_]+)"\}$`)

func readWorkflows(t *testing.T) map[string]workflowsSubworkflow {
	t.Helper()
	data, err := os.ReadFile(workflowsFile)
	if err != nil {
		t.Fatalf("read %s: %v", workflowsFile, err)
	}
	var definition map[string]workflowsSubworkflow
	if err := yaml.Unmarshal(data, &definition); err != nil {
		t.Fatalf("decode %s: %v", workflowsFile, err)
	}
	if _, ok := definition["main"]; !ok {
		t.Fatalf("%s has no main workflow", workflowsFile)
	}
	return definition
}

// stepName returns the name of a one-entry step map.
func stepName(t *testing.T, entry map[string]*workflowsStep) (string, *workflowsStep) {
	t.Helper()
	if len(entry) != 1 {
		t.Fatalf("%s: a step list entry has %d names, want 1", workflowsFile, len(entry))
	}
	for name, step := range entry {
		return name, step
	}
	return "", nil
}

// collectCalls appends the http.post step calls inside step, with the retry
// policies of the try blocks around them.
func collectCalls(t *testing.T, step *workflowsStep, retries []retryPolicy, calls []stepCall) []stepCall {
	t.Helper()
	if step == nil {
		return calls
	}
	if step.Retry != nil {
		retries = append(retries[:len(retries):len(retries)], retryPolicy{
			Predicate:    strings.TrimSuffix(strings.TrimPrefix(step.Retry.Predicate, "${"), "}"),
			MaxRetries:   step.Retry.MaxRetries,
			InitialDelay: step.Retry.Backoff.InitialDelay,
			MaxDelay:     step.Retry.Backoff.MaxDelay,
			Multiplier:   step.Retry.Backoff.Multiplier,
		})
	}
	if step.Call == "http.post" {
		calls = append(calls, workflowsCall(t, step, retries))
	}
	calls = collectCalls(t, step.Try, retries, calls)
	for _, entry := range step.Steps {
		_, inner := stepName(t, entry)
		calls = collectCalls(t, inner, retries, calls)
	}
	if step.Except != nil {
		for _, entry := range step.Except.Steps {
			_, inner := stepName(t, entry)
			calls = collectCalls(t, inner, nil, calls)
		}
	}
	return calls
}

func workflowsCall(t *testing.T, step *workflowsStep, retries []retryPolicy) stepCall {
	t.Helper()
	url, _ := step.Args["url"].(string)
	match := handlerURL.FindStringSubmatch(url)
	if match == nil {
		t.Fatalf("%s: http.post URL %q is not ${base_url + \"/<handler>\"}", workflowsFile, url)
	}
	call := stepCall{Handler: match[1], Retries: append([]retryPolicy(nil), retries...)}
	sortRetries(call.Retries)

	auth, _ := step.Args["auth"].(map[string]any)
	if auth["type"] != "OIDC" {
		t.Errorf("%s: call to %s has auth %v, want type OIDC", workflowsFile, call.Handler, step.Args["auth"])
	}
	switch body := step.Args["body"].(type) {
	case string:
		if body != "${doc}" {
			t.Errorf("%s: call to %s has body %q, want ${doc}", workflowsFile, call.Handler, body)
		}
	case map[string]any:
		_, call.Token = body["token"]
	default:
		t.Errorf("%s: call to %s has no body", workflowsFile, call.Handler)
	}
	return call
}

// workflowsCalls walks the main workflow for one route and returns the
// handler calls it makes, in order. A switch condition counts as true only
// when it names the route, so the walk takes the path on which every check
// passes and no step raises. A try block with an except is walked step by
// step, as a list of its own.
func workflowsCalls(t *testing.T, definition map[string]workflowsSubworkflow, route string) []stepCall {
	t.Helper()
	calls, returned := walkSteps(t, definition["main"].Steps, route, nil)
	if !returned {
		t.Fatalf("%s: route %s ends without a return step", workflowsFile, route)
	}
	return calls
}

// walkSteps walks one list of steps from its first step for route, appends
// the handler calls to calls, and reports whether a return step ended the
// walk. Jumps must stay within the list.
func walkSteps(t *testing.T, steps []map[string]*workflowsStep, route string, calls []stepCall) ([]stepCall, bool) {
	t.Helper()
	index := map[string]int{}
	for i, entry := range steps {
		name, _ := stepName(t, entry)
		index[name] = i
	}
	jump := func(from, to string) int {
		i, ok := index[to]
		if !ok {
			t.Fatalf("%s: step %s jumps to %s, which is not in its list of steps", workflowsFile, from, to)
		}
		return i
	}

	for i, hops := 0, 0; i < len(steps); hops++ {
		if hops > len(steps) {
			t.Fatalf("%s: route %s loops", workflowsFile, route)
		}
		name, step := stepName(t, steps[i])
		if step.Except != nil && step.Try != nil && step.Try.Steps != nil {
			var returned bool
			calls, returned = walkSteps(t, step.Try.Steps, route, calls)
			if returned {
				return calls, true
			}
		} else {
			calls = collectCalls(t, step, nil, calls)
		}
		if step.Call == "events.await_callback" && len(calls) > 0 {
			timeout, _ := step.Args["timeout"].(float64)
			calls[len(calls)-1].WaitSeconds = int(timeout)
		}
		for _, assignment := range step.Assign {
			for target := range assignment {
				key, ok := strings.CutPrefix(target, "doc.resources.")
				if ok && len(calls) > 0 && calls[len(calls)-1].Key == "" {
					calls[len(calls)-1].Key = key
				}
			}
		}

		switch {
		case step.Raise != nil:
			t.Fatalf("%s: route %s raises at step %s", workflowsFile, route, name)
		case step.Return != nil:
			return calls, true
		}
		next := step.Next
		for _, condition := range step.Switch {
			expression, _ := condition.Condition.(string)
			if strings.Contains(expression, `"`+route+`"`) {
				next = condition.Next
				break
			}
		}
		if next == "" {
			i++
			continue
		}
		i = jump(name, next)
	}
	return calls, false
}

func sortRetries(retries []retryPolicy) {
	sort.Slice(retries, func(i, j int) bool { return retries[i].Predicate < retries[j].Predicate })
}

func TestWorkflowsMatchesASL(t *testing.T) {
	definition := readWorkflows(t)
	for _, route := range []string{"gcp-privatelink", "public"} {
		t.Run(route, func(t *testing.T) {
			want := aslCalls(t, route)
			got := workflowsCalls(t, definition, route)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s differs from provision.asl.json on route %s (-asl +workflows):\n%s", workflowsFile, route, diff)
			}
		})
	}
}

func TestWorkflowsHandlersRegistered(t *testing.T) {
	definition := readWorkflows(t)
	handlers := registry.Handlers(&workflow.Env{})

	var calls []stepCall
	for _, entry := range definition["main"].Steps {
		_, step := stepName(t, entry)
		calls = collectCalls(t, step, nil, calls)
	}
	if len(calls) == 0 {
		t.Fatalf("%s calls no handler", workflowsFile)
	}
	for _, call := range calls {
		if handlers[call.Handler] == nil {
			t.Errorf("%s calls %s, which functions/registry does not register", workflowsFile, call.Handler)
		}
	}
}

func TestWorkflowsPredicatesDefined(t *testing.T) {
	definition := readWorkflows(t)
	for _, predicate := range aslPredicates {
		sub, ok := definition[predicate]
		if !ok {
			t.Errorf("%s has no subworkflow %s", workflowsFile, predicate)
			continue
		}
		if diff := cmp.Diff([]string{"e"}, sub.Params); diff != "" {
			t.Errorf("%s: params of %s (-want +got):\n%s", workflowsFile, predicate, diff)
		}
	}
}

func TestWorkflowsCallbackFailureRaises(t *testing.T) {
	// Read the field names of the failure body from the type that the
	// poller posts, so that renaming one breaks this test.
	data, err := json.Marshal(gcp.CallbackFailure{Error: "Rejected", Cause: "cause"})
	if err != nil {
		t.Fatal(err)
	}
	var failure map[string]string
	if err := json.Unmarshal(data, &failure); err != nil {
		t.Fatal(err)
	}
	var errorField, causeField string
	for field, value := range failure {
		switch value {
		case "Rejected":
			errorField = field
		case "cause":
			causeField = field
		}
	}

	definition := readWorkflows(t)
	var raises []map[string]any
	for _, entry := range definition["main"].Steps {
		_, step := stepName(t, entry)
		for _, condition := range step.Switch {
			if condition.Condition != `${"`+errorField+`" in live}` {
				continue
			}
			for _, inner := range condition.Steps {
				name, raising := stepName(t, inner)
				var raise map[string]any
				if err := json.Unmarshal(raising.Raise, &raise); err != nil {
					t.Fatalf("%s: step %s raises no map: %v", workflowsFile, name, err)
				}
				raises = append(raises, raise)
			}
		}
	}

	want := []map[string]any{{
		"error": "${live." + errorField + "}",
		"cause": `${default(map.get(live, "` + causeField + `"), "")}`,
	}}
	if diff := cmp.Diff(want, raises); diff != "" {
		t.Errorf("%s: raise on a callback failure body (-want +got):\n%s", workflowsFile, diff)
	}
}

// TestWorkflowsCallbackChecksLiveReport checks that the Workflows callback
// check tests the same fields, types and values as the ASL
// CheckEndpointLive state does on the gcp-privatelink route.
func TestWorkflowsCallbackChecksLiveReport(t *testing.T) {
	// Read the fields and values from the ASL state, so that a field or
	// value changed there without a check here breaks this test.
	var provision struct {
		States map[string]struct {
			Choices []map[string]any
		}
	}
	if err := json.Unmarshal(Provision, &provision); err != nil {
		t.Fatalf("decode provision.asl.json: %v", err)
	}
	choices := provision.States["CheckEndpointLive"].Choices
	if len(choices) == 0 {
		t.Fatal("provision.asl.json has no CheckEndpointLive choice")
	}
	const prefix = "$.resources.endpoint_live."
	stringFields := map[string]bool{}
	values := map[string]string{}
	// walk skips the rules that hold only for another route.
	var walk func(rule map[string]any)
	walk = func(rule map[string]any) {
		for _, op := range []string{"And", "Or"} {
			rules, _ := rule[op].([]any)
			route := ""
			for _, sub := range rules {
				sub := sub.(map[string]any)
				if sub["Variable"] == "$.request.route" {
					route, _ = sub["StringEquals"].(string)
				}
			}
			if route != "" && route != "gcp-privatelink" {
				continue
			}
			for _, sub := range rules {
				walk(sub.(map[string]any))
			}
		}
		field, ok := strings.CutPrefix(fmt.Sprint(rule["Variable"]), prefix)
		if !ok {
			return
		}
		if rule["IsString"] == true {
			stringFields[field] = true
		}
		if value, ok := rule["StringEquals"].(string); ok {
			values[field] = value
		}
	}
	walk(choices[0])
	if len(stringFields) == 0 || len(values) != len(stringFields) {
		t.Fatalf("CheckEndpointLive checks the types of %v and the values %v on gcp-privatelink; want a value for each checked field", stringFields, values)
	}

	var conditions []string
	for _, entry := range readWorkflows(t)["main"].Steps {
		_, step := stepName(t, entry)
		for _, condition := range step.Switch {
			if text, ok := condition.Condition.(string); ok {
				conditions = append(conditions, text)
			}
		}
	}
	contains := func(want string) bool {
		for _, condition := range conditions {
			if strings.Contains(condition, want) {
				return true
			}
		}
		return false
	}
	for field := range stringFields {
		if check := `get_type(map.get(live, "` + field + `")) != "string"`; !contains(check) {
			t.Errorf("%s: no switch condition checks the type of %s, want one with %s", workflowsFile, field, check)
		}
		if check := `live.` + field + ` != "` + values[field] + `"`; !contains(check) {
			t.Errorf("%s: no switch condition checks the value of %s, want one with %s", workflowsFile, field, check)
		}
	}
}

// TestWorkflowsCallbackNotLiveWaitsAgain checks that every check of the
// callback body other than the failure body goes to a step that creates a
// new callback, as the ASL CheckEndpointLive state goes back to
// AwaitEndpoint.
func TestWorkflowsCallbackNotLiveWaitsAgain(t *testing.T) {
	steps := readWorkflows(t)["main"].Steps
	byName := map[string]*workflowsStep{}
	for _, entry := range steps {
		name, step := stepName(t, entry)
		byName[name] = step
	}
	check := byName["check_callback"]
	if check == nil {
		t.Fatalf("%s has no check_callback step", workflowsFile)
	}
	jumps := 0
	for _, condition := range check.Switch {
		if condition.Steps != nil {
			continue
		}
		jumps++
		target := byName[condition.Next]
		if target == nil {
			t.Fatalf("%s: condition %v jumps to missing step %q", workflowsFile, condition.Condition, condition.Next)
		}
		if target.Next != "create_callback" {
			t.Errorf("%s: condition %v goes to %s, which goes on to %q, want create_callback",
				workflowsFile, condition.Condition, condition.Next, target.Next)
		}
	}
	if jumps != 3 {
		t.Errorf("%s: check_callback has %d conditions that wait again, want 3 (not a map, wrong types, wrong values)", workflowsFile, jumps)
	}
	if create := byName["create_callback"]; create == nil || create.Call != "events.create_callback_endpoint" {
		t.Errorf("%s: create_callback does not call events.create_callback_endpoint", workflowsFile)
	}
}

// TestWorkflowsReleasesReservationBeforeEndpoint checks that the steps
// that the ASL runs before its Endpoint state, preflight first, sit in one
// try block. Its except must release the request's endpoint reservation and
// then raise the error again. The AWS notifier likewise releases the place
// of a run that closed before Endpoint.
func TestWorkflowsReleasesReservationBeforeEndpoint(t *testing.T) {
	const releaseHandler = "release_endpoint_reservation"
	var block *workflowsStep
	var blockName string
	for _, entry := range readWorkflows(t)["main"].Steps {
		name, step := stepName(t, entry)
		if step.Except == nil || step.Try == nil || step.Try.Steps == nil {
			continue
		}
		if block != nil {
			t.Fatalf("%s: steps %s and %s both are try blocks with an except, want one", workflowsFile, blockName, name)
		}
		block, blockName = step, name
	}
	if block == nil {
		t.Fatalf("%s: main has no try block with an except", workflowsFile)
	}

	// The block calls the handlers that the ASL runs before Endpoint on
	// the gcp-privatelink route, and no other.
	var want []string
	for _, call := range aslCalls(t, "gcp-privatelink") {
		if call.Handler == "endpoint" {
			break
		}
		want = append(want, call.Handler)
	}
	if len(want) == 0 || want[0] != "preflight" {
		t.Fatalf("provision.asl.json runs %v before Endpoint, want preflight first", want)
	}
	var got []string
	inside := map[string]bool{}
	for _, entry := range block.Try.Steps {
		name, step := stepName(t, entry)
		inside[name] = true
		for _, call := range collectCalls(t, step, nil, nil) {
			got = append(got, call.Handler)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: handlers called in %s (-want +got):\n%s", workflowsFile, blockName, diff)
	}

	// No step in the block jumps out of it.
	for _, entry := range block.Try.Steps {
		name, step := stepName(t, entry)
		targets := []string{step.Next}
		for _, condition := range step.Switch {
			targets = append(targets, condition.Next)
		}
		for _, target := range targets {
			if target != "" && !inside[target] {
				t.Errorf("%s: step %s in %s jumps out of it to %s", workflowsFile, name, blockName, target)
			}
		}
	}

	// The except releases the place with the document, whose execution
	// the handler needs, and then raises the caught error.
	except := block.Except
	if len(except.Steps) != 2 {
		t.Fatalf("%s: the except of %s has %d steps, want the release and the raise", workflowsFile, blockName, len(except.Steps))
	}
	_, release := stepName(t, except.Steps[0])
	calls := collectCalls(t, release, nil, nil)
	if len(calls) != 1 || calls[0].Handler != releaseHandler {
		t.Errorf("%s: the except of %s first calls %v, want %s", workflowsFile, blockName, calls, releaseHandler)
	}
	if release.Try == nil || release.Try.Args["body"] != "${doc}" {
		t.Errorf("%s: the release call does not send ${doc}", workflowsFile)
	}
	if release.Except == nil {
		t.Errorf("%s: a failed release call would replace the run's error, want an except around it", workflowsFile)
	} else {
		for _, entry := range release.Except.Steps {
			name, step := stepName(t, entry)
			if step.Raise != nil {
				t.Errorf("%s: step %s raises when the release fails, want the run's own error raised", workflowsFile, name)
			}
		}
	}
	_, raise := stepName(t, except.Steps[1])
	if got, want := string(raise.Raise), `"${`+except.As+`}"`; got != want {
		t.Errorf("%s: the except of %s ends with raise %s, want %s", workflowsFile, blockName, got, want)
	}
	if registry.Handlers(&workflow.Env{})[releaseHandler] == nil {
		t.Errorf("functions/registry does not register %s", releaseHandler)
	}
}
