package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// placementChangeError is the error of a run whose request changes a
// placement field from an earlier run of the same request ID whose
// resources no teardown has removed.
type placementChangeError struct {
	requestID string
	fields    []string
	// changes are the fields with their earlier and later values, from
	// request.DescribeChanges.
	changes []string
	earlier string
	status  string
	// latest is the latest provision execution of the request, the one
	// that a teardown must name. It is earlier unless a later run, such as
	// one that stopped in preflight, followed it.
	latest string
	// redrivable is set for an earlier run that failed, timed out or was
	// aborted after it built resources, and that a redrive may finish,
	// because no later run or teardown of the request followed it, and
	// whose error is not one that a redrive repeats.
	redrivable bool
	// redriveRepeats is set for an earlier run that closed on an error that
	// a redrive repeats (workflow.RedriveRepeats), so the advice leaves the
	// redrive out and gives the reason.
	redriveRepeats bool
	// flags are the flags of the suggested teardown and redrive commands.
	flags string
	// retry is the caller's action that starts the request again, one of
	// the retry constants, or "" for retryRunFile.
	retry string
	// consequence is the clause from request.ChangeConsequence that
	// describes what a run with the change would do.
	consequence string
	// endpointCost is the sentence from request.TeardownEndpointCost, or ""
	// when the earlier run neither provisioned nor adopted a private
	// endpoint.
	endpointCost string
	// newIDChanges are the fields, from request.NewIDChanges, that a
	// request with another ID must change too.
	newIDChanges []string
}

func (e *placementChangeError) setFlags(flags string) { e.flags = flags }

func (e *placementChangeError) setRetry(retry string) { e.retry = retry }

func (e *placementChangeError) execution() string { return e.earlier }

// latestOrEarlier returns the execution that a teardown of the request
// names: the latest run when it is known, and the earlier run otherwise.
func (e *placementChangeError) latestOrEarlier() string {
	if e.latest != "" {
		return e.latest
	}
	return e.earlier
}

func (e *placementChangeError) Error() string {
	return e.reason() + ", or give this request a new id" + request.NewIDAdvice(e.newIDChanges)
}

// reason returns the message without the advice to give the request a new
// ID, which the webhook adds in the form that suits the sender from
// newIDChanges.
func (e *placementChangeError) reason() string {
	built := "and no teardown has removed what that execution built"
	if e.status != engine.StatusRunning && e.status != engine.StatusSucceeded {
		built = "which may have built resources before it stopped, and no teardown has removed them"
	}
	retry := e.retry
	if retry == "" {
		retry = retryRunFile
	}
	next := ""
	if e.endpointCost != "" {
		next = e.endpointCost + ". "
	}
	if e.status == engine.StatusRunning {
		stop := fmt.Sprintf("'repolink stop%s %s'", storeFlagsOf(e.flags), e.earlier)
		next += workflow.WaitOrStopAdvice(e.earlier, stop) + ". Then "
		next += fmt.Sprintf("tear down the request with 'repolink teardown%s %s' and then %s", e.flags, e.latestOrEarlier(), retry)
	} else if e.redriveRepeats && (e.latest == "" || e.latest == e.earlier) {
		next += fmt.Sprintf("A redrive of %s fails the same way, so tear down the earlier run first with 'repolink teardown%s %s' and then %s",
			e.earlier, e.flags, e.earlier, retry)
	} else if e.latest == "" || e.latest == e.earlier {
		next += fmt.Sprintf("Tear down the earlier run first with 'repolink teardown%s %s' and then %s", e.flags, e.earlier, retry)
	} else {
		next += fmt.Sprintf("Tear down the request first with 'repolink teardown%s %s', which names its latest run, and then %s",
			e.flags, e.latest, retry)
	}
	if e.redrivable {
		next += fmt.Sprintf(", or redrive it with 'repolink redrive%s %s' to finish the earlier request as it was, "+
			"and tear it down before you %s", e.flags, e.earlier, retry)
	}
	values := ""
	if len(e.changes) > 0 {
		values = "The request changes " + strings.Join(e.changes, "; ") + ". "
	}
	return fmt.Sprintf("request %s changes %s from execution %s (%s), %s; %s. %s%s",
		e.requestID, strings.Join(e.fields, ", "), e.earlier, e.status, built, e.consequence, values, next)
}

// checkIntake runs placementConflict and then objectClash on the provision
// executions that the intake index names for req, as every start does.
func checkIntake(ctx context.Context, eng *engine.Engine, req request.Request, flags string) error {
	return checkCandidates(ctx, eng, req, func(runs *intakeRuns, all []engine.Execution) error {
		if err := placementConflict(ctx, runs, all, req, flags); err != nil {
			return err
		}
		return objectClash(ctx, runs, all, req, flags)
	})
}

