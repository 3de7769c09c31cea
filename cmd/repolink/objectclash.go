package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/workflow"
)

// intakeConflict is an error with which run, plan, the webhooks and the
// StartExecution check of repolink up reject a provision execution before
// it starts, because of an execution whose resources may exist.
type intakeConflict interface {
	error
	// setFlags sets the flags of the commands that the message suggests.
	setFlags(flags string)
	// setRetry sets the caller's action that starts the request again once
	// the conflict is resolved, one of the retry constants.
	setRetry(retry string)
	// execution returns the name of the execution that the request
	// conflicts with.
	execution() string
}

// Actions with which the caller of an intake check starts the request
// again, for the messages of an intakeConflict. A conflict without one set
// names retryRunFile.
const (
	retryRunFile        = "run this file"
	retryStartExecution = "start the execution again"
	retrySendRequest    = "send the request again"
	retryRedrive        = "redrive the execution again"
)

// clashHolder is the record that every intake clash error keeps of the
// other request's execution and of the commands that resolve the clash.
type clashHolder struct {
	requestID string
	route     request.Route
	account   string
	other     string
	earlier   string
	status    string
	// latest is the latest provision execution of request other, the one
	// that a teardown of other must name.
	latest string
	// teardown and teardownStatus are the latest teardown of request other
	// that started after execution earlier, if any. It has not succeeded.
	teardown       string
	teardownStatus string
	flags          string
	// retry is the caller's action that starts the request again, one of
	// the retry constants.
	retry string
	// redriven is the stopped execution of requestID whose redrive the
	// clash rejects, or "" for a new run.
	redriven string
}

// newClashHolder returns the clashHolder of req against execution x of
// request other. all are the provision executions, the latest first.
func newClashHolder(req, other request.Request, x engine.Execution, all []engine.Execution, flags string) clashHolder {
	return clashHolder{
		requestID: req.ID,
		route:     req.Route,
		account:   req.Snowflake.Account,
		other:     other.ID,
		earlier:   x.Name,
		status:    x.Status,
		latest:    latestRunIn(all, other.ID),
		flags:     flags,
	}
}

func (e *clashHolder) setFlags(flags string) { e.flags = flags }

func (e *clashHolder) setRetry(retry string) { e.retry = retry }

func (e *clashHolder) setRedriven(execution string) { e.redriven = execution }

func (e *clashHolder) execution() string { return e.earlier }

// rejection returns the clash message builder of e. An unset retry becomes
// defaultRetry.
func (e *clashHolder) rejection(defaultRetry string) clash.Rejection {
	retry := e.retry
	if retry == "" {
		retry = defaultRetry
	}
	return clash.Rejection{
		RequestID: e.requestID,
		Route:     e.route,
		Account:   e.account,
		Holder: clash.Holder{
			Request:        e.other,
			Execution:      e.earlier,
			Status:         e.status,
			Teardown:       e.teardown,
			TeardownStatus: e.teardownStatus,
		},
		Commands: repolinkCommands(e.flags, e.other, e.latest),
		Retry:    retry,
		Redriven: e.redriven,
	}
}

// setTeardown records in e the latest teardown of request e.other that
// started after execution x, because a teardown that failed or runs is the
// one to finish, not a new one.
func (e *clashHolder) setTeardown(ctx context.Context, runs *intakeRuns, x engine.Execution) error {
	teardown, err := runs.latestTeardownAfter(ctx, e.other, x)
	if err != nil {
		return err
	}
	if teardown != nil {
		e.teardown, e.teardownStatus = teardown.Name, teardown.Status
	}
	return nil
}

// objectClashError is the error of a run whose request names a Snowflake
// SECRET, API INTEGRATION or ARTIFACT REPOSITORY that a provision execution
// of another request ID in the same Snowflake account may have created.
type objectClashError struct {
	clashHolder
	// objects are the clashing objects, each as its noun and name, such as
	// "API integration PYPI_INTEGRATION".
	objects []string
}

var (
	_ intakeConflict = (*objectClashError)(nil)
	_ intakeConflict = (*placementChangeError)(nil)
)

