package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/functions/lambda/internal/exclusion"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/request"
	claimclash "github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// Claims stores which request ID holds each name that a provision
// execution takes in a Snowflake account (request.Claims), one item per
// name. *dynamo.Store implements it.
type Claims interface {
	// ReadClaim reads the claim of key with a strongly consistent read. A
	// name without a claim has Found false.
	ReadClaim(ctx context.Context, key string) (dynamo.Claim, error)
	// WriteClaim stores claim on the condition that the item is still as
	// read found it, and returns false when it is not.
	WriteClaim(ctx context.Context, key, account, name string, read, claim dynamo.Claim) (dynamo.Claim, bool, error)
	// DeleteClaim deletes the claim while it has version, and returns
	// false when it has changed or is gone.
	DeleteClaim(ctx context.Context, key string, version int64) (bool, error)
	// MarkClaimStarted records that execution has started, while the
	// request with ID requestID holds the claim for that execution.
	MarkClaimStarted(ctx context.Context, key, requestID, execution string) (bool, error)
}

var _ Claims = (*dynamo.Store)(nil)

// claimStartGrace is how long a claim whose execution has not been marked
// started and is not found still counts as held. The webhook writes the
// claim just before StartExecution, and a new execution can be missing
// from DescribeExecution for a moment, so it is the run item check's grace.
const claimStartGrace = exclusion.NotFoundGrace

// claimExpiryMargin is how long past claimStartGrace an unstarted claim
// item lives before DynamoDB may delete it through expires_at. Until then
// a later delivery of the request can still mark the claim started when
// its execution is found, because the mark after StartExecution failed.
//
// NOTE: when that mark fails and no later delivery of the request comes
// within the margin, DynamoDB deletes the claim while the execution may
// still hold its names.
const claimExpiryMargin = 24 * time.Hour

// maxClaimAttempts bounds the reads and writes of one claim while other
// deliveries keep changing it.
const maxClaimAttempts = 10

// takenClaim is a claim that takeClaims wrote for this delivery.
type takenClaim struct {
	key   string
	claim dynamo.Claim
}

// claimHolder is a holder of a claim whose resources may exist.
type claimHolder struct {
	request   string
	execution string
	// status is the execution's status, claimclash.StatusStarting while
	// it is being started and not found yet, or claimclash.StatusGone once
	// it has left the execution history.
	status string
	// teardown is the latest teardown of the request that started after
	// the execution. It has not succeeded.
	teardown *teardown
}

// clash is a claim of a request that another request ID holds.
type clash struct {
	claim  request.Claim
	holder claimHolder
	// field is the $.repository.extra_allowed_prefixes entry that lists
	// the host of a host claim that the holder took, or "" for a claim of
	// the request's own.
	field string
}

