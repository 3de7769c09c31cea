// Package statemachines embeds the Amazon States Language definitions, so
// that the embedded engine runs exactly the files that are deployed to Step
// Functions.
package statemachines

import _ "embed"

// Provision is the provision state machine.
//
//go:embed provision.asl.json
var Provision []byte
