// Command bootstrap is repolink's AWS Lambda function for the
// provided.al2023 runtime. One binary serves every function: it reads
// REPOLINK_HANDLER and runs that step of the state machine, or one of the
// service handlers:
//
//	poller      EventBridge Scheduler event: completes the registered waits
//	            and renews the CodeArtifact tokens in runs' SECRETs
//	webhook     API Gateway HTTP API event: starts runs from signed requests
//	notifier    EventBridge "Step Functions Execution Status Change" event
//	            of the provision or teardown state machine, or the
//	            poller's credential expiry event: posts the result of a
//	            closed run, or the expiry, to the request's notify URL
//	operations  API Gateway HTTP API event: the read-only operations API
//	            (GET /v1/executions, /v1/executions/{name} and its
//	            /history) of the provision and teardown state machines
//
// Build it for Lambda with CGO_ENABLED=0 and -tags lambda.norpc (make
// lambda). Configuration, all from the environment:
//
//	REPOLINK_HANDLER             step name, or poller, webhook, notifier,
//	                             operations
//	REPOLINK_DYNAMODB_TABLE      table of waits, webhook tickets and
//	                             credential expiries
//	                             (REPOLINK_WAITS_TABLE is read too)
//	REPOLINK_STATE_MACHINE_ARN   provision state machine, for the webhook
//	                             and the operations API
//	                             (REPOLINK_STATE_MACHINE_ARN_PROVISION too)
//	REPOLINK_STATE_MACHINE_ARN_TEARDOWN
//	                             teardown state machine, for the operations
//	                             API, when the stack has one
//	REPOLINK_WAIT_DEADLINE       bound of the endpoint wait, such as 24h
//	REPOLINK_WEBHOOK_SECRET_ARN  secret with the HMAC key of the webhook
//	                             and the notifications, which every
//	                             handler rejects as a request credential
//	REPOLINK_NOTIFIER_FUNCTION   notifier function, to which the poller
//	                             hands the notification of a credential
//	                             that expires soon; unset, the poller
//	                             only logs a warning
//	REPOLINK_CODEARTIFACT_DOMAINS
//	                             CodeArtifact domain ARNs, or *, for which
//	                             requests of auth type codeartifact get
//	                             tokens; unset rejects every such request
//	SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true
//	                             keeps the Snowflake driver from probing
//	                             cloud metadata addresses on connect. The
//	                             bootstrap sets it when unset, but set it in
//	                             the function environment too.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/repolink/repolink/functions/lambda/internal/invoke"
)

func main() {
	logger := slog.New(invoke.NewLogHandler(slog.NewJSONHandler(os.Stdout, nil)))
	if os.Getenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION") == "" {
		os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	}

	ctx := context.Background()
	fn, closeFn := newFunction(ctx, os.Getenv, logger)
	lambda.StartWithOptions(fn, lambda.WithContext(ctx), lambda.WithEnableSIGTERM(closeFn))
}
