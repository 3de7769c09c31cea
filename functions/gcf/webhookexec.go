package gcf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/preflight"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// requestLabel is the execution label whose value identifies the request
// ID, so that the executions of one ID can be listed with a filter.
const requestLabel = "repolink_request"

// servedRoutes are the routes that statemachines/provision.workflows.yaml
// runs. The workflow raises InvalidRequest for every other route, so Start
// rejects those requests before an execution starts.
var servedRoutes = []request.Route{request.RouteGCPPrivateLink, request.RoutePublic}

// otherCloudSchemes are the reference schemes of the other clouds' secret
// stores, which this deployment has no client for.
var otherCloudSchemes = []string{"aws-secretsmanager:", "azure-keyvault:"}

// workflowClient starts and reads the executions of the provision workflow.
// *gcpadapter.Workflows implements it.
type workflowClient interface {
	Start(ctx context.Context, argument []byte, labels map[string]string) (gcpadapter.WorkflowExecution, error)
	Get(ctx context.Context, id string) (gcpadapter.WorkflowExecution, error)
	ListLabeled(ctx context.Context, key, value string) ([]gcpadapter.WorkflowExecution, error)
	EnteredSteps(ctx context.Context, id string) ([]string, error)
}

var _ workflowClient = (*gcpadapter.Workflows)(nil)

// workflowExecutions is webhook.Executions on Google Workflows. An
// execution's name in responses and in the delivery store is its execution
// ID.
type workflowExecutions struct {
	client workflowClient
	// requests are the credential references that requests may use: no
	// env: or file: reference, and not the signing key.
	requests secrets.AllowList
	// claims stores the default levels that requests claim before they
	// start, or is nil to start requests without claiming them.
	claims startClaimStore
	// clock is the clock of the claims; nil means time.Now.
	clock func() time.Time
	// log receives the claim writes that fail after a start; nil
	// discards them.
	log *slog.Logger
	// env is the step environment with which Start runs the start checks
	// of the preflight step, or nil to run none.
	env *workflow.Env
}

var _ webhook.Executions = (*workflowExecutions)(nil)

// Start checks that the workflow can run req, that the start checks of
// the preflight step pass, that no execution of its ID blocks it, that
// no other request holds its default level and that no other request uses
// its index credential with another index host (claimCredentials), then
// starts an execution with the argument
// {"request": req, "resources": {}}. The argument carries the request's
// credential references, never their values.
func (e *workflowExecutions) Start(ctx context.Context, req request.Request) (string, error) {
	if fields := e.fieldErrors(req); len(fields) > 0 {
		return "", &request.ValidationError{Fields: fields}
	}
	if e.env != nil {
		var rejected *preflight.StartError
		if errors.As(preflight.CheckStart(ctx, e.env, req), &rejected) {
			return "", rejected.Validation()
		}
	}
	argument, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		return "", fmt.Errorf("encode execution argument of request %s: %w", req.ID, err)
	}
	if len(argument) > gcpadapter.MaxWorkflowArgument {
		return "", &request.ValidationError{Fields: []request.FieldError{{Path: "$", Message: fmt.Sprintf(
			"the execution argument of this request is %d bytes, more than the %d bytes that Google Workflows accepts; shorten the request",
			len(argument), gcpadapter.MaxWorkflowArgument)}}}
	}

	label := requestLabelValue(req.ID)
	runs, err := e.runsOf(ctx, req.ID, label)
	if err != nil {
		return "", err
	}
	if err := e.checkRuns(ctx, req, runs); err != nil {
		return "", err
	}
	claim, err := e.claimDefaultLevel(ctx, req)
	if err != nil {
		return "", err
	}
	credentials, err := e.claimCredentials(ctx, req)
	if err != nil {
		e.releaseDefaultClaim(ctx, req, claim)
		return "", err
	}
	started, err := e.client.Start(ctx, argument, map[string]string{requestLabel: label})
	if err != nil {
		if gcpadapter.StartRejected(err) {
			e.releaseDefaultClaim(ctx, req, claim)
			e.releaseCredentialClaims(ctx, req, credentials)
		}
		return "", err
	}
	e.recordClaimExecution(ctx, req, claim, started.ID)
	e.recordCredentialExecutions(ctx, req, credentials, started.ID)
	return started.ID, nil
}

