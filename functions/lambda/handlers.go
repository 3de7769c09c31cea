package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/functions/internal/jsonerror"
	"github.com/repolink/repolink/functions/lambda/internal/awsenv"
	"github.com/repolink/repolink/functions/lambda/internal/exclusion"
	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/functions/lambda/internal/invoke"
	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/functions/lambda/internal/operations"
	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/registry"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// errorTypeConfiguration is the error type of every invocation of a
// function whose environment is invalid.
const errorTypeConfiguration = "InvalidConfiguration"

// Retry settings of the DynamoDB and Step Functions clients, the same as
// the network adapter's: the state machine retries across invocations.
const (
	sdkMaxAttempts = 3
	sdkMaxBackoff  = 5 * time.Second
)

// app holds the clients of one execution environment.
type app struct {
	cfg      config
	logger   *slog.Logger
	adapters *awsenv.Adapters
	// requests are the credential references that requests may use.
	requests secrets.AllowList
	// codeArtifactDomains are the domains for which requests of auth type
	// codeartifact get tokens.
	codeArtifactDomains workflow.CodeArtifactDomains
	aws                 aws.Config
	// store is the one client of the DynamoDB table, shared by the steps,
	// the exclusion check, the webhook and the notifier, or nil without a
	// table.
	store *dynamo.Store
}

// newFunction builds the function that REPOLINK_HANDLER names. An invalid
// configuration gives a function that fails every invocation with the
// reason, so the cause shows in the state machine's history and not only in
// the log of a crashed runtime.
func newFunction(ctx context.Context, getenv func(string) string, logger *slog.Logger) (invoke.Function, func()) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return failing(cfg.Handler, err, logger), func() {}
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return failing(cfg.Handler, err, logger), func() {}
	}
	handler, err := a.handler()
	if err != nil {
		a.adapters.Close()
		return failing(cfg.Handler, err, logger), func() {}
	}
	return invoke.Function{Name: cfg.Handler, Handler: handler, Logger: logger}, a.adapters.Close
}

// failing returns the function of a handler that could not start. The
// HTTP API handlers return a JSON 500 response and log the cause, because
// API Gateway turns a Lambda error into a generic 500 response. The
// other handlers fail every invocation with InvalidConfiguration and the
// cause.
func failing(name string, err error, logger *slog.Logger) invoke.Function {
	logger.Error("function not started", "handler", name, "error", err)
	response := invoke.ErrorResponse(&workflow.Error{Name: errorTypeConfiguration, Message: err.Error()})
	handler := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, response
	}
	switch name {
	case handlerWebhook:
		handler = notConfigured("the webhook is not configured; the function log has the cause", name, err, logger)
	case handlerOperations:
		handler = notConfigured("the operations API is not configured; the function log has the cause", name, err, logger)
	}
	return invoke.Function{Name: name, Logger: logger, Handler: handler}
}

// notConfigured returns an HTTP API handler that logs cause and returns a
// 500 response with message on every invocation.
func notConfigured(message, name string, cause error, logger *slog.Logger) invoke.Handler {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{message})
	response, _ := json.Marshal(events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusInternalServerError,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	})
	return func(context.Context, json.RawMessage) (json.RawMessage, error) {
		logger.Error("request rejected because the function is not configured", "handler", name, "error", cause)
		return response, nil
	}
}

func newApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = sdkMaxAttempts
				o.MaxBackoff = sdkMaxBackoff
			})
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	awsCfg.HTTPClient = awsadapter.ReadOnlyBodies(awsCfg.HTTPClient)

	// The table keeps the waits, the endpoint reservations, the credential
	// expiries, the default repository records and the object locations.
	// The variables stay nil interfaces without a table, so that the steps
	// see no store.
	var store *dynamo.Store
	var waits workflow.WaitRegistry
	var reservations workflow.EndpointReservations
	var credentials workflow.CredentialRegistry
	var defaults workflow.DefaultRegistry
	var locations workflow.LocationRegistry
	if cfg.Table != "" {
		store = dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
		waits = store
		reservations = store
		credentials = store.Credentials()
		defaults = store.Defaults()
		locations = store.Locations()
	}
	// The webhook secret is the only secret that the deployment reads for
	// itself, and no request may read it.
	requests, err := awsenv.RequestRefs(cfg.WebhookSecretARN)
	if err == nil {
		requests, err = requests.WithStoreRefs(strings.Split(cfg.AllowSecretRefs, ","), allowSecretRefsFix)
	}
	if err != nil {
		return nil, fmt.Errorf("list the credential references that requests may use: %w", err)
	}
	codeArtifactDomains, err := workflow.ParseCodeArtifactDomains(cfg.CodeArtifactDomains, codeArtifactDomainsFix)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", envCodeArtifactDomains, err)
	}
	adapters := awsenv.New(awsenv.Options{
		Region:               cfg.Region,
		CodeArtifactDomains:  &codeArtifactDomains,
		AWS:                  awsadapter.Options{MaxAttempts: sdkMaxAttempts, MaxBackoff: sdkMaxBackoff},
		Requests:             requests,
		Waits:                waits,
		EndpointReservations: reservations,
		Credentials:          credentials,
		Defaults:             defaults,
		Locations:            locations,
		WaitDeadline:         cfg.WaitDeadline,
		Now:                  time.Now,
		Logger:               logger,
	})
	return &app{cfg: cfg, logger: logger, adapters: adapters, requests: requests,
		codeArtifactDomains: codeArtifactDomains, aws: awsCfg, store: store}, nil
}

