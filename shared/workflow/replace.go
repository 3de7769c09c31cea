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
	return reason + ", so " + teardownAdvice(execution) + replaceTail
}

// teardownAdvice returns the advice to tear down execution, or the
// request's latest run when execution is "".
func teardownAdvice(execution string) string {
	if execution == "" {
		return "run repolink teardown on the request's latest run"
	}
	return "run 'repolink teardown " + execution + "'"
}

// placementTail ends the advice of PlacementFix, and NeedsTeardownFirst
// looks for it in a run's cause, as replaceTail is looked for.
const placementTail = ", then run the changed request"

// PlacementFix returns the advice that ends the message of an error that
// only a change to the placement field path fixes, such as removing a
// subnet from aws.subnet_ids, when the run has built resources already.
// repolink rejects such a change until a teardown of the request has
// succeeded, so the advice is a teardown first. execution is the run, as
// for ReplaceFix.
func PlacementFix(path, execution string) string {
	return "A run whose " + path + " drops a value of this run's is rejected while the resources of this run exist, so " +
		teardownAdvice(execution) + placementTail
}

// PlacementChangeFix is PlacementFix for a field whose fix is another
// value, such as azure.location, rather than a value dropped from a list.
func PlacementChangeFix(path, execution string) string {
	return "A run that changes " + path + " is rejected while the resources of this run exist, so " +
		teardownAdvice(execution) + placementTail
}

// PlacementChangeNote returns the sentence that follows a message's advice
// to change the placement fields paths: ". " and PlacementChangeFix, or ""
// when execution is "", as for a check that runs before anything is built,
// such as in preflight, where a changed request is accepted.
func PlacementChangeNote(paths, execution string) string {
	if execution == "" {
		return ""
	}
	return ". " + PlacementChangeFix(paths, execution)
}

// NeedsTeardownFirst reports whether a run that closed with the ASL error
// name errorName and the cause failed on an InvalidRequest or Conflict
// whose message contains the advice of PlacementFix.
func NeedsTeardownFirst(errorName, cause string) bool {
	return (errorName == ErrInvalidRequest || errorName == ErrConflict) && strings.Contains(cause, placementTail)
}

// NeedsReplace reports whether a run that closed with the ASL error name
// errorName and the cause failed on a Conflict whose message contains the
// advice of ReplaceFix. A redrive reruns the step against the same resource, so it
// fails the same way.
func NeedsReplace(errorName, cause string) bool {
	return errorName == ErrConflict && strings.Contains(cause, replaceTail)
}

// RedriveRepeats reports whether a redrive of a run that closed with the
// ASL error name errorName and the cause fails the same way, because the
// error matches NeedsTeardownFirst or NeedsReplace.
func RedriveRepeats(errorName, cause string) bool {
	return NeedsTeardownFirst(errorName, cause) || NeedsReplace(errorName, cause)
}

// NextActionForCause is NextAction for a run that closed with the cause.
// For a Conflict that NeedsReplace matches, it advises the teardown and a
// new run that the cause names, and no redrive. For an error that
// NeedsTeardownFirst matches, it advises the teardown and then a run of the
// changed request.
func NextActionForCause(status, errorName, cause string, cmds NextCommands) string {
	if NeedsTeardownFirst(errorName, cause) {
		return teardownThenRerun(cmds)
	}
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

// teardownThenRerun returns the advice for a run whose fix is a request
// change that repolink rejects while the run's resources exist.
func teardownThenRerun(cmds NextCommands) string {
	reason := "a redrive fails the same way, and a run of the changed request is rejected while the resources of this run exist"
	if cmds.Teardown == "" || cmds.Rerun == "" {
		return reason + "; do what the error advises"
	}
	return fmt.Sprintf("%s; %s, then %s", reason, cmds.Teardown, cmds.Rerun)
}
