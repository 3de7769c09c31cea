// Package preflight checks the package index before any cloud or
// Snowflake object is created. A bad URL, credential, certificate or
// package list, a missing snowflake.database or snowflake.schema, a
// Snowflake session without a warehouse, or a role
// in grant_to_roles that the Snowflake account does not have, or AWS
// subnets that miss an availability zone or share one, fails the run
// at once with what to change. For a private-link run it also checks that
// aws.region or gcp.region is the Snowflake account's region. For a Google
// Cloud private-link run it checks that Compute Engine has gcp.region and
// that gcp.zone is one of its zones. For an AWS private-link run it checks
// that every subnet is in aws.vpc_id and that EC2 would launch the proxy
// VM. The region must have aws.instance_type and
// aws.image_id, the image must be for the instance type's architecture, and
// every group of aws.security_group_ids must be in aws.vpc_id. Last, it
// checks that the Snowflake account has room for another private endpoint,
// and reserves that place.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/grants"
	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/teardownendpoint"
	checks "github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the index URL, the resolved packages and the checks that warned.
type Output = workflow.Preflight

// Config holds the client settings with which the step reaches the index.
type Config struct {
	// HTTP returns the client for the index. When nil, a client with a
	// 60 s timeout that trusts the system CA pool and dials no address of
	// this machine or a metadata service is used (preflight.DefaultClient).
	HTTP func() *http.Client
	// Sandbox marks the client as trusting the sandbox CA in place of the
	// public CAs.
	Sandbox bool
}

// Run checks the index with the client of the environment.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return New(Config{HTTP: env.IndexHTTP, Sandbox: env.IndexSandbox})(ctx, env, in)
}

// New returns the step bound to cfg. The step reads the repository
// credential, runs every check, logs the warnings and returns them in its
// output, and fails with InvalidRequest naming every failed check and its fix.
func New(cfg Config) func(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return func(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
		req := in.Request
		opts, err := checkOptions(ctx, env, req)
		if err != nil {
			return Output{}, err
		}
		opts.Sandbox = cfg.Sandbox
		if cfg.HTTP != nil {
			opts.HTTP = cfg.HTTP()
		}
		report := checks.Run(ctx, opts)
		logReport(env, in, report)

		if report.Failed() {
			return Output{}, workflow.Invalid("%s", failureMessage(report))
		}
		warnings := reportWarnings(report)
		reserve := func(ctx context.Context, env *workflow.Env, req request.Request) error {
			return checkEndpointCapacity(ctx, env, req, in.Execution)
		}
		for _, check := range applicable(req, requestChecks(req.Route, reserve)) {
			warning, err := check.Run(ctx, env, req)
			if reason, skipped := SkipReason(err); skipped {
				// The check that the reason names fails the step.
				if env.Logger != nil {
					env.Logger.Info("preflight check skipped", "execution", in.Execution, "request", req.ID,
						"check", check.Name, "reason", reason)
				}
				continue
			}
			if err != nil {
				// NOTE: this error does not carry the index warnings, so a
				// run that fails here shows none of them.
				return Output{}, err
			}
			if warning.Detail == "" {
				continue
			}
			warnings = append(warnings, workflow.Warning{Check: check.Name, Detail: warning.Detail, Fix: warning.Fix})
			if env.Logger != nil {
				env.Logger.Warn("preflight check warned", "execution", in.Execution, "request", req.ID,
					"check", check.Name, "detail", warning.Detail, "fix", warning.Fix)
			}
		}
		return Output{
			Result:              workflow.Result{Action: workflow.Checked, ID: req.Repository.IndexURL},
			Packages:            report.Packages,
			CredentialExpiresAt: report.CredentialExpiresAt,
			Warnings:            warnings,
		}, nil
	}
}

// checkOptions returns the check options with the credential that the
// SECRET will hold: the referenced password or token, or for auth type
// codeartifact a token that repolink gets now, which only this check uses.
func checkOptions(ctx context.Context, env *workflow.Env, req request.Request) (checks.Options, error) {
	opts := checks.Options{Request: req, Now: env.Now}
	auth := req.Repository.Auth
	switch auth.Type {
	case request.AuthCodeArtifact:
		token, err := env.CodeArtifactToken(ctx, req)
		if err != nil {
			return checks.Options{}, err
		}
		opts.Username, opts.Password = request.CodeArtifactUser, token.Value
		opts.CredentialExpiresAt = &token.ExpiresAt
		return opts, nil
	case "token":
		credential, err := env.Secrets.Resolve(ctx, auth.TokenRef)
		if err != nil {
			return checks.Options{}, credentialError("$.repository.auth.token_ref", err)
		}
		opts.Password = credential
		return opts, nil
	}
	credential, err := env.Secrets.Resolve(ctx, auth.PasswordRef)
	if err != nil {
		return checks.Options{}, credentialError("$.repository.auth.password_ref", err)
	}
	opts.Username, opts.Password = auth.Username, credential
	return opts, nil
}

