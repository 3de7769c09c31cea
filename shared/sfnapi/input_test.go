package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

func TestInputLimitAsSent(t *testing.T) {
	// prepare adds a field of 200 bytes, as request defaults do, or
	// returns {} for an input that starts with a space.
	prepare := func(_ context.Context, _ string, input json.RawMessage) (json.RawMessage, error) {
		if input[0] == ' ' {
			return json.RawMessage(`{}`), nil
		}
		var doc map[string]any
		if err := json.Unmarshal(input, &doc); err != nil {
			return nil, err
		}
		doc["defaults"] = strings.Repeat("d", 200)
		return json.Marshal(doc)
	}
	f := newFixtureWith(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo}, Options{PrepareInput: prepare})
	ctx := context.Background()
	// inputOf returns an input of size bytes.
	inputOf := func(size int) string {
		return `{"pad":"` + strings.Repeat("p", size-len(`{"pad":""}`)) + `"}`
	}
	start := func(name, input string) error {
		_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machineARN("m")), Name: aws.String(name), Input: aws.String(input)})
		return err
	}

	if err := start("fits", inputOf(maxInputBytes-300)); err != nil {
		t.Errorf("StartExecution of %d bytes that fit with the defaults: %v", maxInputBytes-300, err)
	}

	err := start("over", inputOf(maxInputBytes+1))
	var invalid *types.InvalidExecutionInput
	if !errors.As(err, &invalid) {
		t.Fatalf("StartExecution of %d bytes: error = %v, want InvalidExecutionInput", maxInputBytes+1, err)
	}
	want := fmt.Sprintf("$: the input has %d bytes, more than the limit of %d bytes", maxInputBytes+1, maxInputBytes)
	if !strings.Contains(invalid.ErrorMessage(), want) {
		t.Errorf("message = %q, want it to contain %q", invalid.ErrorMessage(), want)
	}

	// An input over the limit as sent is rejected even when PrepareInput
	// would shrink it.
	err = start("shrunk", " "+inputOf(maxInputBytes))
	if !errors.As(err, &invalid) {
		t.Errorf("StartExecution of %d bytes that PrepareInput shrinks: error = %v, want InvalidExecutionInput", maxInputBytes+1, err)
	}

	err = start("pushed", inputOf(maxInputBytes-100))
	if !errors.As(err, &invalid) {
		t.Fatalf("StartExecution that the defaults push over the limit: error = %v, want InvalidExecutionInput", err)
	}
	want = fmt.Sprintf("$: the input has %d bytes, and %d bytes with the defaults", maxInputBytes-100, maxInputBytes-100+len(`,"defaults":""`)+200)
	if !strings.Contains(invalid.ErrorMessage(), want) {
		t.Errorf("message = %q, want it to contain %q", invalid.ErrorMessage(), want)
	}
	for _, name := range []string{"over", "shrunk", "pushed"} {
		if _, err := f.e.Describe(ctx, name); !errors.Is(err, engine.ErrExecutionNotFound) {
			t.Errorf("execution %s after the rejected start: error %v, want not found", name, err)
		}
	}
}
