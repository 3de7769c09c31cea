package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "run [--sandbox] [--state-dir DIR] REQUEST"
	fs := newFlagSet("run", synopsis, stderr)
	sandboxMode := fs.Bool("sandbox", false, "run against the local sandbox on 127.0.0.1 instead of real clouds and Snowflake")
	stateDir := stateDirFlag(fs)
	pollInterval := pollIntervalFlag(fs)
	verbose := fs.Bool("verbose", false, "log engine and adapter details to stderr")
	latency := latencyFlag(fs, true)
	timing := addSandboxTimingFlags(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkIntervalFlag(fs, "poll-interval", minInterval, maxInterval); err != nil {
		return err
	}
	if len(positional) != 1 {
		fs.Usage()
		return usagef("run takes one request file; got %d arguments", len(positional))
	}
	if err := checkLatency(*latency, true); err != nil {
		return err
	}
	if _, err := webhookSecretFromEnv(); err != nil {
		return err
	}
	var timed runtimeOptions
	if err := timing.options(*latency, *sandboxMode, &timed); err != nil {
		return err
	}

	if err := checkRequestFileArg("run", positional[0]); err != nil {
		return err
	}
	req, err := readRequest(positional[0])
	if err != nil {
		return err
	}
	// A running repolink up runs the execution and reads the request's
	// references itself. Otherwise this process runs it until it closes.
	serving, _ := serviceStatus(*stateDir)
	if serving {
		if err := checkServedLocalRefs(*stateDir, req); err != nil {
			return err
		}
		if err := checkServedDomains(*stateDir, req); err != nil {
			return err
		}
	} else if err := checkLocalCredentials(ctx, req); err != nil {
		return err
	}
	dir, err := prepareStateDir(*stateDir, warnTo(stderr))
	if err != nil {
		return usagef("%v", err)
	}
	if *sandboxMode {
		if timed.clock, err = stateDirClock(dir, timed.clock); err != nil {
			return err
		}
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	progress := newProgress(stdout)
	progress.setFlags(*sandboxMode, *stateDir)
	progress.requestFile = positional[0]
	local := runtimeOptions{
		dir:     dir,
		sandbox: *sandboxMode,
		hosts:   requestHosts(req),
		logger:  logger,
		poll:    *pollInterval,
		instant: *latency == "none",
		delays:  timed.delays,
		clock:   timed.clock,
	}
	if serving {
		if err := checkServedStart(ctx, local, req); err != nil {
			return err
		}
		takeOver := newTakeOver(req, local, commandFlags(*sandboxMode, *stateDir))
		return storehealth.Classify(dir, runByService(ctx, req, dir, *sandboxMode, takeOver, progress, stderr))
	}
	if err := checkStateDirWritable(dir); err != nil {
		return err
	}
	notifier := localNotifier{dir: dir, sandbox: *sandboxMode, flags: commandFlags(*sandboxMode, *stateDir)}
	local.onEvent = progress.event
	// A run whose state store becomes full or read-only stops, because it
	// would otherwise wait with no sign of progress until someone frees
	// space. Its execution keeps the state it last stored, and running
	// the command again resumes it.
	waitCtx, stopWaiting := context.WithCancelCause(ctx)
	defer stopWaiting(nil)
	local.onUnwritable = stopWaiting
	rt, err := openRuntime(ctx, local)
	if err != nil {
		return storehealth.Classify(dir, err)
	}
	defer rt.Close()

	// The sandbox is prepared for the request only once the intake checks
	// have passed, so that a run that they reject changes nothing in it.
	// The start checks run after the preparation, because they read the
	// sandbox clouds, and before the execution starts.
	prepare := func(ctx context.Context) error {
		if err := rt.seed(ctx, req); err != nil {
			return prepareError(err)
		}
		return checkBeforeStart(ctx, rt, req)
	}
	earlier := changedFrom(ctx, rt.engine, req)
	name, _, err := findOrStartExecutionLocked(ctx, rt.engine, dir, req, prepare)
	var teardown *teardownRunningError
	if errors.As(err, &teardown) {
		return teardown.usage(ctx, rt.engine, dir, progress.flags, progress.storeFlags)
	}
	var running *webhook.RunningError
	if errors.As(err, &running) {
		return usagef("%s", leftOpenAdvice(running, progress))
	}
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		conflict.setFlags(progress.flags)
		return usagef("%v", conflict)
	}
	if err != nil {
		return startFailed(rt, dir, err)
	}
	warnChanged(earlier, name, req.ID, stderr)
	notifier.checkRequest(req, stderr)
	mode := "real clouds"
	if *sandboxMode {
		mode = "sandbox in " + rt.sandbox.Dir()
	}
	progress.begin(name, mode)

	serveCtx, stopServing := context.WithCancel(ctx)
	waitServing := rt.serve(serveCtx)
	defer waitServing()
	defer stopServing()

	exec, err := rt.engine.Wait(waitCtx, name)
	if err != nil {
		var unwritable *storehealth.UnwritableError
		if errors.As(context.Cause(waitCtx), &unwritable) && ctx.Err() == nil {
			return fmt.Errorf("execution %s stopped: %w. It keeps the state it last stored, so once the store takes writes, run 'repolink run%s %s' again to resume it",
				name, unwritable, progress.flags, shellQuote(progress.requestFile))
		}
		if errors.Is(err, context.Canceled) {
			// The request's references decide the flags of the advice.
			x, _ := rt.engine.Describe(context.WithoutCancel(ctx), name)
			x.Name, x.Machine = name, provisionMachine
			printText(stderr, "repolink: interrupted; %s\n", keptOpenAdvice(x, "", progress.requestFile, progress.flags, progress.storeFlags))
			return &interruptedError{}
		}
		return fmt.Errorf("wait for execution %s: %w", name, err)
	}
	ok := progress.summary(exec)
	notifier.send(ctx, rt.engine, exec, stderr)
	if !ok {
		return &failedError{msg: "execution " + exec.Status}
	}
	return nil
}

