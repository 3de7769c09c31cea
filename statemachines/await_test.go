package statemachines

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sfnapi"
)

const (
	awaitRegion  = "us-east-1"
	awaitAccount = "123456789012"
)

// awaitFixture runs the whole provision machine on the embedded engine with
// fake step functions, served over the Step Functions API. The fake
// await_endpoint step hands over each task token it receives, and the
// fixture counts the calls of every step.
type awaitFixture struct {
	engine *engine.Engine
	client *sfn.Client
	tokens chan string

	mu    sync.Mutex
	calls map[string]int
}

// placeholder matches a ${name} placeholder of a task's function.
var placeholder = regexp.MustCompile(`\$\{([a-z_]+)\}`)

func newAwaitFixture(t *testing.T) *awaitFixture {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{Region: awaitRegion, Account: awaitAccount})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	f := &awaitFixture{engine: e, tokens: make(chan string, 4), calls: map[string]int{}}

	for _, match := range placeholder.FindAllStringSubmatch(string(Provision), -1) {
		name := match[1]
		e.Register(name, func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			f.mu.Lock()
			f.calls[name]++
			f.mu.Unlock()
			if name != "await_endpoint" {
				return json.RawMessage(`{"action":"created","id":"` + name + `-1"}`), nil
			}
			var payload struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal(in, &payload); err != nil {
				return nil, err
			}
			f.tokens <- payload.Token
			return json.RawMessage(`{}`), nil
		})
	}
	if err := e.Define("provision", Provision); err != nil {
		t.Fatalf("define provision: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	srv := httptest.NewServer(sfnapi.New(e, sfnapi.Options{}))
	t.Cleanup(srv.Close)
	f.client = sfn.New(sfn.Options{
		Region:           awaitRegion,
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "dummy-secret", ""),
		RetryMaxAttempts: 1,
	})
	return f
}

func (f *awaitFixture) start(t *testing.T, route request.Route) {
	t.Helper()
	input := fmt.Sprintf(`{"request":{"id":"req-1","route":%q},"resources":{}}`, route)
	if _, err := f.engine.Start(context.Background(), "provision", "req-1", json.RawMessage(input)); err != nil {
		t.Fatalf("start: %v", err)
	}
}

func (f *awaitFixture) token(t *testing.T) string {
	t.Helper()
	select {
	case token := <-f.tokens:
		return token
	case <-time.After(10 * time.Second):
		t.Fatal("await_endpoint received no task token")
		return ""
	}
}

// sendTaskSuccess completes token through the Step Functions API, as
// SendTaskSuccess of the AWS CLI or an SDK does.
func (f *awaitFixture) sendTaskSuccess(t *testing.T, token, output string) {
	t.Helper()
	if _, err := f.client.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{
		TaskToken: aws.String(token), Output: aws.String(output)}); err != nil {
		t.Fatalf("SendTaskSuccess %s: %v", output, err)
	}
}

func (f *awaitFixture) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *awaitFixture) wait(t *testing.T, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := f.engine.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return x
}

// liveReport returns the report that the poller sends for a live endpoint
// of route.
func liveReport(t *testing.T, route request.Route) string {
	t.Helper()
	cloud := (&request.Request{Route: route}).RouteCloud()
	status, ok := poller.LiveStatuses[cloud]
	if !ok {
		t.Fatalf("poller.LiveStatuses has no status for cloud %q of route %s", cloud, route)
	}
	return fmt.Sprintf(`{"endpoint_state":%q,"status":%q}`, poller.LiveEndpointState, status)
}

