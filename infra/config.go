package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/repolink/repolink/shared/secrets"
)

// Config holds the deployment parameters. Each one is read from the CDK
// context (cdk.json or `cdk deploy -c key=value`) and, when the context does
// not set it, from an environment variable.
type Config struct {
	// Prefix starts the names of the functions, state machines and schedule,
	// so that two stacks can share an account and region.
	Prefix string
	// SecretARNs are the complete Secrets Manager ARNs that the steps and the
	// poller may read: the Snowflake private keys and repository credentials
	// that requests reference as aws-secretsmanager:ARN.
	SecretARNs []string
	// WebhookSecretARN is the complete ARN of the secret that holds the HMAC
	// key of the ticket webhook.
	WebhookSecretARN string
	// SecretsKeyARN is the customer-managed KMS key that encrypts the
	// secrets. It is empty when they use the AWS-managed key.
	SecretsKeyARN string
	// AlarmTopicARN is the SNS topic that receives alarm notifications. It
	// is empty for alarms without actions.
	AlarmTopicARN string
	// LogRetentionDays is how long every log group keeps its events.
	LogRetentionDays int
	// WaitDeadline bounds how long a run waits for its Snowflake endpoint.
	WaitDeadline time.Duration
	// AssetDir is the directory with one subdirectory per architecture, as
	// `make lambda` builds it. Every function runs AssetDir/arm64/bootstrap.
	AssetDir string
	// StateMachineDir holds the *.asl.json definitions.
	StateMachineDir string
	// EgressRefreshRequests are request files of the egress-ip route. Each
	// gets a schedule that starts the egress-refresh machine with the
	// request as input.
	EgressRefreshRequests []string
	// EgressRefreshInterval is the time between two scheduled egress
	// refreshes of one request.
	EgressRefreshInterval time.Duration
	// EgressSecurityGroupIDs limits the security groups whose rules the
	// firewall functions may change. Empty means every group in the stack's
	// region and account, which the stack allows only with
	// EgressAnySecurityGroup.
	EgressSecurityGroupIDs []string
	// EgressAnySecurityGroup allows the firewall functions to change every
	// security group of the region and account when EgressSecurityGroupIDs
	// is empty.
	EgressAnySecurityGroup bool
	// CodeArtifactDomainARNs limits the CodeArtifact domains for which the
	// preflight, snowflake and poller functions may get authorization
	// tokens and read packages, for requests of auth type codeartifact.
	// Empty means no domain, so those requests fail, unless
	// CodeArtifactAnyDomain is set.
	CodeArtifactDomainARNs []string
	// CodeArtifactAnyDomain allows tokens for every domain that the roles
	// can reach when CodeArtifactDomainARNs is empty.
	CodeArtifactAnyDomain bool
	// AllowSecretRefs are the aws-secretsmanager: references, or prefixes
	// of them followed by *, that requests may use. Empty allows every
	// reference that the roles may read, except the webhook secret.
	AllowSecretRefs []string
}

// parameter names one setting in the context and in the environment.
type parameter struct {
	context string
	env     string
}

var (
	paramPrefix           = parameter{"prefix", "REPOLINK_PREFIX"}
	paramSecretARNs       = parameter{"secretArns", "REPOLINK_SECRET_ARNS"}
	paramWebhookSecretARN = parameter{"webhookSecretArn", "REPOLINK_WEBHOOK_SECRET_ARN"}
	paramSecretsKeyARN    = parameter{"secretsKeyArn", "REPOLINK_SECRETS_KEY_ARN"}
	paramAlarmTopicARN    = parameter{"alarmTopicArn", "REPOLINK_ALARM_TOPIC_ARN"}
	paramLogRetention     = parameter{"logRetentionDays", "REPOLINK_LOG_RETENTION_DAYS"}
	paramWaitDeadline     = parameter{"waitDeadline", "REPOLINK_WAIT_DEADLINE"}
	paramAssetDir         = parameter{"assetDir", "REPOLINK_ASSET_DIR"}
	paramStateMachineDir  = parameter{"stateMachineDir", "REPOLINK_STATE_MACHINE_DIR"}
	paramEgressRequests   = parameter{"egressRefreshRequests", "REPOLINK_EGRESS_REFRESH_REQUESTS"}
	paramEgressInterval   = parameter{"egressRefreshInterval", "REPOLINK_EGRESS_REFRESH_INTERVAL"}
	paramEgressGroups     = parameter{"egressSecurityGroupIds", "REPOLINK_EGRESS_SECURITY_GROUP_IDS"}
	paramEgressAnyGroup   = parameter{"egressAnySecurityGroup", "REPOLINK_EGRESS_ANY_SECURITY_GROUP"}
	paramCodeArtifact     = parameter{"codeArtifactDomainArns", "REPOLINK_CODEARTIFACT_DOMAIN_ARNS"}
	paramCodeArtifactAny  = parameter{"codeArtifactAnyDomain", "REPOLINK_CODEARTIFACT_ANY_DOMAIN"}
	paramAllowSecretRefs  = parameter{"allowSecretRefs", "REPOLINK_ALLOW_SECRET_REFS"}
)