// startFailed returns the error of a run whose execution did not start.
// When a store or the sandbox found the state directory unwritable, that
// condition is the cause, even where err is only the sandbox's HTTP
// response to it.
func startFailed(rt *runtime, dir string, err error) error {
	if unwritable := rt.health.Err(); unwritable != nil {
		return unwritable
	}
	return storehealth.Classify(dir, err)
}

// checkStateDirWritable returns a *storehealth.UnwritableError when the
// state directory dir is full or denies this user writes, so that a run on
// it fails with status 1, as one does whose directory fails during the
// run. It returns nil for other errors, which the stores then report.
func checkStateDirWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		var unwritable *storehealth.UnwritableError
		if !errors.As(storehealth.Classify(dir, err), &unwritable) {
			return nil
		}
		// The random name of the check file would only distract.
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			unwritable.Err = fmt.Errorf("create a file there: %w", pathErr.Err)
		}
		return unwritable
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// warnChanged prints a warning to stderr when changed, which changedFrom
// returned before the start of the execution name, names objects of
// earlier executions that the new request does not name, because those
// objects stay. It prints nothing once the start has been rejected.
func warnChanged(changed renamedObjects, name, requestID string, stderr io.Writer) {
	if len(changed) == 0 || changed[0].earlier == name {
		return
	}
	created := make([]string, len(changed))
	for i, run := range changed {
		created[i] = fmt.Sprintf("execution %s created %s", run.earlier, clash.JoinAnd(run.objects))
		if i == 0 {
			created[i] = fmt.Sprintf("execution %s of request %s created %s", run.earlier, requestID, clash.JoinAnd(run.objects))
		}
	}
	printText(stderr, "repolink: warning: %s, which this request no longer names; "+
		"they stay until a teardown of any run of the request removes them\n", strings.Join(created, "; "))
}

