package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// releaseOnClose returns an engine event handler that calls next and then
// releases the endpoint reservation of a provision execution that closed.
// A closed run either has its endpoint listed, which counts in place of the
// reservation, or builds none, so its place no longer needs holding. A
// redriven run reserves again at the endpoint step.
func (rt *runtime) releaseOnClose(next func(engine.Event)) func(engine.Event) {
	return func(ev engine.Event) {
		if next != nil {
			next(ev)
		}
		if !closingEvents[ev.Type] || rt.engine == nil || rt.reservations == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.releaseReservation(ctx, ev.Execution); err != nil {
			rt.logger.Warn("release endpoint reservation failed; it expires on its own", "execution", ev.Execution, "error", err)
		}
	}
}

func (rt *runtime) releaseReservation(ctx context.Context, execution string) error {
	x, err := rt.engine.Describe(ctx, execution)
	if err != nil {
		return err
	}
	if x.Machine != provisionMachine {
		return nil
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		return err
	}
	return provisionendpoint.Release(ctx, rt.env, doc.Request)
}
