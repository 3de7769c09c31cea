package request

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// The forms of the cloud secret store references. Each check happens before
// anything starts, so a malformed reference is an invalid request (exit
// status 2, with the field's JSON path) and not a failed preflight.
var (
	// awsSecretARNPattern matches a Secrets Manager secret ARN, complete
	// or partial (without the 6-character suffix that Secrets Manager
	// appends to the name).
	awsSecretARNPattern = regexp.MustCompile(`^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	// awsSecretNamePattern matches a secret name: 1 to 512 of the
	// characters that Secrets Manager allows in names. A reference by name
	// is rejected, and the pattern only picks the message.
	awsSecretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	// keyVaultHostPattern matches <vault>.vault.azure.net, where a vault
	// name is 3 to 24 letters, digits and hyphens that starts with a letter
	// and ends with a letter or digit. Only the public Azure cloud is
	// accepted, because the Azure clients of repolink call only its
	// endpoints.
	keyVaultHostPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]\.vault\.azure\.net$`)
	// keyVaultNamePattern matches a Key Vault secret name or version.
	keyVaultNamePattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,127}$`)
	// gcpSecretPattern matches projects/<project>/secrets/<secret> with an
	// optional /versions/<version>, a number, latest or an alias. Without a
	// version the secret store reads the latest one. The project is a
	// project ID or number of letters, digits and hyphens, optionally after
	// the DNS domain of a domain-scoped project and a colon, such as
	// example.com:corp-packages, so a . or .. path segment never matches.
	// A secret ID has 1 to 255 letters, digits, hyphens and underscores.
	gcpSecretPattern = regexp.MustCompile(`^projects/` +
		`([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*:)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` +
		`/secrets/[A-Za-z0-9_-]{1,255}(/versions/[A-Za-z0-9_-]+)?$`)
)

// Examples of each form, for the error messages.
const (
	awsSecretRefExample = "aws-secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"
	keyVaultRefExample  = "azure-keyvault:https://VAULT.vault.azure.net/secrets/NAME"
	gcpSecretRefExample = "gcp-secretmanager:projects/PROJECT/secrets/SECRET/versions/VERSION"
	envRefExample       = "env:SNOWFLAKE_KEY"
	fileRefExample      = "file:/run/secrets/snowflake-key"
)

// RefSchemeProblem returns what is wrong with value as a credential
// reference when it does not start with one of RefSchemes or has nothing
// after its scheme, or "" otherwise. It checks no more than that, so a
// request that an earlier version accepted can still be torn down. The
// message never quotes the value, which may be a literal credential.
func RefSchemeProblem(value string) string {
	for _, scheme := range RefSchemes {
		rest, ok := strings.CutPrefix(value, scheme)
		if !ok {
			continue
		}
		if rest == "" {
			return emptyRefMessage(scheme)
		}
		return ""
	}
	return "must be a credential reference starting with one of " + strings.Join(RefSchemes, ", ") +
		"; literal credentials are not accepted"
}

// SecretRefProblem returns what is wrong with ref as a credential
// reference, as a request's credential field checks it, or "" when ref is
// valid. Like RefSchemeProblem, the message never quotes ref.
func SecretRefProblem(ref string) string {
	if problem := RefSchemeProblem(ref); problem != "" {
		return problem
	}
	return secretRefProblem(ref)
}

// emptyRefMessage returns the message for a reference that is only its
// scheme, naming what belongs after the scheme.
func emptyRefMessage(scheme string) string {
	switch scheme {
	case "env:":
		return "is env: without a variable name; write the name of the environment variable " +
			"that contains the credential after env:, such as " + envRefExample
	case "file:":
		return "is file: without a path; write the path of the file that contains the credential " +
			"after file:, such as " + fileRefExample
	case "aws-secretsmanager:":
		return "is aws-secretsmanager: without a secret ARN; write the ARN after the scheme, such as " + awsSecretRefExample
	case "azure-keyvault:":
		return "is azure-keyvault: without a secret identifier; write the identifier after the scheme, such as " + keyVaultRefExample
	case "gcp-secretmanager:":
		return "is gcp-secretmanager: without a secret name; write the name after the scheme, such as " + gcpSecretRefExample
	}
	return "is " + scheme + " with nothing after the scheme; write what the secret store reads after it"
}

// secretRefProblem returns what is wrong with the form of a reference
// after its scheme, or "" when the form is valid. The message describes the
// form and never quotes the value, which may be a credential pasted into
// the wrong field.
func secretRefProblem(ref string) string {
	switch {
	case strings.HasPrefix(ref, "env:"):
		return envRefProblem(strings.TrimPrefix(ref, "env:"))
	case strings.HasPrefix(ref, "file:"):
		return fileRefProblem(strings.TrimPrefix(ref, "file:"))
	case strings.HasPrefix(ref, "aws-secretsmanager:"):
		return awsSecretRefProblem(strings.TrimPrefix(ref, "aws-secretsmanager:"))
	case strings.HasPrefix(ref, "azure-keyvault:"):
		return keyVaultRefProblem(strings.TrimPrefix(ref, "azure-keyvault:"))
	case strings.HasPrefix(ref, "gcp-secretmanager:"):
		return gcpSecretRefProblem(strings.TrimPrefix(ref, "gcp-secretmanager:"))
	}
	return ""
}

// envRefProblem checks the variable name of an env: reference. No
// environment variable name contains = or a control character, and
// whitespace in a name is almost always a space typed after env:.
func envRefProblem(name string) string {
	for _, r := range name {
		switch {
		case r == '=':
			return "is an env: reference whose variable name contains =, which no environment variable name can contain; " +
				"write only the variable name after env:, such as " + envRefExample
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return "is an env: reference whose variable name contains whitespace or a control character; " +
				"write only the variable name after env:, such as " + envRefExample
		}
	}
	return ""
}

// fileRefProblem checks the path of a file: reference. No file can be
// opened by a path with a NUL byte, and a control character or whitespace
// at either end is almost always a copy and paste accident. Whitespace
// inside the path is allowed.
func fileRefProblem(path string) string {
	for _, r := range path {
		if unicode.IsControl(r) {
			return "is a file: reference whose path contains a NUL byte or another control character; " +
				"write only the path after file:, such as " + fileRefExample
		}
	}
	if strings.TrimSpace(path) != path {
		return "is a file: reference whose path starts or ends with whitespace; " +
			"remove the whitespace, such as " + fileRefExample
	}
	return ""
}

// awsSecretRefProblem checks <arn>[#<json-key>]. A secret name in place
// of the ARN is rejected, because the repolink command reads the secret
// with a client for the region in its ARN, and the README and the AWS
// deployment guide document only ARNs.
func awsSecretRefProblem(rest string) string {
	id, key, hasKey := strings.Cut(rest, "#")
	if hasKey && key == "" {
		return "is an aws-secretsmanager: reference with an empty JSON key after #; name the key or drop the #"
	}
	if strings.HasPrefix(id, "arn:") {
		if !awsSecretARNPattern.MatchString(id) {
			return "is an aws-secretsmanager: reference to an ARN that is not a Secrets Manager secret ARN; use " + awsSecretRefExample
		}
		return ""
	}
	if awsSecretNamePattern.MatchString(id) {
		return "is an aws-secretsmanager: reference to a secret name, not an ARN; " + AWSSecretNameFix
	}
	return "is an aws-secretsmanager: reference that is not a Secrets Manager secret ARN; use " + awsSecretRefExample
}

// keyVaultRefProblem checks https://<vault>.vault.azure.net/secrets/<name>[/<version>].
func keyVaultRefProblem(rest string) string {
	u, err := url.Parse(rest)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "is an azure-keyvault: reference that is not an https:// secret identifier; use " + keyVaultRefExample
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
		return "is an azure-keyvault: reference with credentials, a port, a query or a fragment in the URL; use " + keyVaultRefExample
	}
	// Host names are case-insensitive, so MYVAULT.VAULT.AZURE.NET is the
	// same vault.
	if !keyVaultHostPattern.MatchString(strings.ToLower(u.Hostname())) {
		return "is an azure-keyvault: reference whose host is not a vault under .vault.azure.net " +
			"(vault names are 3 to 24 letters, digits and hyphens); use " + keyVaultRefExample
	}
	if u.RawPath != "" {
		return "is an azure-keyvault: reference with percent-encoding in its path, where secret names are only letters, digits and hyphens; use " + keyVaultRefExample
	}
	parts := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	// A path of /secrets/NAME splits into "", "secrets", NAME and an
	// optional version.
	if len(parts) < 3 || len(parts) > 4 || parts[0] != "" || parts[1] != "secrets" {
		return "is an azure-keyvault: reference whose path is not /secrets/NAME or /secrets/NAME/VERSION; use " + keyVaultRefExample
	}
	for _, part := range parts[2:] {
		if !keyVaultNamePattern.MatchString(part) {
			return "is an azure-keyvault: reference whose secret name or version is not 1 to 127 letters, digits and hyphens; use " + keyVaultRefExample
		}
	}
	return ""
}

// gcpSecretRefProblem checks projects/<project>/secrets/<secret>[/versions/<version>].
func gcpSecretRefProblem(rest string) string {
	if !gcpSecretPattern.MatchString(rest) {
		return "is a gcp-secretmanager: reference that is not a secret version name; use " + gcpSecretRefExample +
			", where PROJECT is a project ID or number and SECRET has 1 to 255 letters, digits, hyphens and underscores" +
			" (without /versions/VERSION the latest version is read)"
	}
	return ""
}

// AWSSecretNameRefs returns the aws-secretsmanager: references of the
// request that give a secret name and not an ARN. A resolver that takes the
// region from the ARN cannot read them. Validate rejects them, but
// ValidateForTeardown, which checks only the scheme, does not.
func (r *Request) AWSSecretNameRefs() []CredentialRef {
	var names []CredentialRef
	for _, field := range r.CredentialRefs() {
		id, ok := strings.CutPrefix(field.Ref, "aws-secretsmanager:")
		if ok && !strings.HasPrefix(id, "arn:") {
			names = append(names, field)
		}
	}
	return names
}

// AWSSecretNameFix is the change that an error for a reference from
// AWSSecretNameRefs suggests.
const AWSSecretNameFix = "use the secret's ARN, such as " + awsSecretRefExample +
	", because repolink reads the region from the ARN"
