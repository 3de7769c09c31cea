package main

import (
	"slices"
	"strings"
	"time"
)

// Group is a set of functions that share one IAM role, because they need the
// same permissions.
type Group string

// The function groups. Each gets its own role with only the actions its
// handlers call.
const (
	// GroupPreflight checks the package index with the repository
	// credential before anything is created.
	GroupPreflight Group = "preflight"
	// GroupNetwork builds the AWS side: proxy VM, target group, load
	// balancer, endpoint service, connection acceptance.
	GroupNetwork Group = "network"
	// GroupSnowflake runs SQL in the customer's Snowflake account.
	GroupSnowflake Group = "snowflake"
	// GroupWait registers the long wait that the poller completes.
	GroupWait Group = "wait"
	// GroupPoller completes the registered waits.
	GroupPoller Group = "poller"
	// GroupWebhook starts runs from signed ticket deliveries.
	GroupWebhook Group = "webhook"
	// GroupOperations lists, inspects and redrives runs for operators.
	GroupOperations Group = "operations"
	// GroupTeardown deletes what the network group created: connections,
	// endpoint service, listener, load balancer, target group, proxy VM.
	GroupTeardown Group = "teardown"
	// GroupFirewall keeps the repository's security group open to
	// Snowflake's egress IP ranges for the egress-ip route.
	GroupFirewall Group = "firewall"
	// GroupUnsupported runs the function that replaces the Azure and GCP
	// tasks, which this deployment does not serve.
	GroupUnsupported Group = "unsupported"
)

// FunctionSpec describes one Lambda function. Every function runs the same
// bootstrap binary, which dispatches on Handler.
type FunctionSpec struct {
	// Handler is the task name in the state machines, or the name of a
	// service handler (poller, webhook, operations).
	Handler  string
	Group    Group
	MemoryMB int
	Timeout  time.Duration
}

// Step timeouts cover one attempt only: a step that waits for the cloud
// returns NotReady and the state machine retries it, so no step sleeps.
// Steps that talk to Snowflake get longer, because a login and a few
// statements can take tens of seconds on a resuming warehouse.
var stepSpecs = []FunctionSpec{
	// The index checks make several HTTPS requests, each bounded by a
	// 60-second client timeout.
	{Handler: "preflight", Group: GroupPreflight, MemoryMB: 256, Timeout: 5 * time.Minute},
	{Handler: "proxy_vm", Group: GroupNetwork, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "target_group", Group: GroupNetwork, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "load_balancer", Group: GroupNetwork, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "endpoint_service", Group: GroupNetwork, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "endpoint", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "connection", Group: GroupNetwork, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "await_endpoint", Group: GroupWait, MemoryMB: 128, Timeout: 30 * time.Second},
	{Handler: "secret", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "integration", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "repository", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "default", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "grants", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	// The verification UDF installs the requested packages from the
	// repository inside Snowflake, which takes minutes for large wheels.
	{Handler: "verification", Group: GroupSnowflake, MemoryMB: 512, Timeout: 10 * time.Minute},

	// egress_ranges reads the ranges in Snowflake, then changes the rules of
	// the repository's security group.
	{Handler: "egress_ranges", Group: GroupFirewall, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "teardown_egress", Group: GroupFirewall, MemoryMB: 256, Timeout: time.Minute},

	{Handler: "teardown_snowflake", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	// teardown_endpoint looks up the endpoint service, then deprovisions
	// Snowflake's endpoint with SQL.
	{Handler: "teardown_endpoint", Group: GroupSnowflake, MemoryMB: 256, Timeout: 2 * time.Minute},
	{Handler: "teardown_connections", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "teardown_reject_connections", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "teardown_endpoint_service", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "teardown_load_balancer", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "teardown_target_group", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
	{Handler: "teardown_proxy_vm", Group: GroupTeardown, MemoryMB: 256, Timeout: time.Minute},
}

// foreignClouds are the clouds whose tasks the definitions name but this
// stack does not deploy: a task whose name has one of these words between
// underscores, such as azure_proxy_vm or teardown_gcp_proxy_vm, invokes
// unsupportedSpec's function, which fails with InvalidRequest.
var foreignClouds = []string{"azure", "gcp"}

// unsupportedSpec is the function that replaces every foreign task. It
// runs inline Python, not the bootstrap, so it needs no Azure or GCP code.
var unsupportedSpec = FunctionSpec{Handler: "unsupported_route", Group: GroupUnsupported, MemoryMB: 128, Timeout: 10 * time.Second}

// Service handlers. The poller must finish before the next scheduled poll a
// minute later, and API Gateway HTTP APIs wait at most 30 seconds for an
// integration.
var (
	pollerSpec     = FunctionSpec{Handler: "poller", Group: GroupPoller, MemoryMB: 256, Timeout: 55 * time.Second}
	webhookSpec    = FunctionSpec{Handler: "webhook", Group: GroupWebhook, MemoryMB: 256, Timeout: 29 * time.Second}
	operationsSpec = FunctionSpec{Handler: "operations", Group: GroupOperations, MemoryMB: 256, Timeout: 29 * time.Second}
)

// foreignTask reports whether task belongs to a route of another cloud.
func foreignTask(task string) bool {
	for word := range strings.SplitSeq(task, "_") {
		if slices.Contains(foreignClouds, word) {
			return true
		}
	}
	return false
}

// stepSpec returns the spec of the task named handler.
func stepSpec(handler string) (FunctionSpec, bool) {
	for _, spec := range stepSpecs {
		if spec.Handler == handler {
			return spec, true
		}
	}
	return FunctionSpec{}, false
}
