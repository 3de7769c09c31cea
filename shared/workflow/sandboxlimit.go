package workflow

import (
	"fmt"
	"regexp"
	"strings"
)

// capacityReason matches the start of the reason of every error that
// reports no free place among a Snowflake account's private endpoints, as
// provisionendpoint.CapacityError words it, from a full account and from
// places that other runs reserved.
var capacityReason = regexp.MustCompile(`account \S+ has \d+ private endpoints(, the maximum,| of the maximum of)`)

// IsCapacityCause reports whether cause, the message that a failed step
// recorded, reports no free place among the account's private endpoints,
// for a caller that has only the message of a closed run.
func IsCapacityCause(cause string) bool {
	return capacityReason.MatchString(cause)
}

// SandboxLimitFailure reports whether a run ran in the sandbox, as flags
// show, and closed with errorName and cause because the sandbox Snowflake
// account had no free private endpoint place. The sandbox counts the
// endpoints of earlier teardowns for 7 days of its clock, as Snowflake
// does, and has no ACCOUNT_USAGE. So only a sandbox reset frees a place.
func SandboxLimitFailure(errorName, cause, flags string) bool {
	return strings.HasPrefix(flags, " --sandbox") && errorName == ErrConflict && IsCapacityCause(cause)
}

// SandboxResetCommand returns the repolink sandbox reset command for the
// state directory of the command flags, without --sandbox, which reset
// does not take.
func SandboxResetCommand(flags string) string {
	return "repolink sandbox reset" + strings.TrimPrefix(flags, " --sandbox")
}

// SandboxLimitNext returns next, the next action of a run that closed with
// the ASL error name errorName and the cause, with the sandbox reset in
// front of it when SandboxLimitFailure matches the run. run is the command
// that starts the request afresh, such as "run 'repolink run --sandbox
// REQUEST'", or "" when none applies. The CLI and the notifiers use it, so
// that they give the same advice.
func SandboxLimitNext(errorName, cause, flags, run, next string) string {
	if !SandboxLimitFailure(errorName, cause, flags) {
		return next
	}
	reset := fmt.Sprintf("run '%s', which removes the sandbox world with its endpoints and every execution of the state directory",
		SandboxResetCommand(flags))
	if run != "" {
		reset += ", then " + run
	}
	return reset + "; or " + next
}
