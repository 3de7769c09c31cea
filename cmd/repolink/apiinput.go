package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/workflow"
)

// prepareAPIInput is the sfnapi.Options.PrepareInput of repolink up. It
// checks the input of a provision or teardown execution as 'repolink run'
// checks a request file, so that an input that cannot work is rejected
// before anything starts. It checks the request of an egress-refresh
// execution the same way, and also that its route is egress-ip. It returns
// the input with the request's defaults filled in and resources set to {}
// when absent, or always for a teardown. The input of other machines is
// returned unchanged.
func prepareAPIInput(ctx context.Context, machine string, input json.RawMessage) (json.RawMessage, error) {
	return prepareCheckedAPIInput(ctx, machine, input, nil)
}

// serviceAPIInput returns the sfnapi.Options.PrepareInput of a service
// whose check rejects a request that the service cannot run, such as one
// whose index host the sandbox index does not serve. start, when not nil,
// runs the start checks of a provision request that passed check.
func serviceAPIInput(check func(request.Request) error, start func(context.Context, request.Request) error) func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, machine string, input json.RawMessage) (json.RawMessage, error) {
		checkProvision := check
		if check != nil && start != nil {
			checkProvision = func(req request.Request) error {
				if err := check(req); err != nil {
					return err
				}
				return start(ctx, req)
			}
		}
		return prepareCheckedAPIInput(ctx, machine, input, checkProvision)
	}
}

// prepareCheckedAPIInput is prepareAPIInput with check, when not nil, in
// place of checkSecretARNs for a provision request. check must include the
// checks of checkSecretARNs.
func prepareCheckedAPIInput(_ context.Context, machine string, input json.RawMessage, check func(request.Request) error) (json.RawMessage, error) {
	if machine != provisionMachine && machine != teardownMachine && machine != egressRefreshMachine {
		return input, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(input, &doc); err != nil || doc == nil {
		return nil, invalidAPIInput(machine, []string{`$: must be a JSON object such as {"request": {...}}`})
	}

	var problems []string
	for _, field := range request.DuplicateKeysOutside(input) {
		problems = append(problems, field.Path+": "+field.Message)
	}
	for _, key := range sortedKeys(doc) {
		if key != "request" && key != "resources" {
			problems = append(problems, fmt.Sprintf("$.%s: unknown field; the input has only request and resources", key))
		}
	}

	var req request.Request
	raw, ok := doc["request"]
	if !ok || string(raw) == "null" {
		problems = append(problems, "$.request: missing; set it to a request document, the same as a request file of 'repolink run'")
	} else {
		// A teardown takes a request that an earlier version accepted,
		// so it is checked only for what the teardown steps need.
		parse := request.ParseJSON
		if machine == teardownMachine {
			parse = request.ParseJSONForTeardown
		}
		var err error
		req, err = parse(raw)
		switch {
		case err != nil:
		case machine == provisionMachine && check != nil:
			err = check(req)
		default:
			err = checkSecretARNs(req)
		}
		if err == nil && machine == egressRefreshMachine && req.Route != request.RouteEgressIP {
			problems = append(problems, fmt.Sprintf("$.request.route: is %s, but the egress-refresh machine refreshes the firewall of egress-ip requests only; "+
				"start a request of another route with the provision machine", req.Route))
		}
		var invalid *request.ValidationError
		switch {
		case errors.As(request.WithServiceCredentialFixes(err), &invalid):
			for _, field := range invalid.Fields {
				problems = append(problems, "$.request"+strings.TrimPrefix(field.Path, "$")+": "+field.Message)
			}
		case err != nil:
			return nil, err
		}
	}

	resources := json.RawMessage(`{}`)
	if raw, ok := doc["resources"]; ok && string(raw) != "null" {
		var object map[string]json.RawMessage
		if json.Unmarshal(raw, &object) != nil || object == nil {
			problems = append(problems, "$.resources: must be a JSON object; leave it out to start with {}")
		} else {
			for _, field := range workflow.CheckResources(raw) {
				problems = append(problems, field.Path+": "+field.Message)
			}
		}
		resources = raw
	}
	// The teardown steps find the request's objects by the names that the
	// request gives them and read nothing from resources. Given resources,
	// such as the output of another request's provision run, would stay in
	// the teardown's output and be listed as its own, so a teardown starts
	// with none.
	if machine == teardownMachine {
		resources = json.RawMessage(`{}`)
	}

	if len(problems) > 0 {
		return nil, invalidAPIInput(machine, problems)
	}
	return json.Marshal(map[string]any{"request": req, "resources": resources})
}

// invalidAPIInput returns the error that rejects an input of machine with
// the problems, one per invalid field.
func invalidAPIInput(machine string, problems []string) error {
	return &sfnapi.InvalidInputError{Message: fmt.Sprintf("invalid input for the %s state machine: %s", machine, strings.Join(problems, "; "))}
}

// checkAPIName is the sfnapi.Options.CheckName of repolink up. It rejects
// a provision execution named like a teardown execution, because teardown
// would then name its own execution after it, such as X-teardown-teardown,
// and list would show a provision run as a teardown.
func checkAPIName(machine, name string) string {
	if machine == provisionMachine && request.IsTeardownName(name) {
		return fmt.Sprintf("execution name %q ends like a teardown execution name (-teardown, or -teardown-rN with N of 2 or more); "+
			"name a provision execution after its request ID, such as DATA-4711 or DATA-4711-r2", name)
	}
	return ""
}
