package secrets

import (
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secretref"
	"github.com/repolink/repolink/shared/workflow"
)

// storeSchemes are the schemes of the cloud secret stores, whose
// references WithStoreRefs limits.
var storeSchemes = []string{"aws-secretsmanager:", "azure-keyvault:", "gcp-secretmanager:"}

// isStoreRef reports whether ref names a secret in a cloud secret store.
func isStoreRef(ref string) bool {
	for _, scheme := range storeSchemes {
		if strings.HasPrefix(ref, scheme) {
			return true
		}
	}
	return false
}

// storeRefs are the secret store references that a service reads for the
// requests it receives. The zero value allows every one.
type storeRefs struct {
	// exact are the secrets of the entries without "*", which allow a
	// reference as secretref.ID.Allows decides.
	exact []secretref.ID
	// prefixes are the entries that end in "*", without it, compared as
	// text after normalizeStoreRef.
	prefixes []string
	// fix is the change that lets a rejected reference through, such as
	// the setting to add it to.
	fix string
	// none rejects every secret store reference (WithNoStoreRefs).
	none bool
}

// normalizeStoreRef returns ref in the spelling that prefixes compare.
// Key Vault compares secret identifiers without regard to case, so an
// azure-keyvault: reference is compared in lower case.
func normalizeStoreRef(ref string) string {
	if strings.HasPrefix(ref, "azure-keyvault:") {
		return strings.ToLower(ref)
	}
	return ref
}

// WithStoreRefs returns a copy of l that allows a request's secret store
// reference (aws-secretsmanager:, azure-keyvault: or gcp-secretmanager:)
// only when one of entries allows it. Without entries, or with one blank
// entry (an empty list split at commas), l allows every one. An entry is
// a whole reference, which allows the references that secretref.ID.Allows
// accepts, or a prefix followed by "*", such as
// aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index/*.
// A whole entry must be a valid reference, and a Secrets Manager entry an
// ARN, because a name matches the secret of that name in every account.
// Any other blank entry is an error. fix is the change that the error for
// a rejected reference suggests.
func (l AllowList) WithStoreRefs(entries []string, fix string) (AllowList, error) {
	refs := storeRefs{fix: fix}
	if len(entries) == 1 && strings.TrimSpace(entries[0]) == "" {
		l.store = refs
		return l, nil
	}
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return l, fmt.Errorf("entry %d of %d is empty; remove the extra comma", i+1, len(entries))
		}
		if !isStoreRef(entry) {
			return l, fmt.Errorf("entry %q must start with aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: to name a secret store", entry)
		}
		prefix, isPrefix := strings.CutSuffix(entry, "*")
		if strings.Contains(prefix, "*") {
			return l, fmt.Errorf("entry %q may contain \"*\" only as its last character", entry)
		}
		if isPrefix {
			refs.prefixes = append(refs.prefixes, normalizeStoreRef(prefix))
			continue
		}
		if id, ok := strings.CutPrefix(entry, "aws-secretsmanager:"); ok && !strings.HasPrefix(id, "arn:") {
			return l, fmt.Errorf("entry %q must give the secret's ARN, such as aws-secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, "+
				"or a prefix of it followed by *", entry)
		}
		if problem := request.SecretRefProblem(entry); problem != "" {
			return l, fmt.Errorf("entry %q names no secret: it %s, or a prefix of it followed by *", entry, problem)
		}
		refs.exact = append(refs.exact, secretref.Parse(entry))
	}
	l.store = refs
	return l, nil
}

// WithNoStoreRefs returns a copy of l that rejects every secret store
// reference of a request with fix. A service whose list of secret store
// references cannot be read uses it, so that a mistake in the list fails
// closed instead of allowing every reference.
func (l AllowList) WithNoStoreRefs(fix string) AllowList {
	l.store = storeRefs{fix: fix, none: true}
	return l
}

// StoreRefEntries returns the number of entries that WithStoreRefs added
// to l. Zero means that l allows every secret store reference.
func (l AllowList) StoreRefEntries() int { return len(l.store.exact) + len(l.store.prefixes) }

