package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/indexurl"
	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/request"
)

// acceptHeader prefers PEP 691 JSON and accepts both HTML forms, because
// many index products serve only HTML.
const acceptHeader = "application/vnd.pypi.simple.v1+json, " +
	"application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// response is the outcome of one GET.
type response struct {
	URL         *url.URL
	Status      int
	ContentType string
	Err         error
}

// get sends a GET for u and reads at most 64 KiB of the body, because the
// root of a mirror of PyPI lists hundreds of thousands of projects.
func (r *run) get(ctx context.Context, u *url.URL) response {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return response{URL: u, Err: err}
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := r.client.Do(req)
	if err != nil {
		// The *url.Error repeats the URL with its query, so keep the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return response{URL: u, Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return response{URL: redact(resp.Request.URL), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
}

// repoClient returns a simple API client that sends through the recorder.
// It carries no credential itself: the recorder adds it for the origin.
func (r *run) repoClient() *repoindex.Client {
	return &repoindex.Client{HTTP: r.client, IndexURL: r.index.String()}
}

// checkIndexRoot requests the index root with and without the credential
// and adds simple_api and credentials. It returns false when later checks
// cannot run: the credential is rejected or the root is no simple index.
func (r *run) checkIndexRoot(ctx context.Context) bool {
	withAuth := r.get(ctx, r.index)
	if withAuth.Err != nil {
		r.add("simple_api", Failed, fmt.Sprintf("GET %s failed: %v", redact(r.index), withAuth.Err),
			"check that the index is reachable from where repolink runs")
		return false
	}

	switch withAuth.Status {
	case http.StatusOK:
		if !r.checkMediaType(withAuth) {
			return false
		}
		r.credentialsAccepted(r.get(anonymous(ctx), r.index), "the index root")
		return true
	case http.StatusUnauthorized, http.StatusForbidden:
		r.credentialsRejected(withAuth.Status, "the index root")
		return false
	case http.StatusNotFound:
		return r.checkKnownProject(ctx)
	}
	r.add("simple_api", Failed, fmt.Sprintf("GET %s returned %d %s", withAuth.URL, withAuth.Status, http.StatusText(withAuth.Status)),
		"check the index server and $.repository.index_url")
	return false
}

// checkMediaType adds simple_api for a root page that returned 200.
func (r *run) checkMediaType(resp response) bool {
	mediaType, _, err := mime.ParseMediaType(resp.ContentType)
	if err != nil {
		mediaType = resp.ContentType
	}
	switch mediaType {
	case "application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json":
		r.add("simple_api", Passed, fmt.Sprintf("%s serves the simple API as PEP 691 JSON (%s)", resp.URL, mediaType), "")
		return true
	case "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html", "text/html":
		r.add("simple_api", Passed, fmt.Sprintf("%s serves the simple API as PEP 503 HTML (%s); PEP 691 JSON is not offered, which Snowflake does not need", resp.URL, mediaType), "")
		return true
	}
	r.add("simple_api", Failed, fmt.Sprintf("%s returned Content-Type %q, not a simple API page", resp.URL, resp.ContentType),
		"set $.repository.index_url to the simple index of the repository, ending in /simple/")
	return false
}

// credentialsAccepted adds credentials for a request with the credential
// that returned 200, given the response without it.
func (r *run) credentialsAccepted(anon response, what string) {
	switch {
	case r.authorization() == "":
		r.add("credentials", Warned, what+" answered without a credential, and none is configured", "set $.repository.auth if the index needs a credential for files")
	case anon.Err == nil && anon.Status == http.StatusOK:
		r.add("credentials", Passed, what+" answered with the credential and also without it, so the index may not check it", "")
	case anon.Err == nil:
		r.add("credentials", Passed, fmt.Sprintf("%s accepted the credential (without it: %d %s)", what, anon.Status, http.StatusText(anon.Status)), "")
	default:
		r.add("credentials", Passed, what+" accepted the credential", "")
	}
}

// credentialsRejected adds credentials for a 401 or 403.
func (r *run) credentialsRejected(status int, what string) {
	if status == http.StatusUnauthorized {
		r.add("credentials", Failed, fmt.Sprintf("%s rejected the credential with 401 Unauthorized", what), r.credentialFix())
		return
	}
	fix := "grant the user read access to the repository"
	if vendorOf(r.host) == vendorArtifactRegistry {
		fix += " (the Artifact Registry Reader role, roles/artifactregistry.reader)"
	}
	r.add("credentials", Failed,
		fmt.Sprintf("%s denied access with 403 Forbidden: the user lacks read permission on the repository, or the index rejects the credential with 403", what),
		fix)
}

// checkKnownProject distinguishes a rejected credential from an index that
// does not serve its root listing. It runs after the root returned 404 with
// the credential, and requests a project that should exist.
func (r *run) checkKnownProject(ctx context.Context) bool {
	name := r.knownProject()
	_, err := r.repoClient().Project(ctx, name)
	var httpErr *repoindex.HTTPError
	switch {
	case err == nil:
		r.add("simple_api", Warned, fmt.Sprintf("the index root %s returned 404, but project %s is served; pip and Snowflake do not read the root", redact(r.index), name), "")
		if r.authorization() == "" {
			r.add("credentials", Warned, "project "+name+" answered without a credential, and none is configured", "set $.repository.auth if the index needs a credential for files")
		} else {
			r.add("credentials", Passed, "project "+name+" accepted the credential", "")
		}
		return true
	case errors.As(err, &httpErr) && httpErr.Status == http.StatusNotFound:
		r.add("credentials", Failed,
			fmt.Sprintf("the index root %s and project %s return 404 with the credential. "+
				"Either the path of $.repository.index_url is not a repository's simple index, or the index returns 404 to a rejected or expired credential, "+
				"as Artifactory does, and CodeArtifact after the token expired", redact(r.index), name),
			"check that $.repository.index_url is "+r.expectedIndexURL()+"; if it is, "+r.credentialFix())
		return false
	case errors.As(err, &httpErr) && (httpErr.Status == http.StatusUnauthorized || httpErr.Status == http.StatusForbidden):
		r.credentialsRejected(httpErr.Status, "project "+name)
		return false
	}
	r.add("simple_api", Failed, fmt.Sprintf("the index root %s returned 404, and project %s: %v", redact(r.index), name, err),
		"check that the index is reachable and $.repository.index_url")
	return false
}

// knownProject returns the project that the root check requests: the
// first requested package, or Snowpark for a repository for procedures.
func (r *run) knownProject() string {
	for _, pkg := range r.opts.Request.Repository.Packages {
		if name := distName(pkg); name != "" {
			return repoindex.NormalizeName(name)
		}
	}
	return snowparkPackage
}

// expectedIndexURL describes the index URL form of the product that the
// host or path of the index URL names, or of any PEP 503 index.
func (r *run) expectedIndexURL() string {
	if product, named := indexurl.Identify(r.index); named {
		return "the " + product.Name + " index URL " + product.FormFor(r.index.Host) + ", naming an existing repository"
	}
	return "the URL of an existing repository's simple index, ending in /simple/"
}

// credentialFix returns what to change for a rejected credential. Its
// advice for a product's token applies only on that product's host.
func (r *run) credentialFix() string {
	if r.opts.Request.Repository.Auth.Type == request.AuthCodeArtifact {
		// repolink got the token from GetAuthorizationToken moments ago, and
		// this type has no secret for the user to fill.
		return "check that $.repository.index_url names the domain, its owner account and its region, " +
			"and that the AWS credentials that repolink uses have codeartifact:ReadFromRepository on the repository"
	}
	switch vendorOf(r.host) {
	case vendorCodeArtifact:
		return "store a new token from aws codeartifact get-authorization-token in the secret that $.repository.auth references, with the user name aws"
	case vendorArtifactRegistry:
		return "use the user name " + arKeyUser + " with a base64-encoded service account key that has the Artifact Registry Reader role"
	case vendorAzureDevOps:
		return "store a personal access token with the Packaging (read) scope as the password"
	}
	if r.tokenSecret() {
		return "check the token in the secret that $.repository.auth.token_ref references"
	}
	return "check $.repository.auth.username and the password in the secret that $.repository.auth.password_ref references"
}

// distName returns the project name of a requirement specifier.
func distName(requirement string) string {
	requirement = strings.TrimSpace(requirement)
	if i := strings.IndexAny(requirement, " =<>!~,;[("); i >= 0 {
		return requirement[:i]
	}
	return requirement
}
