package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// storedToken returns the expiry record of a stored Artifact Registry
// access token in a request whose notify.url is notifyURL.
func storedToken(notifyURL string) workflow.CredentialExpiry {
	req := request.Request{ID: "DATA-4711"}
	req.Snowflake.Account = "ORG-ACCT"
	req.Repository.IndexURL = "https://us-python.pkg.dev/corp/pypi/simple/"
	req.Repository.Auth = request.Auth{Type: "password", Username: "oauth2accesstoken", PasswordRef: "env:AR_TOKEN"}
	if notifyURL != "" {
		req.Notify = &request.Notify{URL: notifyURL}
	}
	return workflow.CredentialExpiry{Secret: "PLATFORM.PACKAGES.CORP_PYPI_SECRET", Execution: "DATA-4711", Request: req,
		IssuedAt: startTime, ExpiresAt: startTime.Add(time.Hour)}
}

func TestNotifyCredentialExpiryOnce(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	c := storedToken(hookURL + "/hook")

	for range 2 {
		sent, err := h.notifier.NotifyCredentialExpiry(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		if !sent {
			t.Error("NotifyCredentialExpiry = false for a request with notify.url")
		}
		h.tick(t)
	}
	if got := recv.count(); got != 1 {
		t.Errorf("receiver got %d notifications, want 1", got)
	}
	if rec := h.record(t, CredentialRecordKey(c), 0); rec.State != StateDelivered {
		t.Errorf("record state = %s, want delivered", rec.State)
	}
}

func TestNotifyCredentialNewExpiryAgain(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	c := storedToken(hookURL + "/hook")

	for range 2 {
		if _, err := h.notifier.NotifyCredentialExpiry(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		h.tick(t)
		// A later run stores a new token with a later expiry.
		c.IssuedAt, c.ExpiresAt = c.IssuedAt.Add(2*time.Hour), c.ExpiresAt.Add(2*time.Hour)
	}
	if got := recv.count(); got != 2 {
		t.Errorf("receiver got %d notifications for two expiries, want 2", got)
	}
}

func TestNotifyCredentialWithoutURL(t *testing.T) {
	h := newHarness(t, true, nil)
	c := storedToken("")
	sent, err := h.notifier.NotifyCredentialExpiry(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if sent {
		t.Error("NotifyCredentialExpiry = true for a request without notify.url")
	}
	if _, err := h.store.Get(t.Context(), CredentialRecordKey(c), 0); err == nil {
		t.Error("a notification was stored for a request without notify.url")
	}
}

func TestNotifyCredentialSkipsURL(t *testing.T) {
	h := newHarness(t, true, nil)
	c := storedToken("https://hooks.example.com/repolink")
	if _, err := h.notifier.NotifyCredentialExpiry(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if rec := h.record(t, CredentialRecordKey(c), 0); rec.State != StateSkipped {
		t.Errorf("record state = %s in sandbox mode, want skipped", rec.State)
	}
}

func TestCredentialNoticeArtifactRegistry(t *testing.T) {
	c := storedToken("https://hooks.example.com/repolink?key=receiver-key")
	note := BuildCredentialNotice(c, " --sandbox")
	body, err := json.Marshal(note)
	if err != nil {
		t.Fatal(err)
	}

	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"event":             EventCredentialExpiresSoon,
		"execution":         "DATA-4711",
		"request_id":        "DATA-4711",
		"snowflake_account": "ORG-ACCT",
		"secret":            "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"expires_at":        "2026-06-01T13:00:00.000Z",
	} {
		if fields[name] != want {
			t.Errorf("%s = %v, want %q", name, fields[name], want)
		}
	}
	if !strings.Contains(note.Next, "_json_key_base64") {
		t.Errorf("next does not name the service-account key: %q", note.Next)
	}
	if strings.Contains(note.Next, "auth.type to codeartifact") {
		t.Errorf("next offers auth type codeartifact for Artifact Registry: %q", note.Next)
	}
	if !strings.Contains(note.Next, "repolink run --sandbox REQUEST") {
		t.Errorf("next lacks the command flags: %q", note.Next)
	}
	if strings.Contains(string(body), "receiver-key") || strings.Contains(string(body), "env:AR_TOKEN") {
		t.Errorf("body carries the notify.url or the credential reference: %s", body)
	}
}
