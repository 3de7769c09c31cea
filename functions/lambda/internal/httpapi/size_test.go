package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/webhook"
)

func TestWebhookTooLargeLogsTicket(t *testing.T) {
	var logs bytes.Buffer
	hook := &httpapi.Webhook{
		Secret:          func(context.Context) ([]byte, error) { return secret, nil },
		Deliveries:      unusedDeliveries{t},
		Executions:      unusedExecutions{t},
		StateMachineARN: machineARN,
		Now:             func() time.Time { return now },
		Logger:          slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	body := []byte(`{"id":"DATA-4711","note":"` + strings.Repeat("x", webhook.MaxRequestBody) + `"}`)

	resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}

	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413 (body %s)", resp.StatusCode, resp.Body)
	}
	var record map[string]any
	if err := json.Unmarshal(logs.Bytes(), &record); err != nil {
		t.Fatalf("log %q is not one JSON record: %v", logs.String(), err)
	}
	if record["source"] != "request" {
		t.Errorf("logged source = %v, want request", record["source"])
	}
	if record["ticket"] != "DATA-4711" {
		t.Errorf("logged ticket = %v, want DATA-4711", record["ticket"])
	}
	if record["body_bytes"] != float64(len(body)) {
		t.Errorf("logged body_bytes = %v, want %d", record["body_bytes"], len(body))
	}
}
