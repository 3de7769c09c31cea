// Package clash builds the messages that reject a provision request whose
// claims (request.Claims) a provision execution of another request ID
// holds. The repolink CLI and the AWS webhook share them, each with its
// own commands to suggest.
package clash

import (
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/indexurl"
	"github.com/repolink/repolink/shared/request"
)

// Statuses of a holder's execution besides the Step Functions ones.
const (
	// StatusStarting is the status of an execution that another delivery
	// of the holder's request is starting and that is not found yet.
	StatusStarting = ""
	// StatusGone is the status of an execution that has left the
	// execution history, so its status is unknown.
	StatusGone = "gone"
)

// Holder is a provision execution of another request ID that holds a
// claim of the rejected request and whose resources may exist.
type Holder struct {
	// Request is the holder's request ID.
	Request string
	// Execution is the name of the holder's provision execution.
	Execution string
	// Status is the execution's Step Functions status, StatusStarting or
	// StatusGone.
	Status string
	// Teardown and TeardownStatus are the latest teardown of Request that
	// started after Execution, if any. It has not succeeded.
	Teardown       string
	TeardownStatus string
}

// Commands are the commands that a message suggests to free the claims.
type Commands struct {
	// Teardown returns the quoted command that tears down request id,
	// whose provision execution is execution, with any note on its input.
	// A nil Teardown or an empty result suggests the teardown without a
	// command.
	Teardown func(id, execution string) string
	// Redrive returns the quoted command that redrives the teardown
	// execution teardown.
	Redrive func(teardown string) string
	// Stop returns the quoted command that stops the running provision
	// execution named execution. A nil Stop or an empty result suggests stopping
	// it without a command.
	Stop func(execution string) string
}

// Rejection is the rejection of a provision request because of a Holder.
type Rejection struct {
	// RequestID, Route and Account are those of the rejected request, the
	// account as the request spells it.
	RequestID string
	Route     request.Route
	Account   string
	Holder    Holder
	Commands  Commands
	// Retry is the caller's action that starts the request again once the
	// clash is resolved, such as "send the request again". Host leaves it
	// out when it is "".
	Retry string
	// Redriven is the stopped provision execution of the rejected request
	// when the rejection is of a redrive of it, or "" for a new run. A
	// redrive reruns the stored request, so the message does not suggest
	// changing the request but a new run after a teardown of Redriven.
	Redriven string
}

// Objects returns the message for a request that names objects, each as
// its noun and name (request.Claim.String), in the Snowflake account of
// the holder.
func (r Rejection) Objects(objects []string) string {
	state, next := r.holderState()
	h := r.Holder
	conflict := fmt.Sprintf("request %s names %s in Snowflake account %s, as request %s does in execution %s (%s), %s",
		r.RequestID, JoinAnd(objects), r.Account, h.Request, h.Execution, statusText(h.Status), state)
	if r.Redriven != "" {
		return fmt.Sprintf("%s; %s. The names now belong to request %s, so %s and then %s, "+
			"or %s and start the request as a new run with another $.repository.name",
			conflict, outcome("a redrive of execution "+r.Redriven, r.Route), h.Request, next, r.Retry, r.teardownRedriven())
	}
	return fmt.Sprintf("%s; %s. Give this request another $.repository.name, or %s and then %s",
		conflict, outcome("an execution of this request", r.Route), next, r.Retry)
}

// Host returns the message for a private-link request whose private
// endpoint would carry host, the index host of the holder's endpoint in
// the same Snowflake account.
func (r Rejection) Host(host string) string {
	state, next := r.holderState()
	h := r.Holder
	conflict := fmt.Sprintf("request %s uses the index host %s in Snowflake account %s, as request %s does in execution %s (%s), %s. "+
		"An account routes a host name to one private endpoint only, so the verification of this request would pass through the endpoint and proxy of request %s "+
		"and break when that request is torn down. Serving both repositories from one request's endpoint is not supported",
		r.RequestID, host, r.Account, h.Request, h.Execution, statusText(h.Status), state, h.Request)
	if r.Redriven != "" {
		if r.Retry != "" {
			next += " and then " + r.Retry
		}
		return fmt.Sprintf("%s. The index host now belongs to request %s, so %s, "+
			"or %s and start the request as a new run with %s",
			conflict, h.Request, next, r.teardownRedriven(), HostChange(host))
	}
	then := ""
	if r.Retry != "" {
		then = ", and then " + r.Retry
	}
	return fmt.Sprintf("%s: %s, or use %s%s", conflict, next, HostChange(host), then)
}

