package gcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/repolink/repolink/shared/noredirect"
	"github.com/repolink/repolink/shared/workflow"
)

// CallbackHost is the host of every Workflows callback URL.
const CallbackHost = "workflowexecutions.googleapis.com"

// CloudPlatformScope is the OAuth 2.0 scope that the sendHttpCallback
// method of the Workflow Executions API requires.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// maxErrorBody is how many bytes of an error response are read for its
// message.
const maxErrorBody = 4 << 10

// callbackPath matches the path of a callback URL. It follows the HTTP
// template of projects.locations.workflows.executions.callbacks.sendHttpCallback
// in the Workflow Executions API v1 reference, so a wait cannot point the
// poller at another method of that API, such as executions.create.
var callbackPath = regexp.MustCompile(`^/v1/projects/[^/]+/locations/[^/]+/workflows/[^/]+/executions/[^/]+/callbacks/[^/]+$`)

// ErrCallbackGone is wrapped by the error for a callback URL that responds
// with 404 Not Found or 410 Gone, because its execution has ended or it never
// existed.
var ErrCallbackGone = errors.New("workflows callback not found or gone")

// ErrCallbackURL is wrapped by the error for a task token that is not a
// Workflows callback URL. Nothing is sent to such a URL.
var ErrCallbackURL = errors.New("not a Workflows callback URL")

// CallbackFailure is the body that SendTaskFailure posts. The Workflows
// definition raises error and cause again when a callback body has an
// error field, so the execution fails as a Step Functions execution does
// after SendTaskFailure.
type CallbackFailure struct {
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// CallbacksOptions configures Callbacks.
type CallbacksOptions struct {
	// TokenSource issues the OAuth 2.0 access token sent as the bearer
	// token of every callback request. Nil means Application Default
	// Credentials with CloudPlatformScope.
	TokenSource oauth2.TokenSource
	// Transport sends the requests under the bearer token. Nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// AllowLoopback also accepts http and https URLs whose host is a
	// loopback IP address, with any path, such as a test's callback
	// receiver. Deployments leave it false.
	AllowLoopback bool
	// CallTimeout bounds one callback request. Zero means
	// DefaultCallTimeout.
	CallTimeout time.Duration
}

// Callbacks completes Workflows callbacks: the task tokens of the Google
// Cloud deployment are the callback URLs that events.create_callback_endpoint
// returns. Each completion is one POST of a JSON body to the URL, with an
// OAuth 2.0 bearer token for a principal that holds
// workflows.callbacks.send. It checks every URL before it sends, so a
// stored wait cannot send the bearer token to another host. Callbacks is
// safe for concurrent use.
type Callbacks struct {
	client        *http.Client
	allowLoopback bool
	callTimeout   time.Duration
}

// NewCallbacks builds the HTTP client. Without opts.TokenSource it looks up
// Application Default Credentials and keeps ctx to fetch tokens with, so
// ctx must outlive the Callbacks.
func NewCallbacks(ctx context.Context, opts CallbacksOptions) (*Callbacks, error) {
	source := opts.TokenSource
	if source == nil {
		var err error
		source, err = google.DefaultTokenSource(ctx, CloudPlatformScope)
		if err != nil {
			return nil, fmt.Errorf("gcp: find default credentials for Workflows callbacks: %w", err)
		}
	}
	c := &Callbacks{
		client: &http.Client{
			Transport: &oauth2.Transport{Source: source, Base: opts.Transport},
			// The transport adds the bearer token to every request,
			// including a redirected one, so no redirect is followed.
			CheckRedirect: noredirect.Check,
		},
		allowLoopback: opts.AllowLoopback,
		callTimeout:   opts.CallTimeout,
	}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	return c, nil
}

// SendTaskSuccess posts output, the step's JSON result, to the callback URL
// token.
func (c *Callbacks) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if !json.Valid(output) {
		return workflow.Invalid("gcp: workflows callback: the task output is not valid JSON")
	}
	return c.send(ctx, token, output)
}

// SendTaskFailure posts a CallbackFailure with errName and cause to the
// callback URL token.
func (c *Callbacks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	body, err := json.Marshal(CallbackFailure{Error: errName, Cause: cause})
	if err != nil {
		return fmt.Errorf("encode callback failure %s: %w", errName, err)
	}
	return c.send(ctx, token, body)
}

