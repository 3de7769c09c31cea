package engine

import (
	"context"
	"fmt"
)

// maxResumeLogs is the number of open executions that a Run loop names
// when it takes the runner lease. One line counts the rest.
const maxResumeLogs = 50

// logOpenExecutions logs each execution that started before this engine
// opened its store and is open when this loop takes the runner lease,
// oldest first, with its top-level state. So the log of a restarted process
// names the work that it resumes.
func (e *Engine) logOpenExecutions(ctx context.Context) {
	open, err := e.openExecutions(ctx, maxResumeLogs+1)
	if err != nil {
		e.log.Warn("failed to list open executions to resume", "error", err)
		return
	}
	for i, x := range open {
		if i == maxResumeLogs {
			e.logMoreOpen(ctx)
			break
		}
		e.log.Info("resuming execution", "execution", x.name, "state", x.state)
	}
}

// openExecution is an open execution's name and top-level state.
type openExecution struct {
	name, state string
}

// openExecutions returns at most limit open executions that started before
// the engine opened its store, oldest first.
func (e *Engine) openExecutions(ctx context.Context, limit int) ([]openExecution, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT x.name, COALESCE(c.state, '') FROM executions x
		LEFT JOIN cursors c ON c.execution = x.name AND c.parent = 0
		WHERE x.status = 'RUNNING' AND x.started_at < ? ORDER BY x.started_at, x.name LIMIT ?`,
		e.openedAt.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var open []openExecution
	for rows.Next() {
		var x openExecution
		if err := rows.Scan(&x.name, &x.state); err != nil {
			return nil, err
		}
		open = append(open, x)
	}
	return open, rows.Err()
}

// logMoreOpen logs how many open executions logOpenExecutions did not name.
func (e *Engine) logMoreOpen(ctx context.Context) {
	var count int
	err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM executions WHERE status = 'RUNNING' AND started_at < ?`,
		e.openedAt.UnixNano()).Scan(&count)
	if err != nil {
		e.log.Warn("failed to count open executions to resume", "error", err)
		return
	}
	e.log.Info(fmt.Sprintf("resuming %d more executions", count-maxResumeLogs))
}