// leftOpenAdvice returns the reason that run cannot start a changed
// request while an execution of its ID is open and no repolink up serves the
// directory. Either another run process runs the execution, or the process
// that ran it was stopped or killed and nothing runs it.
func leftOpenAdvice(running *webhook.RunningError, p *progress) string {
	return fmt.Sprintf("execution %s of request %s is still open with a different request, and no repolink up serves this state directory. "+
		"If another 'repolink run' is running it, wait for that run to finish. "+
		"If the process that ran it was stopped or killed, nothing runs it now: to resume it, run 'repolink run%s FILE' with the request file that started it "+
		"(its input is in 'repolink history%s %s'), or start 'repolink up%s' on this state directory; "+
		"to drop it and run the changed request instead, stop it with 'repolink stop%s %s' and run this file again",
		running.Execution, running.Ticket, p.flags, p.storeFlags, running.Execution, p.flags, p.storeFlags, running.Execution)
}

// servedOpenAdvice returns the reason that run cannot start a changed
// request while an execution of its ID runs in the repolink up that serves
// the directory.
func servedOpenAdvice(running *webhook.RunningError, p *progress) string {
	return fmt.Sprintf("execution %s of request %s is still running with a different request in the repolink up that serves this state directory; "+
		"wait for it to finish (follow it with 'repolink status%s %s') and run this file again, "+
		"or stop it with 'repolink stop%s %s' and run this file again",
		running.Execution, running.Ticket, p.storeFlags, running.Execution, p.storeFlags, running.Execution)
}

// runByService starts the request's execution in the engine store of the
// repolink up that serves dir, which runs the steps, and prints its progress
// until it closes. In sandbox mode the service prepares its sandbox for the
// request in the preflight step. When the service stops before the
// execution closes, takeOver runs it in this process.
func runByService(ctx context.Context, req request.Request, dir string, sandbox bool, takeOver *takeOver, progress *progress, stderr io.Writer) error {
	if err := checkStateMode(dir, sandbox); err != nil {
		return err
	}
	if sandbox {
		if err := checkServedHosts(dir, req); err != nil {
			return err
		}
	}
	eng, _, err := openEngineStore(dir)
	if errors.Is(err, errNoStore) {
		return usagef("repolink up on %s has not opened its engine store yet; try again in a moment", dir)
	}
	if err != nil {
		return err
	}
	defer eng.Close()

	earlier := changedFrom(ctx, eng, req)
	name, err := startExecutionLocked(ctx, eng, dir, req)
	var teardown *teardownRunningError
	if errors.As(err, &teardown) {
		return teardown.usage(ctx, eng, dir, progress.flags, progress.storeFlags)
	}
	var running *webhook.RunningError
	if errors.As(err, &running) {
		return usagef("%s", servedOpenAdvice(running, progress))
	}
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		conflict.setFlags(progress.flags)
		return usagef("%v", conflict)
	}
	if err != nil {
		return err
	}
	warnChanged(earlier, name, req.ID, stderr)
	progress.begin(name, "run by repolink up")

	watch := &runnerWatch{eng: eng, dir: dir, command: "run", progress: progress, stderr: stderr, takeOver: takeOver}
	return followToSummary(ctx, eng, name, 0, watch, "", progress, stderr)
}

// checkServedHosts returns a usage error when the sandbox that another
// process runs on dir does not serve one of the request's hosts, because
// the index certificate would not cover it. It checks nothing when that
// process has not published its hosts.
func checkServedHosts(dir string, req request.Request) error {
	var published publishedSandbox
	data, err := privatefile.ReadFile(filepath.Join(dir, sandboxAddressFile))
	if err != nil || json.Unmarshal(data, &published) != nil || published.Addresses.Hosts == nil {
		return nil
	}
	for _, host := range requestHosts(req) {
		served := func(h string) bool { return strings.EqualFold(h, host) }
		if !slices.ContainsFunc(published.Addresses.Hosts, served) {
			return usagef("host %s is not served by the sandbox of repolink up on %s; restart repolink up with --sandbox-hosts including %s", host, dir, host)
		}
	}
	return nil
}

