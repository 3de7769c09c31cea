// Package registry maps the task names used in the state machines to the
// step functions, with JSON in and out, so that every platform (the embedded
// engine, Lambda, the functions framework) dispatches the same way.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/repolink/repolink/functions/acceptconnection"
	"github.com/repolink/repolink/functions/awaitendpoint"
	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/endpointservice"
	"github.com/repolink/repolink/functions/grants"
	"github.com/repolink/repolink/functions/integration"
	"github.com/repolink/repolink/functions/internal/jsonerror"
	"github.com/repolink/repolink/functions/loadbalancer"
	"github.com/repolink/repolink/functions/preflight"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/functions/repository"
	"github.com/repolink/repolink/functions/secret"
	"github.com/repolink/repolink/functions/targetgroup"
	"github.com/repolink/repolink/functions/verify"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Handler runs one step on a JSON task input and returns its JSON result.
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// Step is one task of the provision state machine.
type Step struct {
	// Name is the task name in the state machine and the key of the step's
	// result under $.resources.
	Name string
	// Waits describes what the step waits for, for progress output.
	Waits string
}

// ProvisionSteps lists the provision steps in the order they run.
var ProvisionSteps = []Step{
	{Name: "preflight", Waits: "the index checks"},
	{Name: "proxy_vm", Waits: "the proxy VM to run"},
	{Name: "target_group"},
	{Name: "load_balancer", Waits: "the load balancer to become active and the proxy healthy"},
	{Name: "endpoint_service", Waits: "the endpoint service"},
	{Name: "endpoint", Waits: "Snowflake to provision the endpoint"},
	{Name: "connection", Waits: "Snowflake's connection request"},
	{Name: "await_endpoint", Waits: "Snowflake to report the endpoint live"},
	{Name: "secret"},
	{Name: "integration"},
	{Name: "repository"},
	{Name: "default"},
	{Name: "grants"},
	{Name: "verification", Waits: "the verification function to install the packages"},
}

// Handlers returns the handler of every step, bound to env.
func Handlers(env *workflow.Env) map[string]Handler {
	handlers := map[string]Handler{
		"preflight":        adapt(env, preflight.Run),
		"proxy_vm":         adaptRoute(env, aws, proxyvm.Run),
		"target_group":     adaptRoute(env, aws, targetgroup.Run),
		"load_balancer":    adaptRoute(env, aws, loadbalancer.Run),
		"endpoint_service": adaptRoute(env, aws, endpointservice.Run),
		"endpoint":         adapt(env, provisionendpoint.Run),
		"connection":       adaptRoute(env, aws, acceptconnection.Run),
		"await_endpoint":   adapt(env, awaitendpoint.Run),
		"secret":           adapt(env, secret.Run),
		"integration":      adapt(env, integration.Run),
		"repository":       adapt(env, repository.Run),
		"default":          adapt(env, defaultrepo.Run),
		"grants":           adapt(env, grants.Run),
		"verification":     adapt(env, verify.Run),
	}
	for _, more := range []map[string]Handler{azureHandlers(env), gcpHandlers(env), egressHandlers(env), teardownHandlers(env)} {
		for name, handler := range more {
			handlers[name] = handler
		}
	}
	for name, handler := range handlers {
		handlers[name] = named(name, handler)
	}
	return handlers
}

// named prefixes a handler's errors with its task name. A task failure
// fails the execution directly, so that a redrive runs the failed task
// again, and the prefix names the failed step for operators and
// notifications. The ASL error name is kept.
func named(name string, handler Handler) Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		out, err := handler(ctx, input)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	}
}

// Routes whose steps read the route's block of the request.
const (
	aws    = request.RouteAWSPrivateLink
	azure  = request.RouteAzurePrivateLink
	gcp    = request.RouteGCPPrivateLink
	egress = request.RouteEgressIP
)

// adapt binds a step that runs on every route.
func adapt[Out any](env *workflow.Env, run func(context.Context, *workflow.Env, workflow.Document) (Out, error)) Handler {
	return adaptRoute(env, "", run)
}

// adaptRoute binds a provision step of one route. A request without that
// route's block fails with InvalidRequest before the step runs, because
// the step reads the block without a nil check. An empty route skips the
// check.
func adaptRoute[Out any](env *workflow.Env, route request.Route, run func(context.Context, *workflow.Env, workflow.Document) (Out, error)) Handler {
	return bind(env, route, (*request.Request).Validate, run)
}

// bind returns the handler that decodes the task input, checks its request
// with validate and the route block of route, and then runs the step.
func bind[Out any](env *workflow.Env, route request.Route, validate func(*request.Request) error, run func(context.Context, *workflow.Env, workflow.Document) (Out, error)) Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var doc workflow.Document
		if err := json.Unmarshal(input, &doc); err != nil {
			return nil, workflow.Invalid("decode task input: the input %s; send a JSON object with request, resources and execution, "+
				"as the state machine passes to the task", jsonerror.Describe(err))
		}
		if err := validate(&doc.Request); err != nil {
			return nil, err
		}
		if err := checkRouteBlock(route, doc.Request); err != nil {
			return nil, err
		}
		out, err := run(ctx, env, doc)
		if err != nil {
			return nil, Classify(err)
		}
		return json.Marshal(out)
	}
}

// checkRouteBlock returns InvalidRequest when req lacks the block of
// route, such as a gcp-privatelink request given to an aws-privatelink step.
func checkRouteBlock(route request.Route, req request.Request) error {
	if route == "" {
		return nil
	}
	block, present := req.RouteBlock(route)
	if block == "" {
		return fmt.Errorf("step registered for unknown route %q", route)
	}
	if present {
		return nil
	}
	return workflow.Invalid("the %s route needs the %s block in the request, but the request's route is %s. Run the steps of the %s route instead", route, block, req.Route, req.Route)
}

// Classify gives an error without an ASL name the name that the state
// machine retries or catches: Transient for timeouts and errors that report
// themselves temporary, and Snowflake's own classification.
func Classify(err error) error {
	if workflow.NameOf(err) != "" {
		return err
	}
	var temporary interface{ Temporary() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &workflow.Error{Name: workflow.ErrTransient, Message: err.Error()}
	case errors.As(err, &temporary) && temporary.Temporary():
		return &workflow.Error{Name: workflow.ErrTransient, Message: err.Error()}
	}
	return fmt.Errorf("%w", err)
}
