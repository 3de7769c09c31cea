package main

import "github.com/repolink/repolink/shared/workflow"

// egressRefreshMachine is the machine that keeps the firewall of an
// egress-ip request in step with Snowflake's egress IP ranges. Its input is
// {"request": REQUEST}, which StartExecution or a schedule passes.
const egressRefreshMachine = "egress-refresh"

// inputShape returns what the input of machine must hold.
func inputShape(machine string) workflow.InputShape {
	if machine == egressRefreshMachine {
		return workflow.RequestOnly
	}
	return workflow.RequestAndResources
}
