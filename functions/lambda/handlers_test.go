package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/functions/lambda/internal/exclusion"
	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
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

func TestNewAppEndpointReservations(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	withTable, err := newApp(context.Background(), config{Handler: "preflight", Region: "us-west-2", Table: "rl-waits"}, logger)
	if err != nil {
		t.Fatalf("newApp with a table: %v", err)
	}
	env := withTable.adapters.Env()
	reservations, ok := env.EndpointReservations.(*dynamo.Store)
	if !ok {
		t.Fatalf("EndpointReservations with a table is %T, want *dynamo.Store", env.EndpointReservations)
	}
	if waits, _ := env.Waits.(*dynamo.Store); reservations != waits {
		t.Error("EndpointReservations and Waits are different stores, want both on the one table")
	}

	withoutTable, err := newApp(context.Background(), config{Handler: "preflight", Region: "us-west-2"}, logger)
	if err != nil {
		t.Fatalf("newApp without a table: %v", err)
	}
	if got := withoutTable.adapters.Env().EndpointReservations; got != nil {
		t.Errorf("EndpointReservations without a table is %T, want nil", got)
	}
}

func TestNotifierReleasesInTable(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	a, err := newApp(context.Background(), config{Handler: handlerNotifier, Region: "us-west-2", Table: "rl-waits"}, logger)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	n := a.newNotifier()
	if n.Env == nil {
		t.Fatal("notifier has no Env, want the table's reservations")
	}
	if _, ok := n.Env.EndpointReservations.(*dynamo.Store); !ok {
		t.Errorf("notifier EndpointReservations is %T, want *dynamo.Store", n.Env.EndpointReservations)
	}
	if n.Executions == nil {
		t.Error("notifier has no Step Functions client, which the release reads the history with")
	}
	if _, ok := n.RunItems.(*dynamo.Store); !ok {
		t.Errorf("notifier RunItems is %T, want *dynamo.Store", n.RunItems)
	}
}

func TestCheckerTakesRunItemInTable(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)
	cfg := config{Handler: "proxy_vm", Region: "us-west-2", ProvisionMachine: "rl-provision", TeardownMachine: "rl-teardown"}

	withoutTable, err := newApp(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("newApp without a table: %v", err)
	}
	if got := withoutTable.checker().Holders; got != nil {
		t.Errorf("checker Holders without a table is %T, want nil for the list check", got)
	}

	cfg.Table = "rl-waits"
	withTable, err := newApp(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("newApp with a table: %v", err)
	}
	if _, ok := withTable.checker().Holders.(*dynamo.Store); !ok {
		t.Errorf("checker Holders with a table is %T, want *dynamo.Store", withTable.checker().Holders)
	}
}

func TestAppSharesOneStore(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)
	cfg := config{Handler: "proxy_vm", Region: "us-west-2", Table: "rl-waits", ProvisionMachine: "rl-provision"}

	a, err := newApp(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	store, ok := a.adapters.Env().Waits.(*dynamo.Store)
	if !ok {
		t.Fatalf("Waits is %T, want *dynamo.Store", a.adapters.Env().Waits)
	}
	if got := a.checker().Holders; got != exclusion.Holders(store) {
		t.Error("checker Holders is another store than the steps' waits, want the one store of the table")
	}
	if got := a.newNotifier().RunItems; got != notifier.RunItems(store) {
		t.Error("notifier RunItems is another store than the steps' waits, want the one store of the table")
	}
	w := a.newWebhook()
	if got := w.Deliveries; got != httpapi.Deliveries(store) {
		t.Error("webhook Deliveries is another store than the steps' waits, want the one store of the table")
	}
	if got := w.RunItems; got != httpapi.RunItems(store) {
		t.Error("webhook RunItems is another store than the steps' waits, want the one store of the table")
	}
	if got := w.Claims; got != httpapi.Claims(store) {
		t.Error("webhook Claims is another store than the steps' waits, want the one store of the table")
	}
}
