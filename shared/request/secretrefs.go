package request

import (
	"net/url"
	"regexp"
	"strings"
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
)

// secretRefProblem returns what is wrong with the form of a cloud secret
// store reference, or "" when the form is valid or the scheme has no form to
// check. The message describes the form and never quotes the value, which
// may be a credential pasted into the wrong field.
func secretRefProblem(ref string) string {
	switch {
	case strings.HasPrefix(ref, "aws-secretsmanager:"):
		return awsSecretRefProblem(strings.TrimPrefix(ref, "aws-secretsmanager:"))
	case strings.HasPrefix(ref, "azure-keyvault:"):
		return keyVaultRefProblem(strings.TrimPrefix(ref, "azure-keyvault:"))
	case strings.HasPrefix(ref, "gcp-secretmanager:"):
		return gcpSecretRefProblem(strings.TrimPrefix(ref, "gcp-secretmanager:"))
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
