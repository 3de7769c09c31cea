package workflow

import (
	"encoding/json"
	"fmt"
)

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
	// RemedyStartWithRequest is a new run with a valid request. The run's
	// input has no request at $.request or no object at $.resources, so
	// every step that reads them fails, and a redrive reuses that input.
	RemedyStartWithRequest
	// RemedyGrantPermission is a role or permission granted to the
	// identity that repolink runs as, then a redrive. The request is not
	// at fault, so a changed request fails the same way.
	RemedyGrantPermission
)

// RemedyFor returns the remedy for a run that closed with the ASL error
// name errorName. InvalidRequest means that the request cannot work as
// given, such as a failed preflight check. Conflict means that something
// clashes with what the run builds. PermissionDenied means that the
// identity repolink runs as lacks a permission. Every other name, the
// empty one included, gets RemedyRedrive.
func RemedyFor(errorName string) Remedy {
	switch errorName {
	case ErrInvalidRequest:
		return RemedyChangeRequest
	case ErrConflict:
		return RemedyResolveConflict
	case ErrPermissionDenied:
		return RemedyGrantPermission
	}
	return RemedyRedrive
}

// InputShape is the set of members that the input of a state machine
// needs for its steps to read it.
type InputShape int

const (
	// RequestAndResources is the input of the provision and teardown
	// machines: a request at $.request and an object at $.resources, which
	// the steps read.
	RequestAndResources InputShape = iota
	// RequestOnly is the input of the egress-refresh machine: a request at
	// $.request. Its step writes its result to $.resources.egress_ranges
	// and reads nothing else there, so $.resources may be left out.
	RequestOnly
)

// RemedyForInput returns the remedy for a run with the workflow input
// input, of a machine whose input has the shape, that closed with the ASL
// error name errorName. It is RemedyStartWithRequest when inputProblem
// finds a problem, such as in the input of a run started through the Step
// Functions API with other input, and RemedyFor(errorName) otherwise.
func RemedyForInput(errorName string, input json.RawMessage, shape InputShape) Remedy {
	if inputProblem(input, shape) != "" {
		return RemedyStartWithRequest
	}
	return RemedyFor(errorName)
}

// inputProblem returns what makes input unusable as the input of a machine
// whose input has the shape, or "" when input is usable. A usable input
// has a JSON object at $.request and, unless the shape lets it be absent,
// at $.resources. The members of $.resources have the JSON types that the
// steps decode.
//
// It does not validate the request itself: the steps fill its defaults
// and reject an invalid one with InvalidRequest, which names the field.
func inputProblem(input json.RawMessage, shape InputShape) string {
	var doc struct {
		Request   json.RawMessage `json:"request"`
		Resources json.RawMessage `json:"resources"`
	}
	if json.Unmarshal(input, &doc) != nil {
		return "the execution's input is not a JSON object with a request at $.request"
	}
	var object map[string]json.RawMessage
	if json.Unmarshal(doc.Request, &object) != nil || object == nil {
		return "the execution's input has no request at $.request"
	}
	if shape == RequestOnly && (len(doc.Resources) == 0 || string(doc.Resources) == "null") {
		return ""
	}
	object = nil
	if json.Unmarshal(doc.Resources, &object) != nil || object == nil {
		return "the execution's input has no object at $.resources, where the steps record what they build"
	}
	if fields := CheckResources(doc.Resources); len(fields) > 0 {
		return fmt.Sprintf("the execution's input has an invalid value at %s, which %s", fields[0].Path, fields[0].Message)
	}
	return ""
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
	// Run starts a new run from a request file, such as "run 'repolink run
	// REQUEST'". Empty means that no command starts one, as for a teardown.
	Run string
	// Teardown removes what the run built, such as "run 'repolink teardown
	// DATA-4711'". Empty means that no teardown applies, as for a run of
	// the teardown machine itself.
	Teardown string
}

// RerunByWebhook is NextCommands.Rerun for a run that a webhook delivery
// can start again.
const RerunByWebhook = "send the changed request to the webhook again, such as by updating the ticket"

