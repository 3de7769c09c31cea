package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ExecutionSummary is one execution as ListExecutions returns it, without
// its input and output.
type ExecutionSummary struct {
	ARN             string
	Name            string
	StateMachineARN string
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or
	// PENDING_REDRIVE.
	Status    string
	StartDate time.Time
	// StopDate is zero while the execution runs.
	StopDate     time.Time
	RedriveCount int
}

// MaxListResults is the largest page that ListExecutions returns.
const MaxListResults = 1000

// ExecutionARN returns the ARN of the execution called name of the state
// machine with ARN machineARN, such as
// arn:aws:states:us-west-2:123456789012:execution:repolink-provision:DATA-1.
func ExecutionARN(machineARN, name string) string {
	return strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// ListOptions select a page of ListExecutions.
type ListOptions struct {
	// Status keeps only executions with this status. Empty keeps all.
	Status string
	// MaxResults is the page size, at most 1,000. Zero means the API's
	// default of 100.
	MaxResults int
	// NextToken is the token of the previous page, empty for the first.
	NextToken string
}

// HistoryEvent is one event of an execution's history.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	// Type is the Step Functions event type, such as TaskStateEntered.
	Type      string
	Timestamp time.Time
	// Details holds the event's details member with the API's field names
	// (name, input, output, error, cause, resource, ...). Input, output and
	// parameters are JSON values where the API sent valid JSON text. It is
	// nil for events without details.
	Details json.RawMessage
}

// HistoryOptions select a page of GetExecutionHistory. The events always
// include execution data (inputs, outputs and parameters).
type HistoryOptions struct {
	// MaxResults is the page size, at most 1,000. Zero means the API's
	// default of 100.
	MaxResults int
	NextToken  string
	// ReverseOrder returns the newest events first.
	ReverseOrder bool
}

// ListExecutions returns one page of the executions of a state machine,
// newest first, and the token of the next page, empty on the last page. A
// state machine that does not exist is ErrStateMachineNotFound.
func (c *Client) ListExecutions(ctx context.Context, stateMachineARN string, opts ListOptions) ([]ExecutionSummary, string, error) {
	in := &sdk.ListExecutionsInput{
		StateMachineArn: aws.String(stateMachineARN),
		MaxResults:      int32(opts.MaxResults),
	}
	if opts.Status != "" {
		in.StatusFilter = types.ExecutionStatus(opts.Status)
	}
	if opts.NextToken != "" {
		in.NextToken = aws.String(opts.NextToken)
	}
	out, err := c.api.ListExecutions(ctx, in)
	if err != nil {
		return nil, "", classify(err, "list executions of %s", stateMachineARN)
	}

	summaries := make([]ExecutionSummary, 0, len(out.Executions))
	for _, x := range out.Executions {
		summaries = append(summaries, ExecutionSummary{
			ARN:             aws.ToString(x.ExecutionArn),
			Name:            aws.ToString(x.Name),
			StateMachineARN: aws.ToString(x.StateMachineArn),
			Status:          string(x.Status),
			StartDate:       aws.ToTime(x.StartDate),
			StopDate:        aws.ToTime(x.StopDate),
			RedriveCount:    int(aws.ToInt32(x.RedriveCount)),
		})
	}
	return summaries, aws.ToString(out.NextToken), nil
}

// GetExecutionHistory returns one page of the history of an execution and
// the token of the next page, empty on the last page. An execution that
// does not exist is ErrExecutionNotFound.
func (c *Client) GetExecutionHistory(ctx context.Context, executionARN string, opts HistoryOptions) ([]HistoryEvent, string, error) {
	in := &sdk.GetExecutionHistoryInput{
		ExecutionArn:         aws.String(executionARN),
		IncludeExecutionData: aws.Bool(true),
		MaxResults:           int32(opts.MaxResults),
		ReverseOrder:         opts.ReverseOrder,
	}
	if opts.NextToken != "" {
		in.NextToken = aws.String(opts.NextToken)
	}
	out, err := c.api.GetExecutionHistory(ctx, in)
	if err != nil {
		return nil, "", classify(err, "get execution history of %s", executionARN)
	}

	events := make([]HistoryEvent, 0, len(out.Events))
	for _, ev := range out.Events {
		details, err := eventDetails(ev)
		if err != nil {
			return nil, "", fmt.Errorf("aws: step functions history of %s: event %d: %w", executionARN, ev.Id, err)
		}
		events = append(events, HistoryEvent{
			ID:              ev.Id,
			PreviousEventID: ev.PreviousEventId,
			Type:            string(ev.Type),
			Timestamp:       aws.ToTime(ev.Timestamp),
			Details:         details,
		})
	}
	return events, aws.ToString(out.NextToken), nil
}

// dataFields are the detail fields that the API sends as JSON text.
var dataFields = map[string]bool{"input": true, "output": true, "parameters": true}

// eventDetails returns the one details member that an event sets, such as
// TaskScheduledEventDetails, as JSON with the API's field names. The SDK
// has a member per event type, each without JSON tags, so they are found
// by name and renamed rather than listed one by one.
func eventDetails(ev types.HistoryEvent) (json.RawMessage, error) {
	v := reflect.ValueOf(ev)
	for i := range v.NumField() {
		field := v.Type().Field(i)
		value := v.Field(i)
		if !field.IsExported() || !strings.HasSuffix(field.Name, "EventDetails") || value.Kind() != reflect.Pointer || value.IsNil() {
			continue
		}
		data, err := json.Marshal(value.Interface())
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", field.Name, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil {
			return nil, fmt.Errorf("decode %s: %w", field.Name, err)
		}
		return json.Marshal(apiFieldNames(fields))
	}
	return nil, nil
}

// apiFieldNames lowers the first letter of every key, which turns the SDK's
// Go field names into the API's (ResourceType to resourceType), drops null
// members, and turns data fields that contain JSON text into JSON values.
func apiFieldNames(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for key, value := range fields {
		if value == nil || key == "" {
			continue
		}
		runes := []rune(key)
		runes[0] = unicode.ToLower(runes[0])
		name := string(runes)

		switch v := value.(type) {
		case map[string]any:
			value = apiFieldNames(v)
		case string:
			if dataFields[name] && json.Valid([]byte(v)) {
				value = json.RawMessage(v)
			}
		}
		out[name] = value
	}
	return out
}
