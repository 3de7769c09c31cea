// Package statemachines embeds the Amazon States Language definitions, so
// that the embedded engine runs exactly the files that are deployed to Step
// Functions.
package statemachines

import _ "embed"

// Provision is the provision state machine.
//
//go:embed provision.asl.json
var Provision []byte

// EgressRefresh reads Snowflake's egress IP ranges again and updates the
// firewall of an egress-ip request. It is meant to run on a schedule.
//
//go:embed egress-refresh.asl.json
var EgressRefresh []byte

// Teardown removes what provisioning built for a request. Its input is the
// provision input of the request.
//
//go:embed teardown.asl.json
var Teardown []byte
