// Package sfn is the AWS Step Functions adapter: it starts, lists and
// describes executions, reads their history and completes the task tokens
// of callback tasks, on the AWS SDK v2 client.
package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// API is the part of the Step Functions API that Client calls. The SDK's
// *sfn.Client implements it.
type API interface {
	StartExecution(ctx context.Context, in *sdk.StartExecutionInput, optFns ...func(*sdk.Options)) (*sdk.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sdk.DescribeExecutionInput, optFns ...func(*sdk.Options)) (*sdk.DescribeExecutionOutput, error)
	ListExecutions(ctx context.Context, in *sdk.ListExecutionsInput, optFns ...func(*sdk.Options)) (*sdk.ListExecutionsOutput, error)
	GetExecutionHistory(ctx context.Context, in *sdk.GetExecutionHistoryInput, optFns ...func(*sdk.Options)) (*sdk.GetExecutionHistoryOutput, error)
	SendTaskSuccess(ctx context.Context, in *sdk.SendTaskSuccessInput, optFns ...func(*sdk.Options)) (*sdk.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sdk.SendTaskFailureInput, optFns ...func(*sdk.Options)) (*sdk.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sdk.SendTaskHeartbeatInput, optFns ...func(*sdk.Options)) (*sdk.SendTaskHeartbeatOutput, error)
}

var _ API = (*sdk.Client)(nil)

// Errors that callers branch on. Client wraps them with the API error, so
// errors.Is finds them and the message keeps the API's text.
var (
	// ErrExecutionAlreadyExists is a start with a name that a closed
	// execution has used, or that a running one uses with another input.
	ErrExecutionAlreadyExists = errors.New("execution already exists")
	// ErrExecutionNotFound is an execution ARN that Step Functions does not
	// know.
	ErrExecutionNotFound = errors.New("execution not found")
	// ErrStateMachineNotFound is a state machine ARN that Step Functions
	// does not know.
	ErrStateMachineNotFound = errors.New("state machine not found")
	// ErrTokenGone is a task token that is invalid, already completed, or
	// whose task has timed out. Sending it again can never succeed.
	ErrTokenGone = errors.New("task token invalid, completed or timed out")
)

// Limits of SendTaskFailure, in characters.
const (
	maxErrorName = 256
	maxCause     = 32768
)

// Client calls Step Functions. It is safe for concurrent use.
type Client struct {
	api API
}

// New returns a client that sends its calls through api.
func New(api API) *Client { return &Client{api: api} }

// Execution.Status values, taken from the SDK's ExecutionStatus enum.
const (
	// StatusRunning is the status of a running execution.
	StatusRunning = string(types.ExecutionStatusRunning)
	// StatusSucceeded is the status of an execution that succeeded.
	StatusSucceeded = string(types.ExecutionStatusSucceeded)
	// StatusPendingRedrive is the status of an execution whose redrive
	// was accepted and which runs again shortly.
	StatusPendingRedrive = string(types.ExecutionStatusPendingRedrive)
)

// Execution is what DescribeExecution returns about one execution.
type Execution struct {
	ARN             string
	Name            string
	StateMachineARN string
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or
	// PENDING_REDRIVE.
	Status    string
	StartDate time.Time
	// StopDate is zero while the execution runs.
	StopDate time.Time
	Input    json.RawMessage
	Output   json.RawMessage
	// Error and Cause are set for a failed execution.
	Error string
	Cause string
	// RedriveCount counts the redrives so far. RedriveStatus is REDRIVABLE,
	// NOT_REDRIVABLE or REDRIVABLE_BY_MAP_RUN.
	RedriveCount  int
	RedriveStatus string
}

// Started is the result of StartExecution.
type Started struct {
	ARN       string
	StartDate time.Time
}