// TestAwaitEndpointWaitsAgainOnReportNotLive checks that a task result
// other than the poller's live report, sent through the Step Functions
// API, builds nothing and registers a new wait, and that the poller's
// report on that wait completes the run.
func TestAwaitEndpointWaitsAgainOnReportNotLive(t *testing.T) {
	const awsRoute, gcpRoute = request.RouteAWSPrivateLink, request.RouteGCPPrivateLink
	for _, tt := range []struct {
		name   string
		route  request.Route
		output string
	}{
		{"deleted and bogus", awsRoute, `{"endpoint_state":"DELETED","status":"Bogus"}`},
		{"pending", awsRoute, `{"endpoint_state":"PENDING_CREATION","status":"Pending"}`},
		{"lower case status", awsRoute, `{"endpoint_state":"CREATED","status":"available"}`},
		{"lower case state", awsRoute, `{"endpoint_state":"created","status":"Available"}`},
		{"status of another cloud", awsRoute, `{"endpoint_state":"CREATED","status":"ACCEPTED"}`},
		{"aws status on gcp", gcpRoute, `{"endpoint_state":"CREATED","status":"Available"}`},
		{"rejected on gcp", gcpRoute, `{"endpoint_state":"CREATED","status":"REJECTED"}`},
		{"long status", awsRoute, `{"endpoint_state":"CREATED","status":"` + strings.Repeat("A", 20000) + `"}`},
		{"long state", gcpRoute, `{"endpoint_state":"` + strings.Repeat("C", 8000) + `","status":"ACCEPTED"}`},
		{"string", awsRoute, `"live"`},
		{"array", awsRoute, `["CREATED","Available"]`},
		{"empty object", awsRoute, `{}`},
		{"missing status", awsRoute, `{"endpoint_state":"CREATED"}`},
		{"missing state", gcpRoute, `{"status":"ACCEPTED"}`},
		{"number state", awsRoute, `{"endpoint_state":123,"status":"Available"}`},
		{"array status", awsRoute, `{"endpoint_state":"CREATED","status":["Available"]}`},
		{"null status", awsRoute, `{"endpoint_state":"CREATED","status":null}`},
		{"object state", gcpRoute, `{"endpoint_state":{},"status":"ACCEPTED"}`},
		{"boolean status", gcpRoute, `{"endpoint_state":"CREATED","status":true}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newAwaitFixture(t)
			f.start(t, tt.route)
			f.sendTaskSuccess(t, f.token(t), tt.output)

			// The run registers a new wait instead of going on.
			second := f.token(t)
			if got := f.called("secret"); got != 0 {
				t.Fatalf("secret called %d times after a report that is not live, want 0", got)
			}
			x, err := f.engine.Describe(context.Background(), "req-1")
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			if x.Status != engine.StatusRunning {
				t.Fatalf("status after a report that is not live %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusRunning)
			}

			live := liveReport(t, tt.route)
			f.sendTaskSuccess(t, second, live)
			x = f.wait(t, "req-1")
			if x.Status != engine.StatusSucceeded {
				t.Fatalf("status after the live report %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusSucceeded)
			}
			if got := f.called("await_endpoint"); got != 2 {
				t.Errorf("await_endpoint called %d times, want 2", got)
			}
			if got := f.called("secret"); got != 1 {
				t.Errorf("secret called %d times, want 1", got)
			}
			checkEndpointLive(t, x.Output, live)
		})
	}
}

// checkEndpointLive checks that the run's output stores want as
// resources.endpoint_live.
func checkEndpointLive(t *testing.T, output json.RawMessage, want string) {
	t.Helper()
	var doc struct {
		Resources struct {
			EndpointLive json.RawMessage `json:"endpoint_live"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(output, &doc); err != nil {
		t.Fatalf("decode output: %v", err)
	}
	if got := string(doc.Resources.EndpointLive); got != want {
		t.Errorf("endpoint_live %s, want %s", got, want)
	}
}

// TestAwaitEndpointLiveReport checks that the poller's live report of each
// private-link route completes the run at once, and that the run keeps only
// the report's two fields.
func TestAwaitEndpointLiveReport(t *testing.T) {
	for _, route := range []request.Route{request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink} {
		t.Run(string(route), func(t *testing.T) {
			f := newAwaitFixture(t)
			f.start(t, route)
			live := liveReport(t, route)
			withExtra := strings.TrimSuffix(live, "}") + `,"extra":"` + strings.Repeat("x", 100) + `"}`
			f.sendTaskSuccess(t, f.token(t), withExtra)

			x := f.wait(t, "req-1")
			if x.Status != engine.StatusSucceeded {
				t.Fatalf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusSucceeded)
			}
			if got := f.called("await_endpoint"); got != 1 {
				t.Errorf("await_endpoint called %d times, want 1", got)
			}
			checkEndpointLive(t, x.Output, live)
		})
	}
}

// TestAwaitEndpointFailureRedrive checks that a redrive after the poller
// fails the wait registers a new wait, which the live report completes.
func TestAwaitEndpointFailureRedrive(t *testing.T) {
	f := newAwaitFixture(t)
	f.start(t, request.RouteAWSPrivateLink)
	if _, err := f.client.SendTaskFailure(context.Background(), &sfn.SendTaskFailureInput{
		TaskToken: aws.String(f.token(t)), Error: aws.String("Rejected"), Cause: aws.String("await_endpoint: rejected")}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	if x := f.wait(t, "req-1"); x.Status != engine.StatusFailed || x.Error != "Rejected" {
		t.Fatalf("status %s %s, want %s Rejected", x.Status, x.Error, engine.StatusFailed)
	}

	if _, err := f.engine.Redrive(context.Background(), "req-1"); err != nil {
		t.Fatalf("redrive: %v", err)
	}
	f.sendTaskSuccess(t, f.token(t), liveReport(t, request.RouteAWSPrivateLink))
	if x := f.wait(t, "req-1"); x.Status != engine.StatusSucceeded {
		t.Fatalf("status after the redrive %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusSucceeded)
	}
}
