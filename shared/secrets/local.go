package secrets

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secretref"
	"github.com/repolink/repolink/shared/workflow"
)

// IsLocal reports whether ref is an env: or file: reference, which the
// process reads from its own environment or file system.
func IsLocal(ref string) bool {
	return strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:")
}

// AllowList is the set of env: and file: references that a service reads
// for the requests it receives, less the service's own secrets
// (WithOwnSecrets). The zero value allows no env: or file: reference.
type AllowList struct {
	exact    map[string]bool
	prefixes []string
	// own are the secrets that the service reads for itself, which no
	// reference of a request may name.
	own []secretref.ID
	// store limits the secret store references (WithStoreRefs).
	store storeRefs
	// snowflake are the Snowflake credentials of the service, which a
	// request may name only in $.snowflake (WithSnowflakeSecrets).
	snowflake []secretref.ID
}

// ParseAllowList parses allow-list entries. An entry is an env: or file:
// reference, such as env:SNOWFLAKE_KEY or file:/run/secrets/index-token,
// or a reference prefix followed by "*", such as env:REPOLINK_REQUEST_* or
// file:/run/secrets/*. A file: entry must be an absolute, clean path. Its
// symbolic links are resolved here, and those of a reference when it is
// checked, so that the list compares real files. In a prefix, only the
// directory part is resolved, because the text after the last slash may be
// the start of a file name.
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
		if path, ok := strings.CutPrefix(prefix, "file:"); ok {
			resolved, err := resolveEntry(path, isPrefix)
			if err != nil {
				return AllowList{}, fmt.Errorf("allow-list entry %q: %w", entry, err)
			}
			prefix, entry = "file:"+resolved, "file:"+resolved
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

// resolveEntry returns the real path of an allow-list path. For a prefix it
// resolves the directory up to the last slash and keeps the rest as text.
func resolveEntry(path string, isPrefix bool) (string, error) {
	if !isPrefix {
		return secretref.RealPath(path)
	}
	dir, partial := path[:strings.LastIndex(path, "/")+1], path[strings.LastIndex(path, "/")+1:]
	resolvedDir, err := secretref.RealPath(dir)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(resolvedDir, "/") + "/" + partial, nil
}

// Entries returns the number of exact references and prefixes in l.
func (l AllowList) Entries() int { return len(l.exact) + len(l.prefixes) }

// Allows reports whether a service may read ref for a request. A reference
// to one of the service's own secrets is not allowed. Every other
// reference that is not env: or file: is allowed. A file: reference must
// have an absolute path, and it is compared by its real path, so that
// file:/run/secrets/../../etc/shadow and a symbolic link in /run/secrets to
// /etc/shadow both fail to match file:/run/secrets/*.
func (l AllowList) Allows(ref string) bool {
	_, ok := l.check(ref)
	return ok && !l.NamesOwnSecret(ref)
}

// check reports whether the list allows ref, leaving the service's own
// secrets aside, and returns the reference to read: ref itself, or for a
// file: reference the one with the real path that was compared.
func (l AllowList) check(ref string) (string, bool) {
	if !IsLocal(ref) {
		return ref, true
	}
	if path, ok := strings.CutPrefix(ref, "file:"); ok {
		resolved, err := secretref.RealPath(path)
		if err != nil {
			return "", false
		}
		ref = "file:" + resolved
	}
	if l.exact[ref] {
		return ref, true
	}
	for _, prefix := range l.prefixes {
		if strings.HasPrefix(ref, prefix) {
			return ref, true
		}
	}
	return "", false
}

// FieldErrors returns one field error for each credential reference of req
// that l does not allow. Each message gives the reason followed by the
// change that the sender should make: fix for an env: or file: reference
// that the list leaves out, another secret for one of the service's own
// secrets, and for a secret store reference the change that StoreFieldErrors gives.
func (l AllowList) FieldErrors(req request.Request, fix string) []request.FieldError {
	var fields []request.FieldError
	for _, field := range req.CredentialRefs() {
		var message string
		if relativeFile(field.Ref) {
			// No allow-list entry can name a relative path, so the usual
			// advice to list the reference could not be followed.
			message = fmt.Sprintf("%s is not allowed: this service reads a file: reference only by its absolute path, such as file:/run/secrets/index-token, "+
				"and only when its operator allows it; %s", field.Ref, fix)
		} else if _, ok := l.check(field.Ref); !ok {
			message = fmt.Sprintf("%s is not allowed: this service reads env: and file: references only when its operator allows them; %s", field.Ref, fix)
		} else if l.NamesOwnSecret(field.Ref) {
			message = fmt.Sprintf("%s is not allowed: %s", field.Ref, ownSecretProblem)
		} else if message = l.storeRefProblem(field); message == "" {
			continue
		}
		fields = append(fields, request.FieldError{Path: field.Path, Message: message})
	}
	return fields
}

// relativeFile reports whether ref is a file: reference whose path is not
// absolute.
func relativeFile(ref string) bool {
	path, ok := strings.CutPrefix(ref, "file:")
	return ok && !filepath.IsAbs(path)
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
	if relativeFile(e.Ref) {
		return fmt.Sprintf("resolve secret %s: not allowed: this service reads a file: reference of a request only by its absolute path, "+
			"such as file:/run/secrets/index-token, and only when its operator allows it; %s", e.Ref, e.Fix)
	}
	return fmt.Sprintf("resolve secret %s: not allowed: this service reads env: and file: references of a request only when its operator allows them; %s", e.Ref, e.Fix)
}

// ErrorName returns InvalidRequest, so that the state machine fails the
// step at once instead of retrying it.
func (e *NotAllowedError) ErrorName() string { return workflow.ErrInvalidRequest }

// Restrict returns a resolver with a copy of r's stores that reads an env:
// or file: reference only when allow permits it and otherwise returns a
// *NotAllowedError that carries fix. It returns an *OwnSecretError for a
// reference to one of the service's own secrets in allow. Services resolve
// request credentials with it and keep r for the references that their
// operator configures.
func (r *Resolver) Restrict(allow AllowList, fix string) *Resolver {
	stores := make(map[string]Store, len(r.stores))
	for scheme, store := range r.stores {
		stores[scheme] = store
	}
	return &Resolver{stores: stores, allow: &allow, fix: fix}
}
