// Package gcf registers repolink's steps as HTTP functions with the Go
// functions framework, for Cloud Functions and Cloud Run. Each step is
// registered under its task name, such as "proxy_vm", and the framework
// serves the one that FUNCTION_TARGET names.
//
// A function takes the step's JSON task input as a POST body. It responds
// 200 with the step's JSON output, or an error status with the body
// {"error": "<ASL error name>", "cause": "<message>"}, so a workflow can
// retry and catch on the same names as the state machine.
//
// REPOLINK_WAITS_COLLECTION, REPOLINK_WAITS_PROJECT (or
// GOOGLE_CLOUD_PROJECT) and REPOLINK_WAITS_DATABASE name the Firestore
// collection where await_endpoint stores its wait, whose token is a
// Workflows callback URL. Without a collection, await_endpoint fails with
// InvalidRequest.
//
// The same collection keeps the endpoint reservations, the expiry
// records of short-lived index credentials that the secret step stores,
// and the places where the secret and repository steps create their
// objects, which teardown_snowflake reads.
//
// The function "poller", for Cloud Scheduler, runs one poll over the same
// collection on every POST and completes each finished wait with an
// authenticated POST to its callback URL. It also warns once about each
// stored index token that expires soon and, when REPOLINK_WEBHOOK_SECRET
// names the signing key in Secret Manager, posts the signed
// credential_expires_soon notification to the request's notify.url.
//
// The function "webhook" verifies signed requests and Jira and ServiceNow
// deliveries with shared/webhook, records each ticket in the same
// Firestore collection, and starts the provision workflow that
// REPOLINK_WORKFLOW names through the Workflow Executions API.
package gcf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/repolink/repolink/functions/registry"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// MaxInput is the largest task input accepted, in bytes: the 256 KiB that
// Step Functions allows for a state's input, because the workflow document
// is the same on every platform.
const MaxInput = 256 << 10

// ErrorUnnamed is the error name of a failure that carries no ASL name.
const ErrorUnnamed = "Error"

// Failure is the JSON body of an error response.
type Failure struct {
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// registered holds the handlers passed to the functions framework, by name:
// every step of the registry and the poller.
var registered map[string]http.HandlerFunc

func init() {
	if os.Getenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION") == "" {
		// The Snowflake driver otherwise probes cloud metadata addresses
		// on every connect.
		os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: cloudLoggingAttr}))
	var gcp gcpadapter.Options
	a := newAdapters(logger, gcp, stores{
		waits:         newWaitRegistry(os.Getenv, gcp, false, logger),
		reservations:  newEndpointReservations(os.Getenv, gcp, logger),
		credentials:   newCredentialExpiries(os.Getenv, gcp, logger),
		defaults:      newDefaultLevels(os.Getenv, gcp, logger),
		locations:     newObjectLocations(os.Getenv, gcp, logger),
		signingSecret: loadSigningSecretRef(os.Getenv, logger),
		secretRefs:    os.Getenv(envAllowSecretRefs),
		mappings:      loadMappingSecrets(os.Getenv),
	})
	env := a.env()
	registered = newHandlers(env, logger)
	registered[PollerFunction] = servePoller(a.newPoller(env, newCallbackTasks(gcpadapter.CallbacksOptions{})), logger)
	registered[WebhookFunction] = (&webhookService{deps: webhookDeps{
		getenv:   os.Getenv,
		gcp:      gcp,
		resolve:  a.resolveSecretManager,
		requests: a.requests,
		logger:   logger,
		env:      env,
	}}).ServeHTTP

	names := make([]string, 0, len(registered))
	for name := range registered {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		functions.HTTP(name, registered[name])
	}
}

// newHandlers returns an HTTP handler for every step of the registry.
func newHandlers(env *workflow.Env, logger *slog.Logger) map[string]http.HandlerFunc {
	handlers := map[string]http.HandlerFunc{}
	for name, step := range registry.Handlers(env) {
		handlers[name] = serveStep(name, step, logger)
	}
	return handlers
}

// serveStep adapts a step to an HTTP function.
func serveStep(name string, step registry.Handler, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, Failure{Error: workflow.ErrInvalidRequest, Cause: "use POST with the task input as the body"})
			return
		}
		input, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInput))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeJSON(w, http.StatusRequestEntityTooLarge, Failure{Error: workflow.ErrInvalidRequest,
					Cause: fmt.Sprintf("task input is larger than %d bytes", MaxInput)})
				return
			}
			logger.Warn("read task input failed", "handler", name, "error", err)
			writeJSON(w, http.StatusBadRequest, Failure{Error: workflow.ErrInvalidRequest, Cause: "could not read the body"})
			return
		}

		output, err := step(r.Context(), input)
		if err != nil {
			failure := Failure{Error: workflow.NameOf(err), Cause: err.Error()}
			if failure.Error == "" {
				failure.Error = ErrorUnnamed
			}
			level := slog.LevelError
			if failure.Error == workflow.ErrNotReady {
				level = slog.LevelInfo
			}
			logger.Log(r.Context(), level, "handler failed", "handler", name, "error_type", failure.Error, "error", failure.Cause)
			writeJSON(w, statusOf(failure.Error), failure)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(output)
	}
}

// statusOf maps an ASL error name to an HTTP status: 503 and 429 for
// failures that a retry can fix, 4xx for input that cannot work, 500 for
// the rest.
func statusOf(name string) int {
	switch name {
	case workflow.ErrNotReady, workflow.ErrTransient:
		return http.StatusServiceUnavailable
	case workflow.ErrThrottled:
		return http.StatusTooManyRequests
	case workflow.ErrInvalidRequest:
		return http.StatusBadRequest
	case workflow.ErrConflict:
		return http.StatusConflict
	case workflow.ErrPermissionDenied:
		return http.StatusForbidden
	case workflow.ErrRejected:
		return http.StatusUnprocessableEntity
	case workflow.ErrTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// cloudLoggingAttr writes slog's level and message as the severity and
// message fields that Cloud Logging reads from JSON log lines, with its
// severity names.
func cloudLoggingAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		level, _ := a.Value.Any().(slog.Level)
		severity := "DEBUG"
		switch {
		case level >= slog.LevelError:
			severity = "ERROR"
		case level >= slog.LevelWarn:
			severity = "WARNING"
		case level >= slog.LevelInfo:
			severity = "INFO"
		}
		return slog.String("severity", severity)
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}
