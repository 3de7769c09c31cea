package secrets

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/repolink/repolink/shared/workflow"
)

// secretID identifies the secret that a reference names, so that two
// spellings of one secret compare equal with sameSecret.
type secretID struct {
	// store is env, file, aws, azure or gcp, or raw for a reference whose
	// form is not known, which then compares as written.
	store string
	// scope is the AWS partition, region and account, "" for a reference
	// by secret name; the vault host for Azure; the project for GCP.
	scope string
	name  string
}

// awsARNSuffix matches the hyphen and 6 random characters that Secrets
// Manager appends to a secret's name in its complete ARN.
var awsARNSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// parseSecretID returns the secret that ref names. A file: reference with
// a path that cannot be resolved, and any reference of an unknown form,
// identify the secret by their text.
func parseSecretID(ref string) secretID {
	scheme, rest, _ := strings.Cut(ref, ":")
	raw := secretID{store: "raw", name: ref}
	switch scheme {
	case "env":
		return secretID{store: "env", name: rest}
	case "file":
		path, err := realPath(rest)
		if err != nil {
			return raw
		}
		return secretID{store: "file", name: path}
	case "aws-secretsmanager":
		return parseAWSSecretID(rest)
	case "azure-keyvault":
		return parseKeyVaultSecretID(rest, raw)
	case "gcp-secretmanager":
		return parseGCPSecretID(rest, raw)
	}
	return raw
}

// parseAWSSecretID parses ARN-OR-NAME[#JSON-KEY]. The JSON key selects a
// part of the secret, so every key names the same secret. Secret names are
// case-sensitive in Secrets Manager, and the other parts of an ARN are
// compared without regard to case.
func parseAWSSecretID(rest string) secretID {
	id, _, _ := strings.Cut(rest, "#")
	parts := strings.SplitN(id, ":", 7)
	if len(parts) != 7 || !strings.EqualFold(parts[0], "arn") || !strings.EqualFold(parts[2], "secretsmanager") || !strings.EqualFold(parts[5], "secret") {
		return secretID{store: "aws", name: id}
	}
	scope := strings.ToLower(parts[1] + ":" + parts[3] + ":" + parts[4])
	return secretID{store: "aws", scope: scope, name: parts[6]}
}

// parseKeyVaultSecretID parses https://VAULT.vault.azure.net/secrets/NAME
// with an optional /VERSION. Key Vault compares object identifiers without
// regard to case, and every version belongs to the same secret.
func parseKeyVaultSecretID(rest string, raw secretID) secretID {
	u, err := url.Parse(strings.ToLower(rest))
	if err != nil || u.Host == "" {
		return raw
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "secrets" {
		return raw
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	return secretID{store: "azure", scope: host, name: parts[1]}
}

// parseGCPSecretID parses projects/PROJECT/secrets/SECRET with an optional
// /versions/VERSION, where every version belongs to the same secret.
// Project IDs are lowercase, and secret IDs are case-sensitive.
func parseGCPSecretID(rest string, raw secretID) secretID {
	parts := strings.Split(rest, "/")
	if len(parts) < 4 || parts[0] != "projects" || parts[2] != "secrets" {
		return raw
	}
	return secretID{store: "gcp", scope: strings.ToLower(parts[1]), name: parts[3]}
}

// sameSecret reports whether a and b may name the same secret. It errs on
// the side of a match where one spelling can name the secret of another:
//   - An AWS reference by name reads the secret of that name in the region
//     and account of the reader, so it matches an ARN of any scope.
//   - A complete AWS ARN ends in the 6-character suffix, which a partial
//     ARN or a name leaves out. NOTE: a secret whose own name ends in a
//     hyphen and 6 letters or digits therefore also matches the secret
//     named without them, as Secrets Manager warns for such names.
//   - A GCP project number and a project ID may name one project.
func (a secretID) sameSecret(b secretID) bool {
	if a.store != b.store {
		return false
	}
	switch a.store {
	case "aws":
		if a.scope != b.scope && a.scope != "" && b.scope != "" {
			return false
		}
		return a.name == b.name || trimARNSuffix(a.name) == b.name || a.name == trimARNSuffix(b.name)
	case "gcp":
		if a.scope != b.scope && isDigits(a.scope) == isDigits(b.scope) {
			return false
		}
		return a.name == b.name
	}
	return a.scope == b.scope && a.name == b.name
}

func trimARNSuffix(name string) string {
	return awsARNSuffix.ReplaceAllString(name, "")
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// WithOwnSecrets returns a copy of l that rejects every reference to one of
// the secrets that refs name, whatever l allows, including references to
// cloud secret stores. A service passes the references of the secrets that
// it reads for itself, such as its webhook secret, so that no request can
// copy one into a Snowflake secret or send it to an index of its choice.
// A relative file: reference is made absolute against the working
// directory, where the service reads it. Empty references are skipped.
func (l AllowList) WithOwnSecrets(refs []string) (AllowList, error) {
	own := make([]secretID, 0, len(refs)+len(l.own))
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
		own = append(own, parseSecretID(ref))
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
	id := parseSecretID(ref)
	for _, own := range l.own {
		if id.sameSecret(own) {
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
