package secrets

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// IsLocal reports whether ref is an env: or file: reference, which the
// process reads from its own environment or file system.
func IsLocal(ref string) bool {
	return strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:")
}

// AllowList is the set of env: and file: references that a service reads
// for the requests it receives. The zero value allows none.
type AllowList struct {
	exact    map[string]bool
	prefixes []string
}

// ParseAllowList parses allow-list entries. An entry is an env: or file:
// reference, such as env:SNOWFLAKE_KEY or file:/run/secrets/index-token,
// or a reference prefix followed by "*", such as env:REPOLINK_REQUEST_* or
// file:/run/secrets/*. A file: entry must be an absolute, clean path.
func ParseAllowList(entries []string) (AllowList, error) {
	var list AllowList
	for _, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if !IsLocal(entry) {
			return AllowList{}, fmt.Errorf("allow-list entry %q must start with the scheme env or file and a colon", entry)
		}
		prefix, isPrefix := strings.CutSuffix(entry, "*")
		if strings.Contains(prefix, "*") {
			return AllowList{}, fmt.Errorf("allow-list entry %q may contain \"*\" only as its last character", entry)
		}
		if path, ok := strings.CutPrefix(prefix, "file:"); ok && !isPrefix && !cleanAbsolute(path) {
			return AllowList{}, fmt.Errorf("allow-list entry %q must name an absolute path without . or .. elements", entry)
		}
		if path, ok := strings.CutPrefix(prefix, "file:"); ok && isPrefix && !strings.HasPrefix(path, "/") {
			return AllowList{}, fmt.Errorf("allow-list entry %q must start with an absolute path", entry)
		}
		if isPrefix {
			list.prefixes = append(list.prefixes, prefix)
			continue
		}
		if list.exact == nil {
			list.exact = map[string]bool{}
		}
		list.exact[entry] = true
	}
	return list, nil
}

// Entries returns the number of exact references and prefixes in l.
func (l AllowList) Entries() int { return len(l.exact) + len(l.prefixes) }

// Allows reports whether a service may read ref for a request. Every
// reference that is not env: or file: is allowed. A file: reference
// matches only when its path is absolute and clean, so that a prefix such
// as file:/run/secrets/* never matches file:/run/secrets/../../etc/shadow.
func (l AllowList) Allows(ref string) bool {
	if !IsLocal(ref) {
		return true
	}
	if path, ok := strings.CutPrefix(ref, "file:"); ok && !cleanAbsolute(path) {
		return false
	}
	if l.exact[ref] {
		return true
	}
	for _, prefix := range l.prefixes {
		if strings.HasPrefix(ref, prefix) {
			return true
		}
	}
	return false
}

// FieldErrors returns one field error for each credential reference of req
// that l does not allow. Each message gives the reason followed by fix, the
// change that the sender should make.
func (l AllowList) FieldErrors(req request.Request, fix string) []request.FieldError {
	var fields []request.FieldError
	for _, field := range req.CredentialRefs() {
		if l.Allows(field.Ref) {
			continue
		}
		fields = append(fields, request.FieldError{
			Path:    field.Path,
			Message: fmt.Sprintf("%s is not allowed: this service reads env: and file: references only when its operator allows them; %s", field.Ref, fix),
		})
	}
	return fields
}

func cleanAbsolute(path string) bool {
	return filepath.IsAbs(path) && filepath.Clean(path) == path
}

// NotAllowedError reports an env: or file: reference that a restricted
// resolver rejects. Its message names the reference, never a value.
type NotAllowedError struct {
	Ref string
	// Fix is the change that the sender of the request should make.
	Fix string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("resolve secret %s: not allowed: this service reads env: and file: references of a request only when its operator allows them; %s", e.Ref, e.Fix)
}

// ErrorName returns InvalidRequest, so that the state machine fails the
// step at once instead of retrying it.
func (e *NotAllowedError) ErrorName() string { return workflow.ErrInvalidRequest }

// Restrict returns a resolver with a copy of r's stores that reads an env:
// or file: reference only when allow permits it and otherwise returns a
// *NotAllowedError that carries fix. Services resolve request credentials
// with it and keep r for the references that their operator configures.
func (r *Resolver) Restrict(allow AllowList, fix string) *Resolver {
	stores := make(map[string]Store, len(r.stores))
	for scheme, store := range r.stores {
		stores[scheme] = store
	}
	return &Resolver{stores: stores, allow: &allow, fix: fix}
}