// handler returns the handler of cfg.Handler.
func (a *app) handler() (invoke.Handler, error) {
	switch a.cfg.Handler {
	case handlerPoller:
		return a.poller(), nil
	case handlerWebhook:
		return a.webhook(), nil
	case handlerNotifier:
		return a.notifier(), nil
	case handlerOperations:
		return a.operations(), nil
	}
	env := a.adapters.Env()
	var checker *exclusion.Checker
	if a.cfg.ProvisionMachine != "" {
		// The egress refresh of a request that a teardown removed must
		// not open its firewall again, which the checker finds in the run
		// items.
		checker = a.checker()
		env.TornDown = checker.TornDown
	}
	step, ok := registry.Handlers(env)[a.cfg.Handler]
	if !ok {
		return nil, unknownHandler(a.cfg.Handler)
	}
	handler := invoke.Handler(step)
	if checker != nil {
		handler = checker.Wrap(firstSteps[a.cfg.Handler], step)
	}
	if a.cfg.Handler == "preflight" {
		handler = rejectUnsupportedRoute(handler)
	}
	return handler, nil
}

// rejectUnsupportedRoute fails an input whose request the deployment cannot
// run with InvalidRequest before next runs. Preflight is the first state of
// the provision machine, so an execution that the Step Functions API
// started for such a request fails there. It fails before any secret read,
// Snowflake login or check for other executions of the request. An input
// that does not decode is left to next, which reports it.
func rejectUnsupportedRoute(next invoke.Handler) invoke.Handler {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var doc struct {
			Request struct {
				Route  request.Route `json:"route"`
				Egress *struct {
					Cloud string `json:"cloud"`
				} `json:"egress"`
			} `json:"request"`
		}
		if json.Unmarshal(payload, &doc) == nil {
			req := request.Request{Route: doc.Request.Route}
			if doc.Request.Egress != nil {
				req.Egress = &request.Egress{Cloud: doc.Request.Egress.Cloud}
			}
			if unsupported := awsenv.UnsupportedRoute(req); unsupported != nil {
				return nil, workflow.Invalid("%s: %s", unsupported.Path, unsupported.Message)
			}
		}
		return next(ctx, payload)
	}
}

// unknownHandler returns the error for a REPOLINK_HANDLER value that names
// no handler.
func unknownHandler(name string) error {
	return fmt.Errorf("%s=%q names no step or service handler; use a task name of the state machine, or poller, webhook, notifier or operations", envHandler, name)
}

// checker returns the check that keeps the executions of one request
// apart. With the table it takes the request's run item, and without it
// it lists the running executions.
func (a *app) checker() *exclusion.Checker {
	checker := &exclusion.Checker{
		Executions: sfn.New(sfnsdk.NewFromConfig(a.aws)),
		Provision:  a.cfg.ProvisionMachine,
		Teardown:   a.cfg.TeardownMachine,
		Now:        time.Now,
	}
	// A nil *dynamo.Store in the interface would not compare equal to nil.
	if a.store != nil {
		checker.Holders = a.store
	}
	return checker
}

// firstSteps are the tasks that every execution of the provision or the
// teardown machine runs first, the preflight and the Snowflake teardown.
// They check for other executions of the request on every call, and the
// other steps only after a redrive.
var firstSteps = map[string]bool{"preflight": true, "teardown_snowflake": true}

// poller completes the registered waits, and renews the CodeArtifact tokens
// in runs' SECRETs or warns before other recorded credentials expire. Its
// input, the EventBridge Scheduler payload, carries nothing it needs.
func (a *app) poller() invoke.Handler {
	p := a.newPoller()
	return func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		report, err := p.Poll(ctx)
		if err != nil {
			return nil, err
		}
		a.logger.Info("poll finished", "waits", report.Waits, "accounts", report.Accounts,
			"succeeded", report.Succeeded, "failed", report.Failed, "pending", report.Pending,
			"renewed", report.Renewed, "expiry_warnings", report.ExpiryWarnings,
			"expiry_notifications", report.ExpiryNotifications, "errors", report.Errors)
		return json.Marshal(report)
	}
}

