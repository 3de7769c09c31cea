package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// Environment variables that configure the bootstrap. Of a pair, the second
// name is read when the first is unset. The CDK stack in infra/ sets
// REPOLINK_DYNAMODB_TABLE, and REPOLINK_STATE_MACHINE_ARN on the webhook but
// REPOLINK_STATE_MACHINE_ARN_PROVISION on the operations function.
const (
	envHandler          = "REPOLINK_HANDLER"
	envTable            = "REPOLINK_DYNAMODB_TABLE"
	envTableAlias       = "REPOLINK_WAITS_TABLE"
	envMachineARN       = "REPOLINK_STATE_MACHINE_ARN"
	envMachineARNStack  = "REPOLINK_STATE_MACHINE_ARN_PROVISION"
	envTeardownARN      = "REPOLINK_STATE_MACHINE_ARN_TEARDOWN"
	envProvisionName    = "REPOLINK_STATE_MACHINE_NAME_PROVISION"
	envTeardownName     = "REPOLINK_STATE_MACHINE_NAME_TEARDOWN"
	envWaitDeadline     = "REPOLINK_WAIT_DEADLINE"
	envWebhookSecretARN = "REPOLINK_WEBHOOK_SECRET_ARN"
	envRegion           = "AWS_REGION"
	// envNotifierFunction names the notifier function, to which the
	// poller sends the credential expiry notifications to sign and post.
	envNotifierFunction = "REPOLINK_NOTIFIER_FUNCTION"
	// envCodeArtifactDomains lists the CodeArtifact domain ARNs, or *, for
	// which requests of auth type codeartifact get tokens. Unset rejects
	// every such request.
	envCodeArtifactDomains = "REPOLINK_CODEARTIFACT_DOMAINS"
	// envAllowSecretRefs lists the aws-secretsmanager: references, or
	// prefixes of them followed by *, that requests may use. Unset allows
	// every one except the deployment's own secrets.
	envAllowSecretRefs = "REPOLINK_ALLOW_SECRET_REFS"
)

// allowSecretRefsFix is the change that lets a rejected secret store
// reference through.
const allowSecretRefsFix = "use a reference that the deployment's " + envAllowSecretRefs + " allows, or ask its operator to add the reference there"

// codeArtifactDomainsFix is the change that lets a rejected CodeArtifact
// domain through in the stack.
const codeArtifactDomainsFix = "add its ARN to the stack's codeArtifactDomainArns (or set codeArtifactAnyDomain=true) and deploy the stack again"

// Service handler names. Every other name is a step of the registry.
const (
	handlerPoller     = "poller"
	handlerWebhook    = "webhook"
	handlerNotifier   = "notifier"
	handlerOperations = "operations"
)

// config is the bootstrap's configuration, read from the environment.
type config struct {
	Handler string
	Region  string
	// Table is the DynamoDB table of waits, webhook tickets and endpoint
	// reservations.
	Table string
	// StateMachineARN is the provision state machine that the webhook
	// starts and the operations API reads.
	StateMachineARN string
	// TeardownStateMachineARN is the teardown state machine that the
	// operations API also reads, or "" when the stack has none.
	TeardownStateMachineARN string
	// ProvisionMachine and TeardownMachine are the names of the provision
	// and teardown state machines, for the check that keeps their
	// executions of one request apart. Steps are not checked when
	// ProvisionMachine is "".
	ProvisionMachine string
	TeardownMachine  string
	// WaitDeadline bounds the long wait of await_endpoint. Zero means the
	// step's default.
	WaitDeadline time.Duration
	// WebhookSecretARN is the Secrets Manager secret with the HMAC key of
	// the webhook and the notifications. The webhook and the steps reject
	// a request that references it.
	WebhookSecretARN string
	// CodeArtifactDomains is the comma-separated list of CodeArtifact
	// domain ARNs, or *, for which tokens are got. Empty allows none.
	CodeArtifactDomains string
	// AllowSecretRefs is the comma-separated list of secret store
	// references, or prefixes of them followed by *, that requests may
	// use. Empty allows every one except the deployment's own secrets.
	AllowSecretRefs string
	// NotifierFunction is the name or ARN of the notifier function, which
	// signs and posts the poller's credential expiry notifications. Empty
	// means the poller only logs them.
	NotifierFunction string
}

// loadConfig reads the configuration and checks that the handler has what
// it needs. The error lists every problem at once.
func loadConfig(getenv func(string) string) (config, error) {
	first := func(names ...string) string {
		for _, name := range names {
			if v := strings.TrimSpace(getenv(name)); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := config{
		Handler:          first(envHandler),
		Region:           first(envRegion),
		Table:            first(envTable, envTableAlias),
		StateMachineARN:  first(envMachineARN, envMachineARNStack),
		WebhookSecretARN: first(envWebhookSecretARN),
		ProvisionMachine: first(envProvisionName),
		TeardownMachine:  first(envTeardownName),

		CodeArtifactDomains: first(envCodeArtifactDomains),
		AllowSecretRefs:     first(envAllowSecretRefs),
		NotifierFunction:    first(envNotifierFunction),
	}
	if cfg.Handler == handlerOperations {
		cfg.TeardownStateMachineARN = first(envTeardownARN)
	}

	var problems []string
	if raw := first(envWaitDeadline); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s=%q is not a positive duration; use a value such as 24h", envWaitDeadline, raw))
		}
		cfg.WaitDeadline = d
	}
	if _, err := workflow.ParseCodeArtifactDomains(cfg.CodeArtifactDomains, ""); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", envCodeArtifactDomains, err))
	}
	if _, err := (secrets.AllowList{}).WithStoreRefs(strings.Split(cfg.AllowSecretRefs, ","), allowSecretRefsFix); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", envAllowSecretRefs, err))
	}
	require := func(value, name, purpose string) {
		if value == "" {
			problems = append(problems, fmt.Sprintf("%s is not set; the %s handler needs %s", name, cfg.Handler, purpose))
		}
	}
	switch cfg.Handler {
	case "":
		problems = append(problems, envHandler+" is not set; set it to a step name such as proxy_vm, or to poller, webhook, notifier or operations")
	case handlerPoller, "await_endpoint":
		require(cfg.Table, envTable, "the DynamoDB table of waits")
	case handlerWebhook:
		require(cfg.Table, envTable, "the DynamoDB table of webhook tickets")
		require(cfg.StateMachineARN, envMachineARN, "the provision state machine ARN")
		require(cfg.WebhookSecretARN, envWebhookSecretARN, "the ARN of the secret with the HMAC key")
	case handlerOperations:
		require(cfg.StateMachineARN, envMachineARNStack, "the provision state machine ARN")
	}
	if len(problems) > 0 {
		return cfg, fmt.Errorf("invalid configuration: %s", strings.Join(problems, "; "))
	}
	return cfg, nil
}
