package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestUpWarnsNonLoopbackNotifyOnce checks that repolink up --sandbox logs
// one warning for each execution that the webhook or the Step Functions
// API starts with a notify.url on a host that is not a loopback address,
// and none for a loopback receiver.
func TestUpWarnsNonLoopbackNotifyOnce(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")

	body, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": "https://hooks.example.com/repolink?token=abc"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Fatalf("webhook request = %d %+v, want 202 DATA-4711\nlogs:\n%s", code, resp, up.logs)
	}

	api := sandboxRequest(t, "API-1", "myorg-api1")
	api.Notify = &request.Notify{URL: "https://api-hooks.example.com:8443/repolink"}
	if code := startExecutionAPI(t, http.DefaultClient, up.url, "API-1", api); code != http.StatusOK {
		t.Fatalf("StartExecution status = %d, want 200\nlogs:\n%s", code, up.logs)
	}

	loopback := sandboxRequest(t, "API-2", "myorg-api2")
	loopback.Notify = &request.Notify{URL: "http://127.0.0.1:9/repolink"}
	if code := startExecutionAPI(t, http.DefaultClient, up.url, "API-2", loopback); code != http.StatusOK {
		t.Fatalf("StartExecution status = %d, want 200\nlogs:\n%s", code, up.logs)
	}

	for _, name := range []string{"DATA-4711", "API-1", "API-2"} {
		waitForStatus(t, up, name, "", "SUCCEEDED")
	}
	warnings := map[string][]string{}
	for _, line := range strings.Split(up.logs.String(), "\n") {
		var rec struct {
			Msg, Execution string
			NotifyHost     string `json:"notify_host"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "notification of execution will not be sent" {
			warnings[rec.Execution] = append(warnings[rec.Execution], rec.NotifyHost)
		}
	}
	if got := warnings["DATA-4711"]; len(got) != 1 || got[0] != "hooks.example.com" {
		t.Errorf("warnings for DATA-4711 = %q, want one for hooks.example.com\nlogs:\n%s", got, up.logs)
	}
	if got := warnings["API-1"]; len(got) != 1 || got[0] != "api-hooks.example.com:8443" {
		t.Errorf("warnings for API-1 = %q, want one for api-hooks.example.com:8443\nlogs:\n%s", got, up.logs)
	}
	if got := warnings["API-2"]; len(got) != 0 {
		t.Errorf("warnings for API-2 = %q, want none for a loopback receiver", got)
	}
	if strings.Contains(up.logs.String(), "token=abc") {
		t.Errorf("logs show the notify URL's query:\n%s", up.logs)
	}
}

// sandboxRequest returns the request of writeRequest, whose host the
// sandbox index serves, with the ID id and a Snowflake account of its own,
// so that it does not conflict with the other requests of a test.
func sandboxRequest(t *testing.T, id, account string) request.Request {
	t.Helper()
	req, err := readRequest(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	req.ID = id
	req.Snowflake.Account = account
	return req
}