// takeClaims takes the names that a provision execution of req, named
// name, would take in its Snowflake account (request.Claims) and its
// default level (request.DefaultClaim), one conditional write each, before
// the execution starts, and the claims of its index credentials
// (checkCredentials). torn is the latest teardown of req, which accept has
// read. It returns a
// *webhook.ConflictError when another request ID holds one of them and its
// resources may exist, and then holds none of the names it took here.
//
// A holder's resources may exist while its execution runs or succeeded,
// or stopped once a building step had started (builtBeforeStop), and no
// teardown of its request that started after the execution succeeded. A
// holder whose resources cannot exist is taken over in the same
// conditional write, so of two requests that take a name at the same
// moment only one gets it. The names are written in the order of their
// keys, so two requests that claim several of the same names meet at the
// first one.
//
// A claim of req's own ID is written again for name unless it is held for
// a started execution whose resources may exist. That execution's
// resources keep the claim. An execution counts as started when its claim
// is marked started or when DescribeExecution finds it, because the mark
// after StartExecution can fail.
func (w *Webhook) takeClaims(ctx context.Context, req request.Request, name string, torn *teardown, log *slog.Logger) ([]takenClaim, error) {
	claims := request.Claims(req)
	if level, ok := request.DefaultClaim(req); ok {
		claims = append(claims, level)
	}
	if w.Claims == nil || req.ID == "" || len(claims) == 0 {
		return nil, nil
	}
	check := &claimCheck{webhook: w, id: req.ID, torn: torn, holders: map[claimRef]*claimHolder{}}

	// Every holder is read first, so that the error names all the objects
	// that one other request holds.
	reads := make([]dynamo.Claim, len(claims))
	var clashes []clash
	for i, c := range claims {
		read, err := w.Claims.ReadClaim(ctx, c.Key())
		if err != nil {
			return nil, fmt.Errorf("read the claim of %s in Snowflake account %s: %w", c, c.Account, err)
		}
		reads[i] = read
		holder, _, err := check.assessClaim(ctx, c, read)
		if err != nil {
			return nil, err
		}
		if holder != nil {
			clashes = append(clashes, clash{claim: c, holder: *holder})
			continue
		}
		if holder, err = check.assessLegacyClaim(ctx, c); err != nil {
			return nil, err
		}
		if holder != nil {
			clashes = append(clashes, clash{claim: c, holder: *holder})
		}
	}
	extra, err := check.extraHostClashes(ctx, req)
	if err != nil {
		return nil, err
	}
	clashes = append(clashes, extra...)
	if len(clashes) > 0 {
		return nil, w.clashError(req, clashes)
	}
	credential, credentials, err := check.checkCredentials(ctx, req)
	if err != nil {
		return nil, err
	}
	if credential != nil {
		return nil, w.credentialClashError(req, *credential)
	}

	order := make([]int, len(claims))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(claims[a].Key(), claims[b].Key()) })
	var taken []takenClaim
	for _, i := range order {
		t, err := w.takeClaim(ctx, check, req, name, claims[i], reads[i], log)
		if err != nil {
			w.releaseClaims(ctx, taken, log)
			return nil, err
		}
		if t != nil {
			taken = append(taken, *t)
		}
	}
	more, err := w.takeCredentials(ctx, check, req, name, credentials)
	taken = append(taken, more...)
	if err != nil {
		w.releaseClaims(ctx, taken, log)
		return nil, err
	}
	return taken, nil
}

// takeClaim writes the claim c of req for execution name, starting from
// read, and reads again after each write that another delivery got in
// before. It returns nil when req's own ID keeps the claim for an earlier
// execution, and then marks the claim started if it is not yet.
func (w *Webhook) takeClaim(ctx context.Context, check *claimCheck, req request.Request, name string, c request.Claim, read dynamo.Claim, log *slog.Logger) (*takenClaim, error) {
	for attempt := 1; attempt <= maxClaimAttempts; attempt++ {
		if attempt > 1 {
			var err error
			if read, err = w.Claims.ReadClaim(ctx, c.Key()); err != nil {
				return nil, fmt.Errorf("read the claim of %s in Snowflake account %s: %w", c, c.Account, err)
			}
		}
		holder, keep, err := check.assessClaim(ctx, c, read)
		if err != nil {
			return nil, err
		}
		if holder != nil {
			return nil, w.clashError(req, []clash{{claim: c, holder: *holder}})
		}
		if keep {
			if !read.Started {
				w.markClaimStarted(ctx, c.Key(), req.ID, read.Execution, log)
			}
			return nil, nil
		}
		claimedAt := w.now()
		claim := dynamo.Claim{Request: req.ID, Execution: name, ClaimedAt: claimedAt,
			ExpiresAt: claimedAt.Add(claimStartGrace + claimExpiryMargin)}
		written, ok, err := w.Claims.WriteClaim(ctx, c.Key(), c.Account, c.String(), read, claim)
		if err != nil {
			return nil, fmt.Errorf("write the claim of %s in Snowflake account %s: %w", c, c.Account, err)
		}
		if ok {
			return &takenClaim{key: c.Key(), claim: written}, nil
		}
	}
	return nil, fmt.Errorf("claim %s in Snowflake account %s: other deliveries changed the claim %d times; send the request again",
		c, c.Account, maxClaimAttempts)
}

