package preflight

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/request"
)

// Estimated lifetimes of short-lived index tokens. They are upper bounds,
// because preflight cannot see when a token was issued.
const (
	// codeArtifactTokenLifetime is the default and maximum duration of an
	// AWS CodeArtifact authorization token (GetAuthorizationToken).
	codeArtifactTokenLifetime = 12 * time.Hour
	// accessTokenLifetime is the lifetime of a Google OAuth access token,
	// which Artifact Registry accepts with the user oauth2accesstoken.
	accessTokenLifetime = time.Hour
)

// Index products whose credentials follow a fixed template.
const (
	vendorNone             = ""
	vendorCodeArtifact     = "AWS CodeArtifact"
	vendorArtifactRegistry = "Google Artifact Registry"
	vendorAzureDevOps      = "Azure DevOps Artifacts"
)

// User names that Artifact Registry accepts for basic auth.
const (
	arKeyUser   = "_json_key_base64"
	arTokenUser = "oauth2accesstoken"
)

var (
	codeArtifactHost     = regexp.MustCompile(`(?i)^([a-z0-9-]+\.)+codeartifact\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)
	artifactRegistryHost = regexp.MustCompile(`(?i)^[a-z0-9-]+-python\.pkg\.dev$`)
	azureDevOpsHost      = regexp.MustCompile(`(?i)^(pkgs\.dev\.azure\.com|[a-z0-9-]+\.pkgs\.visualstudio\.com)$`)
	// patLike matches an Azure DevOps personal access token: 52 characters
	// of base32, or 84 of the newer format.
	patLike = regexp.MustCompile(`^([a-z2-7]{52}|[A-Za-z0-9]{84})$`)
)

// vendorOf returns the index product that a host name belongs to.
func vendorOf(host string) string {
	switch {
	case codeArtifactHost.MatchString(host):
		return vendorCodeArtifact
	case artifactRegistryHost.MatchString(host):
		return vendorArtifactRegistry
	case azureDevOpsHost.MatchString(host):
		return vendorAzureDevOps
	}
	return vendorNone
}

// checkIndexURL parses the index URL. It fails for a URL that no request
// may carry, and warns when the path does not end in /simple/.
func (r *run) checkIndexURL() bool {
	raw := r.opts.Request.Repository.IndexURL
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Hostname() == "":
		r.add("index_url", Failed, "$.repository.index_url is not an absolute URL",
			"set $.repository.index_url to the https:// URL of the simple index, ending in /simple/")
		return false
	case u.User != nil:
		// The URL is not repeated: its user information is a credential.
		r.add("index_url", Failed, "$.repository.index_url contains credentials",
			"remove them from the URL and put them in $.repository.auth")
		return false
	case u.Scheme != "https":
		r.add("index_url", Failed, fmt.Sprintf("%s uses %s://, and Snowflake fetches only over HTTPS", raw, u.Scheme),
			"set $.repository.index_url to the https:// URL of the index")
		return false
	case publicaddr.MachineHostProblem(u.Hostname()) != "":
		r.add("index_url", Failed, fmt.Sprintf("$.repository.index_url host %s is %s; preflight does not connect to this machine or a metadata service",
			u.Hostname(), publicaddr.MachineHostProblem(u.Hostname())),
			"set $.repository.index_url to the index's own host name; a host in a private network is accepted")
		return false
	}
	r.index = u
	r.host = strings.ToLower(u.Hostname())

	if strings.HasSuffix(u.Path, "/simple/") {
		r.add("index_url", Passed, raw+" ends in /simple/", "")
		return true
	}
	r.add("index_url", Warned, raw+" does not end in /simple/, where PEP 503 indexes serve the simple API",
		"set $.repository.index_url to "+suggestIndexURL(u)+" if that is the simple index")
	return true
}

// suggestIndexURL returns the simple index URL that u most likely means.
func suggestIndexURL(u *url.URL) string {
	s := *u
	switch i := strings.Index(s.Path, "/simple/"); {
	case i >= 0:
		s.Path = s.Path[:i+len("/simple/")]
	case strings.HasSuffix(s.Path, "/simple"):
		s.Path += "/"
	default:
		s.Path = strings.TrimSuffix(s.Path, "/") + "/simple/"
	}
	s.RawPath = ""
	return s.String()
}

// tokenSecret reports whether the SECRET is a GENERIC_STRING token.
func (r *run) tokenSecret() bool {
	return r.opts.Request.Repository.Auth.Type == "token"
}

// authorization returns the Authorization header that Snowflake will send
// with the SECRET, or "" when there is no credential.
func (r *run) authorization() string {
	if r.tokenSecret() {
		if r.opts.Password == "" {
			return ""
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(r.opts.Password))
	}
	if r.opts.Username == "" && r.opts.Password == "" {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(r.opts.Username+":"+r.opts.Password))
}

// userAndPassword returns the user name and password that the index
// receives.
// A token without a colon has no user part.
func (r *run) userAndPassword() (user, password string, hasUser bool) {
	if !r.tokenSecret() {
		return r.opts.Username, r.opts.Password, true
	}
	user, password, hasUser = strings.Cut(r.opts.Password, ":")
	if !hasUser {
		return "", r.opts.Password, false
	}
	return user, password, true
}

// checkCredentialTemplate compares the credential with the user name and
// password shape that the index product expects. Every finding is a
// warning, because the credential check shows whether the index accepts it.
func (r *run) checkCredentialTemplate() {
	user, password, hasUser := r.userAndPassword()
	vendor := vendorOf(r.host)
	var problems, fixes []string

	if r.tokenSecret() && !hasUser {
		problems = append(problems, "the token has no user part, and Snowflake sends a GENERIC_STRING secret as Basic base64(token), so the index sees no user name")
		fixes = append(fixes, "store the token as user:token, or set $.repository.auth.type to password with the user in $.repository.auth.username")
	}
	switch vendor {
	case vendorCodeArtifact:
		if user != "aws" {
			problems = append(problems, fmt.Sprintf("%s expects the user name aws, not %q", vendor, user))
			fixes = append(fixes, "set the user name to aws and the password to a token from aws codeartifact get-authorization-token")
		}
	case vendorArtifactRegistry:
		switch user {
		case arKeyUser:
			if !serviceAccountKey(password) {
				problems = append(problems, "the password for "+arKeyUser+" is not a base64-encoded service account key (JSON with type service_account)")
				fixes = append(fixes, "store the key file encoded with base64 -w0 as the password")
			}
		case arTokenUser:
		default:
			problems = append(problems, fmt.Sprintf("%s expects the user name %s or %s, not %q", vendor, arKeyUser, arTokenUser, user))
			fixes = append(fixes, "set the user name to "+arKeyUser+" and the password to a base64-encoded service account key")
		}
	case vendorAzureDevOps:
		if patLike.MatchString(user) {
			problems = append(problems, "the user name looks like a personal access token, but Azure DevOps reads the token from the password")
			fixes = append(fixes, "set any non-empty user name and put the personal access token in the password")
		}
	}

	switch {
	case len(problems) > 0:
		r.add("credential_template", Warned, strings.Join(problems, "; "), strings.Join(fixes, "; "))
	case vendor == vendorNone:
		r.add("credential_template", Passed, r.host+" is not a product with a fixed user name", "")
	default:
		r.add("credential_template", Passed, "the user name fits "+vendor, "")
	}
}

// serviceAccountKey reports whether s is a base64-encoded service account
// key file.
func serviceAccountKey(s string) bool {
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	var key struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(data, &key) == nil && key.Type == "service_account"
}

// ShortLivedLifetime returns the longest lifetime of the token that an
// index on host accepts with user, and false when the credential is not a
// known short-lived token. It is an upper bound, because the token's issue
// time is unknown.
func ShortLivedLifetime(host, user string) (time.Duration, bool) {
	switch vendorOf(strings.ToLower(host)) {
	case vendorCodeArtifact:
		return codeArtifactTokenLifetime, true
	case vendorArtifactRegistry:
		if user == arTokenUser {
			return accessTokenLifetime, true
		}
	}
	return 0, false
}

// checkCredentialLifetime warns about tokens that expire within hours and
// records their estimated expiry. A token that repolink gets from
// CodeArtifact itself passes, with its real expiry.
func (r *run) checkCredentialLifetime() {
	if r.opts.Request.Repository.Auth.Type == request.AuthCodeArtifact {
		r.report.CredentialExpiresAt = r.opts.CredentialExpiresAt
		r.report.CredentialExpiryExact = r.opts.CredentialExpiresAt != nil
		detail := "repolink gets the CodeArtifact token and repolink up renews it in the SECRET before it expires"
		if r.opts.CredentialExpiresAt != nil {
			detail += "; this token expires " + r.opts.CredentialExpiresAt.UTC().Format(time.RFC3339)
		}
		r.add("credential_lifetime", Passed, detail, "")
		return
	}
	user, _, _ := r.userAndPassword()
	lifetime, shortLived := ShortLivedLifetime(r.host, user)
	var fix string
	switch vendor := vendorOf(r.host); {
	case !shortLived:
		r.add("credential_lifetime", Passed, "no short-lived token detected", "")
		return
	case vendor == vendorCodeArtifact:
		fix = "set $.repository.auth.type to codeartifact, so that repolink gets the token and renews it before it expires; " +
			"otherwise rotate the secret with a new token from aws codeartifact get-authorization-token before it expires (ALTER SECRET ... SET PASSWORD)"
	default:
		fix = "use the user name " + arKeyUser + " with a base64-encoded service account key, which does not expire"
	}

	expires := r.started.Add(lifetime)
	r.report.CredentialExpiresAt = &expires
	r.add("credential_lifetime", Warned,
		fmt.Sprintf("%s tokens expire within %s; estimated expiry %s, after which installs fail", vendorOf(r.host), lifetime, expires.UTC().Format(time.RFC3339)),
		fix)
}