// Defaults used when neither the context nor the environment sets a value.
const (
	defaultPrefix           = "repolink"
	defaultLogRetentionDays = 30
	defaultWaitDeadline     = 8 * 24 * time.Hour
	defaultAssetDir         = "../bin/lambda"
	defaultStateMachineDir  = "../statemachines"
	// NOTE: six hours is a choice of this stack, not a figure from
	// Snowflake. Snowflake publishes new egress ranges before they take
	// effect, and each run opens a range as soon as it is listed.
	defaultEgressRefreshInterval = 6 * time.Hour
)

// retentionDays lists the retention periods that CloudWatch Logs accepts.
var retentionDays = map[int]awslogs.RetentionDays{
	1:    awslogs.RetentionDays_ONE_DAY,
	3:    awslogs.RetentionDays_THREE_DAYS,
	5:    awslogs.RetentionDays_FIVE_DAYS,
	7:    awslogs.RetentionDays_ONE_WEEK,
	14:   awslogs.RetentionDays_TWO_WEEKS,
	30:   awslogs.RetentionDays_ONE_MONTH,
	60:   awslogs.RetentionDays_TWO_MONTHS,
	90:   awslogs.RetentionDays_THREE_MONTHS,
	120:  awslogs.RetentionDays_FOUR_MONTHS,
	150:  awslogs.RetentionDays_FIVE_MONTHS,
	180:  awslogs.RetentionDays_SIX_MONTHS,
	365:  awslogs.RetentionDays_ONE_YEAR,
	400:  awslogs.RetentionDays_THIRTEEN_MONTHS,
	545:  awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731:  awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS,
	2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS,
	2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

var (
	// secretARNPattern matches a complete Secrets Manager ARN, which ends in
	// the six random characters that Secrets Manager appends to the name.
	secretARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	kmsKeyARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	snsTopicPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
	prefixPattern        = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	securityGroupPattern = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	// codeArtifactDomainPattern matches a CodeArtifact domain ARN. Domain
	// names are 2 to 50 lower-case letters, digits and hyphens, starting
	// with a letter and ending with a letter or digit.
	codeArtifactDomainPattern = regexp.MustCompile(`^arn:aws[a-z-]*:codeartifact:[a-z0-9-]+:[0-9]{12}:domain/[a-z][a-z0-9-]{0,48}[a-z0-9]$`)
)

// LoadConfig reads the parameters with context, which returns a CDK context
// value or nil, falling back to getenv, and reports every invalid one at
// once.
func LoadConfig(context func(key string) any, getenv func(string) string) (Config, error) {
	lookup := func(p parameter) string {
		if v := context(p.context); v != nil {
			return contextString(v)
		}
		return strings.TrimSpace(getenv(p.env))
	}

	cfg := Config{
		Prefix:           orDefault(lookup(paramPrefix), defaultPrefix),
		SecretARNs:       splitList(lookup(paramSecretARNs)),
		WebhookSecretARN: lookup(paramWebhookSecretARN),
		SecretsKeyARN:    lookup(paramSecretsKeyARN),
		AlarmTopicARN:    lookup(paramAlarmTopicARN),
		LogRetentionDays: defaultLogRetentionDays,
		WaitDeadline:     defaultWaitDeadline,
		AssetDir:         orDefault(lookup(paramAssetDir), defaultAssetDir),
		StateMachineDir:  orDefault(lookup(paramStateMachineDir), defaultStateMachineDir),

		EgressRefreshRequests:  splitList(lookup(paramEgressRequests)),
		EgressRefreshInterval:  defaultEgressRefreshInterval,
		EgressSecurityGroupIDs: splitList(lookup(paramEgressGroups)),
		CodeArtifactDomainARNs: splitList(lookup(paramCodeArtifact)),
		AllowSecretRefs:        splitList(lookup(paramAllowSecretRefs)),
	}

	var problems []string
	if !prefixPattern.MatchString(cfg.Prefix) {
		problems = append(problems, describe(paramPrefix, cfg.Prefix,
			"use 1 to 20 lower-case letters, digits and hyphens, starting with a letter"))
	}
	for _, arn := range cfg.SecretARNs {
		if !secretARNPattern.MatchString(arn) {
			problems = append(problems, describe(paramSecretARNs, arn,
				"use complete Secrets Manager ARNs, including the six-character suffix, separated by commas"))
		}
	}
	// The functions parse the list again with the same rules.
	if _, err := (secrets.AllowList{}).WithStoreRefs(cfg.AllowSecretRefs, ""); err != nil {
		problems = append(problems, describe(paramAllowSecretRefs, strings.Join(cfg.AllowSecretRefs, ","), err.Error()))
	}
	if cfg.WebhookSecretARN != "" && !secretARNPattern.MatchString(cfg.WebhookSecretARN) {
		problems = append(problems, describe(paramWebhookSecretARN, cfg.WebhookSecretARN,
			"use the complete Secrets Manager ARN, including the six-character suffix"))
	}
	if cfg.SecretsKeyARN != "" && !kmsKeyARNPattern.MatchString(cfg.SecretsKeyARN) {
		problems = append(problems, describe(paramSecretsKeyARN, cfg.SecretsKeyARN,
			"use a KMS key ARN such as arn:aws:kms:REGION:ACCOUNT:key/ID"))
	}
	if cfg.AlarmTopicARN != "" && !snsTopicPattern.MatchString(cfg.AlarmTopicARN) {
		problems = append(problems, describe(paramAlarmTopicARN, cfg.AlarmTopicARN,
			"use an SNS topic ARN such as arn:aws:sns:REGION:ACCOUNT:NAME"))
	}
	if v := lookup(paramLogRetention); v != "" {
		days, err := strconv.Atoi(v)
		if _, ok := retentionDays[days]; err != nil || !ok {
			problems = append(problems, describe(paramLogRetention, v,
				"use a retention that CloudWatch Logs accepts, such as 7, 30, 90 or 365 days"))
		}
		cfg.LogRetentionDays = days
	}
	if v := lookup(paramWaitDeadline); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			problems = append(problems, describe(paramWaitDeadline, v,
				"use a Go duration of at least 1m, such as 24h"))
		}
		cfg.WaitDeadline = d
	}
	if problem := checkWaitDeadline(cfg, lookup(paramWaitDeadline)); problem != "" {
		problems = append(problems, problem)
	}

	if v := lookup(paramEgressInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d%time.Minute != 0 {
			problems = append(problems, describe(paramEgressInterval, v,
				"use a Go duration of whole minutes, at least 1m, such as 6h"))
		}
		cfg.EgressRefreshInterval = d
	}
	for _, id := range cfg.EgressSecurityGroupIDs {
		if !securityGroupPattern.MatchString(id) {
			problems = append(problems, describe(paramEgressGroups, id,
				"use security group IDs such as sg-0a1b2c3d4e5f60718, separated by commas"))
		}
	}

	if v := lookup(paramEgressAnyGroup); v != "" {
		allow, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, describe(paramEgressAnyGroup, v, "use true or false"))
		}
		cfg.EgressAnySecurityGroup = allow
	}
	for _, arn := range cfg.CodeArtifactDomainARNs {
		if !codeArtifactDomainPattern.MatchString(arn) {
			problems = append(problems, describe(paramCodeArtifact, arn,
				"use CodeArtifact domain ARNs such as arn:aws:codeartifact:REGION:ACCOUNT:domain/NAME, separated by commas"))
		}
	}
	if v := lookup(paramCodeArtifactAny); v != "" {
		allow, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, describe(paramCodeArtifactAny, v, "use true or false"))
		}
		cfg.CodeArtifactAnyDomain = allow
	}

	if len(problems) > 0 {
		return Config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// checkWaitDeadline returns the problem of a wait deadline that a callback
// task of the state machines in cfg.StateMachineDir does not outlast, or "".
// value is the deadline as given, or "" for the default. Any other problem
// with the definitions, such as a missing file, is left to NewStack, which
// reports it once the configuration is valid.
func checkWaitDeadline(cfg Config, value string) string {
	if cfg.WaitDeadline < time.Minute {
		return ""
	}
	_, err := LoadDefinitions(cfg.StateMachineDir, cfg.WaitDeadline)
	var timeoutErr *callbackTimeoutError
	if !errors.As(err, &timeoutErr) {
		return ""
	}
	if value == "" {
		value = cfg.WaitDeadline.String()
	}
	return describe(paramWaitDeadline, value, fmt.Sprintf(
		"use a duration shorter than the TimeoutSeconds of %gs of the callback task on %s in %s, or raise that TimeoutSeconds",
		timeoutErr.timeout, timeoutErr.resource, cfg.StateMachineDir))
}

func describe(p parameter, value, fix string) string {
	return fmt.Sprintf("context %s (or %s) = %q is invalid: %s", p.context, p.env, value, fix)
}

// contextString turns a context value into a string. Values given with -c
// arrive as strings, while cdk.json may hold numbers or lists.
func contextString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			parts = append(parts, contextString(item))
		}
		return strings.Join(parts, ",")
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}