// fieldErrors returns the reasons why the workflow cannot run req, each on
// its field, so that the sender learns them before an execution starts.
func (e *workflowExecutions) fieldErrors(req request.Request) []request.FieldError {
	var fields []request.FieldError
	if !slices.Contains(servedRoutes, req.Route) {
		fields = append(fields, request.FieldError{Path: "$.route", Message: fmt.Sprintf(
			"route %s is not served by the Google Cloud deployment, whose workflow runs gcp-privatelink and public requests; "+
				"send %s requests to the AWS deployment or to repolink up", req.Route, req.Route)})
	}
	fields = append(fields, e.requests.FieldErrors(req, localRefFix)...)
	for _, field := range req.CredentialRefs() {
		for _, scheme := range otherCloudSchemes {
			if strings.HasPrefix(field.Ref, scheme) {
				fields = append(fields, request.FieldError{Path: field.Path, Message: fmt.Sprintf(
					"%s references are not read by the Google Cloud deployment; store the credential in Secret Manager and use %s",
					strings.TrimSuffix(scheme, ":"), "gcp-secretmanager:projects/P/secrets/S/versions/V")})
			}
		}
	}
	if req.Repository.Auth.Type == request.AuthCodeArtifact {
		fields = append(fields, request.FieldError{Path: "$.repository.auth.type", Message: "auth type codeartifact needs AWS credentials, " +
			"which the Google Cloud deployment has none of; send the request to the AWS deployment or to repolink up"})
	}
	return fields
}

// runsOf returns the executions of request ID id, newest first. Executions
// of other IDs with the same label value are left out.
func (e *workflowExecutions) runsOf(ctx context.Context, id, label string) ([]run, error) {
	listed, err := e.client.ListLabeled(ctx, requestLabel, label)
	if err != nil {
		return nil, fmt.Errorf("list executions of request %s: %w", id, err)
	}
	var runs []run
	for _, x := range listed {
		var doc workflow.Document
		if json.Unmarshal([]byte(x.Argument), &doc) != nil || doc.Request.ID != id {
			continue
		}
		runs = append(runs, run{WorkflowExecution: x, request: doc.Request})
	}
	return runs, nil
}

// run is an execution together with the request decoded from its argument.
type run struct {
	gcpadapter.WorkflowExecution
	request request.Request
}

// checkRuns returns the error that keeps req from starting, given the
// executions of its ID newest first, or nil. An open execution of req
// itself, or a latest execution that ran req and closed, is an
// *webhook.ExistingError, and an open one of another request a
// *webhook.RunningError. A closed execution whose placement req changes
// while its resources may exist is the *webhook.ConflictError of
// webhook.PlacementChange.
//
// NOTE: Google Cloud has no teardown workflow yet, so no teardown clears
// an earlier execution here, and a placement change needs a new request ID.
func (e *workflowExecutions) checkRuns(ctx context.Context, req request.Request, runs []run) error {
	canonical, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode request %s: %w", req.ID, err)
	}
	for _, x := range runs {
		if !isOpenState(x.State) {
			continue
		}
		if sameRequest(x.request, canonical) {
			return &webhook.ExistingError{Ticket: req.ID, Execution: x.ID}
		}
		return &webhook.RunningError{Ticket: req.ID, Execution: x.ID}
	}
	if len(runs) > 0 && sameRequest(runs[0].request, canonical) {
		return &webhook.ExistingError{Ticket: req.ID, Execution: runs[0].ID}
	}

	for _, x := range runs {
		changed := request.ChangedPlacement(x.request, req)
		if len(changed) == 0 {
			continue
		}
		status := statusOfState(x.State)
		change := webhook.PlacementChange{Earlier: x.request, Later: req, Fields: changed, Execution: x.ID, Status: status}
		if x.State != "SUCCEEDED" {
			built, endpoint, err := e.builtBeforeStop(ctx, x.ID)
			if err != nil {
				return err
			}
			if !built {
				continue
			}
			change.Stopped = true
			change.NoEndpoint = !endpoint
		}
		return change.Conflict()
	}
	return nil
}

