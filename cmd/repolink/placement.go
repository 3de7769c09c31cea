package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// placementChangeError is the error of a run whose request changes a
// placement field from an earlier run of the same request ID whose
// resources no teardown has removed.
type placementChangeError struct {
	requestID string
	fields    []string
	earlier   string
	status    string
	// flags are the flags of the suggested teardown command.
	flags string
}

func (e *placementChangeError) Error() string {
	return fmt.Sprintf("request %s changes %s from execution %s (%s), and no teardown has removed what that execution built; "+
		"a run with the change would build new resources and leave those of %s behind, because a teardown removes only what the latest run built. "+
		"Tear down the earlier run first with 'repolink teardown%s %s' and then run this file, or give this request a new id",
		e.requestID, strings.Join(e.fields, ", "), e.earlier, e.status, e.earlier, e.flags, e.earlier)
}

// checkPlacement returns a *placementChangeError when req changes a
// placement field from a running or succeeded provision execution of its
// ID that no succeeded teardown of the request followed. flags are the
// flags of the suggested teardown command. A failed run is not checked.
// NOTE: a run that failed after it created cloud resources can still leave
// them behind when a later run changes its placement.
func checkPlacement(ctx context.Context, eng *engine.Engine, req request.Request, flags string) error {
	if req.ID == "" {
		return nil
	}
	// List returns the latest started first.
	all, err := eng.List(ctx)
	if err != nil {
		return err
	}
	for _, x := range all {
		if !runOf(x, provisionMachine, req.ID) || x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
			continue
		}
		var doc workflow.Document
		if json.Unmarshal(x.Input, &doc) != nil {
			continue
		}
		changed := request.ChangedPlacement(doc.Request, req)
		if len(changed) == 0 {
			continue
		}
		tornDown, err := tornDownAfter(ctx, eng, req.ID, x)
		if err != nil {
			return err
		}
		if !tornDown {
			return &placementChangeError{requestID: req.ID, fields: changed, earlier: x.Name, status: x.Status, flags: flags}
		}
	}
	return nil
}

// tornDownAfter reports whether a teardown of the request with ID id that
// started after the execution x has succeeded.
func tornDownAfter(ctx context.Context, eng *engine.Engine, id string, x engine.Execution) (bool, error) {
	teardowns, err := eng.ListMachine(ctx, teardownMachine, x.StartedAt)
	if err != nil {
		return false, err
	}
	for _, t := range teardowns {
		if runOf(t, teardownMachine, id) && t.Status == engine.StatusSucceeded {
			return true, nil
		}
	}
	return false, nil
}