// readRequest reads and validates a request file. Invalid requests are usage
// errors that list every bad field.
func readRequest(path string) (request.Request, error) {
	return readRequestWith(path, parseRequest)
}

// readRequestWith reads the request file at path and parses it with parse,
// such as request.ParseForTeardown for a file that only names a request
// whose executions exist.
func readRequestWith(path string, parse func([]byte) (request.Request, error)) (request.Request, error) {
	data, err := request.ReadFileLimited(path, request.MaxSize)
	var tooLarge *request.TooLargeError
	if errors.As(err, &tooLarge) {
		return request.Request{}, usagef("request %v, so shorten it\nnothing was created", tooLarge)
	}
	if err != nil {
		return request.Request{}, usagef("read request: %v", err)
	}
	req, err := parse(data)
	if err != nil && strings.EqualFold(filepath.Ext(path), ".json") {
		err = request.WithJSONSyntaxError(data, err)
	}
	if err != nil {
		var invalid *request.ValidationError
		if errors.As(err, &invalid) && isTicketMapping(data) {
			return req, usagef("%s is a ticket mapping for repolink up, not a request: it has the fields ticket_id and request; "+
				"pass it to 'repolink up --jira-mapping FILE' or '--servicenow-mapping FILE', "+
				"or run a request file with the fields of its request block\nnothing was created", path)
		}
		if errors.As(err, &invalid) {
			return req, usagef("%s: %v\nnothing was created", path, invalid)
		}
		return req, usagef("%s: %v", path, err)
	}
	return req, nil
}

// isTicketMapping reports whether data is a JSON object with the
// ticket_id and request fields of a ticket mapping file.
func isTicketMapping(data []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil {
		return false
	}
	_, ticket := doc["ticket_id"]
	_, inner := doc["request"]
	return ticket && inner
}

