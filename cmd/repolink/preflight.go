package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	preflightstep "github.com/repolink/repolink/functions/preflight"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// preflightTimeout bounds one request of the preflight checks.
const preflightTimeout = 60 * time.Second

func preflightCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("preflight", "preflight [--sandbox] [--state-dir DIR] [--output text|json] REQUEST", stderr)
	sandboxMode := fs.Bool("sandbox", false, "check the local sandbox on 127.0.0.1 (index, Snowflake and the clouds) instead of the real ones")
	stateDir := stateDirFlag(fs)
	output := fs.String("output", "text", "report format: text or json")
	verbose := fs.Bool("verbose", false, "log sandbox and adapter details to stderr")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return usagef("--output must be text or json; got %q", *output)
	}
	if len(positional) != 1 {
		fs.Usage()
		return usagef("preflight takes one request file; got %d arguments", len(positional))
	}

	if err := checkRequestFileArg("preflight", positional[0]); err != nil {
		return err
	}
	req, err := readRequest(positional[0])
	if err != nil {
		return err
	}
	if err := checkLocalCredentials(ctx, req); err != nil {
		return err
	}
	dir, err := prepareStateDir(*stateDir, warnTo(stderr))
	if err != nil {
		return usagef("%v", err)
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	rt, err := openRuntime(ctx, runtimeOptions{dir: dir, sandbox: *sandboxMode, hosts: requestHosts(req), logger: logger, noExecutions: true})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.seed(ctx, req); err != nil {
		return prepareError(err)
	}

	opts := preflight.Options{
		HTTP:    preflight.DefaultClient(preflightTimeout),
		Request: req,
		Now:     time.Now,
	}
	if rt.sandbox != nil {
		opts.HTTP = rt.indexClient
		opts.Sandbox = true
	}
	if req.Repository.Auth.Type == request.AuthCodeArtifact {
		// The token is used for this check only, and the run gets its own.
		token, err := rt.env.CodeArtifactToken(ctx, req)
		if err != nil {
			return err
		}
		opts.Username, opts.Password = request.CodeArtifactUser, token.Value
		opts.CredentialExpiresAt = &token.ExpiresAt
	} else if opts.Username, opts.Password, err = indexCredential(ctx, rt, req); err != nil {
		return err
	}
	// The earlier runs are checked before the index is, because a request
	// that names another request's index credential with another index host
	// must not send the credential to its host.
	earlier, withholdCredential, err := checkEarlierRuns(ctx, dir, req, commandFlags(*sandboxMode, *stateDir))
	if err != nil {
		return err
	}
	report := preflight.Report{IndexURL: req.Repository.IndexURL}
	if !withholdCredential {
		logger.Debug("preflight started", "index_url", req.Repository.IndexURL, "sandbox", opts.Sandbox, "auth_type", req.Repository.Auth.Type)
		report = preflight.Run(ctx, opts)
	}
	closeReservations, err := readReservations(rt, dir)
	if err != nil {
		return err
	}
	defer closeReservations()
	report.Checks = append(report.Checks, runRequestChecks(ctx, rt, req)...)
	report.Checks = append(report.Checks, earlier)

	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		printPreflight(stdout, report, opts.Sandbox)
	}
	if !report.Failed() {
		return nil
	}
	msg := fmt.Sprintf("%d of %d preflight checks failed", report.Count(preflight.Failed), len(report.Checks))
	if onlyInvalid(report) {
		return usagef("%s, each because of the request; change the fields that they name", msg)
	}
	return &failedError{msg: msg}
}

// onlyInvalid reports whether every failed check of report failed with
// InvalidRequest, as every failed index check and a request check that
// rejects a field do, because the run's preflight step fails with that
// name for them. Such a request is bad input, as one that fails to load
// is, so preflight exits with status 2 for it.
func onlyInvalid(report preflight.Report) bool {
	for _, c := range report.Checks {
		if c.Status == preflight.Failed && c.Error != workflow.ErrInvalidRequest {
			return false
		}
	}
	return true
}

// runRequestChecks runs the preflight step's checks of the request's
// Snowflake account and cloud that apply to req. It reserves no place
// among the account's private endpoints, but counts those that runs in the
// state directory reserved. An error that is not InvalidRequest, such as a failed
// Snowflake login, fails the check too, with the error as its detail. A
// check that failed with InvalidRequest has that name as its Error. A
// check that checked nothing, because a field that it depends on fails
// another check, is skipped with that reason.
func runRequestChecks(ctx context.Context, rt *runtime, req request.Request) []preflight.Check {
	var results []preflight.Check
	for _, check := range preflightstep.RequestChecks(req) {
		warning, err := check.Run(ctx, rt.env, req)
		reason, skipped := preflightstep.SkipReason(err)
		switch {
		case skipped:
			results = append(results, preflight.Check{Name: check.Name, Status: preflight.Skipped, Detail: "not checked: " + reason})
		case err != nil:
			failed := preflight.Check{Name: check.Name, Status: preflight.Failed, Detail: checkFailure(err)}
			if workflow.NameOf(err) == workflow.ErrInvalidRequest {
				failed.Error = workflow.ErrInvalidRequest
			}
			results = append(results, failed)
		case warning.Detail != "":
			results = append(results, preflight.Check{Name: check.Name, Status: preflight.Warned, Detail: warning.Detail, Fix: warning.Fix})
		default:
			results = append(results, preflight.Check{Name: check.Name, Status: preflight.Passed, Detail: check.Subject})
		}
	}
	return results
}