// allowsStoreRef reports whether the entries of WithStoreRefs allow ref.
// A reference that is not a secret store reference is left to the env:
// and file: entries.
func (l AllowList) allowsStoreRef(ref string) bool {
	if !isStoreRef(ref) {
		return true
	}
	if l.store.none {
		return false
	}
	if l.StoreRefEntries() == 0 {
		return true
	}
	normalized := normalizeStoreRef(ref)
	for _, prefix := range l.store.prefixes {
		if strings.HasPrefix(normalized, prefix) {
			return true
		}
	}
	id := secretref.Parse(ref)
	for _, exact := range l.store.exact {
		if exact.Allows(id) {
			return true
		}
	}
	return false
}

// WithSnowflakeSecrets returns a copy of l that rejects a reference to one
// of the secrets that refs name, in any spelling, in every credential
// field of a request outside $.snowflake. A service passes the Snowflake
// credentials that it reads, such as those of its ticket mappings, so
// that no request can send one to an index of its choice as the index
// password or token. Empty references are skipped.
func (l AllowList) WithSnowflakeSecrets(refs []string) AllowList {
	ids := make([]secretref.ID, 0, len(refs)+len(l.snowflake))
	ids = append(ids, l.snowflake...)
	for _, ref := range refs {
		if ref != "" {
			ids = append(ids, secretref.Parse(ref))
		}
	}
	l.snowflake = ids
	return l
}

// namesSnowflakeSecret reports whether ref names one of the secrets that
// WithSnowflakeSecrets added to l.
func (l AllowList) namesSnowflakeSecret(ref string) bool {
	if len(l.snowflake) == 0 {
		return false
	}
	id := secretref.Parse(ref)
	for _, snowflake := range l.snowflake {
		if id.Same(snowflake) {
			return true
		}
	}
	return false
}

// StoreFieldErrors returns one field error for each credential reference
// of req that the entries of WithStoreRefs do not allow, and for each one
// outside $.snowflake that names a secret of WithSnowflakeSecrets.
// FieldErrors returns these errors too.
func (l AllowList) StoreFieldErrors(req request.Request) []request.FieldError {
	var fields []request.FieldError
	for _, field := range req.CredentialRefs() {
		if message := l.storeRefProblem(field); message != "" {
			fields = append(fields, request.FieldError{Path: field.Path, Message: message})
		}
	}
	return fields
}

// storeRefProblem returns why l rejects the secret store reference of
// field, or "" when it does not.
func (l AllowList) storeRefProblem(field request.CredentialRef) string {
	if !l.allowsStoreRef(field.Ref) {
		return fmt.Sprintf("%s is not allowed: this service reads only the secret store references that its operator allows; %s", field.Ref, l.store.fix)
	}
	if !strings.HasPrefix(field.Path, "$.snowflake.") && l.namesSnowflakeSecret(field.Ref) {
		return fmt.Sprintf("%s is not allowed: %s", field.Ref, snowflakeSecretProblem)
	}
	return ""
}

// snowflakeSecretProblem is the reason and the fix for an index credential
// that names a Snowflake credential of the service.
const snowflakeSecretProblem = "it names a Snowflake credential that this service uses, which the index host would receive; " +
	"store the index password or token in a secret of its own and reference that"

// StoreRefNotAllowedError reports a secret store reference that a
// restricted resolver rejects because the entries of WithStoreRefs do not
// allow it. Its message names the reference, never a value.
type StoreRefNotAllowedError struct {
	Ref string
	// Fix is the change that the sender of the request should make.
	Fix string
}

func (e *StoreRefNotAllowedError) Error() string {
	return fmt.Sprintf("resolve secret %s: not allowed: this service reads only the secret store references of a request that its operator allows; %s", e.Ref, e.Fix)
}

// ErrorName returns InvalidRequest, so that the state machine fails the
// step at once instead of retrying it.
func (e *StoreRefNotAllowedError) ErrorName() string { return workflow.ErrInvalidRequest }