// requestHosts lists the host names that a request's index and extra
// prefixes use.
func requestHosts(req request.Request) []string {
	var hosts []string
	for _, raw := range append([]string{req.Repository.IndexURL}, req.Repository.ExtraAllowedPrefixes...) {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	return hosts
}

// requestRuns returns the executions of machine for the request with ID id
// that carry the names base, base-r2, base-r3 and so on, oldest first, and
// the first of those names that no execution has. It passes over the
// executions of other requests, because a name derived from one request's
// ID can be another request's first execution, such as an ID ending in -r2.
func requestRuns(ctx context.Context, eng *engine.Engine, machine, base, id string) (runs []engine.Execution, free string, err error) {
	for n := 1; ; n++ {
		name := request.RunName(base, n)
		x, err := eng.Describe(ctx, name)
		if errors.Is(err, engine.ErrExecutionNotFound) {
			return runs, name, nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("read execution %s: %w", name, err)
		}
		if runOf(x, machine, id) {
			runs = append(runs, x)
		}
	}
}

// latestRun returns the latest provision execution of the request with ID
// id, or nil when it has none, and the name that a new run would take. It
// finds the executions as latestExecution does, and of two started at the
// same time it returns the later of the runs named after the request ID
// (id, id-r2, and so on).
func latestRun(ctx context.Context, eng *engine.Engine, id string) (latest *engine.Execution, free string, err error) {
	named, free, err := requestRuns(ctx, eng, provisionMachine, request.ExecutionName(id), id)
	if err != nil {
		return nil, "", err
	}
	if len(named) > 0 {
		latest = &named[len(named)-1]
	}

	newest, err := latestExecution(ctx, eng, provisionMachine, id)
	if err != nil {
		return nil, "", err
	}
	if newest != nil && newest.Status == engine.StatusRunning {
		return newest, free, nil
	}
	if latest == nil || newest != nil && newest.StartedAt.After(latest.StartedAt) {
		latest = newest
	}
	return latest, free, nil
}

// latestExecution returns the execution of machine, provisionMachine or
// teardownMachine, for the request with ID id: a running one first, or else
// the latest started, or nil when the request has none. It goes by the
// request ID in each execution's input, through the intake index, not by
// the name, so it also finds executions started through the Step Functions
// API under other names.
func latestExecution(ctx context.Context, eng *engine.Engine, machine, id string) (*engine.Execution, error) {
	all, err := requestExecutions(ctx, eng, machine, id)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	for i := range all {
		if all[i].Status == engine.StatusRunning {
			return &all[i], nil
		}
	}
	return &all[0], nil
}

// openRun returns the running execution among runs, or nil.
func openRun(runs []engine.Execution) *engine.Execution {
	for i := range runs {
		if runs[i].Status == engine.StatusRunning {
			return &runs[i]
		}
	}
	return nil
}

// startExecutionLocked runs startExecution under the start lock of the
// request in the state directory dir, so that no other start of the request
// comes between its checks and its start. It calls startExecution again
// when a start of another request took the run name that it chose
// (retryTakenName).
func startExecutionLocked(ctx context.Context, eng *engine.Engine, dir string, req request.Request) (string, error) {
	name, _, err := findOrStartExecutionLocked(ctx, eng, dir, req, nil)
	return name, err
}

// findOrStartExecutionLocked is startExecutionLocked, and also reports
// whether it started the execution (true) or found it running the request
// already (false). It passes prepare on to findOrStartExecution.
func findOrStartExecutionLocked(ctx context.Context, eng *engine.Engine, dir string, req request.Request,
	prepare func(context.Context) error) (name string, started bool, err error) {
	err = withStartLocks(ctx, dir, req.ID, intakeLockKeys(req), func() error {
		return retryTakenName(func() error {
			name, started, err = findOrStartExecution(ctx, eng, req, prepare)
			return err
		})
	})
	return name, started, err
}

// startExecution starts the request's execution, or resumes the open one.
// A request whose last execution has closed gets a new execution with a run
// suffix, because a closed name cannot be reused. An open execution of the
// request's ID with another request is a *webhook.RunningError, and a
// running teardown of the request is a *teardownRunningError. A change of
// the route, cloud account or region, or Snowflake account from an earlier
// run whose resources exist is a *placementChangeError without flags. A
// request that names a Snowflake object of another request's execution
// whose resources exist is an *objectClashError without flags. Callers
// hold the start lock of the request in the store's state directory
// (withStartLock).
func startExecution(ctx context.Context, eng *engine.Engine, req request.Request) (string, error) {
	name, _, err := findOrStartExecution(ctx, eng, req, nil)
	return name, err
}

// findOrStartExecution is startExecution, and also reports whether it
// started the execution (true) or found the open one running the request
// (false). A non-nil prepare, such as the preparation of the sandbox for
// the request, runs after every check has passed and before the start or
// the resumption, so that nothing is prepared for a rejected request. Its
// error is returned unchanged, and no execution starts.
func findOrStartExecution(ctx context.Context, eng *engine.Engine, req request.Request, prepare func(context.Context) error) (string, bool, error) {
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		return "", false, fmt.Errorf("encode execution input: %w", err)
	}
	runs, free, err := requestRuns(ctx, eng, provisionMachine, request.ExecutionName(req.ID), req.ID)
	if err != nil {
		return "", false, err
	}
	open := openRun(runs)
	if open == nil {
		// A provision execution started through the Step Functions API
		// may run the request under another name.
		if open, err = runningRunOf(ctx, eng, provisionMachine, req.ID, ""); err != nil {
			return "", false, err
		}
	}
	if open != nil {
		if !sameRequestInput(open.Input, input) {
			return "", false, &webhook.RunningError{Ticket: req.ID, Execution: open.Name}
		}
		if err := runPrepare(ctx, prepare); err != nil {
			return "", false, err
		}
		return open.Name, false, nil
	}
	teardown, err := runningRunOf(ctx, eng, teardownMachine, req.ID, "")
	if err != nil {
		return "", false, err
	}
	if teardown != nil {
		return "", false, &teardownRunningError{requestID: req.ID, teardown: teardown.Name}
	}
	if err := checkIntake(ctx, eng, req, ""); err != nil {
		return "", false, err
	}
	if err := runPrepare(ctx, prepare); err != nil {
		return "", false, err
	}
	if _, err := eng.Start(ctx, provisionMachine, free, input); err != nil {
		return "", false, fmt.Errorf("start execution %s: %w", free, err)
	}
	return free, true, nil
}

