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
	for _, st := range policyStatements(t, r.json) {
		if st.Role != "WebhookRole" && st.Role != "OperationsRole" {
			continue
		}
		for _, resource := range st.Resources {
			if strings.Contains(resource, "egress-refresh") {
				t.Errorf("role %s statement %q names %s, which it never calls", st.Role, st.Sid, resource)
			}
			if slices.Contains(st.Actions, "states:StartExecution") && strings.Contains(resource, "teardown") {
				t.Errorf("role %s statement %q starts teardown runs, which it never does", st.Role, st.Sid)
			}
		}
	}
}

// The webhook reads run items but never writes them.
func TestWebhookOnlyReadsRunItems(t *testing.T) {
	r := fullStack(t)
	for _, st := range policyStatements(t, r.json) {
		if st.Role != "WebhookRole" || !strings.Contains(fmt.Sprint(st.Condition), "run#") {
			continue
		}
		if !slices.Equal(st.Actions, []string{"dynamodb:GetItem"}) {
			t.Errorf("webhook statement %q allows %v on run items, want only dynamodb:GetItem", st.Sid, st.Actions)
		}
	}
}
