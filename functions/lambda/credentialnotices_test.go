package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// recordingInvoker keeps the Invoke calls and fails them with err.
type recordingInvoker struct {
	calls []*lambdasdk.InvokeInput
	err   error
}

func (r *recordingInvoker) Invoke(_ context.Context, in *lambdasdk.InvokeInput, _ ...func(*lambdasdk.Options)) (*lambdasdk.InvokeOutput, error) {
	r.calls = append(r.calls, in)
	return &lambdasdk.InvokeOutput{StatusCode: 202}, r.err
}

func expiringToken(notifyURL string) workflow.CredentialExpiry {
	expires := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	c := workflow.CredentialExpiry{
		Secret:    "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		Execution: "DATA-4711-r1",
		IssuedAt:  expires.Add(-12 * time.Hour),
		ExpiresAt: expires,
	}
	c.Request.ID = "DATA-4711"
	c.Request.Snowflake.Account = "myorg-analytics"
	if notifyURL != "" {
		c.Request.Notify = &request.Notify{URL: notifyURL}
	}
	return c
}

func TestCredentialNoticesInvokeNotifier(t *testing.T) {
	client := &recordingInvoker{}
	notices := credentialNotices{client: client, function: "rl-notifier"}
	c := expiringToken("https://hooks.example.com/repolink")

	sent, err := notices.NotifyCredentialExpiry(t.Context(), c)
	if err != nil || !sent {
		t.Fatalf("NotifyCredentialExpiry = %v, %v; want true", sent, err)
	}
	if len(client.calls) != 1 {
		t.Fatalf("%d Invoke calls, want 1", len(client.calls))
	}
	call := client.calls[0]
	if got := *call.FunctionName; got != "rl-notifier" {
		t.Errorf("FunctionName = %q, want rl-notifier", got)
	}
	if call.InvocationType != lambdatypes.InvocationTypeEvent {
		t.Errorf("InvocationType = %q, want Event", call.InvocationType)
	}
	var event notifier.CredentialEvent
	if err := json.Unmarshal(call.Payload, &event); err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	if event.DetailType != notifier.CredentialEventType {
		t.Errorf("detail-type = %q, want %q", event.DetailType, notifier.CredentialEventType)
	}
	if event.Detail.Key() != c.Key() || !event.Detail.ExpiresAt.Equal(c.ExpiresAt) {
		t.Errorf("detail = %+v, want the record of %s", event.Detail, c.Secret)
	}
}

func TestCredentialNoticesWithoutURL(t *testing.T) {
	client := &recordingInvoker{}
	notices := credentialNotices{client: client, function: "rl-notifier"}

	sent, err := notices.NotifyCredentialExpiry(t.Context(), expiringToken(""))
	if err != nil || sent {
		t.Errorf("NotifyCredentialExpiry = %v, %v; want false", sent, err)
	}
	if len(client.calls) != 0 {
		t.Errorf("%d Invoke calls, want none", len(client.calls))
	}
}

func TestCredentialNoticesInvokeFails(t *testing.T) {
	client := &recordingInvoker{err: errors.New("throttled")}
	notices := credentialNotices{client: client, function: "rl-notifier"}

	if _, err := notices.NotifyCredentialExpiry(t.Context(), expiringToken("https://hooks.example.com/repolink")); err == nil {
		t.Error("NotifyCredentialExpiry after a failed Invoke returned no error")
	}
}

func TestPollerNotifiesWithNotifierFunction(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	a, err := newApp(t.Context(), config{Handler: handlerPoller, Region: "us-west-2", NotifierFunction: "rl-notifier"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.newPoller(); p.Notices == nil {
		t.Error("poller with REPOLINK_NOTIFIER_FUNCTION has no Notices")
	}
	a, err = newApp(t.Context(), config{Handler: handlerPoller, Region: "us-west-2"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.newPoller(); p.Notices != nil {
		t.Error("poller without REPOLINK_NOTIFIER_FUNCTION has Notices")
	}
}
