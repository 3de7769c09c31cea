package request

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// AuthCodeArtifact is the Auth.Type with which repolink gets the index
// token from AWS CodeArtifact itself.
const AuthCodeArtifact = "codeartifact"

// Limits of the durationSeconds parameter of CodeArtifact
// GetAuthorizationToken, other than 0, which ties the token to the caller's
// role session and so gives no lifetime that repolink can plan with.
const (
	MinCodeArtifactTokenDuration     = 15 * time.Minute
	MaxCodeArtifactTokenDuration     = 12 * time.Hour
	DefaultCodeArtifactTokenDuration = MaxCodeArtifactTokenDuration
)

// CodeArtifactUser is the user name that CodeArtifact expects with a token
// in HTTP basic authentication.
const CodeArtifactUser = "aws"

// codeArtifactIndexHost matches the host of a CodeArtifact repository
// endpoint, <domain>-<owner account>.d.codeartifact.<region>.amazonaws.com.
// A domain name may contain '-', and the account is the last 12 digits
// before ".d.".
var codeArtifactIndexHost = regexp.MustCompile(`^([a-z][a-z0-9-]{0,48}[a-z0-9])-([0-9]{12})\.d\.codeartifact\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// CodeArtifactRepository identifies the CodeArtifact domain behind an index
// URL.
type CodeArtifactRepository struct {
	Domain string
	// Owner is the 12-digit AWS account that owns the domain.
	Owner  string
	Region string
}

// ParseCodeArtifactURL reads the domain, owner account and region from a
// CodeArtifact index URL, such as
// https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/main/simple/.
func ParseCodeArtifactURL(indexURL string) (CodeArtifactRepository, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Hostname() == "" {
		return CodeArtifactRepository{}, fmt.Errorf("%q is not an absolute URL", indexURL)
	}
	host := strings.ToLower(u.Hostname())
	m := codeArtifactIndexHost.FindStringSubmatch(host)
	if m == nil {
		return CodeArtifactRepository{}, fmt.Errorf("host %s is not a CodeArtifact repository endpoint <domain>-<account>.d.codeartifact.<region>.amazonaws.com", host)
	}
	return CodeArtifactRepository{Domain: m[1], Owner: m[2], Region: m[3]}, nil
}

// CodeArtifactTokenDuration returns the token lifetime that a request of
// type codeartifact requests.
func (a Auth) CodeArtifactTokenDuration() time.Duration {
	if a.TokenDurationSeconds == 0 {
		return DefaultCodeArtifactTokenDuration
	}
	return time.Duration(a.TokenDurationSeconds) * time.Second
}
