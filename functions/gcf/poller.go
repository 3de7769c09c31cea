package gcf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/repolink/repolink/functions/poller"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// PollerFunction is the name that the poller is registered under: the
// FUNCTION_TARGET of a function that serves only the poller, or the path
// of the poller on the service that serves every function.
const PollerFunction = "poller"

// servePoller adapts the poller to an HTTP function for Cloud Scheduler.
// Every POST runs one poll over the wait registry and responds with the
// poller.Report as JSON. The request body is not read.
func servePoller(p *poller.Poller, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, Failure{Error: workflow.ErrInvalidRequest, Cause: "use POST to run a poll"})
			return
		}
		report, err := p.Poll(r.Context())
		if err != nil {
			failure := Failure{Error: workflow.NameOf(err), Cause: err.Error()}
			if failure.Error == "" {
				failure.Error = ErrorUnnamed
			}
			logger.Error("poll failed", "error_type", failure.Error, "error", failure.Cause)
			writeJSON(w, statusOf(failure.Error), failure)
			return
		}
		logger.Info("poll finished", "waits", report.Waits, "accounts", report.Accounts, "queries", report.Queries,
			"succeeded", report.Succeeded, "failed", report.Failed, "pending", report.Pending,
			"renewed", report.Renewed, "expiry_warnings", report.ExpiryWarnings, "expiry_notifications", report.ExpiryNotifications,
			"errors", report.Errors)
		writeJSON(w, http.StatusOK, report)
	}
}

// callbackTasks completes waits for the poller through Workflows
// callbacks. It builds the callbacks client on first use, because looking
// up Application Default Credentials can reach the metadata server, and
// keeps it for later invocations on the same instance.
type callbackTasks struct {
	opts gcpadapter.CallbacksOptions

	mu        sync.Mutex
	callbacks *gcpadapter.Callbacks
}

var _ poller.Tasks = (*callbackTasks)(nil)

func newCallbackTasks(opts gcpadapter.CallbacksOptions) *callbackTasks {
	return &callbackTasks{opts: opts}
}

func (c *callbackTasks) open() (*gcpadapter.Callbacks, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.callbacks != nil {
		return c.callbacks, nil
	}
	// The client outlives the invocation that first needs it, so it is
	// not bound to its context.
	callbacks, err := gcpadapter.NewCallbacks(context.Background(), c.opts)
	if err != nil {
		return nil, err
	}
	c.callbacks = callbacks
	return callbacks, nil
}

// SendTaskSuccess posts output to the callback URL token.
func (c *callbackTasks) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	callbacks, err := c.open()
	if err != nil {
		return err
	}
	return tokenGone(callbacks.SendTaskSuccess(ctx, token, output))
}

// SendTaskFailure posts the error name and cause to the callback URL token.
func (c *callbackTasks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	callbacks, err := c.open()
	if err != nil {
		return err
	}
	return tokenGone(callbacks.SendTaskFailure(ctx, token, errName, cause))
}

// tokenGone wraps poller.ErrTokenGone around a callback that no longer
// exists, so the poller drops its wait.
func tokenGone(err error) error {
	if errors.Is(err, gcpadapter.ErrCallbackGone) {
		return fmt.Errorf("%w: %w", poller.ErrTokenGone, err)
	}
	return err
}
