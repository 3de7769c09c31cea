package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Stack is the deployed repolink service: step functions, state machines,
// the waits table, the HTTP API, the poller schedule and the notifier.
type Stack struct {
	awscdk.Stack
	Table awsdynamodb.Table
	// Functions maps each handler name to its function. Every Azure and GCP
	// task maps to the one unsupported-route function.
	Functions map[string]awslambda.Function
	// Machines maps each machine key (provision, teardown, egress-refresh)
	// to its state machine.
	Machines map[string]awsstepfunctions.StateMachine
	// Warnings repeats the warnings annotated on the stack, which only the
	// CDK CLI prints.
	Warnings []string
}

// Environment variables that the Lambda bootstrap (functions/lambda) reads,
// besides REPOLINK_HANDLER.
const (
	envTable            = "REPOLINK_DYNAMODB_TABLE"
	envWaitDeadline     = "REPOLINK_WAIT_DEADLINE"
	envWebhookSecretARN = "REPOLINK_WEBHOOK_SECRET_ARN"
	envNotifierFunction = "REPOLINK_NOTIFIER_FUNCTION"
	// envMachineARN is the provision state machine that the webhook starts.
	envMachineARN = "REPOLINK_STATE_MACHINE_ARN"
	// envMachinePrefix starts the variables of the provision and teardown
	// machines on the operations function, such as
	// REPOLINK_STATE_MACHINE_ARN_TEARDOWN.
	envMachinePrefix = "REPOLINK_STATE_MACHINE_ARN_"
	// envProvisionName and envTeardownName are the state machine names
	// that every step function gets. The webhook gets envTeardownName.
	envProvisionName = "REPOLINK_STATE_MACHINE_NAME_PROVISION"
	envTeardownName  = "REPOLINK_STATE_MACHINE_NAME_TEARDOWN"
	// envCodeArtifactDomains lists the CodeArtifact domain ARNs, or *, for
	// which the preflight, snowflake and poller functions get tokens. They
	// reject requests of auth type codeartifact when it is unset.
	envCodeArtifactDomains = "REPOLINK_CODEARTIFACT_DOMAINS"
	// envAllowSecretRefs lists the secret references that requests may
	// use. The webhook and every step reject the others.
	envAllowSecretRefs = "REPOLINK_ALLOW_SECRET_REFS"
)

// NewStack defines the stack. It reads the state machine definitions first,
// so that a definition that names an unknown task fails before any
// construct exists.
func NewStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config) (*Stack, error) {
	defs, err := LoadDefinitions(cfg.StateMachineDir, cfg.WaitDeadline)
	if err != nil {
		return nil, err
	}

	if err := checkSecurityGroupScope(cfg); err != nil {
		return nil, err
	}

	stack := awscdk.NewStack(scope, jsii.String(id), props)
	s := &Stack{
		Stack:     stack,
		Functions: map[string]awslambda.Function{},
		Machines:  map[string]awsstepfunctions.StateMachine{},
	}
	scopeARNs := arnScope{partition: *stack.Partition(), region: *stack.Region(), account: *stack.Account()}
	machineNames := map[string]string{}
	for _, def := range defs {
		machineNames[def.Key] = cfg.Prefix + "-" + def.Key
	}

	s.Table = newWaitsTable(stack)
	tableARN := *s.Table.TableArn()
	roles := s.newRoles(cfg, scopeARNs, tableARN, defs, machineNames)

	code, err := s.lambdaCode(cfg.AssetDir)
	if err != nil {
		return nil, err
	}
	opts := functionOptions{
		prefix:    cfg.Prefix,
		code:      code,
		retention: retentionDays[cfg.LogRetentionDays],
	}
	for _, def := range defs {
		for _, task := range def.Tasks {
			if _, ok := s.Functions[task]; ok {
				continue
			}
			if foreignTask(task) {
				s.Functions[task] = s.unsupportedFunction(opts, roles[GroupUnsupported])
				continue
			}
			spec, _ := stepSpec(task)
			opts.role = roles[spec.Group]
			opts.env = stepEnv(spec, cfg, *s.Table.TableName(), machineNames)
			s.Functions[task] = newFunction(stack, spec, opts)
		}
	}

	for _, def := range defs {
		s.Machines[def.Key] = s.newMachine(def, machineNames[def.Key], opts.retention)
	}

	// The operations API reads the provision and teardown machines only.
	machineEnv := map[string]string{}
	for _, key := range []string{"provision", "teardown"} {
		if machine, ok := s.Machines[key]; ok {
			machineEnv[envMachinePrefix+strings.ToUpper(key)] = *machine.StateMachineArn()
		}
	}
	s.newServiceFunctions(cfg, opts, roles, machineEnv, machineNames)
	s.newNotifier(cfg, opts, roles[GroupNotifier])

	newPollerSchedule(stack, cfg.Prefix, s.Functions[pollerSpec.Handler])
	if err := s.newEgressRefreshSchedules(cfg); err != nil {
		return nil, err
	}
	api := newHTTPAPI(stack, cfg.Prefix, s.Functions[webhookSpec.Handler], s.Functions[operationsSpec.Handler])
	s.newAlarms(cfg)
	s.newOutputs(api)
	if len(cfg.SecretARNs) == 0 {
		s.warn("noSecretArns", "secretArns (or REPOLINK_SECRET_ARNS) is not set: no function may read a secret, so every step "+
			"that connects to Snowflake fails and no request can use repository credentials. List the ARNs of the Snowflake "+
			"private key and of the repository credentials that requests reference.")
	}
	if cfg.WebhookSecretARN == "" {
		s.warn("noWebhookSecret", "webhookSecretArn is not set: the webhook has no signing key and cannot accept deliveries, "+
			"and the notifier cannot sign notifications")
	}
	return s, nil
}

