package snowflake

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// VerifyRuntimeVersion is the Python runtime of the verification function and
// procedure when the caller gives none.
const VerifyRuntimeVersion = "3.12"

// SnowparkPackage is the package every Python stored procedure needs; with a
// customer-hosted repository the index must serve it.
const SnowparkPackage = "snowflake-snowpark-python"

// requirementName matches the project name at the start of a PEP 508
// requirement such as "corp-utils==2.3.1" or "requests[socks]>=2".
var requirementName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)

// requirementRest matches what may follow the name: extras and version
// specifiers, without environment markers or URLs.
var requirementRest = regexp.MustCompile(`^(?:\[[A-Za-z0-9._, -]*\])?[ A-Za-z0-9._*+!=<>~,-]*$`)

// RequirementName returns the project name of a requirement such as
// "corp-utils==2.3.1", or an error when req is not a plain PEP 508
// requirement (environment markers and direct URLs are rejected).
func RequirementName(req string) (string, error) {
	name := requirementName.FindString(req)
	if name == "" {
		return "", fmt.Errorf("invalid package requirement %q: it must start with a project name", req)
	}
	if !requirementRest.MatchString(req[len(name):]) {
		return "", fmt.Errorf("invalid package requirement %q: only extras and version specifiers may follow the name", req)
	}
	return name, nil
}

// CreateVerifyFunction creates a temporary Python UDF on the Python runtime
// runtimeVersion, or VerifyRuntimeVersion when it is "", that installs
// packages from the artifact repository repoQualified and returns the
// installed versions as "name==version,...", in the order given.
func CreateVerifyFunction(db, schema, name, repoQualified, runtimeVersion string, packages []string) (string, error) {
	return createVerifyObject("FUNCTION", db, schema, name, repoQualified, runtimeVersion, packages)
}

// CreateVerifyProcedure creates a temporary Python stored procedure like
// CreateVerifyFunction. It puts snowflake-snowpark-python first in PACKAGES
// unless packages already lists it.
func CreateVerifyProcedure(db, schema, name, repoQualified, runtimeVersion string, packages []string) (string, error) {
	for _, p := range packages {
		if n, err := RequirementName(p); err == nil && normalizeProject(n) == SnowparkPackage {
			return createVerifyObject("PROCEDURE", db, schema, name, repoQualified, runtimeVersion, packages)
		}
	}
	withSnowpark := append([]string{SnowparkPackage}, packages...)
	return createVerifyObject("PROCEDURE", db, schema, name, repoQualified, runtimeVersion, withSnowpark)
}

func createVerifyObject(kind, db, schema, name, repoQualified, runtimeVersion string, packages []string) (string, error) {
	if runtimeVersion == "" {
		runtimeVersion = VerifyRuntimeVersion
	}
	if len(packages) == 0 {
		return "", errors.New("no packages to verify")
	}
	names := make([]string, len(packages))
	for i, p := range packages {
		n, err := RequirementName(p)
		if err != nil {
			return "", err
		}
		names[i] = n
	}

	params := ""
	if kind == "PROCEDURE" {
		params = "session"
	}
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMPORARY " + kind + " " + Qualified(db, schema, name) + "()\n")
	b.WriteString("RETURNS STRING\n")
	b.WriteString("LANGUAGE PYTHON\n")
	b.WriteString("RUNTIME_VERSION = " + Literal(runtimeVersion) + "\n")
	b.WriteString("ARTIFACT_REPOSITORY = " + repoQualified + "\n")
	b.WriteString("PACKAGES = " + literalList(packages) + "\n")
	b.WriteString("HANDLER = 'run'\n")
	b.WriteString("AS $$\n")
	b.WriteString("from importlib.metadata import version\n\n")
	// The names passed RequirementName, so they contain no quote and no "$$".
	b.WriteString("NAMES = [" + pythonStrings(names) + "]\n\n")
	b.WriteString("def run(" + params + "):\n")
	b.WriteString("    return \",\".join(n + \"==\" + version(n) for n in NAMES)\n")
	b.WriteString("$$")
	return b.String(), nil
}

func pythonStrings(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = `"` + n + `"`
	}
	return strings.Join(quoted, ", ")
}

// normalizeProject normalizes a project name the PEP 503 way.
func normalizeProject(name string) string {
	return projectSeparators.ReplaceAllString(strings.ToLower(name), "-")
}

var projectSeparators = regexp.MustCompile(`[-_.]+`)

// CallVerifyFunction runs the verification function; the one column of the
// one row holds "name==version,...".
func CallVerifyFunction(db, schema, name string) string {
	return "SELECT " + Qualified(db, schema, name) + "()"
}

// CallVerifyProcedure runs the verification procedure.
func CallVerifyProcedure(db, schema, name string) string {
	return "CALL " + Qualified(db, schema, name) + "()"
}

// DropVerifyFunction drops the verification function when it exists.
func DropVerifyFunction(db, schema, name string) string {
	return "DROP FUNCTION IF EXISTS " + Qualified(db, schema, name) + "()"
}

// DropVerifyProcedure drops the verification procedure when it exists.
func DropVerifyProcedure(db, schema, name string) string {
	return "DROP PROCEDURE IF EXISTS " + Qualified(db, schema, name) + "()"
}
