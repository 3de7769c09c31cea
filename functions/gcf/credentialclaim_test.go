package gcf

import (
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/webhook"
)

// credentialTicket returns the example request under request ID id with
// its own repository name, no default level, the index URL indexURL and
// the index password reference passwordRef.
func credentialTicket(t *testing.T, id, indexURL, passwordRef string) []byte {
	t.Helper()
	return exampleRequest(t, func(doc map[string]any) {
		doc["id"] = id
		repository := doc["repository"].(map[string]any)
		repository["name"] = strings.ToLower(strings.ReplaceAll(id, "-", "_"))
		repository["index_url"] = indexURL
		repository["default_for"] = "none"
		repository["auth"].(map[string]any)["password_ref"] = passwordRef
	})
}

// TestWebhookRejectsCredentialOnOtherHost checks that a ticket is rejected
// when its index password names the secret of another ticket's execution,
// in another version, and goes to another index host. The same secret with
// the same index host passes, and so does another host with a secret of
// its own.
func TestWebhookRejectsCredentialOnOtherHost(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first ticket: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")
	const secret = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index-password"

	borrowed := credentialTicket(t, "DATA-4912", "https://pypi.team.example.net/simple/", secret+"/versions/3")
	status, out := postSigned(t, server, testWebhookKey, borrowed)
	if status != http.StatusConflict {
		t.Fatalf("other host with the same secret: status = %d (%+v), want 409", status, out)
	}
	if out.BlockingExecution != "exec-1" || out.Status != webhook.StatusRejected {
		t.Errorf("other host with the same secret: response = %+v, want status %s naming exec-1", out, webhook.StatusRejected)
	}
	for _, want := range []string{
		"request DATA-4912 references in $.repository.auth.password_ref the secret that request DATA-4911 references in " +
			"$.repository.auth.password_ref in execution exec-1 (SUCCEEDED)",
		"This request would send it to pypi.team.example.net",
		"set $.repository.index_url to a URL on pypi.corp.example.com, the index host of request DATA-4911",
	} {
		if !strings.Contains(out.Error, want) {
			t.Errorf("other host with the same secret: error = %q, want it to contain %q", out.Error, want)
		}
	}
	if n := len(workflows.started()); n != 1 {
		t.Errorf("other host with the same secret: %d executions started, want 1", n)
	}

	sameHost := credentialTicket(t, "DATA-4913", "https://PYPI.corp.example.com/other/simple/", secret)
	if status, out := postSigned(t, server, testWebhookKey, sameHost); status != http.StatusAccepted {
		t.Errorf("same host with the same secret: status = %d (%+v), want 202", status, out)
	}
	ownSecret := credentialTicket(t, "DATA-4914", "https://pypi.own.example.net/simple/",
		"gcp-secretmanager:projects/corp-packages-prod/secrets/own-index-password")
	if status, out := postSigned(t, server, testWebhookKey, ownSecret); status != http.StatusAccepted {
		t.Errorf("other host with its own secret: status = %d (%+v), want 202", status, out)
	}
}