// claimCheck decides on the claims that one delivery of the request with
// ID id reads. torn is that request's latest teardown, which the delivery
// has read already.
type claimCheck struct {
	webhook *Webhook
	id      string
	torn    *teardown
	// holders caches the results of liveHolder, because the claims of one
	// request usually share one holder.
	holders map[claimRef]*claimHolder
}

// claimRef is what liveHolder decides on.
type claimRef struct {
	request, execution string
	claimedAt          time.Time
	started            bool
}

// assess decides on read, a claim as stored. It returns the holder when
// another request ID holds the claim and its resources may exist, and keep
// true when the delivery's own ID holds it for a started execution whose
// resources may exist. Otherwise the delivery may write the claim.
//
// A claim of the own ID that is not marked started moves to the new name
// only when its execution is not found. An earlier delivery or an earlier
// run name of this delivery wrote it for a start that failed or took
// another request's name. A found execution did start, and only the mark
// after its start failed, so the claim counts as started.
func (c *claimCheck) assess(ctx context.Context, read dynamo.Claim) (*claimHolder, bool, error) {
	if !read.Found {
		return nil, false, nil
	}
	ref := claimRef{request: read.Request, execution: read.Execution, claimedAt: read.ClaimedAt, started: read.Started}
	holder, ok := c.holders[ref]
	if !ok {
		var err error
		if holder, err = c.liveHolder(ctx, read); err != nil {
			return nil, false, err
		}
		c.holders[ref] = holder
	}
	if holder == nil {
		return nil, false, nil
	}
	if read.Request != c.id {
		return holder, false, nil
	}
	// StatusStarting is the status of an unstarted claim whose execution
	// is not found.
	if !read.Started && holder.status == claimclash.StatusStarting {
		return nil, false, nil
	}
	return nil, true, nil
}

// assessClaim is assess for the claim c. The holder of a default level
// claim of another request ID holds it only while no later run of its
// request that may have built names another level (movedDefault).
func (c *claimCheck) assessClaim(ctx context.Context, claim request.Claim, read dynamo.Claim) (*claimHolder, bool, error) {
	holder, keep, err := c.assess(ctx, read)
	if err != nil || holder == nil || claim.Kind != request.ClaimDefault {
		return holder, keep, err
	}
	moved, err := c.webhook.movedDefault(ctx, claim, holder)
	if err != nil || moved {
		return nil, false, err
	}
	return holder, false, nil
}

// extraHostClashes returns a clash for each host of req's
// repository.extra_allowed_prefixes whose host claim another request ID
// holds, because that request's private endpoint carries the host, and req
// would reach its index through that endpoint.
//
// NOTE: a request whose index host another request lists in
// extra_allowed_prefixes is not rejected here, because a claim store read
// by key cannot find the requests that list a host. repolink run finds
// them in its state directory.
func (c *claimCheck) extraHostClashes(ctx context.Context, req request.Request) ([]clash, error) {
	var clashes []clash
	for _, extra := range request.ExtraHostClaims(req) {
		read, err := c.webhook.Claims.ReadClaim(ctx, extra.Key())
		if err != nil {
			return nil, fmt.Errorf("read the claim of %s in Snowflake account %s: %w", extra.Claim, extra.Account, err)
		}
		holder, _, err := c.assessClaim(ctx, extra.Claim, read)
		if err != nil {
			return nil, err
		}
		if holder == nil {
			if holder, err = c.assessLegacyClaim(ctx, extra.Claim); err != nil {
				return nil, err
			}
		}
		if holder != nil && holder.request != req.ID {
			clashes = append(clashes, clash{claim: extra.Claim, holder: *holder, field: extra.Field})
		}
	}
	return clashes, nil
}

