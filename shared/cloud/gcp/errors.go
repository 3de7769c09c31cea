package gcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"

	"github.com/repolink/repolink/shared/workflow"
)

// stepError is a Compute Engine failure classified for the state machine.
// It carries the ASL error name as a *workflow.Error and keeps the client
// error in its chain, so errors.As finds either.
type stepError struct {
	named *workflow.Error
	cause error
}

func (e *stepError) Error() string     { return e.named.Message }
func (e *stepError) ErrorName() string { return e.named.Name }
func (e *stepError) Unwrap() []error   { return []error{e.named, e.cause} }

// classify wraps err with a "gcp:" message that names the operation and
// resource, and gives it the ASL error name that Retry and Catch match on.
// It returns nil for a nil err and leaves an error it cannot classify
// unnamed.
func classify(err error, project, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf("gcp: %s in project %s", fmt.Sprintf(format, args...), project)
	name := nameOf(err)
	if name == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &stepError{named: &workflow.Error{Name: name, Message: op + ": " + describe(err)}, cause: err}
}

// describe returns the most specific text of err: the HTTP status, the
// legacy reason and the message when there are some.
func describe(err error) string {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		text := fmt.Sprintf("HTTP %d", gerr.Code)
		if reason := reasonOf(err); reason != "" {
			text += " " + reason
		}
		if gerr.Message != "" {
			text += ": " + gerr.Message
		}
		return text
	}
	return err.Error()
}

// reasonOf returns the error reason: the legacy errors[].reason that
// Compute Engine sends, or the ErrorInfo reason of newer error bodies.
func reasonOf(err error) string {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		for _, item := range gerr.Errors {
			if item.Reason != "" {
				return item.Reason
			}
		}
	}
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		return aerr.Reason()
	}
	return ""
}

// httpCode returns the HTTP status of an API error, or 0.
func httpCode(err error) int {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code
	}
	var aerr *apierror.APIError
	if errors.As(err, &aerr) {
		return aerr.HTTPCode()
	}
	return 0
}

// isNotFound reports whether err is a 404 from the API.
func isNotFound(err error) bool { return httpCode(err) == http.StatusNotFound }

// nameOf returns the ASL error name for a client error, or "".
func nameOf(err error) string {
	var opErr *operationError
	if errors.As(err, &opErr) {
		switch code := strings.ToUpper(opErr.code); {
		case strings.Contains(code, "QUOTA"):
			return workflow.ErrConflict
		case strings.Contains(code, "ALREADY_EXISTS"):
			return workflow.ErrNotReady
		case strings.Contains(code, "RATE_LIMIT"):
			return workflow.ErrThrottled
		}
		return workflow.ErrInvalidRequest
	}

	reason := reasonOf(err)
	switch code := httpCode(err); {
	case code == http.StatusTooManyRequests, reason == "rateLimitExceeded", reason == "userRateLimitExceeded":
		return workflow.ErrThrottled
	case strings.Contains(strings.ToLower(reason), "quota"):
		return workflow.ErrConflict
	case code == http.StatusConflict:
		// Another call created the resource between the lookup and the
		// insert; the next attempt finds and adopts it.
		return workflow.ErrNotReady
	case code == http.StatusNotFound:
		// A resource that was just created is not always visible yet.
		return workflow.ErrNotReady
	case code == http.StatusPreconditionFailed:
		// The fingerprint changed between the read and the patch.
		return workflow.ErrTransient
	case code == http.StatusForbidden && strings.Contains(strings.ToUpper(err.Error()), "QUOTA"):
		// A failed operation's Wait reports an exceeded quota as a 403
		// without a reason, with a quota code such as QUOTA_EXCEEDED in
		// its text.
		return workflow.ErrConflict
	case code == http.StatusForbidden:
		// Quota and rate limit reasons, which also come with 403, are
		// matched above. What is left is a missing IAM permission or an
		// API that is not enabled in the project.
		return workflow.ErrPermissionDenied
	case code == http.StatusBadRequest, code == http.StatusUnauthorized:
		return workflow.ErrInvalidRequest
	case code >= 500:
		return workflow.ErrTransient
	}

	var netErr net.Error
	switch {
	case errors.As(err, &netErr):
		return workflow.ErrTransient
	case errors.Is(err, context.DeadlineExceeded):
		return workflow.ErrTransient
	}
	return ""
}
