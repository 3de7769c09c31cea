package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// GroupNotifier posts the result of each closed provision run to the
// request's notify URL, and releases the endpoint reservation of a run that
// closed before its endpoint step.
const GroupNotifier Group = "notifier"

// notifierSpec is the notifier function. One invocation releases a
// reservation, which the notifier bounds at 10 seconds, then reads a secret
// and sends one POST, which the bootstrap bounds at 10 seconds.
var notifierSpec = FunctionSpec{Handler: "notifier", Group: GroupNotifier, MemoryMB: 128, Timeout: 30 * time.Second}

// closedStatuses are the execution statuses that end a run and get a
// notification.
var closedStatuses = []string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// Delivery of status change events to the notifier. Lambda retries a failed
// asynchronous invocation by itself, and these settings bound the retries
// of EventBridge when the invocation cannot be started at all.
const (
	notifierRetryAttempts = 4
	notifierMaxEventAge   = 2 * time.Hour
)

// notifierStatements lets the notifier describe the executions of the
// provision and teardown machines, to read a request's notify URL from the
// input when the event carries none, and read their history, to name the
// step that a stopped or timed-out run was in and to find whether a closed
// provision run entered its endpoint step. It may also release a run's
// place among a Snowflake account's private endpoints, which is one
// UpdateItem on a reservations item, and a closed run's hold on its
// request's run item, which is one UpdateItem on that item. It claims each
// credential expiry notification that the poller hands it with a
// conditional PutItem on an item in the "credential#notices" partition,
// which it releases with DeleteItem after a failed POST. It cannot reach
// the expiry records themselves.
func notifierStatements(s arnScope, tableARN string, machines ...string) []awsiam.PolicyStatement {
	var executions []string
	for _, m := range machines {
		executions = append(executions, s.executions(m))
	}
	return []awsiam.PolicyStatement{
		statement("DescribeProvisionRuns", []string{"states:DescribeExecution", "states:GetExecutionHistory"}, executions, nil),
		statement("ReleaseEndpoints", []string{"dynamodb:UpdateItem"}, []string{tableARN},
			partitionsStartingWith(reservationsPartitionPrefix)),
		statement("ReleaseRunsOfRequest", []string{"dynamodb:UpdateItem"}, []string{tableARN},
			partitionsStartingWith(runPartitionPrefix)),
		statement("ClaimCredentialNotices", []string{"dynamodb:PutItem", "dynamodb:DeleteItem"}, []string{tableARN},
			partitionIs(credentialNoticePartition)),
	}
}

// newNotifier creates the notifier function and the EventBridge rule that
// sends it the status changes of the provision and teardown machines that
// close a run.
func (s *Stack) newNotifier(cfg Config, opts functionOptions, role awsiam.Role) {
	opts.role = role
	opts.env = map[string]string{envTable: *s.Table.TableName()}
	if cfg.WebhookSecretARN != "" {
		opts.env[envWebhookSecretARN] = cfg.WebhookSecretARN
	}
	fn := newFunction(s.Stack, notifierSpec, opts)
	s.Functions[notifierSpec.Handler] = fn
	// The poller hands its credential expiry notifications to the
	// notifier, which holds the signing key that the poller's role may
	// not read.
	if poller, ok := s.Functions[pollerSpec.Handler]; ok {
		poller.AddEnvironment(jsii.String(envNotifierFunction), fn.FunctionName(), nil)
		fn.GrantInvoke(poller)
	}
	arns := []string{*s.Machines["provision"].StateMachineArn()}
	if teardown, ok := s.Machines["teardown"]; ok {
		arns = append(arns, *teardown.StateMachineArn())
	}
	newStatusChangeRule(s.Stack, cfg.Prefix, arns, fn)
}

// newStatusChangeRule routes the "Step Functions Execution Status Change"
// events of the machines' closed runs to fn.
func newStatusChangeRule(stack awscdk.Stack, prefix string, machineARNs []string, fn awslambda.Function) awsevents.Rule {
	return awsevents.NewRule(stack, jsii.String("NotifierRule"), &awsevents.RuleProps{
		RuleName:    jsii.String(prefix + "-notifier"),
		Description: jsii.String("sends the closed runs of the provision and teardown state machines to the notifier"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.states"),
			DetailType: jsii.Strings("Step Functions Execution Status Change"),
			Detail: &map[string]any{
				"stateMachineArn": machineARNs,
				"status":          closedStatuses,
			},
		},
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
				RetryAttempts: jsii.Number(notifierRetryAttempts),
				MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(notifierMaxEventAge.Seconds())),
			}),
		},
	})
}
