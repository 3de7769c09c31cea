package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/request"
)

// limitedStarts rejects every StartExecution as Step Functions does when
// the account runs its maximum number of executions, so nothing starts.
type limitedStarts struct {
	httpapi.Executions
}

func (limitedStarts) StartExecution(context.Context, string, string, json.RawMessage) (sfn.Started, error) {
	return sfn.Started{}, fmt.Errorf("aws: step functions start execution: %w", &smithy.GenericAPIError{
		Code: "ExecutionLimitExceeded", Message: "maximum number of running executions reached", Fault: smithy.FaultClient})
}

// TestWebhookReleasesClaimsOfRejectedStart checks that a delivery whose
// StartExecution Step Functions rejects holds none of its names
// afterwards, so that another request with the same names starts, and
// gets no conflict with an execution that never starts.
func TestWebhookReleasesClaimsOfRejectedStart(t *testing.T) {
	hook, states := newWebhook(t)
	store := hook.Claims.(*dynamo.Store)
	body := readExample(t)
	req, err := request.ParseJSON(body)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	started := hook.Executions
	hook.Executions = limitedStarts{Executions: started}

	resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode < 400 {
		t.Fatalf("status %d with the start rejected, want an error (body %s)", resp.StatusCode, resp.Body)
	}
	for _, c := range request.Claims(req) {
		read, err := store.ReadClaim(context.Background(), c.Key())
		if err != nil {
			t.Fatalf("read claim of %s: %v", c, err)
		}
		if read.Found {
			t.Errorf("claim of %s is held by %q for %s after the rejected start, want it released", c, read.Request, read.Execution)
		}
	}

	hook.Executions = started
	other := otherRequest(t, "DATA-4712")
	resp, err = hook.Handle(context.Background(), signedEvent(other, secret, now))
	if err != nil {
		t.Fatalf("Handle of the other request: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("other request: status %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if got := states.startCount(); got != 1 {
		t.Errorf("%d executions started, want 1", got)
	}
}

// unmarkedClaims is a claim store whose MarkClaimStarted fails, so that
// the claims of an execution that started stay unmarked.
type unmarkedClaims struct {
	*dynamo.Store
}

func (unmarkedClaims) MarkClaimStarted(context.Context, string, string, string) (bool, error) {
	return false, errors.New("aws: dynamodb update item: request timed out")
}

// TestWebhookKeepsUnmarkedClaimOfRun checks that a claim whose execution
// started but was not marked started stays with that execution when a
// changed request of the same ID starts a new run. Step Functions rejects
// that start here, and still no other request can take the names while
// the first run's resources exist.
func TestWebhookKeepsUnmarkedClaimOfRun(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	req, err := request.ParseJSON(body)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	f.hook.Claims = unmarkedClaims{Store: f.store}
	f.provisioned(t, body)
	f.hook.Claims = f.store

	started := f.hook.Executions
	f.hook.Executions = limitedStarts{Executions: started}
	changed := otherRequest(t, "DATA-4711", `"requests"`, `"numpy"`)
	got := f.deliver(t, "changed request", changed, http.StatusInternalServerError)
	if got.Execution != "" {
		t.Errorf("changed request: execution %q, want none started", got.Execution)
	}
	f.hook.Executions = started

	for _, c := range request.Claims(req) {
		read, err := f.store.ReadClaim(context.Background(), c.Key())
		if err != nil {
			t.Fatalf("read claim of %s: %v", c, err)
		}
		if !read.Found {
			t.Errorf("claim of %s was released, want it held by DATA-4711", c)
			continue
		}
		if read.Request != "DATA-4711" || read.Execution != "DATA-4711" {
			t.Errorf("claim of %s is held by %q for %s, want DATA-4711 for DATA-4711", c, read.Request, read.Execution)
		}
		if !read.Started {
			t.Errorf("claim of %s is not marked started, want it marked once DATA-4711 was found", c)
		}
	}

	got = f.deliver(t, "other request", otherRequest(t, "DATA-4712"), http.StatusConflict)
	checkContains(t, "other request", got.Error, "as request DATA-4711 does in execution DATA-4711 (SUCCEEDED)")
	f.checkNotStarted(t, "DATA-4712")
}
