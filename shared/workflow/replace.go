package workflow

import (
	"fmt"
	"strings"
)

// replaceTail ends the advice of ReplaceFix, and NeedsReplace looks for it
// in a run's cause. It is matched as text because a failed run records only
// the ASL error name and the cause. The name stays Conflict, so that Retry,
// Catch and the HTTP status of the Cloud Functions steps do not change.
const replaceTail = " and run the request again"

// ReplaceFix returns the advice that ends the message of a Conflict with
// a resource that the cloud does not change in place, such as the login
// settings of an Azure VM. reason is why the resource cannot change, such
// as "the proxy VM is not changed in place". execution is the request's latest provision
// execution, which repolink teardown accepts, or "" when it is not known,
// as in a plan.
func ReplaceFix(reason, execution string) string {
	teardown := "run repolink teardown on the request's latest run"
	if execution != "" {
		teardown = "run 'repolink teardown " + execution + "'"
	}
	return reason + ", so " + teardown + replaceTail
}

// NeedsReplace reports whether a run that closed with the ASL error name
// errorName and the cause failed on a Conflict whose message contains the
// advice of ReplaceFix. A redrive reruns the step against the same resource, so it
// fails the same way.
func NeedsReplace(errorName, cause string) bool {
	return errorName == ErrConflict && strings.Contains(cause, replaceTail)
}

// NextActionForCause is NextAction for a run that closed with the cause.
// For a Conflict that NeedsReplace matches, it advises the teardown and a
// new run that the cause names, and no redrive.
func NextActionForCause(status, errorName, cause string, cmds NextCommands) string {
	if !NeedsReplace(errorName, cause) {
		return NextAction(status, errorName, cmds)
	}
	if cmds.Teardown == "" || cmds.Run == "" {
		return "a redrive fails the same way, because the resource that the error names cannot change in place; " +
			"do what the error advises"
	}
	return fmt.Sprintf("a redrive fails the same way, because the resource that the error names cannot change in place; "+
		"%s, then %s, which builds it afresh in a new execution", cmds.Teardown, cmds.Run)
}
