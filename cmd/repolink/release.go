package main

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// releaseOnClose returns an engine event handler that calls next and then
// releases the endpoint reservation of a provision execution that closed
// before its endpoint step, unless a later run of the request took the
// reservation over. A run that entered that step keeps its place,
// because Snowflake may still create an endpoint that the run requested
// before it was stopped or timed out. That place counts until the
// endpoint is listed, and ends when it expires. A redriven run reserves
// again at the endpoint step.
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

// closedBeforeEndpoint returns the rule by which the reservation store of a
// state directory counts a place as free: its holder is a provision
// execution of the request in eng that closed before its endpoint step.
// It is the rule of releaseOnClose, applied when a place is counted, so it
// also frees the place of a close that no engine handler saw, such as one
// that repolink stop recorded for a run whose process was killed.
func closedBeforeEndpoint(eng *engine.Engine) reservations.EndedFunc {
	return func(ctx context.Context, requestID, execution string) (bool, error) {
		x, err := eng.Describe(ctx, execution)
		if errors.Is(err, engine.ErrExecutionNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if x.Status == engine.StatusRunning || !runOf(x, provisionMachine, requestID) {
			return false, nil
		}
		history, err := eng.History(ctx, execution)
		if err != nil {
			return false, err
		}
		reached, err := provisionendpoint.EnteredEndpoint(enteredStates(history))
		return !reached && err == nil, err
	}
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