// RerunByTicket returns NextCommands.Rerun for a provision run that a
// delivery of ticket from the ticket system, such as Jira, started. The
// request ID is the ticket key and the request comes from the ticket's
// fields, so a changed request starts from the ticket, not from a request
// file.
func RerunByTicket(system, ticket string) string {
	return fmt.Sprintf("update %s ticket %s with the change, so that %s sends the changed request to repolink up again",
		system, ticket, system)
}

// RerunEgressRefresh is NextCommands.Rerun for a run of the egress-refresh
// machine. No repolink command starts one, so it names the two ways in.
const RerunEgressRefresh = "start a new egress-refresh execution with the changed request at $.request, " +
	"through StartExecution or, on AWS, by changing the request file of its schedule and deploying again"

// NextAction returns the operator's next action for a run that closed with
// status, such as FAILED or ABORTED, and the ASL error name errorName. The
// CLI and both notifiers use it, so that they give the same advice.
func NextAction(status, errorName string, cmds NextCommands) string {
	return nextAction(status, RemedyFor(errorName), cmds)
}

// NextActionForInput is NextAction for a run with the workflow input input,
// of a machine whose input has the shape. For a run without a request at
// $.request it advises a new run with a valid request, because a redrive
// would fail the same way.
func NextActionForInput(status, errorName string, input json.RawMessage, shape InputShape, cmds NextCommands) string {
	if problem := inputProblem(input, shape); problem != "" {
		return startWithRequest(problem, cmds)
	}
	return nextAction(status, RemedyFor(errorName), cmds)
}

func nextAction(status string, remedy Remedy, cmds NextCommands) string {
	if remedy == RemedyStartWithRequest {
		return startWithRequest("the execution's input has no request at $.request", cmds)
	}
	advice := advise(status, remedy, cmds)
	if status == "ABORTED" && cmds.Teardown != "" {
		// A stopped run may be one that the operator does not want to
		// finish, so what it built needs a way out too.
		advice += ", or " + cmds.Teardown + " to remove what it built"
	}
	return advice
}

// advise returns the advice that continues a run with the remedy.
func advise(status string, remedy Remedy, cmds NextCommands) string {
	if cmds.Rerun == "" && remedy != RemedyGrantPermission {
		remedy = RemedyRedrive
	}
	switch {
	case remedy == RemedyChangeRequest:
		return fmt.Sprintf("change the request to fix the cause, then %s. "+
			"A redrive reruns the failed step with the same request, so %s only when the fix lies outside the request, "+
			"such as a secret's value or the packages on the index", cmds.Rerun, cmds.Redrive)
	case remedy == RemedyResolveConflict:
		return fmt.Sprintf("resolve the clash that the error names. "+
			"When it lies in the request, such as a $.repository.name that another request uses, change the request, then %s. "+
			"When it lies outside, such as a resource to delete, fix that, then %s to resume from the failed step",
			cmds.Rerun, cmds.Redrive)
	case remedy == RemedyGrantPermission:
		return fmt.Sprintf("grant the permission that the error names, or enable the API that it names, "+
			"to the identity that repolink runs as, then %s to resume from the failed step", cmds.Redrive)
	case status == "ABORTED" && cmds.Rerun != "":
		return fmt.Sprintf("%s to resume from the step it stopped in with the same request, or change the request, then %s",
			cmds.Redrive, cmds.Rerun)
	case status == "ABORTED":
		return cmds.Redrive + " to resume from the step it stopped in"
	}
	return fmt.Sprintf("fix the cause, then %s to resume from the failed step", cmds.Redrive)
}

// startWithRequest returns the advice for a run whose input has the
// problem, such as no request at $.request.
func startWithRequest(problem string, cmds NextCommands) string {
	reason := problem + ", and a redrive reuses that input, so it would fail the same way"
	if cmds.Run == "" {
		return reason + "; start a new execution whose input has a valid request at $.request and leaves out $.resources"
	}
	return fmt.Sprintf("%s; write a valid request file, then %s, which starts a new execution", reason, cmds.Run)
}
