package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/repolink/repolink/shared/workflow"
)

// callbackPathForTest is a path in the form of a Workflows callback URL.
const callbackPathForTest = "/v1/projects/proj-one/locations/europe-west1/workflows/provision/executions/run-1/callbacks/1700000000000_42"

// receivedCallback is one request that a callbackReceiver served.
type receivedCallback struct {
	Method        string
	Path          string
	Authorization string
	ContentType   string
	Body          string
}

// callbackReceiver is a loopback server that records every request and
// responds with status and body.
type callbackReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	received []receivedCallback
}

func startCallbackReceiver(t *testing.T, status int, body string) *callbackReceiver {
	t.Helper()
	r := &callbackReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.received = append(r.received, receivedCallback{
			Method:        req.Method,
			Path:          req.URL.Path,
			Authorization: req.Header.Get("Authorization"),
			ContentType:   req.Header.Get("Content-Type"),
			Body:          string(data),
		})
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *callbackReceiver) requests() []receivedCallback {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedCallback(nil), r.received...)
}

// newTestCallbacks returns Callbacks that send a fixed bearer token and
// accept loopback URLs.
func newTestCallbacks(t *testing.T) *Callbacks {
	t.Helper()
	c, err := NewCallbacks(context.Background(), CallbacksOptions{
		TokenSource:   oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-access-token"}),
		AllowLoopback: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallbacksSendBodies(t *testing.T) {
	tests := []struct {
		name     string
		send     func(c *Callbacks, token string) error
		wantBody string
	}{
		{
			name: "success",
			send: func(c *Callbacks, token string) error {
				return c.SendTaskSuccess(context.Background(), token, json.RawMessage(`{"endpoint_state":"CREATED","status":"ACCEPTED"}`))
			},
			wantBody: `{"endpoint_state":"CREATED","status":"ACCEPTED"}`,
		},
		{
			name: "failure",
			send: func(c *Callbacks, token string) error {
				return c.SendTaskFailure(context.Background(), token, workflow.ErrRejected, "await_endpoint: the endpoint was rejected")
			},
			wantBody: `{"error":"Rejected","cause":"await_endpoint: the endpoint was rejected"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			receiver := startCallbackReceiver(t, http.StatusOK, "")
			if err := tt.send(newTestCallbacks(t), receiver.URL+callbackPathForTest); err != nil {
				t.Fatalf("send: %v", err)
			}
			want := []receivedCallback{{
				Method:        http.MethodPost,
				Path:          callbackPathForTest,
				Authorization: "Bearer test-access-token",
				ContentType:   "application/json",
				Body:          tt.wantBody,
			}}
			if diff := cmp.Diff(want, receiver.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallbacksStatusErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantGone bool
		// wantName is the ASL error name; empty for ErrCallbackGone.
		wantName string
		// wantText is part of the message.
		wantText string
	}{
		{name: "not found", status: http.StatusNotFound, body: `{"error":{"code":404,"message":"callback not found","status":"NOT_FOUND"}}`,
			wantGone: true, wantText: "HTTP 404 NOT_FOUND callback not found"},
		{name: "gone", status: http.StatusGone, wantGone: true, wantText: "HTTP 410"},
		{name: "throttled", status: http.StatusTooManyRequests, wantName: workflow.ErrTransient, wantText: "HTTP 429"},
		{name: "unavailable", status: http.StatusServiceUnavailable, wantName: workflow.ErrTransient, wantText: "HTTP 503"},
		{name: "forbidden", status: http.StatusForbidden, body: `{"error":{"code":403,"message":"Permission 'workflows.callbacks.send' denied","status":"PERMISSION_DENIED"}}`,
			wantName: workflow.ErrPermissionDenied, wantText: "roles/workflows.invoker"},
		{name: "unauthorized", status: http.StatusUnauthorized, wantName: workflow.ErrInvalidRequest, wantText: "roles/workflows.invoker"},
		{name: "redirect", status: http.StatusFound, wantName: workflow.ErrInvalidRequest, wantText: "redirects are not followed"},
		{name: "bad request", status: http.StatusBadRequest, wantName: workflow.ErrInvalidRequest, wantText: "HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			receiver := startCallbackReceiver(t, tt.status, tt.body)
			err := newTestCallbacks(t).SendTaskFailure(context.Background(), receiver.URL+callbackPathForTest, workflow.ErrTimeout, "late")
			if err == nil {
				t.Fatal("SendTaskFailure returned nil")
			}
			if got := errors.Is(err, ErrCallbackGone); got != tt.wantGone {
				t.Errorf("errors.Is(%v, ErrCallbackGone) = %v, want %v", err, got, tt.wantGone)
			}
			if got := workflow.NameOf(err); got != tt.wantName {
				t.Errorf("error name = %q, want %q", got, tt.wantName)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if got := len(receiver.requests()); got != 1 {
				t.Errorf("requests = %d, want 1", got)
			}
		})
	}
}

func TestCallbacksRedirectNotFollowed(t *testing.T) {
	target := startCallbackReceiver(t, http.StatusOK, "")
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+callbackPathForTest, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)

	err := newTestCallbacks(t).SendTaskSuccess(context.Background(), redirect.URL+callbackPathForTest, json.RawMessage(`{}`))
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("error = %v, want InvalidRequest", err)
	}
	if got := len(target.requests()); got != 0 {
		t.Errorf("redirect target received %d requests, want 0", got)
	}
}

func TestCallbacksConnectionFailureTransient(t *testing.T) {
	receiver := startCallbackReceiver(t, http.StatusOK, "")
	token := receiver.URL + callbackPathForTest
	receiver.Close()

	err := newTestCallbacks(t).SendTaskSuccess(context.Background(), token, json.RawMessage(`{}`))
	if got := workflow.NameOf(err); got != workflow.ErrTransient {
		t.Errorf("error = %v (name %q), want Transient", err, got)
	}
}

func TestCallbacksRejectsInvalidOutput(t *testing.T) {
	receiver := startCallbackReceiver(t, http.StatusOK, "")
	err := newTestCallbacks(t).SendTaskSuccess(context.Background(), receiver.URL+callbackPathForTest, json.RawMessage(`{"endpoint`))
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("error = %v, want InvalidRequest", err)
	}
	if got := len(receiver.requests()); got != 0 {
		t.Errorf("requests = %d, want 0", got)
	}
}

func TestCheckCallbackURL(t *testing.T) {
	const google = "https://" + CallbackHost + callbackPathForTest
	tests := []struct {
		name          string
		raw           string
		allowLoopback bool
		wantOK        bool
	}{
		{name: "workflows callback", raw: google, wantOK: true},
		{name: "explicit port 443", raw: "https://" + CallbackHost + ":443" + callbackPathForTest, wantOK: true},
		{name: "http", raw: "http://" + CallbackHost + callbackPathForTest},
		{name: "other host", raw: "https://callbacks.example.net" + callbackPathForTest},
		{name: "host suffix", raw: "https://" + CallbackHost + ".example.net" + callbackPathForTest},
		{name: "other port", raw: "https://" + CallbackHost + ":8443" + callbackPathForTest},
		{name: "user information", raw: "https://user@" + CallbackHost + callbackPathForTest},
		{name: "query", raw: google + "?alt=json"},
		{name: "escaped slash", raw: "https://" + CallbackHost + "/v1/projects/proj-one/locations/europe-west1/workflows/provision/executions/run-1/callbacks/a%2Fb"},
		{name: "executions create", raw: "https://" + CallbackHost + "/v1/projects/proj-one/locations/europe-west1/workflows/provision/executions"},
		{name: "execution cancel", raw: "https://" + CallbackHost + "/v1/projects/proj-one/locations/europe-west1/workflows/provision/executions/run-1:cancel"},
		{name: "step functions token", raw: "AQCEAAAAKgAAAAMAAAAAAAAAAc"},
		{name: "empty", raw: ""},
		{name: "loopback not allowed", raw: "http://127.0.0.1:8080" + callbackPathForTest},
		{name: "loopback allowed", raw: "http://127.0.0.1:8080/any/path", allowLoopback: true, wantOK: true},
		{name: "loopback IPv6 allowed", raw: "http://[::1]:8080" + callbackPathForTest, allowLoopback: true, wantOK: true},
		{name: "localhost name", raw: "http://localhost:8080" + callbackPathForTest, allowLoopback: true},
		{name: "private address", raw: "http://10.0.0.7" + callbackPathForTest, allowLoopback: true},
		{name: "metadata address", raw: "http://169.254.169.254" + callbackPathForTest, allowLoopback: true},
		{name: "other host with loopback allowed", raw: "https://callbacks.example.net" + callbackPathForTest, allowLoopback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckCallbackURL(tt.raw, tt.allowLoopback)
			if tt.wantOK {
				if err != nil {
					t.Errorf("CheckCallbackURL(%q) = %v, want nil", tt.raw, err)
				}
				return
			}
			if !errors.Is(err, ErrCallbackURL) {
				t.Errorf("CheckCallbackURL(%q) = %v, want an error wrapping ErrCallbackURL", tt.raw, err)
			}
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Errorf("error name = %q, want InvalidRequest", got)
			}
		})
	}
}

func TestCallbacksRejectedURLSendsNothing(t *testing.T) {
	// Every request would go through this transport, so a rejected URL
	// must leave it unused.
	var used bool
	transport := roundTripFunc(func(*http.Request) (*http.Response, error) {
		used = true
		return nil, errors.New("unexpected request")
	})
	c, err := NewCallbacks(context.Background(), CallbacksOptions{
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-access-token"}),
		Transport:   transport,
	})
	if err != nil {
		t.Fatal(err)
	}

	err = c.SendTaskSuccess(context.Background(), "https://callbacks.example.net"+callbackPathForTest, json.RawMessage(`{}`))
	if !errors.Is(err, ErrCallbackURL) {
		t.Errorf("error = %v, want one wrapping ErrCallbackURL", err)
	}
	if strings.Contains(err.Error(), callbackPathForTest) {
		t.Errorf("error %q repeats the rejected URL's path, want only its scheme and host", err)
	}
	if used {
		t.Error("the transport was used for a rejected URL")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
