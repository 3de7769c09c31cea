// Package cloudresource holds what the steps share about the cloud
// resources they build under deterministic names. It derives the name
// prefix of a request and checks the request tag (cloud.TagRequest) of a
// resource found by name before a step adopts or deletes it.
package cloudresource

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// NamePrefix returns "rl-", a readable part of the request ID of at most
// maxReadable characters, "-" and the first 8 hex digits of the ID's
// SHA-256, so that two IDs that read alike still get distinct names.
func NamePrefix(requestID string, maxReadable int) string {
	sum := sha256.Sum256([]byte(requestID))
	return "rl-" + workflow.ShortID(requestID, maxReadable) + "-" + hex.EncodeToString(sum[:])[:8]
}

// CheckAdopt returns Conflict when a resource found by name carries another
// request's tag, so that a step never adopts what another request built.
// An untagged resource passes.
func CheckAdopt(kind, id string, tags map[string]string, requestID string) error {
	owner, ok := tags[cloud.TagRequest]
	if !ok || owner == requestID {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict,
		"%s %s belongs to request %s, not %s; delete it or use another request ID", kind, id, owner, requestID)
}

// CheckDelete returns Conflict unless a resource found by name carries the
// request's tag, so that teardown never deletes what another request or a
// person built under the same name.
func CheckDelete(kind, id string, tags map[string]string, requestID string) error {
	if owner := tags[cloud.TagRequest]; owner != requestID {
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s carries %s=%q, not %q; it was not built for this request, so delete it by hand if it is no longer used",
			kind, id, cloud.TagRequest, owner, requestID)
	}
	return nil
}

// FieldError is an InvalidRequest error caused by one request field. Its
// message is that of Err, which names the field itself, and Path is the
// field's JSON path, such as $.gcp.zone, for replies that list fields
// apart from their messages.
type FieldError struct {
	Path string
	Err  error
}

// InvalidField returns a *FieldError on the field at path with an
// InvalidRequest error of the formatted message.
func InvalidField(path, format string, args ...any) error {
	return &FieldError{Path: path, Err: workflow.Invalid(format, args...)}
}

func (e *FieldError) Error() string { return e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// SkippedError is returned by a check that checked nothing because a field
// that it depends on is invalid, such as a machine type check whose zone
// the region check rejects. Reason names that field and the check that
// rejects it. A preflight report lists such a check as skipped, not as
// passed, and a run treats it as no failure, because the other check
// fails.
type SkippedError struct {
	Reason string
}

// Skipped returns a *SkippedError with the formatted reason.
func Skipped(format string, args ...any) error {
	return &SkippedError{Reason: fmt.Sprintf(format, args...)}
}

func (e *SkippedError) Error() string { return "not checked: " + e.Reason }
