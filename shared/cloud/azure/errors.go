package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/repolink/repolink/shared/workflow"
)

// stepError is an SDK failure classified for the state machine. It carries
// the ASL error name as a *workflow.Error and keeps the SDK error in its
// chain, so errors.As finds either.
type stepError struct {
	named *workflow.Error
	cause error
}

func (e *stepError) Error() string     { return e.named.Message }
func (e *stepError) ErrorName() string { return e.named.Name }
func (e *stepError) Unwrap() []error   { return []error{e.named, e.cause} }

// ErrorCode returns the Resource Manager error code of the failure, such
// as LocationNotAvailableForResourceType, or "" when it has none.
func (e *stepError) ErrorCode() string {
	var respErr *azcore.ResponseError
	if errors.As(e.cause, &respErr) {
		return respErr.ErrorCode
	}
	return ""
}

// ErrorTarget returns the request property that the Resource Manager error
// points to, such as vmSize, or "" when the error names none.
func (e *stepError) ErrorTarget() string {
	return responseDetail(e.cause).Target
}

// maxMessageRunes caps the Resource Manager message kept in an error,
// because a message such as the one for an unknown VM size lists every
// size of the region.
const maxMessageRunes = 1500

// armError is the error object of a Resource Manager error response.
type armError struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

// responseDetail returns the error object of the response body behind err,
// or a zero armError when err has no response or the body is not a
// Resource Manager error. Most services wrap the object in "error", and a
// few send it at the top level.
func responseDetail(err error) armError {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) || respErr.RawResponse == nil {
		return armError{}
	}
	// Payload returns the body that NewResponseError read and kept.
	body, readErr := runtime.Payload(respErr.RawResponse)
	if readErr != nil {
		return armError{}
	}
	var doc struct {
		Error *armError `json:"error"`
		armError
	}
	if json.Unmarshal(body, &doc) != nil {
		return armError{}
	}
	if doc.Error != nil {
		return *doc.Error
	}
	return doc.armError
}

// invalidCodes are Resource Manager error codes that mean the input cannot
// work as given, so retrying does not help.
var invalidCodes = map[string]bool{
	"InvalidParameter":                true,
	"InvalidRequestFormat":            true,
	"InvalidResourceReference":        true,
	"InvalidResourceName":             true,
	"LinkedInvalidPropertyId":         true,
	"AuthenticationFailed":            true,
	"InvalidAuthenticationToken":      true,
	"SubscriptionNotFound":            true,
	"ResourceGroupNotFound":           true,
	"SkuNotAvailable":                 true,
	"QuotaExceeded":                   true,
	"OperationNotAllowed":             true,
	"InvalidCustomData":               true,
	"PlatformImageNotFound":           true,
	"MissingSubscriptionRegistration": true,
	"PrivateLinkServiceCannotBeCreatedInSubnetThatHasNetworkPoliciesEnabled": true,
}

// permissionCodes are codes for a call that the caller's role assignments
// do not allow.
var permissionCodes = map[string]bool{
	"AuthorizationFailed":       true,
	"LinkedAuthorizationFailed": true,
}

// conflictCodes are codes for a resource in a state that the request cannot
// change, which needs an operator.
var conflictCodes = map[string]bool{
	"Conflict":                             true,
	"InUseSubnetCannotBeUpdated":           true,
	"InUseNetworkInterfaceCannotBeDeleted": true,
	"NicInUse":                             true,
	"PropertyChangeNotAllowed":             true,
}

// transientCodes are codes that Resource Manager returns while another
// operation on the same resource runs.
var transientCodes = map[string]bool{
	"AnotherOperationInProgress":                 true,
	"RetryableError":                             true,
	"OperationPreempted":                         true,
	"CanceledAndSupersededDueToAnotherOperation": true,
}

// classify wraps err from the SDK with an "azure:" message that names the
// operation and resource, and gives it the ASL error name that Retry and
// Catch match on. It returns nil for a nil err and leaves an error it cannot
// classify unnamed.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := "azure: " + fmt.Sprintf(format, args...)
	name := nameOf(err)
	if name == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := op + ": " + describe(err)
	return &stepError{named: &workflow.Error{Name: name, Message: msg}, cause: err}
}

// describe returns the status, error code, target and message of a
// response error on one line, because ResponseError.Error() spans many
// lines with the raw body. The message may echo a value of the request
// body, which holds no secret: the VM's custom data is the proxy
// configuration and its SSH key is a public key.
func describe(err error) string {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return err.Error()
	}
	code := respErr.ErrorCode
	if code == "" {
		code = "no error code"
	}
	text := fmt.Sprintf("HTTP %d %s", respErr.StatusCode, code)
	detail := responseDetail(err)
	if detail.Target != "" {
		text += " (target " + detail.Target + ")"
	}
	if message := oneLine(detail.Message); message != "" {
		text += ": " + message
	}
	return text
}

// oneLine returns message with its whitespace runs folded to one space and
// cut to maxMessageRunes.
func oneLine(message string) string {
	message = strings.Join(strings.Fields(message), " ")
	if runes := []rune(message); len(runes) > maxMessageRunes {
		return string(runes[:maxMessageRunes]) + "…"
	}
	return message
}

// nameOf returns the ASL error name for an SDK error, or "".
func nameOf(err error) string {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		code := respErr.ErrorCode
		switch {
		case respErr.StatusCode == http.StatusTooManyRequests:
			return workflow.ErrThrottled
		case transientCodes[code]:
			return workflow.ErrTransient
		case permissionCodes[code]:
			return workflow.ErrPermissionDenied
		case invalidCodes[code]:
			return workflow.ErrInvalidRequest
		case conflictCodes[code]:
			return workflow.ErrConflict
		case respErr.StatusCode >= 500, respErr.StatusCode == http.StatusRequestTimeout:
			return workflow.ErrTransient
		case respErr.StatusCode == http.StatusNotFound:
			// A resource that another step created a moment ago is not
			// always visible yet.
			return workflow.ErrNotReady
		case respErr.StatusCode == http.StatusForbidden:
			return workflow.ErrPermissionDenied
		case respErr.StatusCode == http.StatusBadRequest, respErr.StatusCode == http.StatusUnauthorized:
			return workflow.ErrInvalidRequest
		case respErr.StatusCode == http.StatusConflict:
			return workflow.ErrConflict
		}
		return ""
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

// isNotFound reports whether err is a 404 from Resource Manager.
func isNotFound(err error) bool {
	var respErr *azcore.ResponseError
	return errors.As(err, &respErr) && respErr.StatusCode == http.StatusNotFound
}