func (e *objectClashError) Error() string {
	rejection := e.rejection(retryRunFile)
	return rejection.Objects(e.objects)
}

// repolinkCommands returns the repolink commands, with flags, that a clash
// message suggests. A teardown accepts only the latest run of a request, so
// a suggested teardown of request holder names latest, when set, in place
// of the execution that the message names.
func repolinkCommands(flags, holder, latest string) clash.Commands {
	return clash.Commands{
		Teardown: func(requestID, execution string) string {
			if requestID == holder && latest != "" {
				execution = latest
			}
			return fmt.Sprintf("'repolink teardown%s %s'", flags, execution)
		},
		Redrive: func(teardown string) string {
			return fmt.Sprintf("'repolink redrive%s %s'", flags, teardown)
		},
		Stop: func(execution string) string {
			return fmt.Sprintf("'repolink stop%s %s'", storeFlagsOf(flags), execution)
		},
	}
}

// objectClaims returns the claims of req on Snowflake objects, its SECRET,
// API INTEGRATION and ARTIFACT REPOSITORY in the order the steps create
// them, or none for a request without a repository name.
func objectClaims(req request.Request) []request.Claim {
	return slices.DeleteFunc(request.Claims(req), func(c request.Claim) bool {
		return c.Kind != request.ClaimObject
	})
}

// sharedObjects returns the objects of a that b names too, as noun and
// name, or nil when the two requests are in different Snowflake accounts.
// Accounts are compared by request.AccountKey.
func sharedObjects(a, b request.Request) []string {
	if !request.SameAccount(a.Snowflake.Account, b.Snowflake.Account) {
		return nil
	}
	theirs := objectClaims(b)
	var shared []string
	for i, o := range objectClaims(a) {
		if i < len(theirs) && o.Name == theirs[i].Name {
			shared = append(shared, o.String())
		}
	}
	return shared
}

// checkObjectClash returns an *objectClashError when req names a Snowflake
// object in the same Snowflake account as a provision execution of another
// request ID whose resources may exist. Such an execution runs or
// succeeded, or it stopped once a building step had started (see
// workflow.MayHaveBuilt). A succeeded teardown of the other request that
// started after that execution clears it. An execution that started
// after a live execution of req's ID with the same objects is not checked,
// because those objects belong to req's ID, and the steps stop the later
// one. flags are the flags of the suggested teardown command. A request
// without such a clash is then checked for the host of its private
// endpoint with checkHostClash, for its index credential with
// checkCredentialClash and for its default level with checkDefaultClash.
//
// A start runs the check under the start locks of req's ID and of its
// claims (intakeLockKeys). So of two requests with different IDs that name
// the same objects or host and start at the same moment, the second waits
// until the first has started and then fails the check.
func checkObjectClash(ctx context.Context, eng *engine.Engine, req request.Request, flags string) error {
	return checkCandidates(ctx, eng, req, func(runs *intakeRuns, all []engine.Execution) error {
		return objectClash(ctx, runs, all, req, flags)
	})
}

// objectClash is checkObjectClash on all, the provision executions newest
// first. all must contain every provision execution of req's ID and of the
// requests that share a claim key with req (intakeRuns.candidates).
func objectClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, flags string) error {
	if req.ID == "" || req.Repository.Name == "" {
		return nil
	}
	x, other, err := firstClash(ctx, runs, all, req, func(a, b request.Request) bool {
		return len(sharedObjects(a, b)) > 0
	})
	if err != nil {
		return err
	}
	if x == nil {
		if err := checkHostClash(ctx, runs, all, req, flags); err != nil {
			return err
		}
		if err := checkCredentialClash(ctx, runs, all, req, flags); err != nil {
			return err
		}
		return checkDefaultClash(ctx, runs, all, req, flags)
	}
	conflict := &objectClashError{
		clashHolder: newClashHolder(req, other, *x, all, flags),
		objects:     sharedObjects(req, other),
	}
	if err := conflict.setTeardown(ctx, runs, *x); err != nil {
		return err
	}
	return conflict
}

