package main

import (
	"context"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
)

// rebuildRef names a provision execution that started after a teardown of
// its request and may have built the request's resources again.
type rebuildRef struct {
	Name      string        `json:"name"`
	Status    string        `json:"status"`
	StartedAt execview.Time `json:"started_at"`
}

// rebuiltBy returns the latest provision execution of the request with ID
// id that started after the teardown t and may have built resources: one
// that is running or succeeded, or that stopped after a building step. It
// returns nil when there is none.
func rebuiltBy(ctx context.Context, eng *engine.Engine, t teardownRef, id string) (*rebuildRef, error) {
	// requestExecutions lists the latest started first.
	runs, err := requestExecutions(ctx, eng, provisionMachine, id)
	if err != nil {
		return nil, err
	}
	for _, x := range runs {
		if !x.StartedAt.After(t.StartedAt.Time) {
			break
		}
		if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
			built, err := builtBeforeStop(ctx, eng, x.Name)
			if err != nil {
				return nil, err
			}
			if !built {
				continue
			}
		}
		return &rebuildRef{Name: x.Name, Status: x.Status, StartedAt: execview.At(x.StartedAt)}, nil
	}
	return nil, nil
}

// rebuiltText describes for the status text the teardown t of a provision
// execution's resources and the later run r that built them again, with
// the flags of a status command.
func rebuiltText(t teardownRef, r rebuildRef, flags string) string {
	removed := fmt.Sprintf("by %s (%s)", t.Name, t.Status)
	if t.StoppedAt != nil {
		removed += " at " + t.StoppedAt.Format(time.RFC3339)
	}
	switch r.Status {
	case engine.StatusSucceeded:
		return fmt.Sprintf("%s, then rebuilt by %s (SUCCEEDED) started at %s, so the request's resources exist again; see 'repolink status%s %s'",
			removed, r.Name, r.StartedAt.Format(time.RFC3339), flags, r.Name)
	case engine.StatusRunning:
		return fmt.Sprintf("%s, then being rebuilt by %s, which started at %s and is running; follow it with 'repolink status%s %s'",
			removed, r.Name, r.StartedAt.Format(time.RFC3339), flags, r.Name)
	}
	return fmt.Sprintf("%s, then rebuilt in part by %s (%s) started at %s, so some of the request's resources exist again; see 'repolink status%s %s'",
		removed, r.Name, r.Status, r.StartedAt.Format(time.RFC3339), flags, r.Name)
}
