package gcf

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/repolink/repolink/shared/webhook"
)

// otherTicket returns the example request under request ID id with its own
// repository name, index host and index password, so that it shares only
// its default level with the example, and then change applied when it is
// not nil.
func otherTicket(t *testing.T, id string, change func(repository map[string]any)) []byte {
	t.Helper()
	return exampleRequest(t, func(doc map[string]any) {
		doc["id"] = id
		repository := doc["repository"].(map[string]any)
		repository["name"] = "team_pypi"
		repository["index_url"] = "https://pypi2.corp.example.com/simple/"
		repository["auth"].(map[string]any)["password_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/team-index-password"
		if change != nil {
			change(repository)
		}
	})
}

func TestWebhookRejectsSharedDefaultLevel(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first ticket: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")

	status, out := postSigned(t, server, testWebhookKey, otherTicket(t, "DATA-4912", nil))
	if status != http.StatusConflict {
		t.Fatalf("same level: status = %d (%+v), want 409", status, out)
	}
	if out.BlockingExecution != "exec-1" || out.Execution != "" || out.Status != webhook.StatusRejected {
		t.Errorf("same level: response = %+v, want status %s naming exec-1 only under blocking_execution", out, webhook.StatusRejected)
	}
	for _, want := range []string{
		"request DATA-4912 sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on SCHEMA PLATFORM.PACKAGES in Snowflake account myorg-analytics-gcp " +
			"($.repository.default_for), as request DATA-4911 does in execution exec-1 (SUCCEEDED)",
		"Set $.repository.default_for to another level or to none",
	} {
		if !strings.Contains(out.Error, want) {
			t.Errorf("same level: error = %q, want it to contain %q", out.Error, want)
		}
	}
	if n := len(workflows.started()); n != 1 {
		t.Errorf("same level: %d executions started, want 1", n)
	}

	database := otherTicket(t, "DATA-4912", func(repository map[string]any) { repository["default_for"] = "database" })
	if status, out := postSigned(t, server, testWebhookKey, database); status != http.StatusAccepted {
		t.Errorf("other level: status = %d (%+v), want 202", status, out)
	}
}

// TestWebhookFailedStartDefaultLevel checks that a start that Google
// Workflows rejects leaves the default level free for the next delivery,
// and that a start that may have created an execution keeps it.
func TestWebhookFailedStartDefaultLevel(t *testing.T) {
	tests := []struct {
		name        string
		startStatus int
		wantNext    int
	}{
		{"quota exhausted", http.StatusTooManyRequests, http.StatusAccepted},
		{"permission denied", http.StatusForbidden, http.StatusAccepted},
		{"server error", http.StatusInternalServerError, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, workflows := newTestWebhook(t, nil)
			workflows.failStarts(tt.startStatus)
			if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status == http.StatusAccepted {
				t.Fatalf("failed start: status = %d (%+v), want an error", status, out)
			}
			workflows.failStarts(0)

			status, out := postSigned(t, server, testWebhookKey, otherTicket(t, "DATA-4912", nil))
			if status != tt.wantNext {
				t.Errorf("next request on the level: status = %d (%+v), want %d", status, out, tt.wantNext)
			}
		})
	}
}

// TestWebhookDefaultLevelMovedAway checks that a request takes a level
// once the latest run of the request that held it names another level.
func TestWebhookDefaultLevelMovedAway(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first ticket: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")
	moved := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["default_for"] = "database"
	})
	if status, out := postSigned(t, server, testWebhookKey, moved); status != http.StatusAccepted {
		t.Fatalf("moved level: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")

	if status, out := postSigned(t, server, testWebhookKey, otherTicket(t, "DATA-4912", nil)); status != http.StatusAccepted {
		t.Errorf("freed level: status = %d (%+v), want 202", status, out)
	}
}

// TestWebhookConcurrentDefaultLevel checks that of two tickets with one
// default level whose deliveries arrive at the same moment, one starts.
func TestWebhookConcurrentDefaultLevel(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	const rounds = 5
	for round := range rounds {
		// Each round uses a database of its own, so that earlier rounds'
		// claims do not decide it.
		first := exampleRequest(t, func(doc map[string]any) {
			doc["id"] = fmt.Sprintf("A-%d", round)
			doc["snowflake"].(map[string]any)["database"] = fmt.Sprintf("DB_%d", round)
		})
		second := exampleRequest(t, func(doc map[string]any) {
			doc["id"] = fmt.Sprintf("B-%d", round)
			doc["snowflake"].(map[string]any)["database"] = fmt.Sprintf("DB_%d", round)
			repository := doc["repository"].(map[string]any)
			repository["name"] = "team_pypi"
			repository["index_url"] = "https://pypi2.corp.example.com/simple/"
			repository["auth"].(map[string]any)["password_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/team-index-password"
		})

		before := len(workflows.started())
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, body := range [][]byte{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				statuses[i], _ = postSigned(t, server, testWebhookKey, body)
			}()
		}
		close(gate)
		wg.Wait()

		accepted, conflicts := 0, 0
		for _, status := range statuses {
			switch status {
			case http.StatusAccepted:
				accepted++
			case http.StatusConflict:
				conflicts++
			}
		}
		if accepted != 1 || conflicts != 1 {
			t.Errorf("round %d: statuses %v, want one 202 and one 409", round, statuses)
		}
		if got := len(workflows.started()) - before; got != 1 {
			t.Errorf("round %d: %d executions started, want 1", round, got)
		}
	}
}
