// Package indexurl recognises the simple index URLs (PEP 503) of the
// package index products that repolink connects Snowflake to: JFrog
// Artifactory, Sonatype Nexus Repository, Azure DevOps Artifacts and Azure
// DevOps Server, AWS CodeArtifact, Google Artifact Registry and the GitLab
// package registry.
// Request validation uses it to reject a URL that names a product but not
// its index path, and the sandbox index uses it to serve each product's
// path.
package indexurl

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Product is an index product whose host or path a URL can name.
type Product struct {
	// Name is the product name, such as "JFrog Artifactory".
	Name string
	// Form is the simple index URL that the product serves, with
	// placeholders in angle brackets and HOST in place of the host, which
	// the product's host pattern, if any, already checks.
	Form string
	// Users are the only user names that the product accepts in HTTP basic
	// authentication. Empty means any user name.
	Users []string
	// HostScope is the group of repositories that share one host name and
	// have no other, such as "an Artifact Registry location". Empty means
	// that a repository may be served under another host name.
	HostScope string

	host *regexp.Regexp
	// path reports whether an escaped path names the product on a host
	// that does not.
	path func(path string) bool
	// root matches the start of an escaped path up to the segment before
	// "simple", the repository root under which the index serves its pages.
	root *regexp.Regexp
}

// Products are the index products in the order Identify tries them: those
// named by their host first, then those named by their path.
var Products = []Product{
	{
		Name:  "AWS CodeArtifact",
		Form:  "https://HOST/pypi/<repository>/simple/",
		Users: []string{"aws"},
		host:  regexp.MustCompile(`^([a-z0-9-]+\.)+codeartifact\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`),
		root:  regexp.MustCompile(`^/pypi/[^/]+/`),

		// The host is <domain>-<owner account>.d.codeartifact.<region>.amazonaws.com.
		HostScope: "a CodeArtifact domain",
	},
	{
		Name:  "Google Artifact Registry",
		Form:  "https://HOST/<project>/<repository>/simple/",
		Users: []string{"_json_key_base64", "oauth2accesstoken"},
		host:  regexp.MustCompile(`^[a-z0-9-]+-python\.pkg\.dev$`),
		root:  regexp.MustCompile(`^/[^/]+/[^/]+/`),

		// The host is <location>-python.pkg.dev for every project.
		HostScope: "an Artifact Registry location",
	},
	{
		Name: "Azure DevOps Artifacts",
		Form: "https://HOST/<organization>/<project>/_packaging/<feed>/pypi/simple/, " +
			"or without <project>/ for a feed of the organization",
		host: regexp.MustCompile(`^pkgs\.dev\.azure\.com$`),
		root: regexp.MustCompile(`^/[^/_][^/]*(/[^/_][^/]*)?/_packaging/[^/]+/pypi/`),
	},
	{
		Name: "Azure DevOps Artifacts",
		Form: "https://HOST/<project>/_packaging/<feed>/pypi/simple/, " +
			"or without <project>/ for a feed of the organization",
		host: regexp.MustCompile(`^[a-z0-9-]+\.pkgs\.visualstudio\.com$`),
		root: regexp.MustCompile(`^(/[^/_][^/]*)?/_packaging/[^/]+/pypi/`),
	},
	{
		Name: "JFrog Artifactory",
		Form: "https://HOST/artifactory/api/pypi/<repository-key>/simple/",
		host: regexp.MustCompile(`^[a-z0-9-]+\.jfrog\.io$`),
		path: func(p string) bool {
			return firstSegment(p) == "artifactory" || strings.HasPrefix(p, "/api/pypi/")
		},
		// A reverse proxy may serve Artifactory without its /artifactory
		// context path.
		root: regexp.MustCompile(`^(/artifactory)?/api/pypi/[^/]+/`),
	},
	{
		Name: "Sonatype Nexus Repository",
		Form: "https://HOST/repository/<repository-name>/simple/",
		path: func(p string) bool {
			return firstSegment(p) == "repository" || strings.HasPrefix(p, "/nexus/repository/")
		},
		// Nexus Repository 2 serves under the /nexus context path by
		// default.
		root: regexp.MustCompile(`^(/nexus)?/repository/[^/]+/`),
	},
	{
		Name: "GitLab package registry",
		Form: "https://HOST/api/v4/projects/<project-id>/packages/pypi/simple/, " +
			"or https://HOST/api/v4/groups/<group-id>/-/packages/pypi/simple/",
		host: regexp.MustCompile(`^gitlab\.com$`),
		path: func(p string) bool { return strings.HasPrefix(p, "/api/v4/") },
		root: regexp.MustCompile(`^/api/v4/(projects/[^/]+|groups/[^/]+/-)/packages/pypi/`),
	},
	{
		// The server of Azure DevOps Artifacts that a company runs itself
		// serves feeds under its collection, which older installations
		// put below the /tfs virtual directory.
		Name: "Azure DevOps Server",
		Form: "https://HOST/<collection>/<project>/_packaging/<feed>/pypi/simple/, " +
			"without <project>/ for a feed of the collection, or under /tfs",
		// The server matches path segments in any letter case.
		path: func(p string) bool { return strings.Contains(strings.ToLower(p), "/_packaging/") },
		root: regexp.MustCompile(`(?i)^(/tfs)?/[^/_][^/]*(/[^/_][^/]*)?/_packaging/[^/]+/pypi/`),
	},
}