// runPrepare calls prepare, unless it is nil.
func runPrepare(ctx context.Context, prepare func(context.Context) error) error {
	if prepare == nil {
		return nil
	}
	return prepare(ctx)
}

// renamedObjects is the result of changedFrom. It contains, latest first,
// the earlier executions of a request that created objects under names
// that the changed request no longer derives, such as
// "artifact repository DB.SCHEMA.NAME".
type renamedObjects []renamedRun

// renamedRun is an earlier execution and those of its objects that
// neither the changed request nor a later execution names.
type renamedRun struct {
	earlier string
	objects []string
}

// changedFrom returns the earlier executions of the request's ticket since
// its last succeeded teardown that may have built (see mayHaveResources),
// and the objects that their requests named and req does not. An object that several of them named is listed under the
// latest one. It returns nil while the latest execution runs, when req
// names all their objects, and when a teardown that started after the
// latest execution has succeeded. A changed repository name, database,
// schema or index host builds new objects beside the old ones, which stay
// until a teardown removes every object that the request's runs created.
// A change of other settings, such as the warehouse, keeps every name, so
// it leaves nothing behind.
func changedFrom(ctx context.Context, eng *engine.Engine, req request.Request) renamedObjects {
	runs, _, err := requestRuns(ctx, eng, provisionMachine, request.ExecutionName(req.ID), req.ID)
	if err != nil || len(runs) == 0 || runs[len(runs)-1].Status == engine.StatusRunning {
		return nil
	}
	named := map[string]bool{}
	for _, c := range request.Claims(req) {
		named[c.Key()] = true
	}
	var changed renamedObjects
	for i := len(runs) - 1; i >= 0; i-- {
		x := runs[i]
		// A succeeded teardown removes the objects of every run before it.
		if _, tornDown, err := teardownsAfter(ctx, eng, req.ID, x); err != nil || tornDown {
			break
		}
		// A run that stopped before any building step created nothing.
		if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
			if built, err := builtBeforeStop(ctx, eng, x.Name); err != nil || !built {
				continue
			}
		}
		earlierReq, ok := provisionRequest(x)
		if !ok {
			continue
		}
		if objects := objectsNotNamed(earlierReq, named); len(objects) > 0 {
			changed = append(changed, renamedRun{earlier: x.Name, objects: objects})
		}
	}
	return changed
}

// objectsNotNamed returns the Snowflake objects and the index host that
// earlier claims and named does not contain, as noun and name, and adds
// their keys to named. Claims compare account identifiers without case and
// object names as Snowflake resolves them, so a change of case in an
// unquoted name or the account names no new object.
func objectsNotNamed(earlier request.Request, named map[string]bool) []string {
	var objects []string
	for _, c := range request.Claims(earlier) {
		if !named[c.Key()] {
			named[c.Key()] = true
			objects = append(objects, c.String())
		}
	}
	return objects
}

// runOf reports whether x is an execution of machine for the request with
// ID id. Execution names derive from request IDs, so the name of one
// request's rerun or teardown can be another request's first execution.
func runOf(x engine.Execution, machine, id string) bool {
	if x.Machine != machine {
		return false
	}
	// The decoded request is kept per execution, because the start checks
	// read the executions of the same requests again at each start.
	if req, ok := executionRequest(x); ok {
		return req.ID == id
	}
	var doc struct {
		Request struct {
			ID string `json:"id"`
		} `json:"request"`
	}
	return json.Unmarshal(x.Input, &doc) == nil && doc.Request.ID == id
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(ax) == string(by)
}

// elapsed formats a duration for progress lines.
func elapsed(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
