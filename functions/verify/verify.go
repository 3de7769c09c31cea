// Package verify checks the repository end to end: a temporary function
// installs the requested packages from it, and, when procedures will use the
// repository, so does a temporary procedure. Both are dropped afterwards.
package verify

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output lists the verified packages.
type Output = workflow.Verification

// SnowparkPackage is what a Python procedure needs from the repository.
const SnowparkPackage = "snowflake-snowpark-python"

var nameEnd = regexp.MustCompile(`[\s=<>!~,;\[]`)

// Run creates the temporary function, calls it, checks that every requested
// package reports a version, and drops it; then the same for a procedure
// when the request says procedures will use the repository.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	repo := sfobject.Qualified(sf, names.Repository)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	packages := req.Repository.Packages
	fn := sfobject.Qualified(sf, names.Function)
	installed, err := check(ctx, conn, FunctionStatement(fn, req.Repository.RuntimeVersion, repo, packages),
		"SELECT "+fn+"()", "DROP FUNCTION IF EXISTS "+fn+"()", packages)
	if err != nil {
		return Output{}, fmt.Errorf("verify function with %s: %w", repo, err)
	}

	procedure := false
	if req.Repository.Procedures {
		procPackages := withSnowpark(packages)
		proc := sfobject.Qualified(sf, names.Procedure)
		if _, err := check(ctx, conn, ProcedureStatement(proc, req.Repository.RuntimeVersion, repo, procPackages),
			"CALL "+proc+"()", "DROP PROCEDURE IF EXISTS "+proc+"()", procPackages); err != nil {
			return Output{}, fmt.Errorf("verify procedure with %s: %w", repo, err)
		}
		procedure = true
	}
	return Output{
		Result:    workflow.Result{Action: workflow.Checked, ID: repo},
		Packages:  installed,
		Procedure: procedure,
	}, nil
}

// check creates the object, calls it, and drops it even when the call fails.
func check(ctx context.Context, conn snowflake.Conn, create, call, drop string, packages []string) ([]string, error) {
	if err := conn.Exec(ctx, create); err != nil {
		return nil, classify(err)
	}
	defer func() { _ = conn.Exec(context.WithoutCancel(ctx), drop) }()

	rows, err := conn.Query(ctx, call)
	if err != nil {
		return nil, classify(err)
	}
	var report string
	for _, row := range rows {
		for _, value := range row {
			report = value
		}
	}
	return Missing(report, packages)
}

// Missing parses the "name==version,..." report of the handler and returns
// it, or an error naming every requested package that it lacks.
func Missing(report string, packages []string) ([]string, error) {
	versions := map[string]string{}
	var installed []string
	for _, item := range strings.Split(report, ",") {
		name, version, ok := strings.Cut(strings.TrimSpace(item), "==")
		if !ok {
			continue
		}
		versions[Normalize(name)] = version
		installed = append(installed, Normalize(name)+"=="+version)
	}
	var missing []string
	for _, pkg := range packages {
		if _, ok := versions[Normalize(DistName(pkg))]; !ok {
			missing = append(missing, DistName(pkg))
		}
	}
	if len(missing) > 0 {
		return nil, workflow.Errorf(workflow.ErrRejected,
			"the verification function did not report %s; check that the index serves them", strings.Join(missing, ", "))
	}
	return installed, nil
}

// classify marks a failed install as Rejected: it needs a fix in the index,
// the secret or the network path, and retrying the same statement would not help.
func classify(err error) error {
	if workflow.NameOf(err) != "" {
		return err
	}
	return &workflow.Error{Name: workflow.ErrRejected, Message: err.Error()}
}

// FunctionStatement renders the temporary function whose handler reports the
// installed version of each package. ARTIFACT_REPOSITORY is always explicit,
// since new accounts otherwise default to the shared PyPI repository.
func FunctionStatement(name, runtime, repo string, packages []string) string {
	return create("FUNCTION", name, runtime, repo, packages, "run()")
}

// ProcedureStatement renders the temporary procedure counterpart.
func ProcedureStatement(name, runtime, repo string, packages []string) string {
	return create("PROCEDURE", name, runtime, repo, packages, "run(session)")
}

func create(kind, name, runtime, repo string, packages []string, signature string) string {
	quoted := make([]string, len(packages))
	dists := make([]string, len(packages))
	for i, pkg := range packages {
		quoted[i] = snowflake.Literal(strings.TrimSpace(pkg))
		dists[i] = fmt.Sprintf("%q", DistName(pkg))
	}
	body := "import importlib.metadata as metadata\n\n" +
		"def " + signature + ":\n" +
		"    names = [" + strings.Join(dists, ", ") + "]\n" +
		"    return \",\".join(n + \"==\" + metadata.version(n) for n in names)\n"
	return "CREATE OR REPLACE TEMPORARY " + kind + " " + name + "()" +
		" RETURNS STRING LANGUAGE PYTHON RUNTIME_VERSION = " + snowflake.Literal(runtime) +
		" ARTIFACT_REPOSITORY = " + repo +
		" PACKAGES = (" + strings.Join(quoted, ", ") + ")" +
		" HANDLER = 'run' AS $$\n" + body + "$$"
}

// DistName returns the distribution name of a requirement specifier.
func DistName(requirement string) string {
	requirement = strings.TrimSpace(requirement)
	if i := nameEnd.FindStringIndex(requirement); i != nil {
		return requirement[:i[0]]
	}
	return requirement
}

// Normalize applies the PEP 503 name normalisation.
func Normalize(name string) string {
	name = strings.ToLower(name)
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	return b.String()
}

func withSnowpark(packages []string) []string {
	for _, pkg := range packages {
		if Normalize(DistName(pkg)) == SnowparkPackage {
			return packages
		}
	}
	return append([]string{SnowparkPackage}, packages...)
}
