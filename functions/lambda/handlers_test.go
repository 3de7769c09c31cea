package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

func TestTasksMarkSpentTokens(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		wantGone bool
	}{
		{"timed out", "TaskTimedOut", true},
		{"unknown", "TaskDoesNotExist", true},
		{"malformed", "InvalidToken", true},
		{"throttled", "ThrottlingException", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"__type":"`+tt.code+`","message":"from the test server"}`)
			}))
			t.Cleanup(server.Close)
			client := sfn.New(sfnsdk.New(sfnsdk.Options{
				Region:           "us-west-2",
				BaseEndpoint:     aws.String(server.URL),
				Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
				RetryMaxAttempts: 1,
			}))
			var tasks poller.Tasks = tasks{client}

			errs := map[string]error{
				"SendTaskSuccess": tasks.SendTaskSuccess(context.Background(), "token", json.RawMessage(`{}`)),
				"SendTaskFailure": tasks.SendTaskFailure(context.Background(), "token", "Timeout", "deadline passed"),
			}
			for call, err := range errs {
				if err == nil {
					t.Fatalf("%s: nil error, want one", call)
				}
				// The poller drops a wait only for a spent token; any
				// other failure keeps it for the next poll.
				if got := errors.Is(err, poller.ErrTokenGone); got != tt.wantGone {
					t.Errorf("%s: errors.Is(%v, poller.ErrTokenGone) = %v, want %v", call, err, got, tt.wantGone)
				}
			}
		})
	}
}
