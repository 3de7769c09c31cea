package main

import (
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

func TestNotifierRule(t *testing.T) {
	r := fullStack(t)
	provision := map[string]any{"Ref": *r.stack.Stack.GetLogicalId(r.stack.Machines["provision"].Node().DefaultChild().(awscdk.CfnElement))}
	teardown := map[string]any{"Ref": *r.stack.Stack.GetLogicalId(r.stack.Machines["teardown"].Node().DefaultChild().(awscdk.CfnElement))}
	notifierID, _ := functionOf(t, r.json, "notifier")

	check(t, "rule on the closed runs of the provision and teardown machines", func() {
		r.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"Name":  "repolink-notifier",
			"State": "ENABLED",
			"EventPattern": map[string]any{
				"source":      []any{"aws.states"},
				"detail-type": []any{"Step Functions Execution Status Change"},
				"detail": map[string]any{
					"stateMachineArn": []any{provision, teardown},
					"status":          []any{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"},
				},
			},
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":         map[string]any{"Fn::GetAtt": []any{notifierID, "Arn"}},
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 7200},
			})},
		})
	})
	check(t, "EventBridge may invoke the notifier", func() {
		r.template.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": map[string]any{"Fn::GetAtt": []any{notifierID, "Arn"}},
			"Principal":    "events.amazonaws.com",
		})
	})
}

func TestNotifierRoleStatements(t *testing.T) {
	r := fullStack(t)
	var sids []string
	for _, st := range policyStatements(t, r.json) {
		if st.Role == "NotifierRole" {
			sids = append(sids, st.Sid)
		}
	}
	// The role also writes to the notifier's log group, in a statement
	// without a Sid.
	want := []string{"", "ClaimCredentialNotices", "DescribeProvisionRuns", "ReadWebhookKey", "ReadWebhookKeyKey", "ReleaseEndpoints", "ReleaseRunsOfRequest"}
	slices.Sort(sids)
	if diff := cmp.Diff(want, sids); diff != "" {
		t.Errorf("notifier role statements (-want +got):\n%s", diff)
	}
}

func TestPollerHandsNoticesToNotifier(t *testing.T) {
	r := fullStack(t)
	notifierID, _ := functionOf(t, r.json, "notifier")
	_, poller := functionOf(t, r.json, "poller")

	env, _ := poller["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"Ref": notifierID}, vars[envNotifierFunction]); diff != "" {
		t.Errorf("poller %s (-want +got):\n%s", envNotifierFunction, diff)
	}

	invokes := false
	for _, st := range policyStatements(t, r.json) {
		if st.Role == "PollerRole" && st.Effect == "Allow" && slices.Contains(st.Actions, "lambda:InvokeFunction") {
			invokes = true
		}
	}
	if !invokes {
		t.Error("the poller role may not invoke the notifier")
	}
}