// firstClash returns the latest of all, the provision executions newest
// first, that ran another request ID whose request clashes with req and
// whose resources may exist, with that request. An execution is skipped
// when a clashing execution of req's own ID with resources started before
// it, because the first request keeps what it claimed. It returns a nil
// execution when there is none.
func firstClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, clashes func(a, b request.Request) bool) (*engine.Execution, request.Request, error) {
	for i := range all {
		other, ok := provisionRequest(all[i])
		if !ok || other.ID == "" || other.ID == req.ID || !clashes(req, other) {
			continue
		}
		live, err := mayHaveResources(ctx, runs, all[i], other.ID)
		if err != nil {
			return nil, request.Request{}, err
		}
		if !live {
			continue
		}
		first, err := ownedEarlier(ctx, runs, all[i+1:], req, other, clashes)
		if err != nil {
			return nil, request.Request{}, err
		}
		if !first {
			return &all[i], other, nil
		}
	}
	return nil, request.Request{}, nil
}

// ownedEarlier reports whether one of the executions earlier, which all
// started before the execution of request other, is a provision execution
// of req's ID that clashes with other and whose resources may exist.
func ownedEarlier(ctx context.Context, runs *intakeRuns, earlier []engine.Execution, req, other request.Request, clashes func(a, b request.Request) bool) (bool, error) {
	for _, x := range earlier {
		own, ok := provisionRequest(x)
		if !ok || own.ID != req.ID || !clashes(own, other) {
			continue
		}
		live, err := mayHaveResources(ctx, runs, x, req.ID)
		if err != nil || live {
			return live, err
		}
	}
	return false, nil
}

// provisionRequest returns the request of x when x is a provision
// execution with a readable input.
func provisionRequest(x engine.Execution) (request.Request, bool) {
	if x.Machine != provisionMachine {
		return request.Request{}, false
	}
	return executionRequest(x)
}

// decodedInputs holds the requests of the executions whose input
// executionRequest decoded, so that the start checks, which read the
// executions of the same requests again at each start, decode each input
// once. An execution's input never changes, redrives included. The key holds the
// input's hash too, because a test process opens many stores that reuse
// execution names.
var decodedInputs struct {
	sync.Mutex
	requests map[inputKey]request.Request
}

// inputKey identifies an execution's input.
type inputKey struct {
	name string
	hash uint64
}

// maxDecodedInputs bounds decodedInputs, whose requests take about 1.3 KB
// each, so that it holds at most about 13 MB. Past it the cache starts
// over, and the start checks decode the inputs that they read again.
const maxDecodedInputs = 10_000

// inputSeed seeds the hashes of decodedInputs.
var inputSeed = maphash.MakeSeed()

// executionRequest returns the request of the execution x's input, and
// false when the input is not a readable document.
func executionRequest(x engine.Execution) (request.Request, bool) {
	key := inputKey{name: x.Name, hash: maphash.Bytes(inputSeed, x.Input)}
	decodedInputs.Lock()
	req, ok := decodedInputs.requests[key]
	decodedInputs.Unlock()
	if ok {
		return req, true
	}
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) != nil {
		return request.Request{}, false
	}
	decodedInputs.Lock()
	if decodedInputs.requests == nil || len(decodedInputs.requests) >= maxDecodedInputs {
		decodedInputs.requests = make(map[inputKey]request.Request)
	}
	decodedInputs.requests[key] = doc.Request
	decodedInputs.Unlock()
	return doc.Request, true
}

// mayHaveResources reports whether the provision execution x of the
// request with ID id may have left resources that no teardown removed. It
// may when it runs or succeeded, or stopped once a building step had
// started, and no teardown of the request that started after it succeeded.
func mayHaveResources(ctx context.Context, runs *intakeRuns, x engine.Execution, id string) (bool, error) {
	if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
		built, err := builtBeforeStop(ctx, runs.eng, x.Name)
		if err != nil || !built {
			return false, err
		}
	}
	_, tornDown, err := runs.teardownsAfter(ctx, id, x)
	if err != nil {
		return false, err
	}
	return !tornDown, nil
}
