package request

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/repolink/repolink/shared/indexurl"
	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/snowflake"
)

// Defaults applied to fields left empty.
const (
	DefaultRole           = "ACCOUNTADMIN"
	DefaultRuntimeVersion = "3.12"
	DefaultInstanceType   = "t3.micro"
	// DefaultImageID lets EC2 resolve the newest Amazon Linux 2023 image from
	// the public SSM parameter at launch time.
	DefaultImageID = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
)

// FieldError is one invalid field: its JSON path and what to change.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a request.
type ValidationError struct {
	Fields []FieldError `json:"errors"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid request: %d field error(s)", len(e.Fields))
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Message)
	}
	return b.String()
}

// ErrorName returns the ASL error name, so a step that validates a request
// fails with InvalidRequest.
func (e *ValidationError) ErrorName() string { return "InvalidRequest" }

// ApplyDefaults fills the optional fields that have a default.
func (r *Request) ApplyDefaults() {
	if r.Snowflake.Role == "" {
		r.Snowflake.Role = DefaultRole
	}
	if r.Repository.RuntimeVersion == "" {
		r.Repository.RuntimeVersion = DefaultRuntimeVersion
	}
	if r.Repository.DefaultFor == "" {
		r.Repository.DefaultFor = "none"
	}
	r.applyCloudDefaults()
	if r.AWS != nil {
		if r.AWS.Proxy == "" {
			r.AWS.Proxy = "nginx"
		}
		if r.AWS.Listener == "" {
			r.AWS.Listener = "tcp"
		}
		if r.AWS.InstanceType == "" {
			r.AWS.InstanceType = DefaultInstanceType
		}
		if r.AWS.ImageID == "" {
			r.AWS.ImageID = DefaultImageID
		}
	}
}

var (
	accountPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)
	identifierPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)
	vpcPattern        = regexp.MustCompile(`^vpc-[0-9a-f]{1,17}$`)
	subnetPattern     = regexp.MustCompile(`^subnet-[0-9a-f]{1,17}$`)
	securityGroupPat  = regexp.MustCompile(`^sg-[0-9a-f]{1,17}$`)
	hostnamePattern   = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	runtimeVersions   = map[string]bool{"3.9": true, "3.10": true, "3.11": true, "3.12": true, "3.13": true}
)

// RefSchemes are the credential reference schemes, each read by a secret
// store of its own.
var RefSchemes = []string{"env:", "file:", "aws-secretsmanager:", "azure-keyvault:", "gcp-secretmanager:"}

// Validate checks every field and returns a *ValidationError listing all the
// invalid ones, or nil.
func (r *Request) Validate() error {
	return r.validate(&validator{})
}

// validate is Validate with v, which may already hold the paths of fields
// that the shape checks reported.
func (r *Request) validate(v *validator) error {
	v.require("$.id", r.ID, "set it to the ticket key, such as DATA-4711")
	if len(r.ID) > 200 {
		v.add("$.id", "is longer than 200 characters; use the ticket key")
	}
	// The ID names the request's executions and tags its resources, so
	// " T-1 " would be another request than T-1.
	if trimmed := strings.TrimSpace(r.ID); trimmed != "" && trimmed != r.ID {
		v.add("$.id", fmt.Sprintf("%q has leading or trailing whitespace, which would make it another request than %q; remove the whitespace", r.ID, trimmed))
	} else if v.printable("$.id", r.ID, "use the ticket key") {
		v.visible("$.id", r.ID, "another request than the one shown", "use the ticket key as shown in the ticket")
	}
	// Step Functions keeps execution names unique per state machine only,
	// so on AWS a provision run named like a teardown run can share its
	// name, and the operations API then shows only one of them.
	if IsTeardownName(ExecutionName(r.ID)) {
		v.add("$.id", fmt.Sprintf("%q ends like a teardown execution name (-teardown, or -teardown-rN with N of 2 or more), "+
			"so its executions could share a name with a teardown; use an ID without that ending, such as the ticket key", r.ID))
	}
	const routes = "aws-privatelink, azure-privatelink, gcp-privatelink, egress-ip or public"
	switch r.Route {
	case RouteAWSPrivateLink, RouteAzurePrivateLink, RouteGCPPrivateLink, RouteEgressIP, RoutePublic:
		v.routeBlocks(r)
	case "":
		v.add("$.route", "missing; set it to "+routes)
	default:
		v.add("$.route", fmt.Sprintf("unknown route %q; use %s", r.Route, routes))
	}
	v.snowflake(&r.Snowflake)
	v.repository(&r.Repository, r.proxiesIndex())
	v.indexCredentialSecrets(r)
	v.routePorts(r)
	// A block that does not belong to the route is reported once, as a
	// block to remove, and its fields are not checked.
	if r.AWS != nil && !v.invalid("$.aws") {
		v.aws(r.AWS)
	}
	if r.Azure != nil && !v.invalid("$.azure") {
		v.azure(r.Azure)
	}
	if r.GCP != nil && !v.invalid("$.gcp") {
		v.gcp(r.GCP)
	}
	if r.Egress != nil && !v.invalid("$.egress") {
		v.egress(r.Egress)
	}
	if r.Notify != nil {
		v.notifyURL(r.Notify.URL)
	}
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

type validator struct {
	fields []FieldError
	// reported contains the path of every field with an error, including
	// those that the shape checks of parse reported. A check that depends
	// on a field's value skips a wrong value, which would only add a
	// follow-on error.
	reported map[string]bool
	// misplaced lists the blocks that do not belong to the route.
	misplaced []FieldError
}

func (v *validator) add(path, message string) {
	v.fields = append(v.fields, FieldError{Path: path, Message: message})
	v.markReported(path)
}

// markReported records path as a field with an error.
func (v *validator) markReported(path string) {
	if v.reported == nil {
		v.reported = map[string]bool{}
	}
	v.reported[path] = true
}

// invalid reports whether an error was reported at path.
func (v *validator) invalid(path string) bool {
	return v.reported[path]
}

func (v *validator) require(path, value, hint string) bool {
	if strings.TrimSpace(value) == "" {
		v.add(path, "missing; "+hint)
		return false
	}
	return true
}

// ref checks a credential reference without echoing it, since a value that
// is not a reference may be the credential itself.
func (v *validator) ref(path, value string) {
	if problem := RefSchemeProblem(value); problem != "" {
		v.add(path, problem)
		return
	}
	if problem := secretRefProblem(value); problem != "" {
		v.add(path, problem)
	}
}

// identifier checks the name of a Snowflake object, which Ident quotes
// when it is not a plain identifier. A quoted name keeps every character,
// so " R " and R name two roles.
func (v *validator) identifier(path, value string) {
	trimmed := strings.TrimSpace(value)
	switch {
	case trimmed == "":
		v.add(path, fmt.Sprintf("%q is empty or only whitespace; set the name, or remove the entry", value))
		return
	case len(value) > 255:
		v.add(path, "must be 1 to 255 characters")
	case trimmed != value:
		v.add(path, fmt.Sprintf("%q has leading or trailing whitespace, which would make it another object than %q; remove the whitespace", value, trimmed))
		return
	}
	if !v.quotedIdentifier(path, value) {
		return
	}
	if v.printable(path, value, "remove it") {
		v.visible(path, value, "another object than the one shown", "remove it")
	}
}

// quotedIdentifier checks the name inside a quoted identifier, which
// snowflake.Ident and StoredName use as written. It rejects "" and a
// quoted name that is blank or starts or ends with whitespace, which
// Snowflake would otherwise create as such. It reports whether value
// passed.
func (v *validator) quotedIdentifier(path, value string) bool {
	if value == `""` {
		v.add(path, `is a quoted name with nothing between the quotes; write the name between them, such as "\"Data Science\"" in JSON, or leave out the quotes`)
		return false
	}
	stored := snowflake.StoredName(value)
	if stored == value {
		return true
	}
	trimmed := strings.TrimSpace(stored)
	switch {
	case trimmed == "":
		v.add(path, "is a quoted name with only whitespace between the quotes; write the name between them")
		return false
	case trimmed != stored:
		v.add(path, fmt.Sprintf("quotes the name %q, which starts or ends with whitespace and so would name another object than %q; remove the whitespace", stored, trimmed))
		return false
	}
	return true
}

// printable rejects a value that a terminal would not show as written.
// A control character (C0, DEL or C1) could move the cursor or change colors
// when status prints the value, and a bidirectional formatting character
// could reorder the text around it. It reports whether value is printable.
func (v *validator) printable(path, value, fix string) bool {
	for _, r := range value {
		switch {
		case unicode.IsControl(r):
			v.add(path, fmt.Sprintf("contains control characters (%U); %s", r, fix))
			return false
		case isBidiFormatting(r):
			v.add(path, fmt.Sprintf("contains the bidirectional formatting character %U; %s", r, fix))
			return false
		}
	}
	return true
}

// visible rejects a name with a format character (Unicode category Cf),
// such as U+200B ZERO WIDTH SPACE or U+FEFF BYTE ORDER MARK. It also
// rejects a space other than U+0020, such as U+00A0 NO-BREAK SPACE. Such a
// name reads like another name but is a different string. other describes
// what it would name instead.
func (v *validator) visible(path, value, other, fix string) {
	for _, r := range value {
		switch {
		case unicode.Is(unicode.Cf, r):
			v.add(path, fmt.Sprintf("contains the invisible format character %U, which would make it %s; %s", r, other, fix))
			return
		case r > unicode.MaxASCII && (unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)):
			v.add(path, fmt.Sprintf("contains the space character %U, which looks like an ASCII space but would make it %s; use ASCII spaces only, or %s", r, other, fix))
			return
		}
	}
}

// isBidiFormatting reports whether r is one of the embedding, override and
// isolate characters U+202A to U+202E and U+2066 to U+2069.
func isBidiFormatting(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

func (v *validator) snowflake(s *Snowflake) {
	if v.require("$.snowflake.account", s.Account, "set the account identifier, such as myorg-analytics") {
		switch {
		case strings.Contains(s.Account, "://") || strings.Contains(s.Account, "snowflakecomputing.com"):
			v.add("$.snowflake.account", "is a URL or host name; give the account identifier only, such as myorg-analytics")
		case !accountPattern.MatchString(s.Account):
			v.add("$.snowflake.account", "must be an account identifier such as myorg-analytics or xy12345.us-east-1")
		default:
			if message := accountForm(s.Account); message != "" {
				v.add("$.snowflake.account", message)
			}
		}
	}
	if v.require("$.snowflake.user", s.User, "set the service user that repolink logs in as") {
		if v.printable("$.snowflake.user", s.User, "remove it") {
			v.visible("$.snowflake.user", s.User, "another user than the one shown", "remove it")
		}
	}
	switch {
	case s.PrivateKeyRef != "" && s.PasswordRef != "":
		v.add("$.snowflake", "set only one of private_key_ref and password_ref")
	case s.PrivateKeyRef == "" && s.PasswordRef == "":
		v.add("$.snowflake.private_key_ref", "missing; set private_key_ref (key-pair login) or password_ref")
	case s.PrivateKeyRef != "":
		v.ref("$.snowflake.private_key_ref", s.PrivateKeyRef)
	default:
		v.ref("$.snowflake.password_ref", s.PasswordRef)
	}
	if s.PrivateKeyPassphraseRef != "" {
		v.ref("$.snowflake.private_key_passphrase_ref", s.PrivateKeyPassphraseRef)
	}
	if v.require("$.snowflake.database", s.Database, "set the database that holds the secret and the repository") {
		v.identifier("$.snowflake.database", s.Database)
	}
	if v.require("$.snowflake.schema", s.Schema, "set the schema that holds the secret and the repository") {
		v.identifier("$.snowflake.schema", s.Schema)
	}
	if s.Role != "" {
		v.identifier("$.snowflake.role", s.Role)
	}
	if s.Warehouse != "" {
		v.identifier("$.snowflake.warehouse", s.Warehouse)
	}
}

// repository checks the repository block. proxied is whether a proxy VM
// forwards the index hosts, which words the errors of the extra prefixes.
func (v *validator) repository(r *Repository, proxied bool) {
	if v.require("$.repository.name", r.Name, "set the artifact repository name, such as corp_pypi") {
		if !identifierPattern.MatchString(r.Name) || len(r.Name) > 200 {
			v.add("$.repository.name", "must start with a letter or _ and hold only letters, digits, _ and $ (at most 200), because the secret and integration names derive from it")
		}
	}
	if v.require("$.repository.index_url", r.IndexURL, "set the https:// URL of the simple index, ending in /simple/") {
		v.indexURL(r.IndexURL)
		v.printable("$.repository.index_url", r.IndexURL, "percent-encode it")
	}

	switch r.Auth.Type {
	case "password":
		if v.require("$.repository.auth.username", r.Auth.Username, "set the user name that the index accepts") {
			v.indexUsername(r.Auth.Username)
			// HTTP basic authentication joins user name and password with
			// the first ':' (RFC 7617), so the index would read a shorter
			// user name. The value is not echoed, because a user:token
			// pasted here contains a credential.
			if strings.Contains(r.Auth.Username, ":") {
				v.add("$.repository.auth.username", "contains ':', which HTTP basic authentication cannot carry in a user name, so the index would read the text before it as the user name and reject the login; "+
					"set the user name alone, and the password or token in the secret that password_ref references")
			}
		}
		if v.require("$.repository.auth.password_ref", r.Auth.PasswordRef, "set a reference to the password or access token") {
			v.ref("$.repository.auth.password_ref", r.Auth.PasswordRef)
		}
		if r.Auth.TokenRef != "" {
			v.add("$.repository.auth.token_ref", "is for type token; remove it or set type to token")
		}
	case "token":
		if v.require("$.repository.auth.token_ref", r.Auth.TokenRef, "set a reference to the token") {
			v.ref("$.repository.auth.token_ref", r.Auth.TokenRef)
		}
		if r.Auth.PasswordRef != "" {
			v.add("$.repository.auth.password_ref", "is for type password; remove it or set type to password")
		}
		// A token secret sends no user name, so one set here would be
		// silently ignored and the index would reject the token.
		if r.Auth.Username != "" {
			v.add("$.repository.auth.username", "is for type password; remove it or set type to password")
		}
	case AuthCodeArtifact:
		v.codeArtifactAuth(*r)
	case "":
		v.add("$.repository.auth.type", "missing; set password, token or codeartifact")
	default:
		v.add("$.repository.auth.type", fmt.Sprintf("unknown type %q; use password, token or codeartifact", r.Auth.Type))
	}
	if r.Auth.Type != AuthCodeArtifact && r.Auth.TokenDurationSeconds != 0 {
		v.add("$.repository.auth.token_duration_seconds", "is for type codeartifact; remove it or set type to codeartifact")
	}

	v.packages(r.Packages)
	switch r.DefaultFor {
	case "none", "account", "database", "schema":
	default:
		v.add("$.repository.default_for", fmt.Sprintf("unknown level %q; use none, account, database or schema", r.DefaultFor))
	}
	v.grantToRoles(r.GrantToRoles)
	for i, prefix := range r.ExtraAllowedPrefixes {
		v.allowedPrefix(fmt.Sprintf("$.repository.extra_allowed_prefixes[%d]", i), prefix, proxied)
	}
	if !runtimeVersions[r.RuntimeVersion] {
		v.add("$.repository.runtime_version", fmt.Sprintf("unsupported version %q; use 3.9 to 3.13", r.RuntimeVersion))
	}
}

// maxGrantRoles is the maximum length of repository.grant_to_roles. Each
// role costs GRANT statements on the database, schema, integration and
// repository in every run, and a longer list is better served by granting
// one role that the others inherit.
const maxGrantRoles = 50

func (v *validator) grantToRoles(grantToRoles []string) {
	if len(grantToRoles) > maxGrantRoles {
		v.add("$.repository.grant_to_roles", fmt.Sprintf("lists %d roles, more than the maximum of %d; grant one role and grant it to the others",
			len(grantToRoles), maxGrantRoles))
		return
	}
	roles := map[string]int{}
	for i, role := range grantToRoles {
		path := fmt.Sprintf("$.repository.grant_to_roles[%d]", i)
		v.identifier(path, role)
		// An unquoted name is stored in upper case, so data_science and
		// DATA_SCIENCE name one role.
		stored := snowflake.StoredName(role)
		// Every user has the role PUBLIC, so granting it would give the
		// repository and its integration to the whole account. A quoted
		// "public" is rejected too, because it reads as the same role.
		if strings.EqualFold(stored, "PUBLIC") {
			v.add(path, fmt.Sprintf("%q is the role PUBLIC, which every user has, so the grant would reach the whole account; list the roles that need the repository", role))
			continue
		}
		if j, seen := roles[stored]; seen {
			v.add(path, fmt.Sprintf("%q names the role %s again, after $.repository.grant_to_roles[%d]; list each role once", role, stored, j))
			continue
		}
		roles[stored] = i
	}
}

// indexUsername rejects a user name that reads like another one: leading
// or trailing whitespace, control characters and invisible characters
// such as U+200B, which the index would compare as part of the name. The
// value is not echoed, because a user:token pasted here contains a
// credential.
func (v *validator) indexUsername(name string) {
	const path = "$.repository.auth.username"
	if strings.TrimSpace(name) != name {
		v.add(path, "has leading or trailing whitespace, which the index would read as part of the user name; remove the whitespace")
		return
	}
	if v.printable(path, name, "remove it") {
		v.visible(path, name, "another user name than the one shown", "remove it")
	}
}

// codeArtifactAuth checks a repository whose token repolink gets from
// CodeArtifact: the index URL must name the domain, and no stored credential
// may be set, because repolink replaces the token as it expires.
func (v *validator) codeArtifactAuth(r Repository) {
	if r.IndexURL != "" {
		if _, err := ParseCodeArtifactURL(r.IndexURL); err != nil {
			v.add("$.repository.index_url", fmt.Sprintf("must be a CodeArtifact repository endpoint for auth type codeartifact: %v; "+
				"use the URL from aws codeartifact get-repository-endpoint --format pypi, ending in /simple/", err))
		}
	}
	for _, field := range []struct{ path, value string }{
		{"$.repository.auth.username", r.Auth.Username},
		{"$.repository.auth.password_ref", r.Auth.PasswordRef},
		{"$.repository.auth.token_ref", r.Auth.TokenRef},
	} {
		if field.value != "" {
			v.add(field.path, "is not used with type codeartifact, where repolink gets the token from CodeArtifact and sends it with the user aws; remove it")
		}
	}
	seconds := r.Auth.TokenDurationSeconds
	minimum, maximum := int(MinCodeArtifactTokenDuration.Seconds()), int(MaxCodeArtifactTokenDuration.Seconds())
	if seconds != 0 && (seconds < minimum || seconds > maximum) {
		v.add("$.repository.auth.token_duration_seconds", fmt.Sprintf("is %d; set %d to %d seconds, or leave it out for %d", seconds, minimum, maximum, maximum))
	}
}

func (v *validator) indexURL(raw string) {
	const path = "$.repository.index_url"
	u, err := url.Parse(raw)
	if err != nil {
		v.add(path, "is not a URL; use https://host/path/simple/")
		return
	}
	if u.User != nil {
		// The URL is not echoed: its user information holds a credential.
		v.add(path, "contains credentials; remove them from the URL and use $.repository.auth")
		return
	}
	if u.Scheme != "https" {
		v.add(path, "must use https://, because Snowflake only fetches from HTTPS indexes")
	}
	if u.Hostname() == "" {
		v.add(path, "has no host; use https://host/path/simple/")
	} else if !hostnamePattern.MatchString(u.Hostname()) || net.ParseIP(u.Hostname()) != nil {
		v.add(path, "must name a DNS host, because the certificate and the private endpoint are issued for a host name")
	} else if problem := numericHostProblem(u.Hostname()); problem != "" {
		v.add(path, problem+"; use the index's DNS host name, because the index's certificate is issued for a host name")
	} else if kind := publicaddr.MachineHostProblem(u.Hostname()); kind != "" {
		v.add(path, fmt.Sprintf("host %s names %s; preflight and the proxy must not connect to this machine or a metadata service, "+
			"so use the index's own host name, which may resolve to a private address such as one in 10.0.0.0/8", u.Hostname(), kind))
	}
	if _, _, problem := urlPort(u); problem != "" {
		v.add(path, problem+", or leave the port out for 443")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		v.add(path, "must not have a query or fragment")
	}
	if strings.Contains(raw, " ") {
		v.add(path, "contains a space; remove it, or percent-encode a space inside the path as %20")
	}
	// A product returns 404 for any other path, which preflight could not
	// tell from a rejected credential.
	if product, named := indexurl.Identify(u); named && !product.IsIndex(u.EscapedPath()) {
		v.add(path, fmt.Sprintf("points at %s, but the path %s is not its simple index path; use %s",
			product.Name, u.EscapedPath(), product.FormFor(u.Host)))
	}
}

// allowedPrefix checks one of repository.extra_allowed_prefixes. Its host
// must be a DNS host name, as the index URL's host must, because the proxy
// VM of a private-link route allows each host by name. A wildcard, an IP
// address in any form, such as a cloud metadata address, or a host that
// names this machine is rejected here rather than when the proxy starts or
// preflight fetches a file from it. proxied is whether the route has a
// proxy VM, and only then do the messages name it.
func (v *validator) allowedPrefix(path, raw string, proxied bool) {
	byName := "because a prefix's host follows the rules of $.repository.index_url, whose certificate is issued for a host name"
	if proxied {
		byName = "because the proxy VM allows hosts by name"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		v.add(path, "must be an https:// URL, such as https://files.example.com/")
	case u.User != nil:
		v.add(path, "contains credentials; remove them from the URL")
	case u.Scheme != "https":
		v.add(path, "must use https://")
	case strings.Contains(raw, " "):
		v.add(path, "contains a space; remove it, or percent-encode a space inside the path as %20")
	case strings.Contains(u.Hostname(), "*"):
		v.add(path, fmt.Sprintf("host %q contains a wildcard; list each host that Snowflake fetches from as its own prefix, such as https://files.example.com/", u.Hostname()))
	case net.ParseIP(u.Hostname()) != nil:
		v.add(path, fmt.Sprintf("host %q is an IP address; use the DNS host name that the files are served under, %s", u.Hostname(), byName))
	case numericHostProblem(u.Hostname()) != "":
		v.add(path, fmt.Sprintf("%s; use the DNS host name that the files are served under, %s", numericHostProblem(u.Hostname()), byName))
	case publicaddr.MachineHostProblem(u.Hostname()) != "":
		v.add(path, fmt.Sprintf("host %s names %s; preflight fetches files from the host and must not connect to this machine or a metadata service, so use the DNS host name that the files are served under",
			u.Hostname(), publicaddr.MachineHostProblem(u.Hostname())))
	case !IsDNSHostname(u.Hostname()):
		v.add(path, fmt.Sprintf("host %q is not a DNS host name; use letters, digits, hyphens and dots, such as https://files.example.com/", u.Hostname()))
	default:
		if _, _, problem := urlPort(u); problem != "" {
			v.add(path, problem+", or leave the port out for 443")
		}
	}
}

// notifyURL accepts an https:// URL, or an http:// URL whose host is
// localhost or a loopback IP address, such as a receiver beside the sandbox.
// The notifier calls http:// URLs only in sandbox mode, and in sandbox mode
// only loopback hosts.
func (v *validator) notifyURL(raw string) {
	const path = "$.notify.url"
	const accepted = "use https://, or in sandbox mode http:// to a loopback host, such as http://127.0.0.1:PORT/"
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		v.add(path, "is not a URL; "+accepted)
	case u.User != nil:
		v.add(path, "contains credentials; remove them from the URL")
	case u.Scheme == "https", u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		// url.Parse accepts any digits as a port, such as 0, which no
		// receiver listens on.
		if _, _, problem := urlPort(u); problem != "" {
			v.add(path, fmt.Sprintf("%s, or leave the port out for the default port of %s://", problem, u.Scheme))
		}
		v.notifyHost(path, u.Hostname())
	case u.Scheme == "http":
		v.add(path, fmt.Sprintf("http:// is accepted only for a loopback host, not %q; %s", u.Hostname(), accepted))
	default:
		v.add(path, fmt.Sprintf("scheme %q is not accepted; %s", u.Scheme, accepted))
	}
}

// notifyHost rejects a notify.url host that is a private, link-local or
// other internal address, or a cloud metadata host name, so that a request
// cannot make the notifier post into the service's own network. A loopback
// host is accepted for sandbox receivers, and the notifier calls it only in
// sandbox mode. A host name that resolves to an internal address passes
// here, and the notifier rejects it when it connects.
func (v *validator) notifyHost(path, host string) {
	if isLoopbackHost(host) {
		return
	}
	if problem := publicaddr.HostProblem(host); problem != "" {
		v.add(path, fmt.Sprintf("host %s is %s, which the notifier does not call; use the public host name of the receiver", host, problem))
		return
	}
	if problem := numericHostProblem(host); problem != "" {
		v.add(path, problem+"; use the public host name of the receiver")
	}
}

// isLoopbackHost reports whether host is localhost or a loopback IP
// address, the hosts that the notifier calls in sandbox mode.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) aws(a *AWS) {
	if v.require("$.aws.region", a.Region, "set the region, such as us-west-2") && !isAWSRegion(a.Region) {
		v.add("$.aws.region", fmt.Sprintf("%q is not an AWS region; use a name such as us-west-2", a.Region))
	}
	if v.require("$.aws.vpc_id", a.VPCID, "set the VPC that the load balancer goes in") && !vpcPattern.MatchString(a.VPCID) {
		v.add("$.aws.vpc_id", fmt.Sprintf("%q is not a VPC ID; use vpc- followed by hex digits", a.VPCID))
	}
	if len(a.SubnetIDs) == 0 {
		v.add("$.aws.subnet_ids", "missing; list the private subnets for the load balancer, one in every zone Snowflake may use")
	}
	seen := map[string]bool{}
	for i, subnet := range a.SubnetIDs {
		path := fmt.Sprintf("$.aws.subnet_ids[%d]", i)
		switch {
		case !subnetPattern.MatchString(subnet):
			v.add(path, fmt.Sprintf("%q is not a subnet ID; use subnet- followed by hex digits", subnet))
		case seen[subnet]:
			v.add(path, fmt.Sprintf("%q is listed twice; list each subnet once", subnet))
		}
		seen[subnet] = true
	}
	for i, group := range a.SecurityGroupIDs {
		if !securityGroupPat.MatchString(group) {
			v.add(fmt.Sprintf("$.aws.security_group_ids[%d]", i), fmt.Sprintf("%q is not a security group ID; use sg- followed by hex digits", group))
		}
	}
	v.proxyMode("$.aws", a.Proxy, a.TargetAddress, true)
	v.upstream("$.aws", a.Upstream, a.Proxy)
	switch strings.ToLower(a.Listener) {
	case "tcp":
	case "tls":
		v.add("$.aws.listener", "tls would terminate TLS at the load balancer, so the proxy could not read the server name; use tcp")
	default:
		v.add("$.aws.listener", fmt.Sprintf("unknown listener %q; use tcp", a.Listener))
	}
	if strings.TrimSpace(a.InstanceType) == "" || strings.ContainsAny(a.InstanceType, " /") {
		v.add("$.aws.instance_type", "must be an instance type such as t3.micro")
	}
	v.printable("$.aws.instance_type", a.InstanceType, "remove it")
	if v.printable("$.aws.image_id", a.ImageID, "remove it") {
		v.awsImageID("$.aws.image_id", a.ImageID)
	}
}

// upstream checks block.upstream, host:port of the index as the proxy VM
// reaches it. With proxy none no proxy dials it, so it may be left out.
// With an invalid proxy the check is skipped, because whether upstream is
// needed depends on the proxy value.
func (v *validator) upstream(block, value, proxy string) {
	path := block + ".upstream"
	if !validProxy(v, block, proxy) || (proxy == "none" && strings.TrimSpace(value) == "") {
		return
	}
	if v.require(path, value, "set host:port of the index as the proxy reaches it, such as pypi.corp.example.com:443, or use proxy none") {
		v.upstreamAt(path, value)
	}
}

func (v *validator) upstreamAt(path, value string) {
	if strings.Contains(value, "://") {
		v.add(path, "must be host:port without a scheme, such as pypi.corp.example.com:443")
		return
	}
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		v.add(path, "must be host:port, such as pypi.corp.example.com:443")
		return
	}
	if _, problem := parsePort(port); problem != "" {
		v.add(path, problem)
	}
	if !hostnamePattern.MatchString(host) && net.ParseIP(host) == nil {
		v.add(path, "has an invalid host; use a DNS name or an IP address")
		return
	}
	v.upstreamHost(path, host)
}
