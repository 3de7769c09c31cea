package engine

import (
	"encoding/json"
	"fmt"
	"slices"
)

// startChildren starts the branches of a Parallel state or the iterations
// of a Map state, each as a child cursor: on entry, and again after each
// retry delay.
func (t *txn) startChildren(c *cursor, s *state) error {
	if err := t.deleteChildren(c.ID); err != nil {
		return err
	}
	input, err := decodeJSON(c.Input)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "state input: %v", err))
	}
	effective, err := t.inputPath(c, s, input)
	if err != nil {
		return t.fail(c, s, err)
	}
	if s.Type == typeParallel {
		return t.startBranches(c, s, effective)
	}
	return t.startIterations(c, s, effective)
}

func (t *txn) startBranches(c *cursor, s *state, effective any) error {
	var err error
	if s.Parameters != nil {
		if effective, err = s.Parameters.eval(effective, t.templateContext(c, s, s.Parameters)); err != nil {
			return t.fail(c, s, err)
		}
	}
	encoded, err := encodeJSON(effective)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
	}
	if err := t.emit("ParallelStateStarted", s.Name, nil); err != nil {
		return err
	}
	for i, branch := range s.Branches {
		child := t.childCursor(c, s.Name, i, i, branch.StartAt, encoded, phaseEnter)
		if err := insertCursor(t.ctx, t.tx, child); err != nil {
			return err
		}
	}
	return t.awaitChildren(c, false)
}

// mapSettings are the Map state settings stored in the Effective column of
// its cursor.
type mapSettings struct {
	MaxConcurrency int `json:"max_concurrency"`
	// Tolerance is set for a DISTRIBUTED Map state: the failed iterations
	// it may have before it fails.
	Tolerance *tolerance `json:"tolerance,omitempty"`
}

// tolerance is the failure threshold of a DISTRIBUTED Map state. The state
// fails when more iterations fail than Count, or a larger share than
// Percent; an unset threshold tolerates no failure.
type tolerance struct {
	Count   *int     `json:"count,omitempty"`
	Percent *float64 `json:"percent,omitempty"`
}

// exceeded reports whether failed of total iterations is over the
// threshold.
func (tl *tolerance) exceeded(failed, total int) bool {
	if failed == 0 {
		return false
	}
	if tl.Count == nil && tl.Percent == nil {
		return true
	}
	if tl.Count != nil && failed > *tl.Count {
		return true
	}
	return tl.Percent != nil && float64(failed)*100 > *tl.Percent*float64(total)
}

