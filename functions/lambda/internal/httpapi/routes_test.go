package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
)

func TestWebhookRejectsUnservedRoute(t *testing.T) {
	tests := []struct {
		name        string
		example     string
		edit        func(doc map[string]any)
		wantPath    string
		wantMessage string
	}{
		{
			name:        "azure-privatelink",
			example:     "azure-privatelink.json",
			wantPath:    "$.route",
			wantMessage: "the Lambda deployment has no Azure adapter; run azure-privatelink requests with the repolink command",
		},
		{
			name:        "gcp-privatelink",
			example:     "gcp-privatelink.json",
			wantPath:    "$.route",
			wantMessage: "the Lambda deployment has no Google Cloud adapter; run gcp-privatelink requests with the repolink command",
		},
		{
			name:    "egress-ip on azure",
			example: "egress-ip.json",
			edit: func(doc map[string]any) {
				doc["egress"] = map[string]any{"cloud": "azure", "port": 443,
					"network_security_group_id": "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-packages/providers/Microsoft.Network/networkSecurityGroups/nsg-index"}
			},
			wantPath:    "$.egress.cloud",
			wantMessage: "the Lambda deployment has no firewall adapter for azure",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile("../../../../examples/" + tt.example)
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				var doc map[string]any
				if err := json.Unmarshal(data, &doc); err != nil {
					t.Fatal(err)
				}
				tt.edit(doc)
				if data, err = json.Marshal(doc); err != nil {
					t.Fatal(err)
				}
			}
			// unusedDeliveries and unusedExecutions fail the test on any
			// call, so the rejection comes before the execution starts.
			hook := &httpapi.Webhook{
				Secret:          func(context.Context) ([]byte, error) { return secret, nil },
				Deliveries:      unusedDeliveries{t},
				Executions:      unusedExecutions{t},
				StateMachineARN: machineARN,
				Now:             func() time.Time { return now },
			}
			resp, err := hook.Handle(context.Background(), signedEvent(data, secret, now))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, http.StatusBadRequest, resp.Body)
			}
			fields := decodeResponse(t, resp).Errors
			if len(fields) == 0 {
				t.Fatalf("field errors = none, want one for %s", tt.wantPath)
			}
			if fields[0].Path != tt.wantPath {
				t.Errorf("field = %s, want %s", fields[0].Path, tt.wantPath)
			}
			if !strings.Contains(fields[0].Message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", fields[0].Message, tt.wantMessage)
			}
		})
	}
}
