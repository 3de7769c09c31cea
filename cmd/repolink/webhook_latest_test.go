package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// TestWebhookRequestAfterOutsideRun sends requests A, B and A to POST
// /v1/requests, then starts B in the next run as repolink run does, outside
// the webhook. A signed again after that is not the request of the ticket's
// latest execution, so it must start the next run instead of being a
// duplicate of the delivery that ran it before.
func TestWebhookRequestAfterOutsideRun(t *testing.T) {
	s := newServedStore(t)
	mux, secret := newWebhookMux(t, s)
	first := exampleRequest(t, "LT-1")
	changed := first
	changed.Repository.Packages = []string{"requests==2.32.3"}

	start := time.Now()
	sent := 0
	post := func(req request.Request) (int, webhook.Response) {
		t.Helper()
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		signedAt := start.Add(time.Duration(sent) * time.Second)
		sent++
		return serveSigned(t, mux, secret, body, signedAt)
	}

	for _, step := range []struct {
		req  request.Request
		want string
	}{{first, "LT-1"}, {changed, "LT-1-r2"}, {first, "LT-1-r3"}} {
		if code, resp := post(step.req); code != http.StatusAccepted || resp.Execution != step.want {
			t.Fatalf("delivery = %d %+v, want 202 %s", code, resp, step.want)
		}
		s.stop(t, step.want)
	}
	s.start(t, provisionMachine, "LT-1-r4", changed)
	s.stop(t, "LT-1-r4")

	code, resp := post(first)
	if code != http.StatusAccepted {
		t.Errorf("first request after LT-1-r4: status %d, want 202; body %+v", code, resp)
	}
	if resp.Execution != "LT-1-r5" || resp.Duplicate {
		t.Errorf("first request after LT-1-r4: response %+v, want a new execution LT-1-r5", resp)
	}
	s.assertStatus(t, "LT-1-r5", "RUNNING")

	code, resp = post(first)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "LT-1-r5" {
		t.Errorf("redelivery after LT-1-r5 = %d %+v, want 200 duplicate of LT-1-r5", code, resp)
	}
	s.assertAbsent(t, "LT-1-r6")
}

// TestWebhookSameRequestAsOutsideRun starts the latest run of a ticket
// outside the webhook with the request that the webhook started before.
// A delivery of that request is a duplicate of the outside run, the
// ticket's latest execution, and starts nothing.
func TestWebhookSameRequestAsOutsideRun(t *testing.T) {
	s := newServedStore(t)
	first := exampleRequest(t, "LT-2")
	changed := first
	changed.Repository.Packages = []string{"requests==2.32.3"}
	postFirst := newWebhookPoster(t, s, first)

	if code, resp := postFirst(); code != http.StatusAccepted || resp.Execution != "LT-2" {
		t.Fatalf("first delivery = %d %+v, want 202 LT-2", code, resp)
	}
	s.stop(t, "LT-2")
	s.start(t, provisionMachine, "LT-2-r2", changed)
	s.stop(t, "LT-2-r2")
	s.start(t, provisionMachine, "LT-2-r3", first)
	s.stop(t, "LT-2-r3")

	code, resp := postFirst()
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "LT-2-r3" {
		t.Errorf("delivery after LT-2-r3 = %d %+v, want 200 duplicate of LT-2-r3", code, resp)
	}
	s.assertAbsent(t, "LT-2-r4")
}
