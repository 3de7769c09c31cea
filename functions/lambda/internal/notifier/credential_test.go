package notifier_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// noticeReceiver is a TLS notify.url that responds to each POST with the next
// of its statuses, then 204, and keeps the bodies whose signature is valid.
type noticeReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	errs     []error
}

func newNoticeReceiver(t *testing.T, statuses ...int) *noticeReceiver {
	t.Helper()
	r := &noticeReceiver{statuses: statuses}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.VerifyTimestamped(secret, req.Header, body, now); err != nil {
			r.errs = append(r.errs, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.bodies = append(r.bodies, body)
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// credentialEvent returns the poller's event for a stored token in the
// SECRET of baseRequest that expires at 20:00.
func credentialEvent(t *testing.T, notifyURL string) (json.RawMessage, workflow.CredentialExpiry) {
	t.Helper()
	req := baseRequest(t, notifyURL)
	req.Repository.IndexURL = "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"
	req.Repository.Auth = request.Auth{Type: "password", Username: "aws", PasswordRef: "env:CODEARTIFACT_TOKEN"}
	c := workflow.CredentialExpiry{
		Secret:    "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		Execution: "DATA-4711-r1",
		Request:   req,
		IssuedAt:  now.Add(-4 * time.Hour),
		ExpiresAt: now.Add(8 * time.Hour),
	}
	event, err := json.Marshal(notifier.CredentialEvent{DetailType: notifier.CredentialEventType, Detail: c})
	if err != nil {
		t.Fatal(err)
	}
	return event, c
}

func newClaims(t *testing.T) *dynamo.CredentialStore {
	t.Helper()
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	return dynamo.New(server.Client(), "repolink-test").Credentials()
}

func newCredentialNotifier(t *testing.T, recv *noticeReceiver) *notifier.Notifier {
	t.Helper()
	return &notifier.Notifier{
		Secret:  func(context.Context) ([]byte, error) { return secret, nil },
		Client:  recv.Client(),
		Notices: newClaims(t),
		Now:     func() time.Time { return now },
	}
}

func TestCredentialNoticeSentOnce(t *testing.T) {
	recv := newNoticeReceiver(t)
	n := newCredentialNotifier(t, recv)
	event, c := credentialEvent(t, recv.URL+"/hook")

	for i := range 2 {
		if _, err := n.Handle(t.Context(), event); err != nil {
			t.Fatalf("Handle %d: %v", i+1, err)
		}
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.errs) != 0 {
		t.Fatalf("receiver rejected signatures: %v", recv.errs)
	}
	if len(recv.bodies) != 1 {
		t.Fatalf("receiver got %d notifications, want 1", len(recv.bodies))
	}
	var got payload.CredentialNotice
	if err := json.Unmarshal(recv.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != payload.EventCredentialExpiresSoon {
		t.Errorf("event = %q, want %q", got.Event, payload.EventCredentialExpiresSoon)
	}
	if got.Secret != c.Secret {
		t.Errorf("secret = %q, want %q", got.Secret, c.Secret)
	}
	if !got.ExpiresAt.Equal(c.ExpiresAt) {
		t.Errorf("expires_at = %s, want %s", got.ExpiresAt, c.ExpiresAt)
	}
	if want := payload.CredentialNextAction(c.Request, ""); got.Next != want {
		t.Errorf("next = %q, want %q", got.Next, want)
	}
}

func TestCredentialNoticeRetriedAfterFailure(t *testing.T) {
	recv := newNoticeReceiver(t, http.StatusServiceUnavailable)
	n := newCredentialNotifier(t, recv)
	event, _ := credentialEvent(t, recv.URL+"/hook")

	_, err := n.Handle(t.Context(), event)
	if workflow.NameOf(err) != workflow.ErrTransient {
		t.Fatalf("Handle after HTTP 503: error = %v, want %s", err, workflow.ErrTransient)
	}
	if _, err := n.Handle(t.Context(), event); err != nil {
		t.Fatalf("Handle on retry: %v", err)
	}
	if _, err := n.Handle(t.Context(), event); err != nil {
		t.Fatalf("Handle after delivery: %v", err)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.bodies) != 2 {
		t.Errorf("receiver got %d posts, want 2: the failed one and its retry", len(recv.bodies))
	}
}

func TestCredentialNoticeWithoutURL(t *testing.T) {
	recv := newNoticeReceiver(t)
	n := newCredentialNotifier(t, recv)
	event, _ := credentialEvent(t, "")

	out, err := n.Handle(t.Context(), event)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var result notifier.Result
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatal(err)
	}
	if result.Skipped == "" {
		t.Errorf("result = %+v, want skipped", result)
	}
}
