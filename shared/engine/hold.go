package engine

import "encoding/json"

// Hold keeps Run from advancing the open execution name, and from timing
// it out, until Release. The execution stays in the store as it is, so a
// later process without the hold resumes it. A service holds an execution
// that its settings would make fail, such as one whose request reads a
// credential that the service may not read. Hold is safe for concurrent
// use, and a Run loop that is already running applies the hold at its
// next read of the store.
//
// NOTE: Hold does not stop SendTaskSuccess, SendTaskFailure or Stop, which
// change a held execution as they change any other.
func (e *Engine) Hold(name string) {
	e.holdMu.Lock()
	defer e.holdMu.Unlock()
	if e.held == nil {
		e.held = map[string]bool{}
	}
	e.held[name] = true
}

// Release ends the Hold of execution name, if any, and wakes Run.
func (e *Engine) Release(name string) {
	e.holdMu.Lock()
	delete(e.held, name)
	e.holdMu.Unlock()
	e.notifyWork()
}

// heldJSON returns the names of the held executions as a JSON array, the
// parameter of the store queries that leave them out.
func (e *Engine) heldJSON() string {
	e.holdMu.Lock()
	defer e.holdMu.Unlock()
	names := make([]string, 0, len(e.held))
	for name := range e.held {
		names = append(names, name)
	}
	data, _ := json.Marshal(names)
	return string(data)
}

// isHeld reports whether execution name is held.
func (e *Engine) isHeld(name string) bool {
	e.holdMu.Lock()
	defer e.holdMu.Unlock()
	return e.held[name]
}
