package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestRedriveRefusedAfterTeardown checks that a provision execution whose
// teardown has run cannot be redriven: its failed step would resume with
// the IDs of deleted resources.
func TestRedriveRefusedAfterTeardown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	req := exampleRequest(t, "A")
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	provisioned, err := eng.Stop(ctx, "A", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkNotTornDown(ctx, dir, false, provisioned, "A"); err != nil {
		t.Fatalf("before any teardown: %v, want no error", err)
	}

	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, teardownMachine, "A-teardown", input); err != nil {
		t.Fatal(err)
	}
	err = checkNotTornDown(ctx, dir, false, provisioned, "A")
	var usage *usageError
	if !errors.As(err, &usage) {
		t.Fatalf("while the teardown runs: %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "teardown A-teardown of execution A is running") {
		t.Errorf("while the teardown runs: %q does not name the running teardown", err)
	}

	if _, err := eng.Stop(ctx, "A-teardown", "", ""); err != nil {
		t.Fatal(err)
	}
	err = checkNotTornDown(ctx, dir, false, provisioned, "A")
	if !errors.As(err, &usage) {
		t.Fatalf("after the teardown: %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "run the request again") {
		t.Errorf("after the teardown: %q does not say what to do", err)
	}
}

// TestAPIRedriveRejectedAfterTeardown checks that the Step Functions API
// of repolink up rejects the redrive that 'repolink redrive' rejects after
// a teardown, with the same reason.
func TestAPIRedriveRejectedAfterTeardown(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	req := exampleRequest(t, "A")
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	provisioned, err := eng.Stop(ctx, "A", "", "")
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, teardownMachine, "A-teardown", input); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "A-teardown", "", ""); err != nil {
		t.Fatal(err)
	}
	cliErr := checkNotTornDown(ctx, dir, false, provisioned, "A")
	if cliErr == nil {
		t.Fatal("checkNotTornDown after the teardown: no error, want a usage error")
	}

	client := mountedAPIClient(t, eng, dir)
	arn := aws.String(eng.ExecutionARN(provisionMachine, "A"))

	_, err = client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Fatalf("RedriveExecution after the teardown: error = %v, want ExecutionNotRedrivable", err)
	}
	if got := notRedrivable.ErrorMessage(); got != cliErr.Error() {
		t.Errorf("RedriveExecution after the teardown: message %q, want the reason of repolink redrive %q", got, cliErr)
	}
	if x, err := eng.Describe(ctx, "A"); err != nil || x.Status != "ABORTED" || x.RedriveCount != 0 {
		t.Errorf("A after the rejected redrive: %s, redrive count %d, error %v, want ABORTED, 0", x.Status, x.RedriveCount, err)
	}

	described, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
		t.Errorf("DescribeExecution after the teardown: redriveStatus %s, want NOT_REDRIVABLE", described.RedriveStatus)
	}
	if got := aws.ToString(described.RedriveStatusReason); got != cliErr.Error() {
		t.Errorf("DescribeExecution after the teardown: redriveStatusReason %q, want %q", got, cliErr)
	}
}

// TestRedriveSucceededAdvice checks that the rejection of a redrive of a
// succeeded execution gives advice that fits its machine.
func TestRedriveSucceededAdvice(t *testing.T) {
	const flags = " --sandbox --state-dir /tmp/state"
	tests := []struct {
		machine string
		want    []string
		notWant []string
	}{
		{machine: provisionMachine, want: []string{"nothing to redrive", "run its request again"}},
		{
			machine: teardownMachine,
			want:    []string{"teardown execution A-teardown succeeded", "stay deleted", "'repolink run" + flags + " REQUEST'", "new provision execution"},
			notWant: []string{"provision again", "adopts what exists"},
		},
		{machine: "egress-refresh", want: []string{"nothing to redrive"}, notWant: []string{"provision", "request"}},
	}
	for _, tt := range tests {
		t.Run(tt.machine, func(t *testing.T) {
			x := engine.Execution{Name: "A-teardown", Machine: tt.machine, Status: engine.StatusSucceeded}
			err := checkRedrivable(x, " --state-dir /tmp/state", flags)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("checkRedrivable = %v, want a usage error", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not contain %q", err, want)
				}
			}
			for _, notWant := range tt.notWant {
				if strings.Contains(err.Error(), notWant) {
					t.Errorf("%q contains %q", err, notWant)
				}
			}
		})
	}
}

// TestRedriveRejectsResourcesOfWrongType checks that 'repolink redrive'
// and RedriveExecution reject an execution whose input has a resource of
// the wrong type, which the steps cannot decode, with the field and a new
// start as the advice.
func TestRedriveRejectsResourcesOfWrongType(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	request, err := json.Marshal(exampleRequest(t, "A"))
	if err != nil {
		t.Fatal(err)
	}
	input := `{"request": ` + string(request) + `, "resources": {"proxy_vm": 5}}`
	if _, err := eng.Start(ctx, provisionMachine, "A", json.RawMessage(input)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "A", "", ""); err != nil {
		t.Fatal(err)
	}
	const want = "invalid value at $.resources.proxy_vm, which must be an object"

	code, _, errOut := runCLI(t, "redrive", "--state-dir", dir, "A")
	if code != exitInvalid {
		t.Fatalf("repolink redrive: exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("repolink redrive: stderr does not contain %q:\n%s", want, errOut)
	}

	client := mountedAPIClient(t, eng, dir)
	arn := aws.String(eng.ExecutionARN(provisionMachine, "A"))

	_, err = client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Fatalf("RedriveExecution: error = %v, want ExecutionNotRedrivable", err)
	}
	if got := notRedrivable.ErrorMessage(); !strings.Contains(got, want) {
		t.Errorf("RedriveExecution: message %q does not contain %q", got, want)
	}

	described, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if described.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
		t.Errorf("DescribeExecution: redriveStatus %s, want NOT_REDRIVABLE", described.RedriveStatus)
	}
	if got := aws.ToString(described.RedriveStatusReason); !strings.Contains(got, want) {
		t.Errorf("DescribeExecution: redriveStatusReason %q does not contain %q", got, want)
	}
}