// newPoller returns the poller. With REPOLINK_NOTIFIER_FUNCTION it sends
// the notification of a credential that expires soon through the notifier
// function, and without it only logs a warning.
func (a *app) newPoller() *poller.Poller {
	p := &poller.Poller{Env: a.adapters.Env(), Tasks: tasks{sfn.New(sfnsdk.NewFromConfig(a.aws))}, NextAction: lambdaNextAction}
	if a.cfg.NotifierFunction != "" {
		p.Notices = credentialNotices{client: lambdasdk.NewFromConfig(a.aws), function: a.cfg.NotifierFunction}
	}
	return p
}

// lambdaNextAction returns the advice of the notifier function's
// credential_expires_soon notification, which the poller's warning gives too.
func lambdaNextAction(req request.Request) string { return payload.CredentialNextAction(req, "") }

// webhook serves API Gateway HTTP API events.
func (a *app) webhook() invoke.Handler {
	w := a.newWebhook()
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var event events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &event); err != nil {
			return nil, invalidHTTPEvent(err)
		}
		response, err := w.Handle(ctx, event)
		if err != nil {
			return nil, err
		}
		return json.Marshal(response)
	}
}

// invalidHTTPEvent returns the error of an event that did not decode as an
// API Gateway HTTP API event.
func invalidHTTPEvent(err error) error {
	return workflow.Invalid("decode API Gateway HTTP API event: the event %s; "+
		"send an HTTP API event of payload format 2.0, a JSON object with rawPath, headers, requestContext and body", jsonerror.Describe(err))
}

// newWebhook returns the webhook on the app's table. loadConfig requires a
// table for the webhook handler. Without one, Deliveries stays nil and the
// webhook rejects every delivery with a configuration error.
func (a *app) newWebhook() *httpapi.Webhook {
	w := &httpapi.Webhook{
		Secret:              a.secret(),
		Requests:            a.requests,
		CodeArtifactDomains: a.codeArtifactDomains,
		Executions:          sfn.New(sfnsdk.NewFromConfig(a.aws)),
		StateMachineARN:     a.cfg.StateMachineARN,
		TeardownMachine:     a.cfg.TeardownMachine,
		Now:                 time.Now,
		Logger:              a.logger,
	}
	if a.store != nil {
		w.Deliveries = a.store
		w.RunItems = a.store
		w.Claims = a.store
	}
	return w
}

// operations serves the read-only operations API from Step Functions.
func (a *app) operations() invoke.Handler {
	api := &operations.API{
		Executions:              sfn.New(sfnsdk.NewFromConfig(a.aws)),
		StateMachineARN:         a.cfg.StateMachineARN,
		TeardownStateMachineARN: a.cfg.TeardownStateMachineARN,
		Logger:                  a.logger,
	}
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var event events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &event); err != nil {
			return nil, invalidHTTPEvent(err)
		}
		response, err := api.Handle(ctx, event)
		if err != nil {
			return nil, err
		}
		return json.Marshal(response)
	}
}

// notifier posts run results to the requests' notify URLs, releases the
// endpoint reservations of runs that closed before their endpoint step, and
// releases the run items that closed runs hold.
func (a *app) notifier() invoke.Handler {
	return a.newNotifier().Handle
}

func (a *app) newNotifier() *notifier.Notifier {
	n := &notifier.Notifier{
		Secret:     a.secret(),
		Executions: sfn.New(sfnsdk.NewFromConfig(a.aws)),
		Env:        a.adapters.Env(),
		Now:        time.Now,
		Logger:     a.logger,
	}
	if a.store != nil {
		n.RunItems = a.store
		n.Notices = a.store.Credentials()
	}
	return n
}

// secret returns the reader of the HMAC key, or nil when no secret is
// configured.
func (a *app) secret() func(context.Context) ([]byte, error) {
	if a.cfg.WebhookSecretARN == "" {
		return nil
	}
	cache := &httpapi.CachedSecret{Read: func(ctx context.Context) (string, error) {
		return a.adapters.ServiceSecrets().Resolve(ctx, awsadapter.SecretRefScheme+a.cfg.WebhookSecretARN)
	}}
	return cache.Get
}

// tasks completes task tokens on Step Functions for the poller, which drops
// a wait whose token wraps poller.ErrTokenGone.
type tasks struct{ client *sfn.Client }

func (t tasks) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	return tokenGone(t.client.SendTaskSuccess(ctx, token, output))
}

func (t tasks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return tokenGone(t.client.SendTaskFailure(ctx, token, errName, cause))
}

func tokenGone(err error) error {
	if errors.Is(err, sfn.ErrTokenGone) {
		return fmt.Errorf("%w: %w", poller.ErrTokenGone, err)
	}
	return err
}

var _ poller.Tasks = tasks{}
