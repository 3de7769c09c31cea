package sfnapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
)

const lambdaARN = "arn:aws:lambda:us-east-1:123456789012:function:echo"

func TestHistoryLambdaFunctionEvents(t *testing.T) {
	f := newFixture(t, map[string]string{"m": `{"StartAt":"Echo","States":{
		"Echo":{"Type":"Task","Resource":"` + lambdaARN + `","TimeoutSeconds":60,"End":true}}}`},
		map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "run"))
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("run"), Input: aws.String(`{"in":true}`)}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "run")

	history, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: arn})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	var gotTypes []types.HistoryEventType
	for _, ev := range history.Events {
		gotTypes = append(gotTypes, ev.Type)
	}
	wantTypes := []types.HistoryEventType{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
		"LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(wantTypes, gotTypes); diff != "" {
		t.Fatalf("event types (-want +got):\n%s", diff)
	}

	scheduled := history.Events[2].LambdaFunctionScheduledEventDetails
	if scheduled == nil {
		t.Fatal("LambdaFunctionScheduled has no lambdaFunctionScheduledEventDetails")
	}
	if got := aws.ToString(scheduled.Resource); got != lambdaARN {
		t.Errorf("lambdaFunctionScheduled.resource = %s, want %s", got, lambdaARN)
	}
	if got := aws.ToString(scheduled.Input); got != `{"in":true}` {
		t.Errorf("lambdaFunctionScheduled.input = %s, want {\"in\":true}", got)
	}
	if scheduled.InputDetails == nil {
		t.Error("lambdaFunctionScheduled has no inputDetails")
	}
	if got := aws.ToInt64(scheduled.TimeoutInSeconds); got != 60 {
		t.Errorf("lambdaFunctionScheduled.timeoutInSeconds = %d, want 60", got)
	}
	succeeded := history.Events[4].LambdaFunctionSucceededEventDetails
	if succeeded == nil {
		t.Fatal("LambdaFunctionSucceeded has no lambdaFunctionSucceededEventDetails")
	}
	if got := aws.ToString(succeeded.Output); got != `{"in":true}` {
		t.Errorf("lambdaFunctionSucceeded.output = %s, want {\"in\":true}", got)
	}
	if succeeded.OutputDetails == nil {
		t.Error("lambdaFunctionSucceeded has no outputDetails")
	}

	// Step Functions defines no details member for LambdaFunctionStarted,
	// which the SDK would skip, so the raw response is checked.
	started := rawHistoryEvent(t, f.url, *arn, 4)
	for key := range started {
		if strings.HasSuffix(key, "EventDetails") {
			t.Errorf("LambdaFunctionStarted has member %s, want no details member", key)
		}
	}
}

// rawHistoryEvent returns event id of the execution's history as the
// JSON object that GetExecutionHistory sends.
func rawHistoryEvent(t *testing.T, url, executionARN string, id int) map[string]json.RawMessage {
	t.Helper()
	body := `{"executionArn":"` + executionARN + `"}`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.GetExecutionHistory")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if id < 1 || id > len(out.Events) {
		t.Fatalf("history has %d events, want event %d", len(out.Events), id)
	}
	return out.Events[id-1]
}
