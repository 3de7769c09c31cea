package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRequestWebhookReplay sends request A, then a changed request B of
// the same ticket, and then repeats each signed delivery byte for byte
// within the signature's validity, before and after a teardown. No repeat
// may start an execution, and each must name the execution that its first
// delivery started.
func TestRequestWebhookReplay(t *testing.T) {
	svc := newTestService(t)
	first := exampleRequest(t, nil)
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})
	firstHeaders := signed(first, testSecret, testNow)
	changedHeaders := signed(changed, testSecret, testNow.Add(time.Second))

	if code, _ := svc.post(t, "/v1/requests", first, firstHeaders); code != http.StatusAccepted {
		t.Fatalf("request A status = %d, want 202", code)
	}
	if code, _ := svc.post(t, "/v1/requests", changed, changedHeaders); code != http.StatusAccepted {
		t.Fatalf("request B status = %d, want 202", code)
	}

	replays := []struct {
		name      string
		body      []byte
		headers   map[string]string
		execution string
	}{
		{name: "older delivery after a newer one", body: first, headers: firstHeaders, execution: "DATA-4711"},
		{name: "retry of the latest delivery", body: changed, headers: changedHeaders, execution: "DATA-4711-r2"},
	}
	check := func(t *testing.T, body []byte, headers map[string]string, execution string, tornDown bool) {
		t.Helper()
		code, resp := svc.post(t, "/v1/requests", body, headers)
		if code != http.StatusOK {
			t.Errorf("status = %d, want 200", code)
		}
		want := Response{Execution: execution, Status: "RUNNING", Duplicate: true, Reason: ReplayReason(execution, ExecutionStatus{Status: "RUNNING"}, tornDown)}
		if diff := cmp.Diff(want, resp); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
		if !strings.Contains(resp.Reason, HeaderTimestamp) {
			t.Errorf("reason = %q, want it to name %s", resp.Reason, HeaderTimestamp)
		}
	}
	for _, replay := range replays {
		t.Run(replay.name, func(t *testing.T) { check(t, replay.body, replay.headers, replay.execution, false) })
	}

	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "SUCCEEDED")
	for _, replay := range replays {
		t.Run(replay.name+" after teardown", func(t *testing.T) { check(t, replay.body, replay.headers, replay.execution, true) })
	}

	if got := svc.execs.starts.Load(); got != 2 {
		t.Errorf("executions started = %d, want 2", got)
	}
}

// TestRequestWebhookReplayKey checks that the replay key covers the signed
// timestamp and body, and not the spelling of the signature header.
func TestRequestWebhookReplayKey(t *testing.T) {
	body := []byte(`{"id":"DATA-1"}`)
	key := replayKey("request", "1800000000", body)
	if got := replayKey("request", "1800000001", body); got == key {
		t.Error("another timestamp gives the same replay key")
	}
	if got := replayKey("request", "1800000000", []byte(`{"id":"DATA-2"}`)); got == key {
		t.Error("another body gives the same replay key")
	}
	if got := replayKey("jira", "1800000000", body); got == key {
		t.Error("another source gives the same replay key")
	}

	svc := newTestService(t)
	first := exampleRequest(t, nil)
	headers := signed(first, testSecret, testNow)
	if code, _ := svc.post(t, "/v1/requests", first, headers); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}
	headers[HeaderSignature] = "sha256=" + strings.ToUpper(strings.TrimPrefix(headers[HeaderSignature], "sha256="))
	code, resp := svc.post(t, "/v1/requests", first, headers)
	if code != http.StatusOK || !strings.Contains(resp.Reason, "accepted before") {
		t.Errorf("upper-case signature: status = %d, reason = %q, want 200 and a replay reason", code, resp.Reason)
	}
}

// TestStaleDeliveryReasonNamesLaterChecks checks that the advice to sign
// an older delivery again says that the new delivery still has to pass the
// checks of a changed placement, which would reject a re-signed request
// that changes its region.
func TestStaleDeliveryReasonNamesLaterChecks(t *testing.T) {
	for _, execution := range []string{"", "WH-1"} {
		stale := &StaleDeliveryError{Ticket: "WH-1", SignedAt: time.Unix(100, 0), LatestSignedAt: time.Unix(200, 0), Execution: execution}
		reason := StaleDeliveryReason(stale)
		for _, want := range []string{"sign it again with the current time in " + HeaderTimestamp,
			"such as its region, is rejected until the request is torn down"} {
			if !strings.Contains(reason, want) {
				t.Errorf("reason for execution %q lacks %q: %s", execution, want, reason)
			}
		}
	}
}