// StartExecution starts an execution of the state machine named name.
// Starting the same name with the same input while that execution runs
// returns it again, because Standard workflows make the start idempotent. A
// closed execution of that name, or a running one with another input, is
// ErrExecutionAlreadyExists.
func (c *Client) StartExecution(ctx context.Context, stateMachineARN, name string, input json.RawMessage) (Started, error) {
	out, err := c.api.StartExecution(ctx, &sdk.StartExecutionInput{
		StateMachineArn: aws.String(stateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	if err != nil {
		return Started{}, classify(err, "start execution %q of %s", name, stateMachineARN)
	}
	return Started{ARN: aws.ToString(out.ExecutionArn), StartDate: aws.ToTime(out.StartDate)}, nil
}

// DescribeExecution returns the execution with the given ARN, or an error
// that wraps ErrExecutionNotFound.
func (c *Client) DescribeExecution(ctx context.Context, executionARN string) (Execution, error) {
	out, err := c.api.DescribeExecution(ctx, &sdk.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		return Execution{}, classify(err, "describe execution %s", executionARN)
	}
	return Execution{
		ARN:             aws.ToString(out.ExecutionArn),
		Name:            aws.ToString(out.Name),
		StateMachineARN: aws.ToString(out.StateMachineArn),
		Status:          string(out.Status),
		StartDate:       aws.ToTime(out.StartDate),
		StopDate:        aws.ToTime(out.StopDate),
		Input:           rawJSON(out.Input),
		Output:          rawJSON(out.Output),
		Error:           aws.ToString(out.Error),
		Cause:           aws.ToString(out.Cause),
		RedriveCount:    int(aws.ToInt32(out.RedriveCount)),
		RedriveStatus:   string(out.RedriveStatus),
	}, nil
}

// SendTaskSuccess completes the callback task of token with output. A token
// that can no longer be completed is ErrTokenGone.
func (c *Client) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	_, err := c.api.SendTaskSuccess(ctx, &sdk.SendTaskSuccessInput{
		TaskToken: aws.String(token),
		Output:    aws.String(string(output)),
	})
	return classify(err, "send task success")
}

// SendTaskFailure fails the callback task of token with an ASL error name
// and a cause, cut to the 256 and 32,768 characters that the API accepts.
// A token that can no longer be completed is ErrTokenGone.
func (c *Client) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	_, err := c.api.SendTaskFailure(ctx, &sdk.SendTaskFailureInput{
		TaskToken: aws.String(token),
		Error:     aws.String(truncate(errName, maxErrorName)),
		Cause:     aws.String(truncate(cause, maxCause)),
	})
	return classify(err, "send task failure %s", errName)
}

// SendTaskHeartbeat reports that the callback task of token is still being
// worked on. A token that can no longer be completed is ErrTokenGone.
func (c *Client) SendTaskHeartbeat(ctx context.Context, token string) error {
	_, err := c.api.SendTaskHeartbeat(ctx, &sdk.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	return classify(err, "send task heartbeat")
}

// truncate cuts s to at most limit characters.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit])
}

func rawJSON(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// classify wraps an SDK error with the operation, and with the package's
// sentinel where the API error has one. It returns nil for a nil err.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := "aws: step functions " + fmt.Sprintf(format, args...)

	var (
		exists       *types.ExecutionAlreadyExists
		missing      *types.ExecutionDoesNotExist
		noMachine    *types.StateMachineDoesNotExist
		taskMissing  *types.TaskDoesNotExist
		taskTimedOut *types.TaskTimedOut
		badToken     *types.InvalidToken
	)
	switch {
	case errors.As(err, &exists):
		return fmt.Errorf("%s: %w: %w", op, ErrExecutionAlreadyExists, err)
	case errors.As(err, &missing):
		return fmt.Errorf("%s: %w: %w", op, ErrExecutionNotFound, err)
	case errors.As(err, &noMachine):
		return fmt.Errorf("%s: %w: %w", op, ErrStateMachineNotFound, err)
	case errors.As(err, &taskMissing), errors.As(err, &taskTimedOut), errors.As(err, &badToken):
		return fmt.Errorf("%s: %w: %w", op, ErrTokenGone, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
