package workflow

import (
	"errors"
	"fmt"
)

// ASL error names that steps return. Retry and Catch in the state machines
// match on them, on the embedded engine and on Step Functions alike.
const (
	ErrNotReady       = "NotReady"
	ErrThrottled      = "Throttled"
	ErrTransient      = "Transient"
	ErrInvalidRequest = "InvalidRequest"
	ErrConflict       = "Conflict"
	// ErrPermissionDenied is a cloud API call that the identity repolink
	// runs as may not make, such as an AWS AccessDenied, an Azure
	// AuthorizationFailed or a Google Cloud HTTP 403.
	ErrPermissionDenied = "PermissionDenied"
	ErrRejected         = "Rejected"
	ErrTimeout          = "Timeout"
)

// Error is a step failure with the ASL error name that the state machine
// matches on.
type Error struct {
	Name    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorName returns the ASL error name.
func (e *Error) ErrorName() string { return e.Name }

// Errorf returns an *Error with the given ASL name and a formatted message.
func Errorf(name, format string, args ...any) error {
	return &Error{Name: name, Message: fmt.Sprintf(format, args...)}
}

// NotReady reports that what a step waits for has not happened yet.
func NotReady(format string, args ...any) error { return Errorf(ErrNotReady, format, args...) }

// Invalid reports input that cannot work as given.
func Invalid(format string, args ...any) error { return Errorf(ErrInvalidRequest, format, args...) }

// NameOf returns the ASL error name carried by err, or "" when it has none.
func NameOf(err error) string {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) {
		return named.ErrorName()
	}
	return ""
}