// checkOwners fails a run whose SECRET, API INTEGRATION or ARTIFACT
// REPOSITORY name is taken by an object created for another request, or by
// one not created for this request whose settings differ from it, before
// anything is built for it.
func checkOwners(ctx context.Context, env *workflow.Env, req request.Request) error {
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return err
	}
	for _, obj := range sfobject.Objects(req) {
		row, err := obj.Find(ctx, conn)
		if snowflake.IsNotExist(err) {
			// The database or schema was dropped after checkLocation
			// found it, which the secret step reports.
			continue
		}
		if err != nil {
			return err
		}
		if row == nil {
			continue
		}
		if err := obj.CheckOwner(row, req.ID); err != nil {
			return err
		}
		if err := obj.CheckDrift(ctx, conn, row, req); err != nil {
			return err
		}
	}
	return nil
}

// checkDefaultLevel fails a run whose repository.default_for names a level
// that a run of another request set to that request's repository, before
// anything is built for it, as the default step would fail later.
func checkDefaultLevel(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !defaultLevelApplies(req) || env.Defaults == nil {
		return nil
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return err
	}
	return defaultrepo.CheckClaim(ctx, env.Defaults, conn, req)
}

// checkRoles fails a run whose grant_to_roles names a role that the
// Snowflake account does not have, or that the login role cannot see,
// before anything is built for it. The grants step, which runs after the
// secret, the integration and the repository exist, would fail otherwise.
func checkRoles(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !rolesApply(req) {
		return nil
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return err
	}
	return grants.CheckRoles(ctx, conn, req)
}

// checkZones fails an AWS private-link run whose subnets miss an
// availability zone of the region, or have two subnets in one zone, before
// anything is built for it. Once the request's endpoint service exists, a
// missing zone only returns a warning. The load balancer step checks
// again, but by then the proxy VM and the target group exist.
func checkZones(ctx context.Context, env *workflow.Env, req request.Request) (Warning, error) {
	if !awsPrivateLink(req) {
		return Warning{}, nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Warning{}, err
	}
	warning, err := awszones.Check(ctx, network, req, "")
	var unread *awszones.SubnetReadError
	if req.AWS.VPCID != "" && errors.As(err, &unread) {
		// checkVPC read the same subnets and reports the failure.
		return Warning{}, cloudresource.Skipped("the subnets of %s could not be read, which the vpc_subnets check reports", awszones.Field)
	}
	return Warning{Detail: warning.Detail, Fix: warning.Fix}, err
}

// checkEndpointCapacity fails a private-link run whose Snowflake account
// cannot take another private endpoint, before any cloud resource is built
// for it, and otherwise reserves a place for it. Without the reservation,
// two runs started together would both count the last place as free, and
// one of them would build its whole network before the endpoint step
// failed. Preflight is the last step before the first resource that costs
// money, so it is where the place is taken.
func checkEndpointCapacity(ctx context.Context, env *workflow.Env, req request.Request, execution string) error {
	return withEndpoints(ctx, env, req, func(infos []provisionendpoint.EndpointInfo) error {
		return endpointCapacity(ctx, env, req, infos, func() error {
			return provisionendpoint.Reserve(ctx, env, req, execution, infos, "")
		})
	})
}

// withEndpoints lists the private endpoints of req's Snowflake account and
// calls check with them. It does nothing for a route without a private
// endpoint.
func withEndpoints(ctx context.Context, env *workflow.Env, req request.Request, check func([]provisionendpoint.EndpointInfo) error) error {
	if !endpointApplies(req) {
		return nil
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return err
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return err
	}
	return check(infos)
}

// CheckEndpointCapacity returns the error with which preflight would stop
// a run of req for lack of a place among the account's private endpoints:
// too many endpoints, or the remaining places reserved by other requests'
// runs. It reserves nothing, so a plan can show what preflight would
// decide. infos are the endpoints that Snowflake lists now.
func CheckEndpointCapacity(ctx context.Context, env *workflow.Env, req request.Request, infos []provisionendpoint.EndpointInfo) error {
	return endpointCapacity(ctx, env, req, infos, func() error {
		return provisionendpoint.CheckReservation(ctx, env, req, infos, "")
	})
}