// HostChange returns the change to a request that keeps it off the index
// host of another request's endpoint: another host name for the index, or
// another Snowflake account when every repository of the index's product
// has that host name.
func HostChange(host string) string {
	if scope := indexurl.HostScope(host); scope != "" {
		return fmt.Sprintf("another Snowflake account in $.snowflake.account, because every repository of %s has the host name %s", scope, host)
	}
	return "another host name for this index in " + request.IndexURLField
}

// SharedHost returns the message for a private-link request that reaches
// host through its field mine, while the holder reaches it through its
// field theirs, and the private endpoint of one of the two carries it.
// Each field is request.IndexURLField or an
// $.repository.extra_allowed_prefixes entry. Two index hosts give the
// message of Host.
func (r Rejection) SharedHost(host, mine, theirs string) string {
	if mine == request.IndexURLField && theirs == request.IndexURLField {
		return r.Host(host)
	}
	state, next := r.holderState()
	h := r.Holder
	var conflict, change string
	if theirs == request.IndexURLField {
		conflict = fmt.Sprintf("request %s lists the host %s in %s, which in Snowflake account %s is the index host of the private endpoint of request %s, execution %s (%s), %s",
			r.RequestID, host, mine, r.Account, h.Request, h.Execution, statusText(h.Status), state)
		change = fmt.Sprintf("remove %s from %s", host, mine)
	} else {
		conflict = fmt.Sprintf("request %s uses the index host %s in Snowflake account %s, which request %s lists in %s in execution %s (%s), %s",
			r.RequestID, host, r.Account, h.Request, theirs, h.Execution, statusText(h.Status), state)
		change = "use " + HostChange(host)
	}
	// user reaches host through the endpoint of owner.
	user, owner := r.RequestID, h.Request
	if theirs != request.IndexURLField {
		user, owner = h.Request, r.RequestID
	}
	conflict += fmt.Sprintf(". An account routes a host name to one private endpoint only, so request %s would reach %s through the endpoint and proxy of request %s "+
		"and break when that request is torn down", user, host, owner)
	if r.Redriven != "" {
		if r.Retry != "" {
			next += " and then " + r.Retry
		}
		return fmt.Sprintf("%s. The host now belongs to request %s, so %s, or %s and start the request as a new run that does not reach %s",
			conflict, h.Request, next, r.teardownRedriven(), host)
	}
	then := ""
	if r.Retry != "" {
		then = ", and then " + r.Retry
	}
	return fmt.Sprintf("%s: %s, or %s%s", conflict, next, change, then)
}

// Credential returns the message for a request whose index credential
// reference in field names the secret that the holder's reference in
// theirField names, while the rejected request sends it to the index host
// host and the holder to theirHost. An index credential belongs to the
// index host of the request that used it first, so a request may not send
// it to a host of its own. Unlike the other messages, it suggests no
// teardown of the holder, because the credential is the holder's.
func (r Rejection) Credential(field, host, theirField, theirHost string) string {
	h := r.Holder
	conflict := fmt.Sprintf("request %s references in %s the secret that request %s references in %s in execution %s (%s), "+
		"and that secret is the credential of request %s's index host %s. This request would send it to %s in preflight "+
		"and store it in a Snowflake SECRET for that host",
		r.RequestID, field, h.Request, theirField, h.Execution, statusText(h.Status), h.Request, theirHost, host)
	if r.Redriven != "" {
		return fmt.Sprintf("%s. A redrive runs the stored request again, so %s and start the request as a new run "+
			"with an index URL on %s in %s or a credential of its own in %s",
			conflict, r.teardownRedriven(), theirHost, request.IndexURLField, field)
	}
	then := ""
	if r.Retry != "" {
		then = ", and then " + r.Retry
	}
	return fmt.Sprintf("%s: set %s to a URL on %s, the index host of request %s, or reference a secret of this request's own in %s%s",
		conflict, request.IndexURLField, theirHost, h.Request, field, then)
}

