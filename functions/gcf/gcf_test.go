package gcf

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// fakeNetwork serves the endpoint connections of the AWS network. Every
// other method panics, because the embedded interface is nil.
type fakeNetwork struct {
	cloud.AWSNetwork
	conns []cloud.EndpointConnection
}

func (f fakeNetwork) EndpointConnections(context.Context, string) ([]cloud.EndpointConnection, error) {
	return f.conns, nil
}

// connectionInput is the task input of the connection step for the example
// request.
func connectionInput(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse example request: %v", err)
	}
	doc := workflow.Document{Request: req, Resources: workflow.Resources{
		EndpointService: &workflow.EndpointService{
			Result:    workflow.Result{ID: "vpce-svc-0a1b2c3d4e5f60718"},
			Principal: "arn:aws:iam::123456789012:user/snowflake",
		},
		Endpoint: &workflow.Endpoint{Host: "pypi.corp.example.com"},
	}}
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return input
}

// serve starts an httptest server for the handler of name, built with env.
func serve(t *testing.T, env *workflow.Env, name string) *httptest.Server {
	t.Helper()
	handler, ok := newHandlers(env, slog.New(slog.DiscardHandler))[name]
	if !ok {
		t.Fatalf("no handler %q", name)
	}
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	return resp.StatusCode, data
}

func TestStepOverHTTP(t *testing.T) {
	tests := []struct {
		name       string
		conns      []cloud.EndpointConnection
		input      func(*testing.T) []byte
		wantStatus int
		// wantBody is the exact body; wantError only the error name, for
		// causes that quote the JSON decoder.
		wantBody  string
		wantError string
	}{
		{
			name:       "output",
			conns:      []cloud.EndpointConnection{{EndpointID: "vpce-0abc", State: "available", Owner: "123456789012"}},
			input:      connectionInput,
			wantStatus: http.StatusOK,
			wantBody:   `{"action":"adopted","id":"vpce-0abc","state":"available"}`,
		},
		{
			name:       "not ready",
			input:      connectionInput,
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   `{"error":"NotReady","cause":"connection: no connection request from Snowflake on vpce-svc-0a1b2c3d4e5f60718 yet"}`,
		},
		{
			name:       "rejected",
			conns:      []cloud.EndpointConnection{{EndpointID: "vpce-0abc", State: "rejected", Owner: "123456789012"}},
			input:      connectionInput,
			wantStatus: http.StatusUnprocessableEntity,
			wantBody: `{"error":"Rejected","cause":"connection: connection vpce-0abc on vpce-svc-0a1b2c3d4e5f60718 is rejected; ` +
				`deprovision the Snowflake endpoint and redrive the run to request a new connection"}`,
		},
		{
			name:       "invalid input",
			input:      func(*testing.T) []byte { return []byte(`{"request": 7}`) },
			wantStatus: http.StatusBadRequest,
			wantError:  workflow.ErrInvalidRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) {
				return fakeNetwork{conns: tt.conns}, nil
			}}
			server := serve(t, env, "connection")

			status, body := post(t, server.URL, tt.input(t))
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if tt.wantError != "" {
				var failure Failure
				if err := json.Unmarshal(body, &failure); err != nil || failure.Error != tt.wantError {
					t.Errorf("body = %s, want error %q", body, tt.wantError)
				}
				return
			}
			if diff := cmp.Diff(tt.wantBody, strings.TrimSpace(string(body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepRejectsGetAndLargeBody(t *testing.T) {
	server := serve(t, &workflow.Env{}, "secret")

	resp, err := http.Get(server.URL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", resp.StatusCode)
	}

	status, body := post(t, server.URL, bytes.Repeat([]byte(" "), MaxInput+1))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("large body status = %d, want 413", status)
	}
	var failure Failure
	if err := json.Unmarshal(body, &failure); err != nil || failure.Error != workflow.ErrInvalidRequest {
		t.Errorf("large body response = %s, want an InvalidRequest failure", body)
	}
}

func TestRegisteredHandlers(t *testing.T) {
	want := []string{PollerFunction, WebhookFunction}
	for name := range registry.Handlers(&workflow.Env{}) {
		want = append(want, name)
	}
	var got []string
	for name := range registered {
		got = append(got, name)
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("registered functions (-want +got):\n%s", diff)
	}
}

func TestRegisteredAwaitEndpointHasNoWaits(t *testing.T) {
	// The handlers registered with the functions framework at init use the
	// deployment's environment, which has no wait registry.
	server := httptest.NewServer(registered["await_endpoint"])
	t.Cleanup(server.Close)

	var doc workflow.Document
	if err := json.Unmarshal(connectionInput(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Resources.Endpoint.Result.ID = "vpce-svc-0a1b2c3d4e5f60718"
	doc.Token = "token-1"
	input, _ := json.Marshal(doc)

	status, body := post(t, server.URL, input)
	if status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", status)
	}
	var failure Failure
	if err := json.Unmarshal(body, &failure); err != nil {
		t.Fatalf("body %s is not a failure: %v", body, err)
	}
	if failure.Error != workflow.ErrInvalidRequest || !strings.Contains(failure.Cause, "no wait registry") {
		t.Errorf("failure = %+v, want InvalidRequest naming the missing wait registry", failure)
	}
}

func TestRegisteredAWSUnsupported(t *testing.T) {
	server := httptest.NewServer(registered["connection"])
	t.Cleanup(server.Close)

	status, body := post(t, server.URL, connectionInput(t))
	if status != http.StatusBadRequest || !strings.Contains(string(body), "no AWS adapter") {
		t.Errorf("response = %d %s, want 400 naming the missing AWS adapter", status, body)
	}
}

func TestStatusOf(t *testing.T) {
	tests := map[string]int{
		workflow.ErrNotReady:         http.StatusServiceUnavailable,
		workflow.ErrTransient:        http.StatusServiceUnavailable,
		workflow.ErrThrottled:        http.StatusTooManyRequests,
		workflow.ErrInvalidRequest:   http.StatusBadRequest,
		workflow.ErrConflict:         http.StatusConflict,
		workflow.ErrPermissionDenied: http.StatusForbidden,
		workflow.ErrRejected:         http.StatusUnprocessableEntity,
		workflow.ErrTimeout:          http.StatusGatewayTimeout,
		ErrorUnnamed:                 http.StatusInternalServerError,
	}
	for name, want := range tests {
		if got := statusOf(name); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestCloudLoggingAttr(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{ReplaceAttr: cloudLoggingAttr}))
	logger.Warn("poll slow", "waits", 3)

	var record map[string]any
	if err := json.Unmarshal(out.Bytes(), &record); err != nil {
		t.Fatalf("log line %q is not JSON: %v", out.String(), err)
	}
	if record["severity"] != "WARNING" {
		t.Errorf("severity = %v, want WARNING", record["severity"])
	}
	if record["message"] != "poll slow" {
		t.Errorf("message = %v, want poll slow", record["message"])
	}
}
