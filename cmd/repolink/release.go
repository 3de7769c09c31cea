package main

import (
	"context"
	"encoding/json"
	"iter"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// releaseOnClose returns an engine event handler that calls next and then
// releases the endpoint reservation of a provision execution that closed
// before its endpoint step, unless a later run of the request took the
// reservation over. A run that entered that step keeps its place,
// because Snowflake may still create an endpoint that the run requested
// before it was stopped or timed out. That place ends when the endpoint is
// listed or when it expires. A redriven run reserves again at the endpoint
// step.
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
	history, err := rt.engine.History(ctx, execution)
	if err != nil {
		return err
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		return err
	}
	kept, err := provisionendpoint.ReleaseClosed(ctx, rt.env, doc.Request, execution, enteredStates(history))
	if kept {
		rt.logger.Debug("endpoint reservation kept until the endpoint is listed or the reservation expires",
			"execution", execution)
	}
	return err
}

// enteredStates yields the state of each StateEntered event in history,
// including those before a redrive.
func enteredStates(history []engine.Event) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, ev := range history {
			if strings.HasSuffix(ev.Type, "StateEntered") && !yield(ev.State, nil) {
				return
			}
		}
	}
}
