package secrets

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/secretref"
	"github.com/repolink/repolink/shared/workflow"
)

// WithOwnSecrets returns a copy of l that rejects every reference to one of
// the secrets that refs name, whatever l allows, including references to
// cloud secret stores. A service passes the references of the secrets that
// it reads for itself, such as its webhook secret, so that no request can
// copy one into a Snowflake secret or send it to an index of its choice.
// A relative file: reference is made absolute against the working
// directory, where the service reads it. Empty references are skipped.
func (l AllowList) WithOwnSecrets(refs []string) (AllowList, error) {
	own := make([]secretref.ID, 0, len(refs)+len(l.own))
	own = append(own, l.own...)
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		if path, ok := strings.CutPrefix(ref, "file:"); ok {
			abs, err := filepath.Abs(path)
			if err != nil {
				return l, fmt.Errorf("make the path of %s absolute: %w", ref, err)
			}
			ref = "file:" + abs
		}
		own = append(own, secretref.Parse(ref))
	}
	l.own = own
	return l, nil
}

// NamesOwnSecret reports whether ref names one of the secrets that
// WithOwnSecrets added to l.
func (l AllowList) NamesOwnSecret(ref string) bool {
	if len(l.own) == 0 {
		return false
	}
	id := secretref.Parse(ref)
	for _, own := range l.own {
		if id.Same(own) {
			return true
		}
	}
	return false
}

// OwnSecretError reports a request's reference to a secret that the
// service reads for itself. Its message names the reference, never a value.
type OwnSecretError struct {
	Ref string
}

func (e *OwnSecretError) Error() string {
	return fmt.Sprintf("resolve secret %s: not allowed: %s", e.Ref, ownSecretProblem)
}

// ErrorName returns InvalidRequest, so that the state machine fails the
// step at once instead of retrying it.
func (e *OwnSecretError) ErrorName() string { return workflow.ErrInvalidRequest }

// ownSecretProblem is the reason and the fix for a reference to one of the
// service's own secrets.
const ownSecretProblem = "it names a secret that this service reads for itself, which requests may not use; " +
	"store the request's credential in a secret of its own and reference that"