// checkSecurityGroupScope rejects a stack that lists egress refresh
// requests, whose firewall functions then need security groups to change,
// without egressSecurityGroupIds, unless the configuration allows every
// group explicitly.
func checkSecurityGroupScope(cfg Config) error {
	if len(cfg.EgressSecurityGroupIDs) > 0 || cfg.EgressAnySecurityGroup || len(cfg.EgressRefreshRequests) == 0 {
		return nil
	}
	return fmt.Errorf("context %s (or %s) is not set, but egressRefreshRequests lists requests whose security groups "+
		"the firewall functions must change; list the security groups that egress-ip requests name, "+
		"or set %s=true (or %s=true) to allow every group in the region and account",
		paramEgressGroups.context, paramEgressGroups.env, paramEgressAnyGroup.context, paramEgressAnyGroup.env)
}

// warn annotates the stack with a warning that `cdk synth` and `cdk deploy`
// print, and records it for callers that run the app without the CLI.
func (s *Stack) warn(id, message string) {
	awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("repolink:"+id), jsii.String(message), nil)
	s.Warnings = append(s.Warnings, message)
}

// newWaitsTable creates the table of registered waits and webhook
// deliveries. Items expire through the TTL attribute expires_at (Unix
// seconds), so finished waits and old deliveries need no cleanup job.
func newWaitsTable(stack awscdk.Stack) awsdynamodb.Table {
	return awsdynamodb.NewTable(stack, jsii.String("WaitsTable"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String("expires_at"),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})
}