// checkFailure returns the detail of a request check that failed with
// err. Preflight starts no run, so a capacity Conflict advises running the
// request once a place is free, as plan does, not redriving a run.
func checkFailure(err error) string {
	var capacity *provisionendpoint.CapacityError
	if errors.As(err, &capacity) {
		return capacity.Reason + "; " + capacity.Advice("run the request")
	}
	return err.Error()
}

// checkBeforeStart runs preflightstep.CheckStart on req and returns a usage
// error for a check that rejects the request.
func checkBeforeStart(ctx context.Context, rt *runtime, req request.Request) error {
	var rejected *preflightstep.StartError
	if errors.As(preflightstep.CheckStart(ctx, rt.env, req), &rejected) {
		return usagef("%v\nnothing was created", rejected)
	}
	return nil
}

// checkServedStart runs the start checks of req for a run that the
// repolink up serving the state directory of local executes. It opens a
// read-only runtime, which in sandbox mode uses the sandbox of that
// repolink up, so that the checks read the clouds that the steps use. A
// request without start checks opens nothing.
func checkServedStart(ctx context.Context, local runtimeOptions, req request.Request) error {
	if len(preflightstep.StartChecks(req)) == 0 {
		return nil
	}
	rt, err := openRuntime(ctx, runtimeOptions{dir: local.dir, sandbox: local.sandbox, hosts: local.hosts,
		logger: local.logger, readOnly: true})
	if err != nil {
		return err
	}
	defer rt.Close()
	return checkBeforeStart(ctx, rt, req)
}

// startRejection returns a *request.ValidationError on the rejected field
// when err is a *preflightstep.StartError, and err otherwise, so that the
// intakes of repolink up reject such a request as bad input.
func startRejection(err error) error {
	var rejected *preflightstep.StartError
	if errors.As(err, &rejected) {
		return rejected.Validation()
	}
	return err
}

// checkEarlierRuns runs the intake checks with which run and plan reject a
// request because of the executions in the state directory dir. They
// reject a changed placement field while an earlier run's resources exist,
// and an index host or Snowflake object name that a run of another request
// uses. A rejected request fails the check as bad input, because run
// rejects it with status 2. flags are the flags of the suggested commands.
// withholdCredential is true when req names the index credential of
// another request with another index host (credentialClashError), so that
// preflight does not contact the index with it.
func checkEarlierRuns(ctx context.Context, dir string, req request.Request, flags string) (check preflight.Check, withholdCredential bool, err error) {
	check = preflight.Check{Name: "earlier_runs", Status: preflight.Passed,
		Detail: "no execution in the state directory keeps a run of the request from starting"}
	eng, _, err := readEngineStore(dir)
	if errors.Is(err, errNoStore) {
		return check, false, nil
	}
	if err != nil {
		return check, false, err
	}
	defer eng.Close()

	err = checkIntake(ctx, eng, req, flags)
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		check.Status, check.Detail = preflight.Failed, conflict.Error()
		check.Error = workflow.ErrInvalidRequest
		var credential *credentialClashError
		if errors.As(err, &credential) {
			check.Detail += "; preflight did not contact the index, so it sent the credential nowhere"
		}
		return check, credential != nil, nil
	}
	return check, false, err
}

// indexCredential reads the repository credential that the SECRET will
// hold: the user name and password, or the whole token as password.
func indexCredential(ctx context.Context, rt *runtime, req request.Request) (user, password string, err error) {
	auth := req.Repository.Auth
	if auth.Type == "token" {
		token, err := rt.adapters.secrets.Resolve(ctx, auth.TokenRef)
		if err != nil {
			return "", "", fmt.Errorf("read $.repository.auth.token_ref: %w", err)
		}
		return "", token, nil
	}
	password, err = rt.adapters.secrets.Resolve(ctx, auth.PasswordRef)
	if err != nil {
		return "", "", fmt.Errorf("read $.repository.auth.password_ref: %w", err)
	}
	return auth.Username, password, nil
}

// printPreflight writes the report for a terminal: one line per check,
// the fix under each check that did not pass, and a summary line.
func printPreflight(w io.Writer, report preflight.Report, sandbox bool) {
	where := ""
	if sandbox {
		where = " (sandbox index)"
	}
	printText(w, "preflight of %s%s\n", report.IndexURL, where)

	width, statusWidth := 0, len(preflight.Passed)
	for _, c := range report.Checks {
		width = max(width, len(c.Name))
		statusWidth = max(statusWidth, len(c.Status))
	}
	for _, c := range report.Checks {
		printText(w, "  %-*s  %-*s  %s\n", statusWidth, c.Status, width, c.Name, c.Detail)
		if c.Fix != "" && c.Status != preflight.Passed {
			printText(w, "  %-*s  %-*s  fix: %s\n", statusWidth, "", width, "", c.Fix)
		}
	}

	if len(report.Hosts) > 0 {
		printText(w, "hosts: %s\n", strings.Join(report.Hosts, ", "))
	}
	if len(report.Packages) > 0 {
		printText(w, "packages: %s\n", strings.Join(report.Packages, ", "))
	}
	if report.CredentialExpiresAt != nil && report.CredentialExpiryExact {
		printText(w, "credential for this check expires %s\n", report.CredentialExpiresAt.Format(time.RFC3339))
	} else if report.CredentialExpiresAt != nil {
		printText(w, "credential expires by about %s (estimate)\n", report.CredentialExpiresAt.Format(time.RFC3339))
	}
	printText(w, "%d passed, %d warned, %d failed",
		report.Count(preflight.Passed), report.Count(preflight.Warned), report.Count(preflight.Failed))
	if n := report.Count(preflight.Skipped); n > 0 {
		printText(w, ", %d skipped", n)
	}
	printText(w, "\n")
}
