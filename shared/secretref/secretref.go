// Package secretref compares credential references by the secret that
// they name, so that two spellings of one secret, such as an ARN with and
// without its random suffix, compare equal.
package secretref

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ID identifies the secret that a reference names. The zero value names
// no secret.
type ID struct {
	// store is env, file, aws, azure or gcp, or raw for a reference whose
	// form is not known, which then compares as written.
	store string
	// scope is the AWS partition, region and account, "" for a reference
	// by secret name; the vault host for Azure; the project for GCP.
	scope string
	name  string
	// version is the Key Vault or Secret Manager version, "" when the
	// reference names none.
	version string
	// jsonKey is the AWS JSON key after "#", "" when the reference names
	// none.
	jsonKey string
	// file is the file that a file: reference names, nil when it cannot
	// be read with os.Stat.
	file os.FileInfo
}

// awsARNSuffix matches the hyphen and 6 random characters that Secrets
// Manager appends to a secret's name in its complete ARN.
var awsARNSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// Parse returns the secret that ref names. A relative file: path is made
// absolute against the working directory, where the file store reads it,
// and its symbolic links are resolved (RealPath), and the file is recorded
// when it exists, so that ID.Same finds a hard link. A file: reference whose
// path cannot be resolved, and any reference of an unknown form, identify
// the secret by their text.
func Parse(ref string) ID {
	scheme, rest, _ := strings.Cut(ref, ":")
	raw := ID{store: "raw", name: ref}
	switch scheme {
	case "env":
		return ID{store: "env", name: rest}
	case "file":
		abs, err := filepath.Abs(rest)
		if err != nil {
			return raw
		}
		path, err := RealPath(abs)
		if err != nil {
			return raw
		}
		id := ID{store: "file", name: path}
		if info, err := os.Stat(path); err == nil {
			id.file = info
		}
		return id
	case "aws-secretsmanager":
		return parseAWS(rest)
	case "azure-keyvault":
		return parseKeyVault(rest, raw)
	case "gcp-secretmanager":
		return parseGCP(rest, raw)
	}
	return raw
}

// Same reports whether references a and b may name the same secret, as
// ID.Same decides.
func Same(a, b string) bool {
	return Parse(a).Same(Parse(b))
}

// parseAWS parses ARN-OR-NAME[#JSON-KEY]. The JSON key selects a part of
// the secret, so every key names the same secret. Secret names are
// case-sensitive in Secrets Manager, and the other parts of an ARN are
// compared without regard to case.
func parseAWS(rest string) ID {
	id, key, _ := strings.Cut(rest, "#")
	parts := strings.SplitN(id, ":", 7)
	if len(parts) != 7 || !strings.EqualFold(parts[0], "arn") || !strings.EqualFold(parts[2], "secretsmanager") || !strings.EqualFold(parts[5], "secret") {
		return ID{store: "aws", name: id, jsonKey: key}
	}
	scope := strings.ToLower(parts[1] + ":" + parts[3] + ":" + parts[4])
	return ID{store: "aws", scope: scope, name: parts[6], jsonKey: key}
}

// parseKeyVault parses https://VAULT.vault.azure.net/secrets/NAME with an
// optional /VERSION. Key Vault compares object identifiers without regard
// to case, and every version belongs to the same secret.
func parseKeyVault(rest string, raw ID) ID {
	u, err := url.Parse(strings.ToLower(rest))
	if err != nil || u.Host == "" {
		return raw
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "secrets" {
		return raw
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	id := ID{store: "azure", scope: host, name: parts[1]}
	if len(parts) == 3 {
		id.version = parts[2]
	}
	return id
}

// parseGCP parses projects/PROJECT/secrets/SECRET with an optional
// /versions/VERSION, where every version belongs to the same secret.
// Project IDs are lowercase, and secret IDs are case-sensitive.
func parseGCP(rest string, raw ID) ID {
	parts := strings.Split(rest, "/")
	if len(parts) < 4 || parts[0] != "projects" || parts[2] != "secrets" {
		return raw
	}
	id := ID{store: "gcp", scope: strings.ToLower(parts[1]), name: parts[3]}
	if len(parts) == 6 && parts[4] == "versions" {
		id.version = parts[5]
	}
	return id
}

// Same reports whether a and b may name the same secret. It errs on the
// side of a match where one spelling can name the secret of another:
//   - An AWS reference by name reads the secret of that name in the region
//     and account of the reader, so it matches an ARN of any scope.
//   - A complete AWS ARN ends in the 6-character suffix, which a partial
//     ARN or a name leaves out. NOTE: a secret whose own name ends in a
//     hyphen and 6 letters or digits therefore also matches the secret
//     named without them, as Secrets Manager warns for such names.
//   - A GCP project number and a project ID may name one project.
//   - Two file: references name one file when the paths differ but
//     os.SameFile finds the same file, such as through a hard link.
func (a ID) Same(b ID) bool {
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
	case "file":
		return a.name == b.name || (a.file != nil && b.file != nil && os.SameFile(a.file, b.file))
	}
	return a.scope == b.scope && a.name == b.name
}

// Keys returns lookup keys of the secret that a names. Two IDs that Same
// matches share at least one key, so a store can find by key the
// references that may name a secret and then compare them with Same. Keys
// leave out what Same may ignore: the AWS scope and the
// 6-character ARN suffix, the GCP project, versions and JSON keys. Every
// file: reference has the one key "file", because a hard link names the
// same file under any path.
func (a ID) Keys() []string {
	switch a.store {
	case "aws":
		keys := []string{"aws\x00" + a.name}
		if trimmed := trimARNSuffix(a.name); trimmed != a.name {
			keys = append(keys, "aws\x00"+trimmed)
		}
		return keys
	case "gcp":
		return []string{"gcp\x00" + a.name}
	case "file":
		return []string{"file"}
	case "":
		return nil
	}
	return []string{a.store + "\x00" + a.scope + "\x00" + a.name}
}

// Allows reports whether the allow-list entry e allows a reference to ref.
// Unlike Same, it never leans towards a match, so that no spelling lets a
// reference through to a secret that the entry does not name:
//   - The store and the account, vault or project must be the same as
//     written. A GCP project number matches only an entry written with
//     that number, and an AWS reference by name matches no ARN.
//   - An AWS secret name must be the same, with or without the 6-character
//     suffix as the entry has it, because a partial ARN may also name a
//     secret whose own name ends in a hyphen and 6 letters or digits.
//   - An entry without a JSON key or version allows every one. An entry
//     with them allows only the same, and a Secret Manager entry of
//     version latest also allows a reference without a version, which
//     reads the latest one.
//
// Case is ignored where the store ignores it: in the partition, region and
// account of an ARN, in the whole Key Vault identifier and in a GCP
// project ID.
func (e ID) Allows(ref ID) bool {
	if e.store != ref.store || e.scope != ref.scope || e.name != ref.name {
		return false
	}
	switch e.store {
	case "aws":
		return e.scope != "" && (e.jsonKey == "" || e.jsonKey == ref.jsonKey)
	case "gcp":
		return e.version == "" || e.version == ref.version || (e.version == "latest" && ref.version == "")
	}
	return e.version == "" || e.version == ref.version
}

func trimARNSuffix(name string) string {
	return awsARNSuffix.ReplaceAllString(name, "")
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