// now returns the time of the claims' clock.
func (e *workflowExecutions) now() time.Time {
	if e.clock == nil {
		return time.Now()
	}
	return e.clock()
}

func (e *workflowExecutions) logger() *slog.Logger {
	if e.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.log
}

// builtBeforeStop reports whether the execution id, which stopped before
// it succeeded, entered a step that calls a building handler, and whether
// it entered the step that provisions the Snowflake private endpoint.
// Building steps are named <handler>_until_ready, except preflight's, and
// await_endpoint.
func (e *workflowExecutions) builtBeforeStop(ctx context.Context, id string) (built, endpoint bool, err error) {
	steps, err := e.client.EnteredSteps(ctx, id)
	if err != nil {
		return false, false, fmt.Errorf("read steps of execution %s: %w", id, err)
	}
	for _, step := range steps {
		if step == "await_endpoint" || (strings.HasSuffix(step, "_until_ready") && step != "preflight_until_ready") {
			built = true
		}
		if step == endpointStep {
			endpoint = true
		}
	}
	return built, endpoint, nil
}

// endpointStep is the workflow step that calls the endpoint handler, which
// provisions or adopts the Snowflake private endpoint.
const endpointStep = "endpoint_until_ready"

// Status returns the status of the execution id as a Step Functions
// execution status, as statusOfState maps it.
//
// NOTE: it leaves the error name and failed step empty, so the duplicate
// reason of a run that preflight rejected gives the general advice.
func (e *workflowExecutions) Status(ctx context.Context, id string) (webhook.ExecutionStatus, error) {
	x, err := e.client.Get(ctx, id)
	if err != nil {
		return webhook.ExecutionStatus{}, err
	}
	return webhook.ExecutionStatus{Status: statusOfState(x.State)}, nil
}

// Teardown returns no teardown, because Google Cloud has no teardown
// workflow yet.
func (e *workflowExecutions) Teardown(context.Context, string, string) (string, string, error) {
	return "", "", nil
}

// Latest returns the ID of the latest execution of req.ID, however it
// started, and whether it ran req. That is the open execution, if any, and
// otherwise the newest.
func (e *workflowExecutions) Latest(ctx context.Context, req request.Request) (string, bool, error) {
	runs, err := e.runsOf(ctx, req.ID, requestLabelValue(req.ID))
	if err != nil || len(runs) == 0 {
		return "", false, err
	}
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", false, fmt.Errorf("encode request %s: %w", req.ID, err)
	}
	latest := runs[0]
	if i := slices.IndexFunc(runs, func(x run) bool { return isOpenState(x.State) }); i >= 0 {
		latest = runs[i]
	}
	return latest.ID, sameRequest(latest.request, canonical), nil
}

// requestLabelValue returns the label value of request ID id: the first 40
// hex digits of its SHA-256, because label values allow only lowercase
// letters, digits, underscores and dashes.
func requestLabelValue(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:40]
}

func sameRequest(ran request.Request, canonical []byte) bool {
	encoded, err := json.Marshal(ran)
	return err == nil && bytes.Equal(encoded, canonical)
}

// isOpenState reports whether a Workflows execution state is one in which
// the execution can still change resources.
func isOpenState(state string) bool {
	return state == "ACTIVE" || state == "QUEUED"
}

// statusOfState maps a Workflows execution state to the Step Functions
// status that the webhook responses of the other deployments use: RUNNING,
// SUCCEEDED, FAILED or ABORTED. UNAVAILABLE and STATE_UNSPECIFIED have no
// counterpart and pass through unchanged.
func statusOfState(state string) string {
	if isOpenState(state) {
		return "RUNNING"
	}
	if state == "CANCELLED" {
		return "ABORTED"
	}
	return state
}
