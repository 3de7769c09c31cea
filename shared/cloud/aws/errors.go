package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/repolink/repolink/shared/cloud"
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

// Unwrap returns the named error and the SDK error, cloud.ErrNotFound when
// the API error code means that a resource does not exist, and
// cloud.ErrInvalidImage, cloud.ErrInvalidSecurityGroup or
// cloud.ErrInvalidInstanceType for EC2's InvalidAMIID, InvalidGroup and
// InvalidInstanceType codes.
func (e *stepError) Unwrap() []error {
	code := apiCode(e.cause)
	errs := []error{e.named, e.cause}
	if isNotFound(code) {
		errs = append(errs, cloud.ErrNotFound)
	}
	switch {
	case strings.HasPrefix(code, "InvalidAMIID."):
		errs = append(errs, cloud.ErrInvalidImage)
	case strings.HasPrefix(code, "InvalidGroup."), strings.HasPrefix(code, "InvalidGroupId."):
		errs = append(errs, cloud.ErrInvalidSecurityGroup)
	case code == "InvalidInstanceType":
		errs = append(errs, cloud.ErrInvalidInstanceType)
	}
	return errs
}

// invalidCodes are API error codes that mean the input cannot work as given.
var invalidCodes = map[string]bool{
	"InvalidParameter":            true,
	"InvalidParameterValue":       true,
	"InvalidParameterCombination": true,
	"MissingParameter":            true,
	"ValidationError":             true,
	"InvalidConfigurationRequest": true,
	"InvalidSubnet":               true,
	"InvalidTarget":               true,
	"InvalidInstanceType":         true,
	"InvalidScheme":               true,
	"UnsupportedProtocol":         true,
	"InvalidPrincipal":            true,
	"AuthFailure":                 true,
	"OptInRequired":               true,
	"InvalidRequestException":     true,
	"InvalidParameterException":   true,
	// The code of the JSON protocol services, such as DynamoDB and
	// CodeArtifact, for input that fails their checks.
	"ValidationException": true,
}

// permissionCodes are API error codes for a call that the caller's IAM
// policies do not allow.
var permissionCodes = map[string]bool{
	"AccessDenied":          true,
	"AccessDeniedException": true,
	"UnauthorizedOperation": true,
}

// conflictCodes are API error codes for a name or token already in use with
// other settings.
var conflictCodes = map[string]bool{
	"DuplicateTargetGroupName":        true,
	"DuplicateLoadBalancerName":       true,
	"DuplicateListener":               true,
	"IdempotentParameterMismatch":     true,
	"ResourceExistsException":         true,
	"ResourceInUse":                   true,
	"OperationNotPermitted":           true,
	"TooManyLoadBalancers":            true,
	"TooManyTargetGroups":             true,
	"TooManyListeners":                true,
	"InstanceLimitExceeded":           true,
	"VpcEndpointServiceLimitExceeded": true,
	// A security group holds at most 60 inbound rules by default.
	"RulesPerSecurityGroupLimitExceeded": true,
}

// classify wraps err from the SDK with an "aws:" message that names the
// operation and resource, and gives it the ASL error name that Retry and
// Catch match on. It returns nil for a nil err and leaves an error it cannot
// classify unnamed.
func classify(err error, region, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf("aws: %s in region %s", fmt.Sprintf(format, args...), region)
	name := ErrorName(err)
	if name == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := op + ": " + describe(err)
	return &stepError{named: &workflow.Error{Name: name, Message: msg}, cause: err}
}

// describe returns the most specific text of err: the API error code and
// message when there is one.
func describe(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

// ErrorName returns the ASL error name that Retry and Catch match on for
// an AWS SDK error, or "" when the error has no known code or status.
// Timeouts, server errors and lost connections are Transient, and an
// unknown resource ID is NotReady. The DynamoDB stores use it, so that
// they name errors as the provider does.
func ErrorName(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		switch {
		case isThrottle(code):
			return workflow.ErrThrottled
		case code == "RequestTimeout" || code == "RequestTimeoutException":
			return workflow.ErrTransient
		case permissionCodes[code]:
			return workflow.ErrPermissionDenied
		case invalidCodes[code], isBadReference(code), strings.HasSuffix(code, ".Malformed"):
			return workflow.ErrInvalidRequest
		case conflictCodes[code]:
			return workflow.ErrConflict
		case isNotFound(code):
			// A resource that was just created is not always visible yet,
			// so an unknown ID is worth another try later.
			return workflow.ErrNotReady
		}
	}

	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch status := respErr.HTTPStatusCode(); {
		case status == 429:
			return workflow.ErrThrottled
		case status >= 500:
			return workflow.ErrTransient
		}
	}

	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	switch {
	case errors.As(err, &sendErr), errors.As(err, &netErr):
		return workflow.ErrTransient
	case errors.Is(err, context.DeadlineExceeded):
		return workflow.ErrTransient
	}
	return ""
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

// isBadReference reports whether code says that a request input, such as a
// subnet, VPC, image or security group, does not exist. Unlike a resource
// that a step created a moment ago, it will not appear by waiting.
func isBadReference(code string) bool {
	for _, prefix := range []string{"InvalidSubnetID.", "InvalidVpcID.", "InvalidAMIID.", "InvalidGroup.", "InvalidKeyPair."} {
		if strings.HasPrefix(code, prefix) {
			return true
		}
	}
	return code == "SubnetNotFound" || code == "ParameterNotFound"
}

// isNotFound reports whether code is an API "not found" code, such as EC2's
// InvalidInstanceID.NotFound or ELBv2's TargetGroupNotFound.
func isNotFound(code string) bool {
	return strings.HasSuffix(code, "NotFound") || code == "ResourceNotFoundException"
}

// apiCode returns the API error code of err, or "".
func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
