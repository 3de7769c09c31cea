// Package verify checks the repository end to end: a temporary function
// installs the requested packages from it, and, when procedures will use the
// repository, so does a temporary procedure. Both are dropped afterwards.
package verify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output lists the verified packages.
type Output = workflow.Verification

// SnowparkPackage is the package that a Python procedure needs from the repository.
const SnowparkPackage = "snowflake-snowpark-python"

var nameEnd = regexp.MustCompile(`[\s=<>!~,;\[]`)

// Run creates the temporary function, calls it, checks that every requested
// package reports a version, and drops it. It does the same with a procedure
// when the request sets repository.procedures.
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
	create, err := snowflake.CreateVerifyFunction(sf.Database, sf.Schema, names.Function, repo, req.Repository.RuntimeVersion, packages)
	if err != nil {
		return Output{}, workflow.Invalid("$.repository.packages: %v", err)
	}
	installed, err := check(ctx, sf, conn, create,
		snowflake.CallVerifyFunction(sf.Database, sf.Schema, names.Function),
		snowflake.DropVerifyFunction(sf.Database, sf.Schema, names.Function), packages)
	if err != nil {
		return Output{}, fmt.Errorf("verify function with %s: %w", repo, err)
	}

	procedure := false
	if req.Repository.Procedures {
		procPackages := withSnowpark(packages)
		create, err := snowflake.CreateVerifyProcedure(sf.Database, sf.Schema, names.Procedure, repo, req.Repository.RuntimeVersion, procPackages)
		if err != nil {
			return Output{}, workflow.Invalid("$.repository.packages: %v", err)
		}
		if _, err := check(ctx, sf, conn, create,
			snowflake.CallVerifyProcedure(sf.Database, sf.Schema, names.Procedure),
			snowflake.DropVerifyProcedure(sf.Database, sf.Schema, names.Procedure), procPackages); err != nil {
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
func check(ctx context.Context, sf request.Snowflake, conn snowflake.Conn, create, call, drop string, packages []string) ([]string, error) {
	if err := conn.Exec(ctx, create); err != nil {
		return nil, classify(err)
	}
	defer func() { _ = conn.Exec(context.WithoutCancel(ctx), drop) }()

	rows, err := conn.Query(ctx, call)
	if snowflake.IsNoWarehouse(err) {
		return nil, NoWarehouse(sf, err)
	}
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

// NoWarehouse returns the InvalidRequest error of a session of sf that has
// no warehouse to run the verification on, with err as the finding. The
// session has none when its login named a missing warehouse, or named none
// for a user without a default warehouse.
func NoWarehouse(sf request.Snowflake, err error) error {
	if sf.Warehouse == "" {
		return workflow.Invalid("the session has no warehouse to run the verification on, because the request sets no "+
			"$.snowflake.warehouse and user %s has no default warehouse; set $.snowflake.warehouse (%v)", sf.User, err)
	}
	return workflow.Invalid("$.snowflake.warehouse %s does not exist in Snowflake account %s, or role %s cannot use it; "+
		"create the warehouse, grant the role USAGE on it, or set $.snowflake.warehouse to an existing warehouse (%v)",
		snowflake.Ident(sf.Warehouse), sf.Account, snowflake.Ident(sf.Role), err)
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
		versions[repoindex.NormalizeName(name)] = version
		installed = append(installed, repoindex.NormalizeName(name)+"=="+version)
	}
	var missing []string
	for _, pkg := range packages {
		if _, ok := versions[repoindex.NormalizeName(DistName(pkg))]; !ok {
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
// the secret or the network path, and retrying the same statement would not
// help. A throttled or unavailable Snowflake stays Transient.
func classify(err error) error {
	if workflow.NameOf(err) != "" {
		return err
	}
	var temporary interface{ Temporary() bool }
	if errors.As(err, &temporary) && temporary.Temporary() {
		return &workflow.Error{Name: workflow.ErrTransient, Message: err.Error()}
	}
	return &workflow.Error{Name: workflow.ErrRejected, Message: err.Error()}
}

// DistName returns the distribution name of a requirement specifier.
func DistName(requirement string) string {
	requirement = strings.TrimSpace(requirement)
	if i := nameEnd.FindStringIndex(requirement); i != nil {
		return requirement[:i[0]]
	}
	return requirement
}

func withSnowpark(packages []string) []string {
	for _, pkg := range packages {
		if repoindex.NormalizeName(DistName(pkg)) == SnowparkPackage {
			return packages
		}
	}
	return append([]string{SnowparkPackage}, packages...)
}
