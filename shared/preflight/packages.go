package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/workflow"
)

// snowparkPackage is the package that Python stored procedures need from
// the repository.
const snowparkPackage = "snowflake-snowpark-python"

// checkPackages adds one check per requested package, and one for
// Snowpark when procedures will use the repository.
func (r *run) checkPackages(ctx context.Context) {
	requirements := r.requirements()
	listed := len(r.opts.Request.Repository.Packages)
	forbidden := 0
	for i, req := range requirements {
		if r.checkPackage(ctx, req, i < listed) == http.StatusForbidden {
			forbidden++
		}
	}
	// One 403 may come from a policy on that package, but 403 on every
	// project while the root accepted the credential points at the user's
	// permissions.
	if len(requirements) > 1 && forbidden == len(requirements) {
		fix := "grant the user read access to the packages of the repository"
		if vendorOf(r.host) == vendorArtifactRegistry {
			fix += " (the Artifact Registry Reader role, roles/artifactregistry.reader)"
		}
		r.add("permissions", Failed, fmt.Sprintf("all %d requested projects returned 403 while the index root accepted the credential", forbidden), fix)
	}
}

// requirements returns the requirements of $.repository.packages, then
// the Snowpark package when procedures will use the repository and the
// list lacks it.
func (r *run) requirements() []string {
	requirements := slices.Clone(r.opts.Request.Repository.Packages)
	if r.opts.Request.Repository.Procedures && !slices.ContainsFunc(requirements, func(req string) bool {
		return repoindex.NormalizeName(distName(req)) == snowparkPackage
	}) {
		requirements = append(requirements, snowparkPackage)
	}
	return requirements
}

// packageCheck returns the name of the check of one requirement.
func packageCheck(requirement string) string {
	return "package " + strings.TrimSpace(requirement)
}

// checkPackage reads the project page of one requirement under its PEP 503
// normalised name, then downloads the newest pure-Python wheel that
// satisfies it and checks its sha256. listed is true for a requirement of
// $.repository.packages, whose fix for a missing project or version
// changes that list, and false for the Snowpark package that procedures
// add. It returns the HTTP status of a project page that could not be
// read, or 0.
func (r *run) checkPackage(ctx context.Context, requirement string, listed bool) int {
	check := packageCheck(requirement)
	dist := distName(requirement)
	normalized := repoindex.NormalizeName(dist)
	client := r.repoClient()

	project, err := client.Project(ctx, dist)
	if err != nil {
		problem := projectProblem(dist, normalized, err, listed)
		problem.Name = check
		r.report.Checks = append(r.report.Checks, problem)
		var httpErr *repoindex.HTTPError
		if errors.As(err, &httpErr) {
			return httpErr.Status
		}
		return 0
	}
	for _, f := range project.Files {
		if u, err := url.Parse(f.URL); err == nil {
			r.links = append(r.links, u)
		}
	}

	installed, err := client.Install(ctx, []string{requirement})
	if err != nil {
		problem := installProblem(requirement, project, err)
		problem.Name = check
		r.report.Checks = append(r.report.Checks, problem)
		return 0
	}
	inst := installed[0]
	r.report.Packages = append(r.report.Packages, repoindex.NormalizeName(inst.Name)+"=="+inst.Version)
	detail := fmt.Sprintf("%s %s: %s downloaded from %s and matches its sha256", normalized, inst.Version, inst.Filename, inst.FinalURL)
	if normalized != dist {
		detail += fmt.Sprintf(" (requested as %s, read as the normalised name %s)", dist, normalized)
	}
	r.add(check, Passed, detail, "")
	return 0
}

// projectProblem explains a project page that could not be read, after
// the index root accepted the credential. The fix for a 404 of a listed
// requirement names $.repository.packages, because the name in the
// request is the likely cause.
func projectProblem(dist, normalized string, err error, listed bool) Check {
	var httpErr *repoindex.HTTPError
	if !errors.As(err, &httpErr) {
		return failed(fmt.Sprintf("reading project %s failed: %v", normalized, err), "check that the index serves /simple/"+normalized+"/")
	}
	switch httpErr.Status {
	case http.StatusNotFound:
		name := normalized
		if normalized != dist {
			name = fmt.Sprintf("%s (the normalised name of %s)", normalized, dist)
		}
		detail := fmt.Sprintf("project %s is not on the index: %s returned 404", name, httpErr.URL)
		if !listed {
			return failed(detail, "publish "+normalized+" to the repository, which Python stored procedures need, or set $.repository.procedures to false")
		}
		return failed(detail, "check the package name in $.repository.packages, and that the repository (or the remote or virtual repository behind it) contains the package")
	case http.StatusForbidden:
		return failed(fmt.Sprintf("%s returned 403 while the index root accepted the credential: a package policy or quarantine blocks %s, or the user may not read it", httpErr.URL, normalized),
			"ask the index administrators to allow the package for this user")
	case http.StatusUnauthorized:
		return failed(fmt.Sprintf("%s rejected the credential with 401 while the index root accepted it", httpErr.URL),
			"grant the user read access to every package in the repository")
	}
	return failed(fmt.Sprintf("reading project %s failed: %v", normalized, err), "check the index server")
}

