package request

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/repolink/repolink/shared/repoindex"
)

var (
	// projectNamePattern matches a PEP 508 project name at the start of a
	// requirement.
	projectNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`)
	// extrasPattern matches the PEP 508 extras right after the project
	// name, such as [socks,security]. The verify step rejects a space
	// between the name and the bracket.
	extrasPattern = regexp.MustCompile(`^\[\s*([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\s*,\s*[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)*)?\s*\]`)
	// versionClausesPattern matches what may follow the project name and
	// extras: one or more version clauses joined by commas.
	versionClausesPattern = regexp.MustCompile(`^(===|==|>=|<=|!=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+(\s*,\s*(===|==|>=|<=|!=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+)*$`)
)

// requirementHint describes the requirements that splitRequirement
// accepts.
const requirementHint = "use a project name, optionally followed by extras and by version clauses joined by commas, " +
	"each one of ==, !=, <, <=, >, >=, ~= or === and a version, such as requests, corp-utils==2.3.1, requests>=2.31,<3 " +
	"or requests[socks]>=2.31; environment markers and URLs are not accepted"

// splitRequirement returns the project name of a requirement, or a message
// that explains why the requirement is invalid.
func splitRequirement(requirement string) (name, problem string) {
	text := strings.TrimSpace(requirement)
	name = projectNamePattern.FindString(text)
	if name == "" {
		if text != "" && strings.ContainsRune("<>=!~,", rune(text[0])) {
			return "", fmt.Sprintf("%q has no project name; put the project name before the version clauses, such as requests>=2.31", requirement)
		}
		return "", fmt.Sprintf("%q does not start with a project name; %s", requirement, requirementHint)
	}
	rest := text[len(name):]
	if extras := extrasPattern.FindString(rest); extras != "" {
		rest = rest[len(extras):]
	}
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "":
		return name, ""
	case strings.HasPrefix(rest, ","):
		// A comma joins version clauses, so one right after the name
		// leaves the first clause without a project, which the PEP 508 grammar
		// does not allow.
		return "", fmt.Sprintf("%q has a comma right after the project name %s; remove it, such as %s%s",
			requirement, name, name, strings.TrimSpace(strings.TrimLeft(rest, ", ")))
	case !versionClausesPattern.MatchString(rest):
		return "", fmt.Sprintf("%q is not a requirement; %s", requirement, requirementHint)
	}
	if err := repoindex.CheckSpecifiers(rest); err != nil {
		return "", fmt.Sprintf("%q: %v; fix the version, such as %s~=2.31 or %s>=2", requirement, err, name, name)
	}
	return name, ""
}

// packages checks every requirement and rejects two requirements of the
// same project, compared by the PEP 503 normalized name. A project is
// installed once, so two requirements of it either conflict or belong in
// one requirement.
// maxPackages is the maximum length of repository.packages. Preflight
// sends one request to the index for each package and verification
// installs them all, so a long list costs a request per entry. A
// verification set is a few packages that prove the index works, and 100
// leaves ample room for that.
const maxPackages = 100

func (v *validator) packages(packages []string) {
	if len(packages) == 0 {
		v.add("$.repository.packages", "missing; list at least one package that verification installs, such as requests")
	}
	if len(packages) > maxPackages {
		v.add("$.repository.packages", fmt.Sprintf("lists %d packages, more than the maximum of %d; list a few packages that prove the index works, "+
			"because preflight sends one index request for each", len(packages), maxPackages))
		return
	}
	first := map[string]int{}
	for i, pkg := range packages {
		path := fmt.Sprintf("$.repository.packages[%d]", i)
		name, problem := splitRequirement(pkg)
		if problem != "" {
			v.add(path, problem)
			continue
		}
		key := repoindex.NormalizeName(name)
		if j, seen := first[key]; seen {
			v.add(path, fmt.Sprintf("%q names the project %s again, after $.repository.packages[%d] (%q); "+
				"list each project once and join its version clauses with commas in one requirement, such as requests>=2.31,<3",
				pkg, key, j, packages[j]))
			continue
		}
		first[key] = i
	}
}
