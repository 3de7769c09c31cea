package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/engine"
)

func TestPrepareInputOption(t *testing.T) {
	prepare := func(_ context.Context, machine string, input json.RawMessage) (json.RawMessage, error) {
		if string(input) == `{"bad": true}` {
			return nil, &InvalidInputError{Message: "$.bad: must not be set"}
		}
		return json.RawMessage(`{"machine": "` + machine + `", "prepared": true}`), nil
	}
	f := newFixtureWith(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo}, Options{PrepareInput: prepare})
	ctx := context.Background()

	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("good"), Input: aws.String(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if x := f.wait(t, "good"); string(x.Input) != `{"machine": "m", "prepared": true}` {
		t.Errorf("input = %s, want the prepared input", x.Input)
	}

	_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("bad"), Input: aws.String(`{"bad": true}`)})
	var invalid *types.InvalidExecutionInput
	if !errors.As(err, &invalid) {
		t.Fatalf("StartExecution of a rejected input: error = %v, want InvalidExecutionInput", err)
	}
	if got := invalid.ErrorMessage(); got != "$.bad: must not be set" {
		t.Errorf("message = %q, want the PrepareInput message", got)
	}
	if _, err := f.e.Describe(ctx, "bad"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("execution bad after the rejected start: error %v, want not found", err)
	}
}