// assessLegacyClaim returns the holder of the claim stored under
// claim.LegacyKey, which a request that wrote its account with a suffix
// that request.AccountKey drops took before claims used AccountKey, or nil
// when that key is claim.Key, unclaimed, or its holder's resources cannot
// exist. Such a claim is read and never written, so it stops counting once
// its holder's resources are gone.
func (c *claimCheck) assessLegacyClaim(ctx context.Context, claim request.Claim) (*claimHolder, error) {
	key := claim.LegacyKey()
	if key == claim.Key() {
		return nil, nil
	}
	read, err := c.webhook.Claims.ReadClaim(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read the claim of %s in Snowflake account %s: %w", claim, claim.LegacyAccount, err)
	}
	if read.Request == c.id {
		return nil, nil
	}
	holder, _, err := c.assessClaim(ctx, claim, read)
	return holder, err
}

// movedDefault reports whether the latest run of holder's request after
// holder's execution that may have built names another default level than
// claim, or none. Such a run unsets the level in its default step, as
// repolink run counts only a request's latest run that may have built.
// Runs under later run names of the request are read one by one, up to
// maxRuns.
func (w *Webhook) movedDefault(ctx context.Context, claim request.Claim, holder *claimHolder) (bool, error) {
	later, err := w.laterRuns(ctx, holder.request, holder.execution)
	if err != nil {
		return false, err
	}
	for i := len(later) - 1; i >= 0; i-- {
		run := later[i]
		if !isOpen(run.execution.Status) && run.execution.Status != sfn.StatusSucceeded {
			built, _, err := w.builtBeforeStop(ctx, sfn.ExecutionARN(w.StateMachineARN, run.name))
			if err != nil {
				return false, err
			}
			if !built {
				continue
			}
		}
		return webhook.MovesDefaultLevel(claim, run.request), nil
	}
	return false, nil
}

// latestTeardown returns the latest teardown of the request with ID id.
func (c *claimCheck) latestTeardown(ctx context.Context, id string) (*teardown, error) {
	if id == c.id {
		return c.torn, nil
	}
	return c.webhook.latestTeardown(ctx, id)
}

// liveHolder returns the holder of the claim read when its resources may
// exist, or nil when they cannot: its execution stopped before any
// building step, a teardown of its request succeeded after the execution
// started, or the execution never started.
func (c *claimCheck) liveHolder(ctx context.Context, read dynamo.Claim) (*claimHolder, error) {
	w := c.webhook
	holder := &claimHolder{request: read.Request, execution: read.Execution}
	arn := sfn.ExecutionARN(w.StateMachineARN, read.Execution)
	x, err := w.Executions.DescribeExecution(ctx, arn)
	if err != nil && !errors.Is(err, sfn.ErrExecutionNotFound) {
		return nil, fmt.Errorf("read execution %s of request %s: %w", read.Execution, read.Request, err)
	}
	found := err == nil && workflow.RequestID(x.Input) == read.Request

	// since is when the holder's resources were built at the earliest.
	since := read.ClaimedAt
	switch {
	case !found && !read.Started:
		if w.now().Sub(read.ClaimedAt) < claimStartGrace {
			return holder, nil
		}
		return nil, nil
	case !found:
		// NOTE: the execution has left the execution history, 90 days
		// after it closed, so its status is unknown. Its resources count
		// as existing until a teardown of the request succeeds.
		holder.status = claimclash.StatusGone
	case isOpen(x.Status):
		holder.status = x.Status
		return holder, nil
	default:
		holder.status = x.Status
		since = x.StartDate
		if x.Status != sfn.StatusSucceeded {
			built, _, err := w.builtBeforeStop(ctx, arn)
			if err != nil || !built {
				return nil, err
			}
		}
	}

	torn, err := c.latestTeardown(ctx, read.Request)
	if err != nil {
		return nil, err
	}
	if torn != nil && since.Before(torn.startDate) {
		if torn.status == sfn.StatusSucceeded {
			return nil, nil
		}
		holder.teardown = torn
	}
	return holder, nil
}

// releaseClaims deletes the claims that a delivery took before it was
// rejected, so that they hold no name for an execution that never starts.
// A claim that fails to delete is logged, and lapses after
// claimStartGrace.
func (w *Webhook) releaseClaims(ctx context.Context, taken []takenClaim, log *slog.Logger) {
	for _, t := range taken {
		if _, err := w.Claims.DeleteClaim(ctx, t.key, t.claim.Version); err != nil {
			log.Warn("release claim of a rejected delivery failed", "error", err, "execution", t.claim.Execution)
		}
	}
}