// endpointCapacity checks the account's endpoints for a private-link run
// and calls reserve when the run needs a new place.
func endpointCapacity(ctx context.Context, env *workflow.Env, req request.Request, infos []provisionendpoint.EndpointInfo, reserve func() error) error {
	host, err := provisionendpoint.IndexHost(req.Repository.IndexURL)
	if err != nil {
		return err
	}
	if len(infos) < provisionendpoint.MaxEndpoints && !hasHost(infos, host) {
		return reserve()
	}

	// A rerun of the request adopts its own endpoint, so it needs no free
	// place. The request has one only when it has built its service, and
	// the endpoint is for the index host.
	own, err := teardownendpoint.ServiceName(ctx, env, req)
	if err != nil {
		return err
	}
	if err := provisionendpoint.CheckCapacity(req.Snowflake.Account, infos, provisionendpoint.ServiceIs(own)); err != nil {
		return err
	}
	if own != "" && slices.ContainsFunc(infos, provisionendpoint.ServiceIs(own)) {
		return nil
	}
	return reserve()
}

// hasHost reports whether one of the endpoints is for host.
func hasHost(infos []provisionendpoint.EndpointInfo, host string) bool {
	return slices.ContainsFunc(infos, func(info provisionendpoint.EndpointInfo) bool {
		return strings.EqualFold(info.Host, host)
	})
}

// logReport logs each warning and the expiry of a short-lived credential
// that the SECRET will hold. It logs no expiry for auth type codeartifact,
// because repolink renews those tokens before they expire. Check details
// carry no credential, because preflight keeps it out of URLs and messages.
func logReport(env *workflow.Env, in workflow.Document, report checks.Report) {
	if env.Logger == nil {
		return
	}
	logger := env.Logger.With("execution", in.Execution, "index_url", report.IndexURL)
	for _, c := range report.Checks {
		if c.Status == checks.Warned {
			logger.Warn("preflight check warned", "check", c.Name, "detail", c.Detail, "fix", c.Fix)
		}
	}
	if report.CredentialExpiresAt != nil && in.Request.Repository.Auth.Type != request.AuthCodeArtifact {
		logger.Warn("repository credential expires soon", "expires_at", report.CredentialExpiresAt.Format(time.RFC3339))
	}
	logger.Info("preflight finished", "passed", report.Count(checks.Passed),
		"warned", report.Count(checks.Warned), "failed", report.Count(checks.Failed))
}

// reportWarnings returns the index checks that warned, in the order they
// ran, for the step's output.
func reportWarnings(report checks.Report) []workflow.Warning {
	var warnings []workflow.Warning
	for _, c := range report.Checks {
		if c.Status == checks.Warned {
			warnings = append(warnings, workflow.Warning{Check: c.Name, Detail: c.Detail, Fix: c.Fix})
		}
	}
	return warnings
}

// failureMessage lists every failed check with its fix, then every check
// that warned, because a warning such as an index URL outside /simple/
// often names the cause of the failure. A failed step has no output, so
// the message is where run and status show the warnings. Check details
// carry no credential.
func failureMessage(report checks.Report) string {
	var b strings.Builder
	skipped := report.Count(checks.Skipped)
	fmt.Fprintf(&b, "preflight of %s failed %d of %d checks", report.IndexURL, report.Count(checks.Failed), len(report.Checks)-skipped)
	if skipped > 0 {
		fmt.Fprintf(&b, " and skipped %d that depend on a failed one", skipped)
	}
	b.WriteString(":")
	for _, c := range report.Checks {
		if c.Status == checks.Failed {
			writeCheck(&b, c.Name, c)
		}
	}
	for _, c := range report.Checks {
		if c.Status == checks.Warned {
			writeCheck(&b, "warning: "+c.Name, c)
		}
	}
	return b.String()
}

// writeCheck writes one check of a failure message as a line with label
// and the check's detail, and a line with its fix when it has one.
func writeCheck(b *strings.Builder, label string, c checks.Check) {
	fmt.Fprintf(b, "\n  %s: %s", label, c.Detail)
	if c.Fix != "" {
		fmt.Fprintf(b, "\n    fix: %s", c.Fix)
	}
}

// credentialError keeps a throttled or transient secret store failure
// retryable and reports anything else as a reference to fix.
func credentialError(field string, err error) error {
	switch workflow.NameOf(err) {
	case workflow.ErrThrottled, workflow.ErrTransient:
		return fmt.Errorf("read %s: %w", field, err)
	}
	return workflow.Invalid("read %s: %v", field, err)
}
