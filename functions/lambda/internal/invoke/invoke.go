// Package invoke adapts repolink handlers to the Lambda runtime loop of
// aws-lambda-go, and reports their errors under the ASL error name that the
// state machine's Retry and Catch match on.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/repolink/repolink/shared/workflow"
)

// Handler runs one invocation on a JSON payload and returns its JSON result.
type Handler func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// ErrorTypeUnnamed is the error type of an error that carries no ASL name.
// Step Functions rejects error names that start with "States.", so a
// Lambda cannot report States.TaskFailed as the embedded engine does. Both
// names are matched by States.TaskFailed and States.ALL, and by no other
// ErrorEquals in repolink's state machines.
const ErrorTypeUnnamed = "Error"

// Function is one Lambda function: a named handler with its logger. It
// implements lambda.Handler.
type Function struct {
	// Name is the handler name from REPOLINK_HANDLER, such as "proxy_vm".
	Name    string
	Handler Handler
	Logger  *slog.Logger
}

var _ lambda.Handler = Function{}

// Invoke runs the handler. A failure is returned as a
// messages.InvokeResponse_Error value, which aws-lambda-go sends unchanged,
// so the error type is the ASL name and not a Go type name.
func (f Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ctx = WithIDs(ctx, idsOf(payload))
	log := f.logger()

	output, err := f.Handler(ctx, payload)
	if err != nil {
		response := ErrorResponse(err)
		level := slog.LevelError
		if response.Type == workflow.ErrNotReady {
			// The state machine retries NotReady, because that is how a
			// step waits.
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "handler failed", "handler", f.Name, "error_type", response.Type, "error", response.Message)
		return nil, response
	}
	if output == nil {
		output = json.RawMessage("null")
	}
	return output, nil
}

func (f Function) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ErrorResponse returns the runtime error for err: the ASL name from its
// ErrorName method as the type, or ErrorTypeUnnamed, and err's message.
func ErrorResponse(err error) messages.InvokeResponse_Error {
	var response messages.InvokeResponse_Error
	if errors.As(err, &response) {
		return response
	}
	name := workflow.NameOf(err)
	if name == "" {
		name = ErrorTypeUnnamed
	}
	return messages.InvokeResponse_Error{Type: name, Message: err.Error()}
}

// idsOf reads the request ID and the execution name from a task input. The
// state machine passes the execution name only to callback tasks, and
// payloads of other events have neither.
func idsOf(payload []byte) IDs {
	var doc struct {
		Request struct {
			ID string `json:"id"`
		} `json:"request"`
		Execution string `json:"execution"`
	}
	if json.Unmarshal(payload, &doc) != nil {
		return IDs{}
	}
	return IDs{Request: doc.Request.ID, Execution: doc.Execution}
}