// placementConflict returns a *placementChangeError when req changes a
// placement field from an earlier provision execution of its ID whose
// resources may exist: one that runs or succeeded, or one that failed,
// timed out or was aborted once a building step had started (see
// workflow.MayHaveBuilt). A succeeded teardown of the request that started
// after the execution clears it. A run that stopped in preflight, before
// any building step, is not checked. all are the provision executions of
// req's ID and maybe others, the latest started first, and flags the flags
// of the suggested commands.
func placementConflict(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, flags string) error {
	if req.ID == "" {
		return nil
	}
	latest := ""
	for _, x := range all {
		earlier, ok := executionRequest(x)
		if !ok || earlier.ID != req.ID {
			continue
		}
		followed := latest != ""
		if !followed {
			latest = x.Name
		}
		changed := request.ChangedPlacement(earlier, req)
		if len(changed) == 0 {
			continue
		}
		closedEarly := x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded
		var progress *runProgress
		if closedEarly {
			var err error
			if progress, err = readRunProgress(ctx, runs.eng, x.Name); err != nil {
				return err
			}
			if !workflow.MayHaveBuilt(progress.lastTask, progress.resources) {
				continue
			}
		}
		teardownStarted, tornDown, err := runs.teardownsAfter(ctx, req.ID, x)
		if err != nil {
			return err
		}
		if tornDown {
			continue
		}
		endpointCost, err := teardownEndpointCost(ctx, runs.eng, x, earlier, progress)
		if err != nil {
			return err
		}
		repeats := closedEarly && redriveRepeats(x)
		return &placementChangeError{
			requestID:      req.ID,
			fields:         changed,
			changes:        request.DescribeChanges(earlier, req, changed),
			earlier:        x.Name,
			status:         x.Status,
			latest:         latest,
			redrivable:     closedEarly && !followed && !teardownStarted && !repeats,
			redriveRepeats: repeats,
			flags:          flags,
			consequence:    request.ChangeConsequence(earlier, req, changed, x.Name),
			endpointCost:   endpointCost,
			newIDChanges:   request.NewIDChanges(earlier, req),
		}
	}
	return nil
}

// redriveRepeats reports whether a redrive of the closed execution x fails
// the way x did, as the next action that run and status print states.
func redriveRepeats(x engine.Execution) bool {
	_, cause := failedStep(x)
	return workflow.RedriveRepeats(x.Error, cause)
}

// builtBeforeStop reports whether the execution name, which stopped before
// it succeeded, may have left resources: see workflow.MayHaveBuilt.
func builtBeforeStop(ctx context.Context, eng *engine.Engine, name string) (bool, error) {
	progress, err := readRunProgress(ctx, eng, name)
	if err != nil {
		return false, err
	}
	return workflow.MayHaveBuilt(progress.lastTask, progress.resources), nil
}

// teardownEndpointCost returns request.TeardownEndpointCost of earlier, the
// request of the provision execution x, when a teardown of x would
// deprovision a Snowflake private endpoint, and "" otherwise. A running x
// may still provision one. A closed x has one when webhook.MayHaveEndpoint
// finds it in its history. progress is that history when the caller has
// read it already, or nil.
func teardownEndpointCost(ctx context.Context, eng *engine.Engine, x engine.Execution, earlier request.Request, progress *runProgress) (string, error) {
	cost := request.TeardownEndpointCost(earlier)
	if cost == "" || x.Status == engine.StatusRunning {
		return cost, nil
	}
	if progress == nil {
		var err error
		if progress, err = readRunProgress(ctx, eng, x.Name); err != nil {
			return "", err
		}
	}
	if !webhook.MayHaveEndpoint(progress.lastTask, progress.resources) {
		return "", nil
	}
	return cost, nil
}

// runProgress is the progress of an execution: the last Task state that it
// entered and the $.resources of the last state output that has them.
type runProgress struct {
	lastTask  string
	resources json.RawMessage
}

// readRunProgress reads the runProgress of the execution name from its
// history.
func readRunProgress(ctx context.Context, eng *engine.Engine, name string) (*runProgress, error) {
	events, err := eng.History(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read history of execution %s: %w", name, err)
	}
	progress := &runProgress{}
	details := make([]json.RawMessage, len(events))
	for i, ev := range events {
		details[i] = ev.Details
		if ev.Type == "TaskStateEntered" {
			progress.lastTask = ev.State
		}
	}
	progress.resources = execview.LastResources(details)
	return progress, nil
}

// teardownsAfter reports whether a teardown of the request with ID id
// started after the execution x, and whether one of them has succeeded.
func teardownsAfter(ctx context.Context, eng *engine.Engine, id string, x engine.Execution) (started, succeeded bool, err error) {
	runs, release, err := openIntakeRuns(ctx, eng)
	if err != nil {
		return false, false, err
	}
	defer release()
	return runs.teardownsAfter(ctx, id, x)
}
