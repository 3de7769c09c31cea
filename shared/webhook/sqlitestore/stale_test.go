package sqlitestore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// closingExecutions starts the runs of a request ID under ID, ID-r2, ...,
// as the service does, and keeps each one running until close is called.
// A request of an ID whose run still runs another request gets a
// *webhook.RunningError.
type closingExecutions struct {
	mu      sync.Mutex
	runs    map[string]int    // request ID to its number of runs
	running map[string]string // request ID to the JSON of its running request
	started []string
}

func (c *closingExecutions) name(id string) string {
	return request.RunName(request.ExecutionName(id), c.runs[id])
}

func (c *closingExecutions) Start(_ context.Context, req request.Request) (string, error) {
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if running, ok := c.running[req.ID]; ok {
		if running != string(canonical) {
			return "", &webhook.RunningError{Ticket: req.ID, Execution: c.name(req.ID)}
		}
		return c.name(req.ID), nil
	}
	c.runs[req.ID]++
	c.running[req.ID] = string(canonical)
	c.started = append(c.started, c.name(req.ID))
	return c.name(req.ID), nil
}

func (c *closingExecutions) close(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.running, id)
}

func (c *closingExecutions) Status(context.Context, string) (webhook.ExecutionStatus, error) {
	return webhook.ExecutionStatus{Status: "RUNNING"}, nil
}

func (c *closingExecutions) Teardown(context.Context, string, string) (string, string, error) {
	return "", "", nil
}

// Latest returns the ID's latest execution. The fake keeps only the
// request of a running execution, so it reports a closed one as one of
// another request.
func (c *closingExecutions) Latest(_ context.Context, req request.Request) (string, bool, error) {
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs[req.ID] == 0 {
		return "", false, nil
	}
	return c.name(req.ID), c.running[req.ID] == string(canonical), nil
}

// postSignedAt posts body signed with the timestamp signedAt.
func postSignedAt(t *testing.T, url string, body []byte, signedAt time.Time) (int, webhook.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/requests", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	webhook.SetSignature(req.Header, testSecret, signedAt, body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp webhook.Response
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return res.StatusCode, resp
}

func withPackages(t *testing.T, packages ...string) []byte {
	t.Helper()
	return exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = packages
	})
}

// TestWebhookStaleDelivery sends request A, a changed request B that gets
// 409 while A runs, and a changed request C after A closed. B sent again
// byte for byte must start nothing and name C's execution, while a new
// delivery of A, a retry of it and other tickets still work.
func TestWebhookStaleDelivery(t *testing.T) {
	execs := &closingExecutions{runs: map[string]int{}, running: map[string]string{}}
	srv := newServer(t, execs)
	a, b, c := withPackages(t, "requests"), withPackages(t, "numpy"), withPackages(t, "pandas")
	ticket := "DATA-4711"

	if code, resp := postSignedAt(t, srv.URL, a, testNow); code != http.StatusAccepted {
		t.Fatalf("A = %d %+v, want 202", code, resp)
	}
	if code, resp := postSignedAt(t, srv.URL, b, testNow.Add(time.Second)); code != http.StatusConflict {
		t.Fatalf("B while A runs = %d %+v, want 409", code, resp)
	}
	execs.close(ticket)
	code, resp := postSignedAt(t, srv.URL, c, testNow.Add(2*time.Second))
	if code != http.StatusAccepted || resp.Execution != ticket+"-r2" {
		t.Fatalf("C after A closed = %d %+v, want 202 %s-r2", code, resp, ticket)
	}
	execs.close(ticket)

	code, resp = postSignedAt(t, srv.URL, b, testNow.Add(time.Second))
	if code != http.StatusConflict {
		t.Errorf("B again = %d, want 409", code)
	}
	if resp.Status != webhook.StatusRejected {
		t.Errorf("B again: status = %q, want %s", resp.Status, webhook.StatusRejected)
	}
	if resp.BlockingExecution != ticket+"-r2" {
		t.Errorf("B again: blocking_execution = %q, want %s-r2, the execution of C", resp.BlockingExecution, ticket)
	}
	if resp.Execution != "" {
		t.Errorf("B again: execution = %q, want none because nothing started", resp.Execution)
	}
	if !strings.Contains(resp.Error, webhook.HeaderTimestamp) || !strings.Contains(resp.Error, "replace "+ticket+"-r2") {
		t.Errorf("B again: error = %q, want advice to sign again in %s to replace %s-r2", resp.Error, webhook.HeaderTimestamp, ticket)
	}
	if n := len(execs.started); n != 2 {
		t.Errorf("%d executions started after B again, want 2", n)
	}

	// Going back to A is a new delivery with a new timestamp.
	code, resp = postSignedAt(t, srv.URL, a, testNow.Add(3*time.Second))
	if code != http.StatusAccepted || resp.Execution != ticket+"-r3" {
		t.Errorf("A signed anew = %d %+v, want 202 %s-r3", code, resp, ticket)
	}
	code, resp = postSignedAt(t, srv.URL, a, testNow.Add(3*time.Second))
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != ticket+"-r3" {
		t.Errorf("retry of the latest delivery = %d %+v, want 200 duplicate %s-r3", code, resp, ticket)
	}

	// A delivery signed in the same second as the latest one is not older.
	execs.close(ticket)
	code, resp = postSignedAt(t, srv.URL, b, testNow.Add(3*time.Second))
	if code != http.StatusAccepted || resp.Execution != ticket+"-r4" {
		t.Errorf("B signed in the latest second = %d %+v, want 202 %s-r4", code, resp, ticket)
	}

	// Other tickets keep their own latest time.
	other := exampleRequest(t, func(doc map[string]any) { doc["id"] = "DATA-4712" })
	if code, resp := postSignedAt(t, srv.URL, other, testNow); code != http.StatusAccepted {
		t.Errorf("other ticket signed earlier = %d %+v, want 202", code, resp)
	}
}
