package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// No function calls these Step Functions actions: the operations API takes
// GET requests only and the poller completes task tokens without
// heartbeats.
func TestNoUncalledStepFunctionsActions(t *testing.T) {
	r := fullStack(t)
	for _, st := range policyStatements(t, r.json) {
		if st.Effect != "Allow" {
			continue
		}
		for _, action := range []string{"states:RedriveExecution", "states:SendTaskHeartbeat"} {
			if slices.Contains(st.Actions, action) {
				t.Errorf("role %s statement %q allows %s, which no function calls", st.Role, st.Sid, action)
			}
		}
	}
}

// The webhook starts provision runs only, and the operations API reads
// the provision and teardown runs only.
func TestServiceRolesScopedToTheirMachines(t *testing.T) {
	r := fullStack(t)
	refreshID := egressRefreshLogicalID(t, r.json)
	// A statement names the egress refresh machine by its deployed name in
	// an ARN, or by its logical ID in a Ref or Fn::GetAtt, which render
	// writes as {ID} or {ID.Attribute}.
	namesRefresh := func(resource string) bool {
		return strings.Contains(resource, "egress-refresh") ||
			strings.Contains(resource, "{"+refreshID+"}") ||
			strings.Contains(resource, "{"+refreshID+".")
	}

	// The scheduler starts the egress refresh, so at least its statement
	// names the machine, which shows that namesRefresh matches the template.
	statements := policyStatements(t, r.json)
	refreshGrants := 0
	for _, st := range statements {
		for _, resource := range st.Resources {
			if namesRefresh(resource) {
				refreshGrants++
			}
		}
	}
	if refreshGrants == 0 {
		t.Fatalf("found no statement of any role that names the egress refresh machine %s, want at least the scheduler's", refreshID)
	}

	checked := map[string]int{"WebhookRole": 0, "OperationsRole": 0}
	for _, st := range statements {
		if _, ok := checked[st.Role]; !ok {
			continue
		}
		checked[st.Role]++
		for _, resource := range st.Resources {
			if namesRefresh(resource) {
				t.Errorf("role %s statement %q names %s, which it never calls", st.Role, st.Sid, resource)
			}
			if slices.Contains(st.Actions, "states:StartExecution") && strings.Contains(resource, "teardown") {
				t.Errorf("role %s statement %q starts teardown runs, which it never does", st.Role, st.Sid)
			}
		}
	}
	for _, role := range []string{"WebhookRole", "OperationsRole"} {
		if checked[role] == 0 {
			t.Errorf("found no statements of role %s", role)
		}
	}
}

// egressRefreshLogicalID returns the logical ID, without the hash, of the
// state machine whose name ends with egress-refresh.
func egressRefreshLogicalID(t *testing.T, template map[string]any) string {
	t.Helper()
	for id, props := range resourcesOfType(template, "AWS::StepFunctions::StateMachine") {
		if name, _ := props["StateMachineName"].(string); strings.HasSuffix(name, "egress-refresh") {
			return trimHash(id)
		}
	}
	t.Fatal("the stack has no state machine named *egress-refresh")
	return ""
}

// The webhook reads run items but never writes them.
func TestWebhookOnlyReadsRunItems(t *testing.T) {
	r := fullStack(t)
	checked := 0
	for _, st := range policyStatements(t, r.json) {
		if st.Role != "WebhookRole" || !strings.Contains(fmt.Sprint(st.Condition), "run#") {
			continue
		}
		checked++
		if !slices.Equal(st.Actions, []string{"dynamodb:GetItem"}) {
			t.Errorf("webhook statement %q allows %v on run items, want only dynamodb:GetItem", st.Sid, st.Actions)
		}
	}
	if checked == 0 {
		t.Error("found no WebhookRole statement with a run# partition condition")
	}
}