// Identify returns the product that the host or path of u names, and
// false when u names none and so may be any PEP 503 index.
func Identify(u *url.URL) (Product, bool) {
	return identify(u.Hostname(), u.EscapedPath())
}

// identify returns the product that a host name without a port or an
// escaped path names.
func identify(host, path string) (Product, bool) {
	host = strings.ToLower(host)
	for _, p := range Products {
		if p.host != nil && p.host.MatchString(host) {
			return p, true
		}
	}
	for _, p := range Products {
		if p.path != nil && p.path(path) {
			return p, true
		}
	}
	return Product{}, false
}

// HostScope returns the Product.HostScope of the product whose host
// pattern matches host, a host name without a port, or "" when host is not
// the one host name of a product's repositories.
func HostScope(host string) string {
	p, ok := identify(host, "")
	if !ok {
		return ""
	}
	return p.HostScope
}

// IsIndex reports whether the escaped path is the product's simple index
// root, with or without the trailing slash.
func (p Product) IsIndex(path string) bool {
	_, rest, ok := p.cut(path)
	return ok && (rest == "simple" || rest == "simple/")
}

// cut divides the escaped path into the product's repository root and the
// rest. It returns false when the path does not start with such a root.
func (p Product) cut(path string) (root, rest string, ok bool) {
	root = p.root.FindString(path)
	if root == "" {
		return "", "", false
	}
	return root, path[len(root):], true
}

// FormFor returns the product's index URL form with HOST replaced by host.
func (p Product) FormFor(host string) string {
	return strings.ReplaceAll(p.Form, "HOST", host)
}

// AcceptsUser reports whether the product accepts user as the user name of
// HTTP basic authentication.
func (p Product) AcceptsUser(user string) bool {
	return len(p.Users) == 0 || slices.Contains(p.Users, user)
}

// Split divides the escaped path of a request to an index on host, a host
// name without a port, into the repository root and the rest, which starts
// with "simple" or "files/". On a host or path that names a product, the
// root must be that product's repository root. On any other index the root
// is everything before the first "simple" or "files" segment, because a
// PEP 503 index may serve under any path. Split returns false when the
// path has no such segment or does not fit the product.
func Split(host, path string) (root, rest string, ok bool) {
	if p, named := identify(host, path); named {
		root, rest, ok = p.cut(path)
		return root, rest, ok && isServed(rest)
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		if rest := path[i+1:]; isServed(rest) {
			return path[:i+1], rest, true
		}
	}
	return "", "", false
}

// isServed reports whether rest, a path below a repository root, is the
// simple index or a file.
func isServed(rest string) bool {
	return rest == "simple" || strings.HasPrefix(rest, "simple/") || strings.HasPrefix(rest, "files/")
}

func firstSegment(path string) string {
	segment, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return segment
}
