package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/storehealth"
)

// operationsAPI serves the read-only operations endpoints of repolink up.
type operationsAPI struct {
	engine *engine.Engine
	// notes is the notification store from which describe reads the
	// delivery state of the execution's notifications, or nil for none.
	notes *notify.Store
	// health reports whether the state stores take writes, for /healthz.
	health *storehealth.Monitor
	// token is the bearer token that every /v1/executions request must
	// carry. Empty means no authentication, which only sandbox mode allows,
	// and then only on a loopback listen address.
	token string
	// listen is the host:port that the service listens on.
	listen string
	logger *slog.Logger
}

func (a *operationsAPI) register(mux *http.ServeMux) {
	if a.token == "" && !loopbackListen(a.listen) {
		a.logger.Warn("executions endpoints reject every request", "reason", "no API token is set and the listen address is not a loopback address", "listen", a.listen)
	}
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /v1/executions", a.authorized(a.list))
	mux.HandleFunc("GET /v1/executions/{name}", a.authorized(a.describe))
	mux.HandleFunc("GET /v1/executions/{name}/history", a.authorized(a.history))
}

// healthz responds 200 while the state stores take writes, and 503 with
// the reason while they are full or read-only, so that a load balancer or
// monitor detects that the service cannot take requests. The endpoint needs
// no token, so the reason leaves out the directory, which the log names.
func (a *operationsAPI) healthz(w http.ResponseWriter, _ *http.Request) {
	var unwritable *storehealth.UnwritableError
	if !errors.As(a.health.Err(), &unwritable) {
		writeAPI(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	var reason string
	switch {
	case unwritable.ReadOnly:
		reason = "the state store is read-only; make its directory and the files in it writable"
	case unwritable.TooLarge:
		reason = "the state store has a file at the file size limit of this process; raise the limit (ulimit -f) or run without it"
	default:
		reason = "the state store is full; free space on its file system"
	}
	reason += " (the service log names the directory)"
	writeAPI(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "error": reason})
}

// authorized checks the bearer token in constant time before calling next.
// Without a token it calls next only when the service listens on a
// loopback address, because executions and their history contain request
// inputs and task tokens.
func (a *operationsAPI) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.token == "" && !loopbackListen(a.listen) {
			a.logger.Warn("operations request rejected", "path", r.URL.Path, "status", http.StatusForbidden, "reason", "no API token on a non-loopback listen address")
			writeAPI(w, http.StatusForbidden, apiError{Error: "the operations API is served without authentication only on a loopback listen address; " +
				"restart repolink up with " + envAPIToken + " set and send Authorization: Bearer <" + envAPIToken + ">, or listen on 127.0.0.1"})
			return
		}
		if a.token != "" {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
				a.logger.Warn("operations request rejected", "path", r.URL.Path, "status", http.StatusUnauthorized, "auth", "bearer")
				w.Header().Set("WWW-Authenticate", `Bearer realm="repolink"`)
				writeAPI(w, http.StatusUnauthorized, apiError{Error: "missing or wrong bearer token; send Authorization: Bearer <REPOLINK_API_TOKEN>"})
				return
			}
		}
		next(w, r)
	}
}

// loopbackListen reports whether the host of a host:port listen address
// is localhost or a loopback IP address. An empty host listens on every
// interface, so it is not loopback.
func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bearerToken returns the token of a Bearer Authorization header. HTTP
// authentication scheme names are case-insensitive, so any case matches.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(token, " "), true
}

type apiError struct {
	Error string `json:"error"`
}

func (a *operationsAPI) list(w http.ResponseWriter, r *http.Request) {
	execs, err := a.engine.List(r.Context())
	if err != nil {
		a.failed(w, "list executions", err)
		return
	}
	views := make([]executionView, 0, len(execs))
	for _, x := range execs {
		views = append(views, newView(x))
	}
	writeAPI(w, http.StatusOK, map[string]any{"executions": views})
}

func (a *operationsAPI) describe(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, err := describeExecution(r.Context(), a.engine, name)
	if errors.Is(err, engine.ErrExecutionNotFound) {
		writeExecutionNotFound(w, name)
		return
	}
	if err != nil {
		a.failed(w, "describe execution", err)
		return
	}
	out := describedExecution{executionView: v}
	if a.notes != nil {
		if out.Notifications, err = readViews(r.Context(), a.notes, name); err != nil {
			a.failed(w, "read notifications", err)
			return
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// describedExecution is the response of GET /v1/executions/{name}: the
// execution's view and the delivery state of the notification of each of
// its runs, as repolink status --output json shows them.
type describedExecution struct {
	executionView
	Notifications []notify.View `json:"notifications,omitempty"`
}

func (a *operationsAPI) history(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	events, err := a.engine.History(r.Context(), name)
	if errors.Is(err, engine.ErrExecutionNotFound) {
		writeExecutionNotFound(w, name)
		return
	}
	if err != nil {
		a.failed(w, "read history", err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{"execution": name, "events": newEventViews(events)})
}

// writeExecutionNotFound writes the response for a name that the store
// has no execution of: 400 for a name that breaks the execution name rules,
// else 404. The store is searched first, so an execution that an older
// repolink started under rules since tightened stays readable.
func writeExecutionNotFound(w http.ResponseWriter, name string) {
	if err := engine.ValidateName(name); err != nil {
		writeAPI(w, http.StatusBadRequest, apiError{Error: err.Error() + "; use a name that GET /v1/executions lists"})
		return
	}
	writeAPI(w, http.StatusNotFound, apiError{Error: "no execution named " + name})
}

func (a *operationsAPI) failed(w http.ResponseWriter, op string, err error) {
	a.logger.Error(op+" failed", "error", err)
	writeAPI(w, http.StatusInternalServerError, apiError{Error: op + " failed; the service log has the cause"})
}

func writeAPI(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
