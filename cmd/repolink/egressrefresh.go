package main

import "github.com/repolink/repolink/shared/workflow"

// egressRefreshMachine is the machine that keeps the firewall of an
// egress-ip request in step with Snowflake's egress IP ranges. Its input is
// {"request": REQUEST}, which StartExecution or a schedule passes.
const egressRefreshMachine = "egress-refresh"

// rerunEgressRefresh is the NextCommands.Rerun of an egress-refresh run. No
// repolink command starts one, so the advice names the two ways in.
const rerunEgressRefresh = "start a new egress-refresh execution with the changed request at $.request, " +
	"through StartExecution or, on AWS, by changing the request file of its schedule and deploying again"

// inputShape returns what the input of machine must hold.
func inputShape(machine string) workflow.InputShape {
	if machine == egressRefreshMachine {
		return workflow.RequestOnly
	}
	return workflow.RequestAndResources
}
