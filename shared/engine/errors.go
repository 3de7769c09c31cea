package engine

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Errors returned to operators and callers; test them with errors.Is.
var (
	ErrExecutionNotFound      = errors.New("execution not found")
	ErrExecutionAlreadyExists = errors.New("execution already exists")
	ErrInvalidToken           = errors.New("invalid task token")
	// ErrTaskNotFound and ErrTaskClosed refine ErrInvalidToken: no task
	// ever had the token, or its task already completed, timed out or was
	// cancelled. Errors that match them also match ErrInvalidToken.
	ErrTaskNotFound    = errors.New("no task has this token")
	ErrTaskClosed      = errors.New("the task of this token is closed")
	ErrCannotRedrive   = errors.New("execution cannot be redriven")
	ErrInvalidName     = errors.New("invalid execution name")
	ErrInvalidInput    = errors.New("invalid execution input")
	ErrInvalidOutput   = errors.New("invalid task output")
	ErrMachineNotFound = errors.New("state machine not found")
	ErrNotRunning      = errors.New("execution is not running")
	// ErrStoreInUse is returned by Open for a store of an older format
	// while another process runs its executions.
	ErrStoreInUse = errors.New("another process runs the store's executions")
)

// Error names defined by the Amazon States Language. ErrorIntrinsicFailure
// stays valid in Retry and Catch, but the engine never raises it: as in Step
// Functions, whose Developer Guide reserves it for future use, a failed
// intrinsic function is States.Runtime.
const (
	ErrorAll                    = "States.ALL"
	ErrorTimeout                = "States.Timeout"
	ErrorHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrorTaskFailed             = "States.TaskFailed"
	ErrorRuntime                = "States.Runtime"
	ErrorDataLimitExceeded      = "States.DataLimitExceeded"
	ErrorNoChoiceMatched        = "States.NoChoiceMatched"
	ErrorIntrinsicFailure       = "States.IntrinsicFailure"
	ErrorResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrorParameterPathFailure   = "States.ParameterPathFailure"
	ErrorBranchFailed           = "States.BranchFailed"
	ErrorPermissions            = "States.Permissions"
	ErrorExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
)

// stateError is a failure with an ASL error name, as Retry and Catch see it.
type stateError struct {
	Name  string
	Cause string
}

func (e *stateError) Error() string { return e.Name + ": " + e.Cause }

// ErrorName returns the ASL error name.
func (e *stateError) ErrorName() string { return e.Name }

// truncationMark ends an error name or cause that the engine cut to the
// Step Functions limits.
const truncationMark = "... (truncated)"

// limited returns the error with its name cut to MaxErrorChars and its
// cause cut to MaxCauseChars, each ending in truncationMark when cut. The
// engine applies it where a failure enters an execution, so an over-long
// cause from a function or a CausePath is stored once and at most 32768
// characters long.
func (e *stateError) limited() *stateError {
	name := truncateChars(e.Name, MaxErrorChars)
	cause := truncateChars(e.Cause, MaxCauseChars)
	if name == e.Name && cause == e.Cause {
		return e
	}
	return &stateError{Name: name, Cause: cause}
}

// truncateChars cuts s to at most limit characters, the last of them
// truncationMark, and returns s unchanged when it fits.
func truncateChars(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	keep := limit - utf8.RuneCountInString(truncationMark)
	cut := 0
	for i := range s {
		if keep == 0 {
			cut = i
			break
		}
		keep--
	}
	return s[:cut] + truncationMark
}

func newStateError(name, format string, args ...any) *stateError {
	return &stateError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// asStateError converts any error into a stateError: an error with an
// ErrorName method keeps its name, everything else is States.TaskFailed.
func asStateError(err error) *stateError {
	var se *stateError
	if errors.As(err, &se) {
		return se
	}
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		return &stateError{Name: named.ErrorName(), Cause: err.Error()}
	}
	return &stateError{Name: ErrorTaskFailed, Cause: err.Error()}
}

// errorMatches reports whether an error name is matched by an ErrorEquals
// list. States.ALL matches every error except the terminal ones, and
// States.TaskFailed matches every error except those and timeouts.
// States.Runtime never matches, because runtime errors cannot be handled.
// A heartbeat timeout is States.HeartbeatTimeout and also States.Timeout,
// which the Step Functions Developer Guide defines as a task that ran too
// long or sent no heartbeat in time.
func errorMatches(equals []string, name string) bool {
	if name == ErrorRuntime {
		return false
	}
	if slices.Contains(equals, name) {
		return true
	}
	timeout := name == ErrorTimeout || name == ErrorHeartbeatTimeout
	if name == ErrorHeartbeatTimeout && slices.Contains(equals, ErrorTimeout) {
		return true
	}
	terminal := name == ErrorDataLimitExceeded
	if slices.Contains(equals, ErrorAll) && !terminal {
		return true
	}
	return slices.Contains(equals, ErrorTaskFailed) && !terminal && !timeout
}
