package workflow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// AnyCodeArtifactDomain is the CodeArtifactDomains entry that allows every
// domain.
const AnyCodeArtifactDomain = "*"

// codeArtifactDomainARN matches a CodeArtifact domain ARN and captures its
// region, owner account and domain name.
var codeArtifactDomainARN = regexp.MustCompile(`^arn:aws[a-z-]*:codeartifact:([a-z0-9-]+):([0-9]{12}):domain/([a-z][a-z0-9-]{0,48}[a-z0-9])$`)

// CodeArtifactDomains lists the CodeArtifact domains for which requests of
// auth type codeartifact may get tokens. A token carries the permissions of
// the principal that gets it, so without a list any requester could get one
// for every domain that the deployment's credentials reach. The zero value
// allows no domain.
type CodeArtifactDomains struct {
	any     bool
	domains []request.CodeArtifactRepository
	// Fix is the change that lets a rejected domain through, such as the
	// flag or the stack key to set, for the error message.
	Fix string
}

// ParseCodeArtifactDomains reads a comma-separated list of CodeArtifact
// domain ARNs, or "*" for every domain. An empty list allows no domain.
func ParseCodeArtifactDomains(list, fix string) (CodeArtifactDomains, error) {
	allow := CodeArtifactDomains{Fix: fix}
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if entry == AnyCodeArtifactDomain {
			allow.any = true
			continue
		}
		m := codeArtifactDomainARN.FindStringSubmatch(entry)
		if m == nil {
			return CodeArtifactDomains{}, fmt.Errorf("%q is not a CodeArtifact domain ARN; use arn:aws:codeartifact:REGION:ACCOUNT:domain/NAME, or * for every domain", entry)
		}
		allow.domains = append(allow.domains, request.CodeArtifactRepository{Region: m[1], Owner: m[2], Domain: m[3]})
	}
	return allow, nil
}

// Allows reports whether repo's domain is in the list.
func (c CodeArtifactDomains) Allows(repo request.CodeArtifactRepository) bool {
	if c.any {
		return true
	}
	for _, d := range c.domains {
		if d == repo {
			return true
		}
	}
	return false
}

// CodeArtifactDomainARN returns the ARN of repo's domain in the partition
// of its region, such as aws-cn for cn-north-1, for error messages and
// the --codeartifact-domains advice. A region in no known partition gets
// the aws partition.
func CodeArtifactDomainARN(repo request.CodeArtifactRepository) string {
	partition := "aws"
	if p, ok := request.AWSPartitionOf(repo.Region); ok {
		partition = p.ID
	}
	return fmt.Sprintf("arn:%s:codeartifact:%s:%s:domain/%s", partition, repo.Region, repo.Owner, repo.Domain)
}

// FieldErrors returns the field error of a request of auth type
// codeartifact whose domain is not in the list, so that a service rejects
// it before an execution starts, or nil for any other request. An index URL
// that is not a CodeArtifact one is left to request validation. The
// message is the one that CodeArtifactToken returns in the steps.
func (c CodeArtifactDomains) FieldErrors(req request.Request) []request.FieldError {
	if req.Repository.Auth.Type != request.AuthCodeArtifact {
		return nil
	}
	repo, err := request.ParseCodeArtifactURL(req.Repository.IndexURL)
	if err != nil || c.Allows(repo) {
		return nil
	}
	return []request.FieldError{{Path: "$.repository.index_url", Message: c.rejection(repo)}}
}

// rejection returns the message for repo's domain, which the list does not
// contain.
func (c CodeArtifactDomains) rejection(repo request.CodeArtifactRepository) string {
	return fmt.Sprintf("CodeArtifact domain %s is not among the domains that this deployment gets tokens for; %s",
		CodeArtifactDomainARN(repo), c.Fix)
}
