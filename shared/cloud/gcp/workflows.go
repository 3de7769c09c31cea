package gcp

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/api/option"
	executions "google.golang.org/api/workflowexecutions/v1"

	"github.com/repolink/repolink/shared/workflow"
)

// MaxWorkflowArgument is the largest execution argument that the Workflow
// Executions API accepts, in bytes: 32 KB, as the reference of
// Execution.argument in google.golang.org/api/workflowexecutions/v1 states.
const MaxWorkflowArgument = 32 << 10

// listExecutionsPageSize is the maximum page size of a FULL view list,
// which includes each execution's argument, as the reference of the
// pageSize parameter in google.golang.org/api/workflowexecutions/v1 states.
const listExecutionsPageSize = 100

// listStepEntriesPageSize is the page size that EnteredSteps requests.
const listStepEntriesPageSize = 100

// workflowNamePattern matches the resource name of a workflow.
var workflowNamePattern = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/workflows/[^/]+$`)

// labelValuePattern matches the label values that the Workflow Executions
// API accepts: lowercase letters, digits, underscores and dashes, at most
// 63 characters.
var labelValuePattern = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)

// WorkflowExecution is the part of a Workflows execution that repolink
// reads.
type WorkflowExecution struct {
	// Name is the resource name,
	// projects/P/locations/L/workflows/W/executions/ID.
	Name string
	// ID is the last segment of Name.
	ID string
	// State is ACTIVE, QUEUED, SUCCEEDED, FAILED, CANCELLED, UNAVAILABLE or
	// STATE_UNSPECIFIED.
	State string
	// Argument is the execution's JSON argument.
	Argument  string
	StartTime time.Time
}

// Workflows starts and reads the executions of one workflow through the
// Workflow Executions API client of google.golang.org/api. It is safe for
// concurrent use.
type Workflows struct {
	executions  *executions.ProjectsLocationsWorkflowsExecutionsService
	workflow    string
	callTimeout time.Duration
}

// CheckWorkflowName returns an InvalidRequest error when name is not the
// resource name of a workflow, projects/P/locations/L/workflows/W. It
// makes no call, so settings can be checked before any client is built.
func CheckWorkflowName(name string) error {
	if !workflowNamePattern.MatchString(name) {
		return workflow.Invalid("gcp: workflow %q is not a workflow name; use projects/P/locations/L/workflows/W", name)
	}
	return nil
}

// NewWorkflows builds the Workflow Executions client from the endpoint,
// client options and call timeout of opts, for the workflow named
// projects/P/locations/L/workflows/W. An empty opts.Endpoint means the
// production endpoint. A malformed workflow name is an InvalidRequest
// error.
func NewWorkflows(ctx context.Context, opts Options, name string) (*Workflows, error) {
	if err := CheckWorkflowName(name); err != nil {
		return nil, err
	}
	clientOpts := append([]option.ClientOption(nil), opts.ClientOptions...)
	if opts.Endpoint != "" {
		// The client resolves paths such as v1/projects/... against the
		// endpoint, which therefore needs a trailing slash.
		clientOpts = append(clientOpts, option.WithEndpoint(strings.TrimRight(opts.Endpoint, "/")+"/"))
	}
	service, err := executions.NewService(ctx, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("gcp: create Workflow Executions client: %w", err)
	}
	callTimeout := opts.CallTimeout
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	return &Workflows{
		executions:  service.Projects.Locations.Workflows.Executions,
		workflow:    name,
		callTimeout: callTimeout,
	}, nil
}

// Workflow returns the resource name of the workflow.
func (w *Workflows) Workflow() string { return w.workflow }

// Start creates an execution with the JSON argument and the labels. Each
// call creates a new execution, because the API takes no request ID, so
// the caller must check for an existing one first.
func (w *Workflows) Start(ctx context.Context, argument []byte, labels map[string]string) (WorkflowExecution, error) {
	if len(argument) > MaxWorkflowArgument {
		return WorkflowExecution{}, workflow.Invalid("gcp: execution argument is %d bytes, more than the %d that Workflows accepts",
			len(argument), MaxWorkflowArgument)
	}
	for key, value := range labels {
		if !labelValuePattern.MatchString(value) {
			return WorkflowExecution{}, workflow.Invalid("gcp: execution label %s=%q is not a valid label value", key, value)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, w.callTimeout)
	defer cancel()
	x, err := w.executions.Create(w.workflow, &executions.Execution{Argument: string(argument), Labels: labels}).
		Context(ctx).Do()
	if err != nil {
		return WorkflowExecution{}, classify(err, projectOf(w.workflow), "start execution of workflow %s", w.workflow)
	}
	return decodeExecution(x), nil
}

// StartRejected reports whether err, from Start, means that no execution
// was created. That is so when Start rejected the argument or a label
// before the call, or when the API responded with a 4xx status. Examples
// are 400 for an invalid argument, 403 for a missing permission and 429
// for an exhausted quota.
// After a timeout, a network error or a 5xx response the execution may
// have been created.
func StartRejected(err error) bool {
	if code := httpCode(err); code != 0 {
		return code >= 400 && code < 500
	}
	var named *workflow.Error
	return errors.As(err, &named) && named.Name == workflow.ErrInvalidRequest
}

// Get returns the execution with the ID id, with its argument.
func (w *Workflows) Get(ctx context.Context, id string) (WorkflowExecution, error) {
	ctx, cancel := context.WithTimeout(ctx, w.callTimeout)
	defer cancel()
	x, err := w.executions.Get(w.workflow + "/executions/" + id).View("FULL").Context(ctx).Do()
	if err != nil {
		return WorkflowExecution{}, classify(err, projectOf(w.workflow), "read execution %s of workflow %s", id, w.workflow)
	}
	return decodeExecution(x), nil
}

// ListLabeled returns every execution of the workflow whose label key has
// the value value, newest first, with their arguments. It reads every page.
func (w *Workflows) ListLabeled(ctx context.Context, key, value string) ([]WorkflowExecution, error) {
	// NOTE: the filter follows the AIP-160 syntax that the API reference
	// names for the label field. Only a local test server has run it.
	filter := fmt.Sprintf("labels.%s=%q", key, value)
	var list []WorkflowExecution
	token := ""
	for {
		page, err := w.listPage(ctx, filter, token)
		if err != nil {
			return nil, classify(err, projectOf(w.workflow), "list executions of workflow %s with %s", w.workflow, filter)
		}
		for _, x := range page.Executions {
			list = append(list, decodeExecution(x))
		}
		if page.NextPageToken == "" {
			return list, nil
		}
		token = page.NextPageToken
	}
}

// EnteredSteps returns the names of the steps that the execution with the
// ID id entered, in the order it entered them, from its step entries. It
// reads every page.
func (w *Workflows) EnteredSteps(ctx context.Context, id string) ([]string, error) {
	parent := w.workflow + "/executions/" + id
	var steps []string
	token := ""
	for {
		page, err := w.stepEntriesPage(ctx, parent, token)
		if err != nil {
			return nil, classify(err, projectOf(w.workflow), "list step entries of execution %s", parent)
		}
		for _, entry := range page.StepEntries {
			steps = append(steps, entry.Step)
		}
		if page.NextPageToken == "" {
			return steps, nil
		}
		token = page.NextPageToken
	}
}

func (w *Workflows) stepEntriesPage(ctx context.Context, parent, token string) (*executions.ListStepEntriesResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, w.callTimeout)
	defer cancel()
	call := w.executions.StepEntries.List(parent).OrderBy("entryId").PageSize(listStepEntriesPageSize).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

func (w *Workflows) listPage(ctx context.Context, filter, token string) (*executions.ListExecutionsResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, w.callTimeout)
	defer cancel()
	call := w.executions.List(w.workflow).
		Filter(filter).
		OrderBy("startTime desc").
		View("FULL").
		PageSize(listExecutionsPageSize).
		Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

func decodeExecution(x *executions.Execution) WorkflowExecution {
	out := WorkflowExecution{Name: x.Name, State: x.State, Argument: x.Argument}
	out.ID = x.Name[strings.LastIndex(x.Name, "/")+1:]
	if t, err := time.Parse(time.RFC3339Nano, x.StartTime); err == nil {
		out.StartTime = t
	}
	return out
}

// projectOf returns the project of a resource name that starts with
// projects/P/.
func projectOf(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}