func (t *txn) startIterations(c *cursor, s *state, effective any) error {
	items := effective
	if s.ItemsPath != nil {
		v, err := s.ItemsPath.Get(t.pathDocument(s.ItemsPath, c, s, effective))
		if err != nil {
			return t.fail(c, s, newStateError(ErrorRuntime, "invalid ItemsPath %s: no match in the state input or context object", s.ItemsPath))
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		return t.fail(c, s, newStateError(ErrorRuntime, "the Map state's items must be an array, got %s", typeName(items)))
	}
	maxConcurrency := s.MaxConcurrency
	if s.MaxConcPath != nil {
		v, err := s.MaxConcPath.Get(t.pathDocument(s.MaxConcPath, c, s, effective))
		n, ok := integerArg(v)
		if err != nil || !ok || n < 0 {
			return t.fail(c, s, newStateError(ErrorRuntime, "MaxConcurrencyPath %s must point to a non-negative integer", s.MaxConcPath))
		}
		maxConcurrency = n
	}
	settings := mapSettings{MaxConcurrency: maxConcurrency}
	if s.Distributed {
		tl, err := resolveTolerance(s, effective, t.contextObject(c, s))
		if err != nil {
			return t.fail(c, s, err)
		}
		settings.Tolerance = tl
	}
	c.Effective = mustEncode(settings)

	if err := t.emit("MapStateStarted", s.Name, map[string]any{"length": len(list)}); err != nil {
		return err
	}
	ctxObj := t.contextObject(c, s)
	for i, item := range list {
		value := item
		if s.ItemSelector != nil {
			ctxObj.Set("Map", objectOf("Item", objectOf("Index", i, "Value", item)))
			v, err := s.ItemSelector.eval(effective, ctxObj)
			if err != nil {
				return t.fail(c, s, err)
			}
			value = v
		}
		encoded, err := encodeJSON(value)
		if err != nil {
			return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
		}
		phase := phaseQueued
		if maxConcurrency == 0 || i < maxConcurrency {
			phase = phaseEnter
			if err := t.emit("MapIterationStarted", s.Name, map[string]any{"name": s.Name, "index": i}); err != nil {
				return err
			}
		}
		child := t.childCursor(c, s.Name, -1, i, s.Processor.StartAt, encoded, phase)
		if err := insertCursor(t.ctx, t.tx, child); err != nil {
			return err
		}
	}
	return t.awaitChildren(c, len(list) == 0)
}

// resolveTolerance reads the failure thresholds of a DISTRIBUTED Map
// state, taking the Path forms from its effective input or, for a path
// that starts with $$, from the context object.
func resolveTolerance(s *state, effective, context any) (*tolerance, error) {
	document := func(p *Path) any {
		if p.IsContext() {
			return context
		}
		return effective
	}
	tl := &tolerance{Count: s.ToleratedCount, Percent: s.ToleratedPercent}
	if s.ToleratedCountPath != nil {
		v, err := s.ToleratedCountPath.Get(document(s.ToleratedCountPath))
		n, ok := integerArg(v)
		if err != nil || !ok || n < 0 {
			return nil, newStateError(ErrorRuntime, "ToleratedFailureCountPath %s must point to a non-negative integer", s.ToleratedCountPath)
		}
		tl.Count = &n
	}
	if s.ToleratedPercentPath != nil {
		v, err := s.ToleratedPercentPath.Get(document(s.ToleratedPercentPath))
		f, ok := toFloat(v)
		if err != nil || !ok || f < 0 || f > 100 {
			return nil, newStateError(ErrorRuntime, "ToleratedFailurePercentagePath %s must point to a number from 0 to 100", s.ToleratedPercentPath)
		}
		tl.Percent = &f
	}
	return tl, nil
}

// childCursor builds a cursor for a Parallel branch (scopeBranch is the
// branch index) or a Map iteration (scopeBranch is -1, index the item).
func (t *txn) childCursor(parent *cursor, stateName string, scopeBranch, index int, startAt string, input []byte, phase string) *cursor {
	child := &cursor{
		Execution: t.exec.Name,
		Parent:    parent.ID,
		Branch:    index,
		Scope:     append(slices.Clone(parent.Scope), scopeStep{State: stateName, Branch: scopeBranch}),
		State:     startAt,
		Input:     input,
		Phase:     phase,
	}
	if phase == phaseEnter {
		zero := int64(0)
		child.DueAt = &zero
	}
	return child
}

// awaitChildren parks the parent until a child finishes; with now set it
// checks at once (a Map state without items).
func (t *txn) awaitChildren(c *cursor, now bool) error {
	c.Phase = phaseChildren
	c.DueAt = nil
	if now {
		zero := int64(0)
		c.DueAt = &zero
	}
	t.newWork = true
	return t.saveCursor(c)
}

// checkChildren runs when a child of a Parallel or Map state finished. The
// first failed child fails the state and cancels the others; when all are
// done their outputs, in order, are the state's result. A Map state also
// starts queued iterations up to its MaxConcurrency.
func (t *txn) checkChildren(c *cursor, s *state) error {
	children, err := loadCursors(t.ctx, t.tx, `parent = ? ORDER BY branch`, c.ID)
	if err != nil {
		return err
	}
	var settings mapSettings
	if s.Type == typeMap {
		_ = json.Unmarshal(c.Effective, &settings)
	}
	active, failedCount := 0, 0
	var queued []*cursor
	var failed *cursor
	for _, ch := range children {
		switch ch.Phase {
		case phaseDone:
		case phaseFailed, phaseCancelled:
			failedCount++
			if failed == nil || (failed.Phase == phaseCancelled && ch.Phase == phaseFailed) {
				failed = ch
			}
		case phaseQueued:
			queued = append(queued, ch)
		default:
			active++
		}
	}

	if settings.Tolerance != nil {
		if settings.Tolerance.exceeded(failedCount, len(children)) {
			return t.childrenFailed(c, s, &cursor{Phase: phaseFailed, Error: ErrorExceedToleratedFailure,
				Cause: fmt.Sprintf("%d of %d iterations failed, more than the Map state tolerates", failedCount, len(children))})
		}
		failed = nil
	}
	if failed != nil {
		return t.childrenFailed(c, s, failed)
	}
	if active == 0 && len(queued) == 0 {
		return t.childrenDone(c, s, children)
	}
	for _, ch := range queued {
		if settings.MaxConcurrency > 0 && active >= settings.MaxConcurrency {
			break
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE cursors SET phase = 'enter', due_at = 0,
			version = version + 1 WHERE id = ?`, ch.ID); err != nil {
			return fmt.Errorf("start map iteration %d: %w", ch.Branch, err)
		}
		if err := t.emit("MapIterationStarted", s.Name, map[string]any{"name": s.Name, "index": ch.Branch}); err != nil {
			return err
		}
		t.newWork = true
		active++
	}
	c.DueAt = nil
	return t.saveCursor(c)
}

func (t *txn) childrenFailed(c *cursor, s *state, failed *cursor) error {
	ids, err := t.descendants(c.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := t.cancelWhere(`id = ?`, id); err != nil {
			return err
		}
	}
	se := &stateError{Name: failed.Error, Cause: failed.Cause}
	if failed.Phase == phaseCancelled && se.Name == "" {
		se = newStateError(ErrorBranchFailed, "a branch was cancelled")
	}
	typ := "ParallelStateFailed"
	if s.Type == typeMap {
		typ = "MapStateFailed"
	}
	if err := t.emit(typ, s.Name, map[string]any{"error": se.Name, "cause": se.Cause}); err != nil {
		return err
	}
	return t.fail(c, s, se)
}

func (t *txn) childrenDone(c *cursor, s *state, children []*cursor) error {
	results := make([]any, len(children))
	for i, ch := range children {
		if ch.Phase != phaseDone {
			// A failure that a DISTRIBUTED Map state tolerates leaves the
			// error output in place of the iteration's result.
			// NOTE: the Step Functions documentation does not show this
			// entry; it is the shape that Catch gives an error.
			results[i] = objectOf("Error", ch.Error, "Cause", ch.Cause)
			continue
		}
		v, err := decodeJSON(ch.Output)
		if err != nil {
			return t.fail(c, s, newStateError(ErrorRuntime, "output of branch %d: %v", ch.Branch, err))
		}
		results[i] = v
	}
	typ := "ParallelStateSucceeded"
	if s.Type == typeMap {
		typ = "MapStateSucceeded"
	}
	if err := t.emit(typ, s.Name, nil); err != nil {
		return err
	}
	encoded, err := encodeJSON(results)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
	}
	if err := checkSize(encoded, "result of state "+s.Name); err != nil {
		return t.fail(c, s, err)
	}
	return t.result(c, s, results)
}