// installProblem explains a failed download of a requirement whose
// project page was read.
func installProblem(requirement string, project repoindex.Project, err error) Check {
	var httpErr *repoindex.HTTPError
	switch {
	case errors.Is(err, repoindex.ErrNoVersion), errors.Is(err, repoindex.ErrNoMatch):
		return noMatch(requirement, project, err)
	case errors.Is(err, repoindex.ErrHashMismatch):
		return failed(err.Error(), "the index serves other bytes than its link's sha256 names: republish the file or clear the index's cached copy")
	case errors.Is(err, repoindex.ErrMetadataMismatch):
		return failed(err.Error(), "republish the wheel with metadata that matches its filename")
	case errors.As(err, &httpErr) && httpErr.Status == http.StatusForbidden:
		return failed(fmt.Sprintf("downloading %s was denied with 403 while its project page answered: a package policy or quarantine blocks the file, or the file host rejects the request", requirement),
			"ask the index administrators to release the file; for files on object storage, check the signed URL")
	}
	return failed(fmt.Sprintf("downloading %s failed: %v", requirement, err), "fix the index so that the file downloads over https")
}

// noMatch fails a requirement that no version on the index satisfies,
// with a fix that changes the request when the project lists versions. It
// warns about one whose satisfying versions lack a pure-Python wheel,
// because Snowflake may still install a platform wheel of them.
func noMatch(requirement string, project repoindex.Project, err error) Check {
	versions := listedVersions(project)
	if len(versions) == 0 {
		return failed(fmt.Sprintf("project %s lists no files", project.Name), "publish the package to the repository")
	}
	if errors.Is(err, repoindex.ErrNoVersion) {
		listed := lastVersions(versions, 10)
		if pin := exactPin(requirement); pin != "" {
			return failed(fmt.Sprintf("version %s of %s is not on the index; it lists %s", pin, project.Name, listed),
				"request a listed version in $.repository.packages, or publish "+pin)
		}
		return failed(fmt.Sprintf("no version of %s on the index satisfies %q; it lists %s", project.Name, strings.TrimSpace(requirement), listed),
			"change the version range in $.repository.packages so that it includes a listed version, or publish a version within the range")
	}
	return Check{Status: Warned,
		Detail: fmt.Sprintf("%v; Snowflake may still install a platform wheel for its runtime, which preflight does not check", err),
		Fix:    "check that the index has a wheel for Linux x86_64 and the requested runtime version"}
}

// failed returns a failed check without its name. Its Error is
// InvalidRequest, as for every failed check of the index.
func failed(detail, fix string) Check {
	return Check{Status: Failed, Detail: detail, Fix: fix, Error: workflow.ErrInvalidRequest}
}

// listedVersions returns the versions of the project's files in page
// order, each once, marking a version whose files are all yanked.
func listedVersions(project repoindex.Project) []string {
	var versions []string
	yanked := map[string]bool{}
	for _, f := range project.Files {
		if f.Version == "" {
			continue
		}
		if _, seen := yanked[f.Version]; !seen {
			versions = append(versions, f.Version)
			yanked[f.Version] = true
		}
		yanked[f.Version] = yanked[f.Version] && f.Yanked
	}
	for i, v := range versions {
		if yanked[v] {
			versions[i] = v + " (yanked)"
		}
	}
	return versions
}

// exactPin returns the version of a "name==version" requirement, or "".
func exactPin(requirement string) string {
	_, rest, ok := strings.Cut(requirement, "==")
	if !ok || strings.ContainsAny(rest, ",;*=<>!~") {
		return ""
	}
	return strings.TrimSpace(rest)
}

func lastVersions(versions []string, n int) string {
	if len(versions) > n {
		return "..., " + strings.Join(versions[len(versions)-n:], ", ")
	}
	return strings.Join(versions, ", ")
}