// newRoles creates one role per function group and adds each group's
// statements.
func (s *Stack) newRoles(cfg Config, scopeARNs arnScope, tableARN string, defs []Definition, machineNames map[string]string) map[Group]awsiam.Role {
	stepSecrets := secretStatements(scopeARNs, "ReadStepSecrets", cfg.SecretARNs, cfg.SecretsKeyARN)
	var webhookSecret []string
	if cfg.WebhookSecretARN != "" {
		webhookSecret = []string{cfg.WebhookSecretARN}
	}

	statements := map[Group][]awsiam.PolicyStatement{
		// preflight looks up the request's endpoint service when the
		// Snowflake account has no room for another endpoint, and
		// reserves a place for it when there is room. It also checks
		// that an AWS request's subnets cover every zone of the region,
		// and that EC2 would launch its proxy VM.
		GroupPreflight: slices.Concat(endpointLookupStatements(),
			[]awsiam.PolicyStatement{zoneLookupStatement(), launchLookupStatement(), imageParameterStatement(scopeARNs)},
			reservationStatements(tableARN), stepSecrets),
		// endpoint_service reads Snowflake's principal, so the network
		// group reads the Snowflake key too.
		GroupNetwork: append(networkStatements(scopeARNs), stepSecrets...),
		// endpoint renews the place that preflight reserved, and
		// teardown_endpoint releases it.
		GroupSnowflake: slices.Concat(endpointLookupStatements(), reservationStatements(tableARN), stepSecrets),
		GroupTeardown:  teardownStatements(scopeARNs),
		// egress_ranges reads the ranges in Snowflake.
		GroupFirewall: append(firewallStatements(scopeARNs, cfg.EgressSecurityGroupIDs, cfg.EgressAnySecurityGroup), stepSecrets...),
		GroupWait:     waitStatements(tableARN),
		GroupPoller:   append(pollerStatements(tableARN), stepSecrets...),
		GroupWebhook: append(webhookStatements(scopeARNs, tableARN, machineNames["provision"], machineNames["teardown"]),
			secretStatements(scopeARNs, "ReadWebhookKey", webhookSecret, cfg.SecretsKeyARN)...),
		GroupOperations: operationsStatements(scopeARNs, machineNames["provision"], machineNames["teardown"]),
		GroupNotifier: append(notifierStatements(scopeARNs, tableARN, machineNames["provision"], machineNames["teardown"]),
			secretStatements(scopeARNs, "ReadWebhookKey", webhookSecret, cfg.SecretsKeyARN)...),
	}

	// The service functions always exist, the step groups only when a
	// definition uses one of their tasks.
	groups := []Group{GroupPoller, GroupWebhook, GroupOperations, GroupNotifier}
	for _, def := range defs {
		for _, task := range def.Tasks {
			group := GroupUnsupported
			if spec, ok := stepSpec(task); ok {
				group = spec.Group
			}
			if !slices.Contains(groups, group) {
				groups = append(groups, group)
			}
		}
	}
	switch {
	case !slices.Contains(groups, GroupFirewall) || len(cfg.EgressSecurityGroupIDs) > 0:
	case cfg.EgressAnySecurityGroup:
		s.warn("anySecurityGroup", "egressSecurityGroupIds is not set and egressAnySecurityGroup is true: the firewall functions "+
			"may add and revoke inbound rules of every security group in the stack's region and account")
	default:
		s.warn("noSecurityGroups", "egressSecurityGroupIds is not set: the firewall functions may change no security group, "+
			"so egress-ip requests fail with AccessDenied; list the groups that they name, or set egressAnySecurityGroup=true "+
			"to allow every group in the region and account")
	}

	// preflight and the secret step get a CodeArtifact token for requests
	// of auth type codeartifact, and the poller gets a new one before it
	// expires. The secret step records the expiry, the poller stores the
	// renewed one, and teardown_snowflake deletes it.
	codeArtifact := codeArtifactStatements(cfg.CodeArtifactDomainARNs, cfg.CodeArtifactAnyDomain)
	for _, group := range []Group{GroupPreflight, GroupSnowflake, GroupPoller} {
		statements[group] = append(statements[group], codeArtifact...)
	}
	// Both read a record with GetItem before a write conditioned on it, so
	// that a renewal never overwrites a credential that a run set.
	statements[GroupSnowflake] = append(statements[GroupSnowflake],
		credentialExpiryStatements("RecordCredentialExpiries", tableARN, "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem")...)
	statements[GroupSnowflake] = append(statements[GroupSnowflake], defaultRecordStatements(tableARN)...)
	statements[GroupSnowflake] = append(statements[GroupSnowflake], locationRecordStatements(tableARN)...)
	statements[GroupPreflight] = append(statements[GroupPreflight], defaultRecordReadStatements(tableARN)...)
	statements[GroupPoller] = append(statements[GroupPoller],
		credentialExpiryStatements("RenewCredentialExpiries", tableARN, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")...)
	switch {
	case len(cfg.CodeArtifactDomainARNs) > 0:
	case cfg.CodeArtifactAnyDomain:
		s.warn("anyCodeArtifactDomain", "codeArtifactDomainArns is not set and codeArtifactAnyDomain is true: the preflight, "+
			"snowflake and poller functions get a CodeArtifact token, and read packages, for every domain that a request names and their role can reach")
	default:
		s.warn("noCodeArtifactDomains", "codeArtifactDomainArns (or REPOLINK_CODEARTIFACT_DOMAIN_ARNS) is not set: requests of auth type "+
			"codeartifact fail with InvalidRequest; list the ARNs of the domains that they use, or set codeArtifactAnyDomain=true to allow every domain")
	}

	// Every step of the provision and teardown machines checks for other
	// executions of its request (functions/lambda/internal/exclusion).
	exclusion := exclusionStatements(scopeARNs, tableARN, machineNames["provision"], machineNames["teardown"])
	for _, group := range []Group{GroupPreflight, GroupNetwork, GroupSnowflake, GroupTeardown, GroupFirewall, GroupWait} {
		statements[group] = append(statements[group], exclusion...)
	}

	// The roles that read the listed secrets resolve request credentials.
	// They are denied the webhook secret even when secretArns lists it, so
	// that a request that names it cannot copy the key into Snowflake or
	// send it to its index. Only the webhook and the notifier read it.
	denyWebhookSecret := denySecretStatements("DenyWebhookKey", webhookSecret)
	for _, group := range []Group{GroupPreflight, GroupNetwork, GroupSnowflake, GroupFirewall, GroupPoller} {
		statements[group] = append(statements[group], denyWebhookSecret...)
	}

	roles := map[Group]awsiam.Role{}
	for _, group := range groups {
		role := newRole(s.Stack, group)
		for _, st := range statements[group] {
			role.AddToPrincipalPolicy(st)
		}
		roles[group] = role
	}
	return roles
}

// stepEnv returns the environment of a step function beyond its handler.
// Every step gets the names of the provision and teardown machines, whose
// executions of one request it keeps apart, and the table, in which it
// takes the request's run item for that check. Every step needs the table,
// because after a redrive every step checks. The preflight and snowflake
// groups also use it for the endpoint reservations. Every step also gets the
// ARN of the webhook secret, so that it rejects a request that names it.
func stepEnv(spec FunctionSpec, cfg Config, tableName string, machineNames map[string]string) map[string]string {
	env := map[string]string{envProvisionName: machineNames["provision"], envTable: tableName}
	if name := machineNames["teardown"]; name != "" {
		env[envTeardownName] = name
	}
	if cfg.WebhookSecretARN != "" {
		env[envWebhookSecretARN] = cfg.WebhookSecretARN
	}
	if spec.Group == GroupWait {
		env[envWaitDeadline] = cfg.WaitDeadline.String()
	}
	setAllowSecretRefs(env, cfg)
	// Of the steps, preflight and the secret step get CodeArtifact tokens.
	if spec.Handler == "preflight" || spec.Handler == "secret" {
		setCodeArtifactDomains(env, cfg)
	}
	return env
}

// setCodeArtifactDomains sets envCodeArtifactDomains for a function that
// gets CodeArtifact tokens: the listed domain ARNs, * when every domain is
// allowed, or nothing, so that the function rejects requests of auth type
// codeartifact.
func setCodeArtifactDomains(env map[string]string, cfg Config) {
	switch {
	case len(cfg.CodeArtifactDomainARNs) > 0:
		env[envCodeArtifactDomains] = strings.Join(cfg.CodeArtifactDomainARNs, ",")
	case cfg.CodeArtifactAnyDomain:
		env[envCodeArtifactDomains] = "*"
	}
}

// setAllowSecretRefs sets envAllowSecretRefs when the stack lists the
// secret references that requests may use.
func setAllowSecretRefs(env map[string]string, cfg Config) {
	if len(cfg.AllowSecretRefs) > 0 {
		env[envAllowSecretRefs] = strings.Join(cfg.AllowSecretRefs, ",")
	}
}

// newServiceFunctions creates the poller, webhook and operations functions.
// machineEnv holds REPOLINK_STATE_MACHINE_ARN_PROVISION and, with a
// teardown machine, REPOLINK_STATE_MACHINE_ARN_TEARDOWN, for the operations
// function. The webhook gets the teardown machine's
// name from machineNames, not its ARN, because a name is a plain string
// that adds no reference between resources to the template.
func (s *Stack) newServiceFunctions(cfg Config, opts functionOptions, roles map[Group]awsiam.Role, machineEnv, machineNames map[string]string) {
	tableName := *s.Table.TableName()

	opts.role = roles[GroupPoller]
	opts.env = map[string]string{envTable: tableName}
	if cfg.WebhookSecretARN != "" {
		opts.env[envWebhookSecretARN] = cfg.WebhookSecretARN
	}
	setCodeArtifactDomains(opts.env, cfg)
	s.Functions[pollerSpec.Handler] = newFunction(s.Stack, pollerSpec, opts)

	opts.role = roles[GroupWebhook]
	opts.env = map[string]string{
		envTable:      tableName,
		envMachineARN: *s.Machines["provision"].StateMachineArn(),
	}
	if cfg.WebhookSecretARN != "" {
		opts.env[envWebhookSecretARN] = cfg.WebhookSecretARN
	}
	if name := machineNames["teardown"]; name != "" {
		opts.env[envTeardownName] = name
	}
	// The webhook rejects a request for an unlisted CodeArtifact domain
	// or secret reference before it starts a run.
	setCodeArtifactDomains(opts.env, cfg)
	setAllowSecretRefs(opts.env, cfg)
	s.Functions[webhookSpec.Handler] = newFunction(s.Stack, webhookSpec, opts)

	opts.role = roles[GroupOperations]
	opts.env = machineEnv
	s.Functions[operationsSpec.Handler] = newFunction(s.Stack, operationsSpec, opts)
}

// newMachine creates a Standard state machine from def, with each ${task}
// placeholder substituted by the ARN of that task's function.
func (s *Stack) newMachine(def Definition, name string, retention awslogs.RetentionDays) awsstepfunctions.StateMachine {
	id := constructID(def.Key)
	// Log groups for Step Functions get the /aws/vendedlogs/ prefix, which
	// keeps the CloudWatch Logs resource policy within its size limit. The
	// name is fixed, so the group goes with the stack: a retained group would
	// block the next deployment with the same prefix. Execution history stays
	// in Step Functions for 90 days after a run closes.
	logGroup := awslogs.NewLogGroup(s.Stack, jsii.String(id+"MachineLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + name),
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	substitutions := map[string]*string{}
	for _, task := range def.Tasks {
		substitutions[task] = s.Functions[task].FunctionArn()
	}
	asl, replaced := withStackPartition(def.ASL)
	if replaced {
		substitutions[partitionSubstitution] = s.Stack.Partition()
	}
	machine := awsstepfunctions.NewStateMachine(s.Stack, jsii.String(id+"Machine"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(asl)),
		DefinitionSubstitutions: &substitutions,
		// Execution data stays out of the logs: the history already holds
		// every state's input and output, and the logs keep the timeline.
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logGroup,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	granted := map[awslambda.Function]bool{}
	for _, task := range def.Tasks {
		fn := s.Functions[task]
		if !granted[fn] {
			fn.GrantInvoke(machine)
			granted[fn] = true
		}
	}
	return machine
}

// newOutputs exports the webhook URL, the operations URL and the ARN of
// every state machine.
func (s *Stack) newOutputs(api httpAPI) {
	awscdk.NewCfnOutput(s.Stack, jsii.String("WebhookUrl"), &awscdk.CfnOutputProps{
		Value:       api.webhookURL,
		Description: jsii.String("POST signed ticket deliveries here"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("OperationsUrl"), &awscdk.CfnOutputProps{
		Value:       api.operationsURL,
		Description: jsii.String("operations API; requests need SigV4 signatures (IAM authorization)"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("WaitsTableName"), &awscdk.CfnOutputProps{
		Value: s.Table.TableName(),
	})
	for key, machine := range s.Machines {
		awscdk.NewCfnOutput(s.Stack, jsii.String(constructID(key)+"StateMachineArn"), &awscdk.CfnOutputProps{
			Value:       machine.StateMachineArn(),
			Description: jsii.String(fmt.Sprintf("the %s state machine", key)),
		})
	}
}