// send posts body to the callback URL token. The error wraps ErrCallbackURL
// for a rejected URL and ErrCallbackGone for 404 and 410. It is named
// Transient for 429, 5xx, network failures and a failed token fetch,
// PermissionDenied for 403, and InvalidRequest for the other statuses.
//
// NOTE: the Workflow Executions API reference does not document the status
// for the callback of an execution that has ended. It is taken to be 404.
// Any other error status leaves the wait stored, and every poll sends it
// again.
func (c *Callbacks) send(ctx context.Context, token string, body []byte) error {
	target, err := CheckCallbackURL(token, c.allowLoopback)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("gcp: build workflows callback request: %w", err)
	}
	// With this content type, Workflows parses the body, so the workflow
	// reads it as a map from http_request.body.
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.client.Do(req)
	if err != nil {
		// Do returns a *url.Error, which names the URL, for a failed
		// connection, a timeout and a failed token fetch alike. A later
		// poll sends again.
		message := fmt.Sprintf("gcp: workflows callback: %v", err)
		return &stepError{named: &workflow.Error{Name: workflow.ErrTransient, Message: message}, cause: err}
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return callbackStatusError(target, resp.StatusCode, detail)
}

// callbackStatusError returns nil for a 2xx status and otherwise the error
// that send documents.
func callbackStatusError(target *url.URL, status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	op := fmt.Sprintf("gcp: workflows callback %s: HTTP %d", target, status)
	if message := googleErrorMessage(body); message != "" {
		op += " " + message
	}
	switch {
	case status == http.StatusNotFound, status == http.StatusGone:
		return fmt.Errorf("%s: %w", op, ErrCallbackGone)
	case status == http.StatusTooManyRequests, status >= 500:
		return workflow.Errorf(workflow.ErrTransient, "%s", op)
	case status == http.StatusForbidden:
		// The request is not at fault, because the service account lacks
		// workflows.callbacks.send. The wait stays for the next poll.
		return workflow.Errorf(workflow.ErrPermissionDenied, "%s; %s, and the next poll sends the callback again", op, grantInvoker)
	case status == http.StatusUnauthorized:
		return workflow.Invalid("%s; %s", op, grantInvoker)
	case status >= 300 && status < 400:
		return workflow.Invalid("%s: redirects are not followed, because the bearer token would go with them", op)
	}
	return workflow.Invalid("%s", op)
}

// grantInvoker is the advice for a callback that Google rejects with 401
// or 403.
const grantInvoker = "grant the function's service account roles/workflows.invoker, which includes workflows.callbacks.send, on the workflow's project"

// googleErrorMessage returns the status and message of a Google API error
// body, or "" when body is not one.
func googleErrorMessage(body []byte) string {
	var parsed struct {
		Error struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &parsed) != nil {
		return ""
	}
	return strings.TrimSpace(parsed.Error.Status + " " + parsed.Error.Message)
}

// CheckCallbackURL parses raw and returns it when it is a Workflows callback
// URL: https on CallbackHost, port 443 if any, no user information, query
// or fragment, and the path of a callback. With allowLoopback it also
// accepts an http or https URL whose host is a loopback IP address. Any
// other URL gives an InvalidRequest error that wraps ErrCallbackURL and
// names only the URL's scheme and host.
func CheckCallbackURL(raw string, allowLoopback bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, callbackURLError("the task token is not a URL")
	}
	origin := u.Scheme + "://" + u.Host
	if allowLoopback && (u.Scheme == "http" || u.Scheme == "https") {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && u.User == nil {
			return u, nil
		}
	}
	switch {
	case u.Scheme != "https":
		return nil, callbackURLError("%s does not use https", origin)
	case u.Hostname() != CallbackHost || (u.Port() != "" && u.Port() != "443"):
		return nil, callbackURLError("%s is not on %s", origin, CallbackHost)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.RawPath != "":
		return nil, callbackURLError("the URL on %s has user information, a query, a fragment or escaped characters", origin)
	case !callbackPath.MatchString(u.Path):
		return nil, callbackURLError("the path on %s is not .../workflows/<workflow>/executions/<execution>/callbacks/<callback>", origin)
	}
	return u, nil
}

func callbackURLError(format string, args ...any) error {
	message := fmt.Sprintf("gcp: workflows callback: %v: ", ErrCallbackURL) + fmt.Sprintf(format, args...) +
		"; pass the url that events.create_callback_endpoint returns as the token of await_endpoint"
	return &stepError{named: &workflow.Error{Name: workflow.ErrInvalidRequest, Message: message}, cause: ErrCallbackURL}
}
