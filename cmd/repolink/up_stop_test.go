package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestUpLogsStoppedLast stops repolink up while it runs a proxy VM. The
// log must announce the sandbox stop with the number of VMs, show the
// Snowflake sessions and each VM stop, and end with "repolink up stopped".
func TestUpLogsStoppedLast(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")
	body, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("request = %d %+v\nlogs:\n%s", code, resp, up.logs)
	}
	waitForStatus(t, up, "DATA-4711", "", "SUCCEEDED")
	if code := up.stop(); code != exitOK {
		t.Fatalf("up exit %d\nlogs:\n%s", code, up.logs)
	}

	var messages []string
	stoppingVMs := -1
	for _, line := range strings.Split(strings.TrimSpace(up.logs.String()), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			ProxyVMs *int   `json:"proxy_vms"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		messages = append(messages, rec.Msg)
		if rec.Msg == "closing Snowflake sessions and stores, then stopping the sandbox" && rec.ProxyVMs != nil {
			stoppingVMs = *rec.ProxyVMs
		}
	}
	if len(messages) == 0 || messages[len(messages)-1] != "repolink up stopped" {
		t.Fatalf("last log message is not \"repolink up stopped\":\n%s", up.logs)
	}
	if stoppingVMs < 1 {
		t.Errorf("no shutdown announcement with at least one proxy VM:\n%s", up.logs)
	}
	announced := false
	vmStops := 0
	sessionsClosed := false
	for _, msg := range messages {
		switch msg {
		case "Snowflake sessions closed":
			sessionsClosed = true
		case "closing Snowflake sessions and stores, then stopping the sandbox":
			announced = true
		case "proxy VM stopped":
			vmStops++
			if !announced {
				t.Errorf("a proxy VM stopped before the shutdown announcement:\n%s", up.logs)
			}
		}
	}
	if !sessionsClosed {
		t.Errorf("no \"Snowflake sessions closed\" record:\n%s", up.logs)
	}
	if vmStops < 1 {
		t.Errorf("no proxy VM stop logged:\n%s", up.logs)
	}
}
