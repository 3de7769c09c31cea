package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestErrorResponse(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want messages.InvokeResponse_Error
	}{
		{
			name: "not ready",
			err:  workflow.NotReady("load balancer provisioning"),
			want: messages.InvokeResponse_Error{Type: "NotReady", Message: "load balancer provisioning"},
		},
		{
			// aws-lambda-go would report the wrapper's Go type name,
			// wrapError, and Catch on Rejected would never match.
			name: "wrapped named error",
			err:  fmt.Errorf("accept connection: %w", workflow.Errorf(workflow.ErrRejected, "connection rejected")),
			want: messages.InvokeResponse_Error{Type: "Rejected", Message: "accept connection: connection rejected"},
		},
		{
			name: "validation error",
			err:  &request.ValidationError{Fields: []request.FieldError{{Path: "$.id", Message: "missing"}}},
			want: messages.InvokeResponse_Error{Type: "InvalidRequest", Message: "invalid request: 1 field error(s)\n  $.id: missing"},
		},
		{
			name: "unnamed error",
			err:  errors.New("unexpected EOF"),
			want: messages.InvokeResponse_Error{Type: ErrorTypeUnnamed, Message: "unexpected EOF"},
		},
		{
			name: "runtime error passes through",
			err:  messages.InvokeResponse_Error{Type: "InvalidConfiguration", Message: "REPOLINK_HANDLER is not set"},
			want: messages.InvokeResponse_Error{Type: "InvalidConfiguration", Message: "REPOLINK_HANDLER is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ErrorResponse(tt.err)); diff != "" {
				t.Errorf("ErrorResponse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorTypeNotStatesPrefix(t *testing.T) {
	// Step Functions rejects error names that start with "States.".
	if strings.HasPrefix(ErrorTypeUnnamed, "States.") {
		t.Errorf("ErrorTypeUnnamed = %q starts with States.", ErrorTypeUnnamed)
	}
}

func TestFunctionInvoke(t *testing.T) {
	tests := []struct {
		name    string
		handler Handler
		want    string
		wantErr *messages.InvokeResponse_Error
	}{
		{
			name: "output",
			handler: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				return json.RawMessage(`{"action":"created","id":"i-0abc"}`), nil
			},
			want: `{"action":"created","id":"i-0abc"}`,
		},
		{
			name:    "nil output",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil },
			want:    "null",
		},
		{
			name: "named error",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
				return nil, workflow.NotReady("instance i-0abc is pending")
			},
			wantErr: &messages.InvokeResponse_Error{Type: "NotReady", Message: "instance i-0abc is pending"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := Function{Name: "proxy_vm", Handler: tt.handler}
			got, err := fn.Invoke(context.Background(), []byte(`{}`))
			if tt.wantErr != nil {
				// aws-lambda-go sends the error as it is only when it is
				// a messages.InvokeResponse_Error value.
				response, ok := err.(messages.InvokeResponse_Error)
				if !ok {
					t.Fatalf("Invoke error is %T, want messages.InvokeResponse_Error", err)
				}
				if diff := cmp.Diff(*tt.wantErr, response); diff != "" {
					t.Errorf("Invoke error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Invoke output = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLogHandlerAddsIDs(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(NewLogHandler(slog.NewJSONHandler(&out, nil)))
	fn := Function{
		Name:   "await_endpoint",
		Logger: logger,
		Handler: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			logger.InfoContext(ctx, "registering wait")
			return nil, workflow.Errorf(workflow.ErrThrottled, "slow down")
		},
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	_, _ = fn.Invoke(ctx, []byte(`{"request":{"id":"DATA-4711"},"execution":"DATA-4711-r2"}`))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), out.String())
	}
	for _, line := range lines {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		for key, want := range map[string]string{"lambda_request_id": "req-1", "request_id": "DATA-4711", "execution": "DATA-4711-r2"} {
			if record[key] != want {
				t.Errorf("log line %q: %s = %v, want %q", line, key, record[key], want)
			}
		}
	}

	var failure map[string]any
	_ = json.Unmarshal([]byte(lines[1]), &failure)
	if failure["level"] != "ERROR" || failure["error_type"] != "Throttled" {
		t.Errorf("failure log line = %s, want level ERROR and error_type Throttled", lines[1])
	}
}

func TestNotReadyLogsAtInfo(t *testing.T) {
	var out bytes.Buffer
	fn := Function{
		Name:   "load_balancer",
		Logger: slog.New(slog.NewJSONHandler(&out, nil)),
		Handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, workflow.NotReady("provisioning")
		},
	}
	_, _ = fn.Invoke(context.Background(), []byte(`{}`))
	if !strings.Contains(out.String(), `"level":"INFO"`) {
		t.Errorf("NotReady logged as %s, want level INFO because the state machine retries it", out.String())
	}
}