// startRejected reports whether Step Functions rejected a StartExecution
// with err, a client fault such as ExecutionLimitExceeded or
// InvalidExecutionInput, so that no execution started. The claims of such
// a start are released. After a timeout, a network error or a server
// fault the execution may have started, so its claims stay and lapse
// after claimStartGrace when it did not.
func startRejected(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultClient
}

// markClaimsStarted records that execution name has started on the claims
// that the delivery took, so that they keep holding their names after the
// execution has left the execution history. A mark that fails is logged:
// the claim then holds its name while Step Functions keeps the execution.
func (w *Webhook) markClaimsStarted(ctx context.Context, req request.Request, name string, taken []takenClaim, log *slog.Logger) {
	for _, t := range taken {
		w.markClaimStarted(ctx, t.key, req.ID, name, log)
	}
}

// markClaimStarted records that execution of the request with ID
// requestID has started on the claim of key, and logs a mark that fails.
func (w *Webhook) markClaimStarted(ctx context.Context, key, requestID, execution string, log *slog.Logger) {
	if _, err := w.Claims.MarkClaimStarted(ctx, key, requestID, execution); err != nil {
		log.Warn("mark claim started failed", "error", err, "execution", execution)
	}
}

// clashError returns the conflict for clashes, the claims of req that other
// request IDs hold. The objects that the first holder of an object holds
// come before the host, and the host before the default level, as
// repolink run reports them.
func (w *Webhook) clashError(req request.Request, clashes []clash) *webhook.ConflictError {
	first := clashes[0]
	var objects []string
	for _, c := range clashes {
		if c.claim.Kind == request.ClaimObject && c.holder.request == first.holder.request {
			objects = append(objects, c.claim.String())
		}
	}
	rejection := claimclash.Rejection{
		RequestID: req.ID,
		Route:     req.Route,
		Account:   req.Snowflake.Account,
		Holder:    first.holder.clashHolder(),
		Commands:  w.clashCommands(),
		Retry:     "send the request again",
	}
	var reason string
	switch first.claim.Kind {
	case request.ClaimObject:
		reason = rejection.Objects(objects)
	case request.ClaimDefault:
		return webhook.DefaultLevelConflict(req, rejection.Holder, rejection.Commands)
	case request.ClaimHost:
		field := first.field
		if field == "" {
			field = request.IndexURLField
		}
		reason = rejection.SharedHost(first.claim.Name, field, request.IndexURLField)
	default:
		reason = rejection.Host(first.claim.Name)
	}
	return &webhook.ConflictError{Ticket: req.ID, Execution: first.holder.execution, Reason: reason}
}

// clashHolder returns h as a clash message names it.
func (h claimHolder) clashHolder() claimclash.Holder {
	holder := claimclash.Holder{Request: h.request, Execution: h.execution, Status: h.status}
	if h.teardown != nil {
		holder.Teardown, holder.TeardownStatus = h.teardown.name, h.teardown.status
	}
	return holder
}

// clashCommands returns the AWS CLI commands that a clash message
// suggests. Without a teardown machine ARN it suggests the teardown
// without a command.
func (w *Webhook) clashCommands() claimclash.Commands {
	return claimclash.Commands{
		Teardown: func(_, execution string) string {
			machine := w.teardownMachineARN()
			if machine == "" {
				return ""
			}
			return fmt.Sprintf("'aws stepfunctions start-execution --state-machine-arn %s --input file://input.json' "+
				"with the input of execution %s in input.json", machine, execution)
		},
		Redrive: func(teardown string) string {
			return fmt.Sprintf("'aws stepfunctions redrive-execution --execution-arn %s'",
				sfn.ExecutionARN(w.teardownMachineARN(), teardown))
		},
		Stop: func(execution string) string {
			return fmt.Sprintf("'aws stepfunctions stop-execution --execution-arn %s'", sfn.ExecutionARN(w.StateMachineARN, execution))
		},
	}
}
