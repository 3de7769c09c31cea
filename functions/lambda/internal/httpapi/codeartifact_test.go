package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/workflow"
)

// codeArtifactRequest returns the example request with a CodeArtifact
// index in the domain corp of account 111122223333 and auth type
// codeartifact.
func codeArtifactRequest(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readExample(t), &doc); err != nil {
		t.Fatal(err)
	}
	repo := doc["repository"].(map[string]any)
	repo["index_url"] = "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"
	repo["auth"] = map[string]any{"type": "codeartifact"}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestWebhookRejectsUnlistedCodeArtifactDomain(t *testing.T) {
	const fix = "add its ARN to the stack's codeArtifactDomainArns"
	for _, list := range []string{"", "arn:aws:codeartifact:eu-west-1:111122223333:domain/other"} {
		t.Run("list="+list, func(t *testing.T) {
			domains, err := workflow.ParseCodeArtifactDomains(list, fix)
			if err != nil {
				t.Fatal(err)
			}
			hook := &httpapi.Webhook{
				Secret:              func(context.Context) ([]byte, error) { return secret, nil },
				CodeArtifactDomains: domains,
				Deliveries:          unusedDeliveries{t},
				Executions:          unusedExecutions{t},
				StateMachineARN:     machineARN,
				Now:                 func() time.Time { return now },
			}
			resp, err := hook.Handle(context.Background(), signedEvent(codeArtifactRequest(t), secret, now))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, http.StatusBadRequest, resp.Body)
			}
			got := decodeResponse(t, resp).Errors
			if len(got) != 1 {
				t.Fatalf("field errors = %+v, want one", got)
			}
			if got[0].Path != "$.repository.index_url" {
				t.Errorf("field = %s, want $.repository.index_url", got[0].Path)
			}
			if want := "arn:aws:codeartifact:eu-west-1:111122223333:domain/corp"; !strings.Contains(got[0].Message, want) {
				t.Errorf("message %q does not name the domain %s", got[0].Message, want)
			}
			if !strings.Contains(got[0].Message, fix) {
				t.Errorf("message %q does not say how to allow the domain", got[0].Message)
			}
		})
	}
}

func TestWebhookStartsListedCodeArtifactDomain(t *testing.T) {
	hook, states := newWebhook(t)
	domains, err := workflow.ParseCodeArtifactDomains("arn:aws:codeartifact:eu-west-1:111122223333:domain/corp", "")
	if err != nil {
		t.Fatal(err)
	}
	hook.CodeArtifactDomains = domains
	resp, err := hook.Handle(context.Background(), signedEvent(codeArtifactRequest(t), secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want a started run (body %s)", resp.StatusCode, resp.Body)
	}
	if got := states.startCount(); got != 1 {
		t.Errorf("executions started = %d, want 1", got)
	}
}
