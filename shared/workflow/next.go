package workflow

import "fmt"

// Remedy is the kind of fix that a run which closed without success needs.
type Remedy int

const (
	// RemedyRedrive is a fix outside the request, such as a raised quota,
	// a secret's new value or a cloud that is ready now, then a redrive.
	RemedyRedrive Remedy = iota
	// RemedyChangeRequest is a changed request, started again. A redrive
	// reruns the failed step with the same request, so it fails the same
	// way.
	RemedyChangeRequest
	// RemedyResolveConflict is the removal of a clash that the error
	// names. The clash can lie in the request, such as a repository name
	// that another request's objects use, or outside it, such as a
	// resource to delete before a redrive.
	RemedyResolveConflict
)

// RemedyFor returns the remedy for a run that closed with the ASL error
// name errorName. InvalidRequest means that the request cannot work as
// given, such as a failed preflight check. Conflict means that something
// clashes with what the run builds. Every other name, the empty one
// included, gets RemedyRedrive.
func RemedyFor(errorName string) Remedy {
	switch errorName {
	case ErrInvalidRequest:
		return RemedyChangeRequest
	case ErrConflict:
		return RemedyResolveConflict
	}
	return RemedyRedrive
}

// NextCommands are the commands that continue a run which closed without
// success, each written as an instruction to the operator.
type NextCommands struct {
	// Redrive resumes the run from the step it stopped in, with the same
	// request, such as "run 'repolink redrive DATA-4711'".
	Redrive string
	// Rerun starts the changed request as a new run, such as "run
	// 'repolink run REQUEST' with the changed request file" or "update the
	// ticket". Empty means that no command starts a changed request, as
	// for a teardown, so the advice is a redrive.
	Rerun string
}

// RerunByWebhook is NextCommands.Rerun for a run that a webhook delivery
// can start again.
const RerunByWebhook = "send the changed request to the webhook again, such as by updating the ticket"

// NextAction returns the operator's next action for a run that closed with
// status, such as FAILED or ABORTED, and the ASL error name errorName. The
// CLI and both notifiers use it, so that they give the same advice.
func NextAction(status, errorName string, cmds NextCommands) string {
	remedy := RemedyFor(errorName)
	if cmds.Rerun == "" {
		remedy = RemedyRedrive
	}
	switch {
	case remedy == RemedyChangeRequest:
		return fmt.Sprintf("change the request to fix the cause, then %s. "+
			"A redrive reruns the failed step with the same request, so %s only when the fix lies outside the request, "+
			"such as a secret's value or the packages on the index", cmds.Rerun, cmds.Redrive)
	case remedy == RemedyResolveConflict:
		return fmt.Sprintf("resolve the clash that the error names. "+
			"When it lies in the request, such as a repository.name that another request uses, change the request, then %s. "+
			"When it lies outside, such as a resource to delete, fix that, then %s to resume from the failed step",
			cmds.Rerun, cmds.Redrive)
	case status == "ABORTED" && cmds.Rerun != "":
		return fmt.Sprintf("%s to resume from the step it stopped in with the same request, or change the request, then %s",
			cmds.Redrive, cmds.Rerun)
	case status == "ABORTED":
		return cmds.Redrive + " to resume from the step it stopped in"
	}
	return fmt.Sprintf("fix the cause, then %s to resume from the failed step", cmds.Redrive)
}
