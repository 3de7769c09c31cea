package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// routeNotServedState is the Fail state that rejectForeignRoutes adds.
const routeNotServedState = "RouteNotServed"

// routeNotServedCausePath is the CausePath of routeNotServedState, an
// intrinsic function that puts the request's route, $.request.route, into
// the cause. States.Format reads ', {, } and \ in its template as syntax,
// so the template uses none of them. Step Functions reports the cause with
// the error InvalidRequest, which no state retries.
const routeNotServedCausePath = "States.Format('request route {} is not served by the AWS deployment of repolink, " +
	"which serves aws-privatelink, egress-ip and public; nothing was removed. Tear down azure-privatelink and " +
	"gcp-privatelink requests with the repolink command or a deployment on their cloud', $.request.route)"

// foreignRoute reports whether route, such as azure-privatelink, belongs to
// a cloud in foreignClouds.
func foreignRoute(route string) bool {
	cloud, _, _ := strings.Cut(route, "-")
	return slices.Contains(foreignClouds, cloud)
}

// rejectForeignRoutes sends every rule of the definition's start state that
// matches an Azure or GCP route by $.request.route to a Fail state with the
// error InvalidRequest, and returns the changed definition. It returns data
// unchanged when no such rule exists.
//
// The teardown machine starts with a Choice that lets every route through,
// and its first task drops the Snowflake objects. On this deployment the
// Azure and GCP tasks that follow only fail (unsupportedSpec), so without
// this change a teardown of such a request would drop the Snowflake objects
// and then fail with the network left. Only the start state is changed: it
// runs before any task, and the states after it stay reachable through
// the later choices, which Step Functions requires.
func rejectForeignRoutes(data []byte) ([]byte, error) {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("decode definition: %w", err)
	}
	states, _ := root["States"].(map[string]any)
	startAt, _ := root["StartAt"].(string)
	start, _ := states[startAt].(map[string]any)
	if start["Type"] != "Choice" {
		return data, nil
	}

	rules, _ := start["Choices"].([]any)
	changed := false
	for _, item := range rules {
		rule, _ := item.(map[string]any)
		route, _ := rule["StringEquals"].(string)
		if rule["Variable"] != "$.request.route" || !foreignRoute(route) {
			continue
		}
		rule["Next"] = routeNotServedState
		changed = true
	}
	if !changed {
		return data, nil
	}

	if _, ok := states[routeNotServedState]; ok {
		return nil, fmt.Errorf("definition already has a state named %s, which the stack adds to reject the Azure and GCP routes; rename that state", routeNotServedState)
	}
	states[routeNotServedState] = map[string]any{
		"Type":      "Fail",
		"Error":     "InvalidRequest",
		"CausePath": routeNotServedCausePath,
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode definition: %w", err)
	}
	return out, nil
}