// DefaultLevel returns the message for a request whose
// repository.default_for names target, such as SCHEMA PLATFORM.PACKAGES,
// the object on which the holder's execution sets
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY in the same Snowflake account. Only
// one request may set it, so the default step of the rejected request
// would fail with a conflict.
func (r Rejection) DefaultLevel(target string) string {
	state, next := r.holderState()
	h := r.Holder
	conflict := fmt.Sprintf("request %s sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on %s in Snowflake account %s "+
		"($.repository.default_for), as request %s does in execution %s (%s), %s",
		r.RequestID, target, r.Account, h.Request, h.Execution, statusText(h.Status), state)
	if r.Redriven != "" {
		return fmt.Sprintf("%s; %s. The level now belongs to request %s, so %s and then %s, "+
			"or %s and start the request as a new run with another level or none in $.repository.default_for",
			conflict, outcome("a redrive of execution "+r.Redriven, r.Route), h.Request, next, r.Retry, r.teardownRedriven())
	}
	return fmt.Sprintf("%s; %s. Set $.repository.default_for to another level or to none, or %s and then %s",
		conflict, outcome("an execution of this request", r.Route), next, r.Retry)
}

// teardownRedriven returns the advice to tear down Redriven, the stopped
// execution of the rejected request, with the teardown command if any.
func (r Rejection) teardownRedriven() string {
	return r.withTeardown("tear down execution "+r.Redriven+" of this request", r.RequestID, r.Redriven)
}

// withTeardown returns advice followed by the teardown command of the
// execution of request requestID, when Commands names one.
func (r Rejection) withTeardown(advice, requestID, execution string) string {
	if r.Commands.Teardown != nil {
		if command := r.Commands.Teardown(requestID, execution); command != "" {
			advice += " with " + command
		}
	}
	return advice
}

// holderState returns what has happened to the holder's resources since
// its execution started, and what to do first to free the claims.
func (r Rejection) holderState() (state, next string) {
	h := r.Holder
	state = "and no teardown of " + h.Request + " has succeeded since"
	next = r.withTeardown("tear down request "+h.Request+" first", h.Request, h.Execution)
	switch {
	case h.Teardown != "" && isOpen(h.TeardownStatus):
		state = fmt.Sprintf("and teardown %s of %s, which started since, is still running", h.Teardown, h.Request)
		next = fmt.Sprintf("wait for teardown %s of request %s to succeed", h.Teardown, h.Request)
	case h.Teardown != "":
		state = fmt.Sprintf("and teardown %s of %s, which started since, closed with %s", h.Teardown, h.Request, h.TeardownStatus)
		next = "finish the teardown of request " + h.Request + " first"
		if r.Commands.Redrive != nil {
			next += " with " + r.Commands.Redrive(h.Teardown)
		}
	}
	if h.Teardown == "" && (h.Status == StatusStarting || isOpen(h.Status)) {
		next = r.waitForHolder()
	}
	switch h.Status {
	case StatusStarting:
		state = "which another delivery of " + h.Request + " is starting"
	case StatusGone, "RUNNING", "SUCCEEDED":
	default:
		state = "which may have built resources before it stopped, " + state
	}
	return state, next
}

// waitForHolder returns the advice for a holder's execution that has not
// closed. A teardown starts only once the execution has closed, so the
// advice is to wait for it or stop it, and to tear the request down then.
func (r Rejection) waitForHolder() string {
	h := r.Holder
	stop := "stop it"
	if r.Commands.Stop != nil {
		if command := r.Commands.Stop(h.Execution); command != "" {
			stop += " with " + command
		}
	}
	teardown := r.withTeardown("tear down request "+h.Request, h.Request, h.Execution)
	return fmt.Sprintf("wait for execution %s of request %s to close, or %s, then %s", h.Execution, h.Request, stop, teardown)
}

// isOpen reports whether an execution with the Step Functions status
// status has not closed.
func isOpen(status string) bool {
	return status == "RUNNING" || status == "PENDING_REDRIVE"
}

// statusText returns the status of a holder's execution as a message shows
// it.
func statusText(status string) string {
	switch status {
	case StatusStarting:
		return "starting"
	case StatusGone:
		return "no longer in the execution history"
	}
	return status
}

// outcome returns what run, an execution or a redrive of a request of
// route, would do if the check did not reject it: build what the route
// builds before the Snowflake steps, then fail in them.
func outcome(run string, route request.Route) string {
	const fail = "fail with a conflict in the Snowflake steps"
	switch route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
		return run + " would build its proxy VM, load balancer and private endpoint and then " + fail
	case request.RouteEgressIP:
		return run + " would open the repository's firewall to Snowflake's egress IP ranges and then " + fail
	}
	// The public route builds nothing before the Snowflake steps.
	return run + " would " + fail
}

// JoinAnd joins items as a sentence lists them: "a", "a and b", "a, b and
// c".
func JoinAnd(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
