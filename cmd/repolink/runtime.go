package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/defaultlevels"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// provisionMachine is the name of the provision state machine in the store,
// the one that execview.Step maps the states of.
const provisionMachine = execview.Provision

// runtime is one process's engine, wait store, adapters and, in sandbox
// mode, the sandbox.
type runtime struct {
	// sandboxLock keeps other processes from running a second sandbox on
	// the same world.
	sandboxLock *serviceLock
	dir         string
	engine      *engine.Engine
	// health tracks whether the stores in dir take writes. The engine,
	// the poller and, under up, intake and the notifier record in it.
	health *storehealth.Monitor
	waits  *waits.Store
	// expiries records when the index credentials of runs' SECRETs
	// expire, for the poller.
	expiries *expiries.Store
	// defaults records the levels on which runs set the default
	// repository parameter.
	defaults *defaultlevels.Store
	env      *workflow.Env
	adapters *adapters
	sandbox  *sandbox.Sandbox
	// indexClient reaches the sandbox index, in this process or in the
	// process that runs the sandbox. It is nil outside sandbox mode.
	indexClient *http.Client
	logger      *slog.Logger
	poll        time.Duration
	// registered gets a value when a step registers a wait, which makes
	// the poll loop poll soon.
	registered chan struct{}
	// clock is the scaled sandbox clock, or nil for the wall clock.
	clock *sandbox.ScaledClock
	// reservations holds places among Snowflake accounts' private
	// endpoints for the runs of the engine.
	reservations *reservations.Store
	// seedMu serialises seeding, so that two requests that reference the
	// same missing secret do not both generate a value for it.
	seedMu sync.Mutex
	// credentialNotices, when set before serve, sends the poller's
	// notifications that an index credential expires soon.
	credentialNotices poller.CredentialNotifier
}

type runtimeOptions struct {
	dir     string
	sandbox bool
	// hosts are host names that the sandbox index must serve, taken from
	// the request.
	hosts   []string
	logger  *slog.Logger
	onEvent func(engine.Event)
	// onUnwritable, when set, is called with the *storehealth.UnwritableError
	// when the stores become full or read-only. The caller then reports the
	// condition itself, so the runtime does not log it.
	onUnwritable func(error)
	poll         time.Duration
	// instant makes every sandbox cloud operation complete at once.
	instant bool
	// delays, when set, replace the sandbox's delays, and instant with them.
	delays *sandbox.Delays
	// clock, when set, runs the sandbox, the engine's timers, the poller
	// and the wait deadlines faster than the wall clock. The poll interval
	// is then on this clock.
	clock *sandbox.ScaledClock
	// readOnly opens no store, so that the state directory is not written;
	// the runtime then has no engine and no wait store. In sandbox mode it
	// uses the sandbox of the process that runs one on the directory, if
	// any, and starts its own otherwise.
	readOnly bool
	// localRefs, when set, limits the env: and file: credential references
	// that the steps read for a request. Commands that the operator runs
	// with a request file leave it nil, so that every reference is read.
	localRefs *secrets.AllowList
	// codeArtifactDomains, when set, limits the CodeArtifact domains that
	// requests of auth type codeartifact get tokens for. Commands that the
	// operator runs with a request file leave it nil, so that every domain
	// that the operator's credentials reach is allowed.
	codeArtifactDomains *workflow.CodeArtifactDomains
	// noExecutions opens no engine store, for commands such as preflight
	// and invoke that start no execution. Like readOnly, it checks the mode
	// of the state directory without recording it.
	noExecutions bool
	// seedInPreflight makes the preflight step prepare the sandbox for its
	// request first. repolink up sets it, because some executions reach its
	// engine with no sandbox prepared: those started through the Step
	// Functions API, and those that a run on the same state directory writes
	// into the store.
	seedInPreflight bool
	// teardown makes serveLocally read only the credentials that the
	// teardown steps read: the Snowflake ones, without the repository
	// credential.
	teardown bool
}

// cloudEndpoints returns the endpoints of the clients outside sandbox mode.
// The default returns none, so each client uses its public endpoint. Tests of
// several processes replace it to send those clients to a sandbox that
// another process runs on 127.0.0.1.
var cloudEndpoints = func(*runtime) (endpoints, error) { return endpoints{}, nil }

// openRuntime opens the stores in the state directory, starts the sandbox
// when opts requests it, and registers the steps and the state machine. A
// failure because the state directory is full or read-only returns a
// *storehealth.UnwritableError that names the directory.
func openRuntime(ctx context.Context, opts runtimeOptions) (_ *runtime, err error) {
	defer func() { err = storehealth.Classify(opts.dir, err) }()
	// Commands without --sandbox-clock-scale run on the clock that the
	// state directory was created with, so that they see its resources.
	if opts.sandbox && opts.clock == nil {
		if opts.clock, err = readClockFile(opts.dir); err != nil {
			return nil, err
		}
	}
	rt := &runtime{dir: opts.dir, logger: opts.logger, poll: opts.poll, clock: opts.clock}
	// The sandbox records its world saves in the same Monitor as the
	// stores, so the Monitor exists before the sandbox starts.
	healthOpts := storehealth.Options{Logger: opts.logger, OnUnwritable: opts.onUnwritable}
	if opts.onUnwritable != nil {
		healthOpts.Logger = nil
	}
	rt.health = storehealth.New(opts.dir, healthOpts)
	// Only a runtime that opens the engine store, and so can start
	// executions, records the mode, just before it opens that store. Other
	// commands leave a new directory free for either mode, unless they
	// start a sandbox, whose world then marks the directory as a sandbox
	// directory.
	if err := checkStateMode(opts.dir, opts.sandbox); err != nil {
		return nil, err
	}

	var eps endpoints
	if opts.sandbox {
		// The sandbox binds loopback only; keep the clients from probing
		// cloud metadata addresses.
		os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
		os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		var err error
		if eps, err = rt.openSandbox(ctx, opts); err != nil {
			rt.Close()
			return nil, err
		}
		if rt.poll == 0 {
			rt.poll = time.Second
		}
	} else {
		if os.Getenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION") == "" {
			os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
		}
		var err error
		if eps, err = cloudEndpoints(rt); err != nil {
			rt.Close()
			return nil, err
		}
	}
	if rt.poll == 0 {
		rt.poll = time.Minute
	}

	rt.adapters = newAdapters(eps, opts.localRefs, opts.logger)
	var store *waits.Store
	if !opts.readOnly {
		var err error
		if store, err = waits.Open(filepath.Join(opts.dir, "waits.db")); err != nil {
			rt.Close()
			return nil, err
		}
		rt.waits = store
		if rt.expiries, err = expiries.Open(filepath.Join(opts.dir, "credentials.db")); err != nil {
			rt.Close()
			return nil, err
		}
		// preflight and invoke without --sandbox leave the mode unset, so
		// a later sandbox run can claim the directory with their records
		// of real objects in it.
		if !opts.sandbox && opts.noExecutions {
			if err := markCloudRecords(opts.dir); err != nil {
				rt.Close()
				return nil, err
			}
		}
	}
	// A read-only runtime, such as that of plan, reads the records of
	// earlier runs but creates no file for them.
	defaultsPath := filepath.Join(opts.dir, "defaults.db")
	if _, statErr := os.Stat(defaultsPath); !opts.readOnly || statErr == nil {
		var err error
		if rt.defaults, err = defaultlevels.Open(defaultsPath); err != nil {
			rt.Close()
			return nil, err
		}
	}
	var indexHTTP func() *http.Client
	if client := rt.indexClient; client != nil {
		indexHTTP = func() *http.Client { return client }
	}
	rt.env = &workflow.Env{
		IndexHTTP:           indexHTTP,
		Snowflake:           rt.adapters.Snowflake,
		AWS:                 rt.adapters.AWS,
		Azure:               rt.adapters.Azure,
		GCP:                 rt.adapters.GCP,
		Firewall:            rt.adapters.Firewall,
		Secrets:             rt.adapters.requestSecrets,
		CodeArtifact:        rt.adapters.CodeArtifact,
		CodeArtifactDomains: opts.codeArtifactDomains,
		ProxyResolver:       "169.254.169.253",
		IndexSandbox:        opts.sandbox,
		Now:                 time.Now,
		Logger:              opts.logger,
	}
	if store != nil {
		rt.registered = make(chan struct{}, 1)
		rt.env.Waits = nudgingWaits{WaitRegistry: store, registered: rt.registered}
	}
	if rt.expiries != nil {
		rt.env.Credentials = rt.expiries
	}
	if rt.defaults != nil {
		rt.env.Defaults = rt.defaults
	}
	engineOpts := engine.Options{Logger: opts.logger, OnEvent: rt.releaseOnClose(opts.onEvent), StoreHealth: rt.health}
	if opts.clock != nil {
		rt.env.Now = opts.clock.Now
		engineOpts.Clock = scaledEngineClock{opts.clock}
		engineOpts.PollInterval = time.Duration(float64(storeReadInterval) * opts.clock.Factor())
	}

	if opts.readOnly || opts.noExecutions {
		return rt, nil
	}
	if err := claimStateMode(opts.dir, opts.sandbox); err != nil {
		rt.Close()
		return nil, err
	}
	eng, err := openConverting(filepath.Join(opts.dir, "engine.db"), engineOpts)
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("open engine store: %w", err)
	}
	rt.engine = eng
	// Only runs reserve places among a Snowflake account's endpoints: the
	// preflight command and invoke check the limit without holding one.
	if rt.reservations, err = reservations.Open(filepath.Join(opts.dir, reservationStore)); err != nil {
		rt.Close()
		return nil, err
	}
	rt.reservations.SetEnded(closedBeforeEndpoint(eng))
	rt.env.EndpointReservations = rt.reservations
	rt.env.EarlierRequests = provisionRequests(eng)
	rt.env.TornDown = tornDownRequests(eng)
	handlers := registry.Handlers(rt.env)
	if opts.seedInPreflight && rt.sandbox != nil {
		handlers["preflight"] = rt.seedBefore("preflight", handlers["preflight"])
	}
	for name, handler := range handlers {
		eng.Register(name, engine.TaskFunc(handler))
	}
	if err := eng.Define(provisionMachine, statemachines.Provision); err != nil {
		rt.Close()
		return nil, fmt.Errorf("load provision state machine: %w", err)
	}
	if err := eng.Define("teardown", statemachines.Teardown); err != nil {
		rt.Close()
		return nil, fmt.Errorf("load teardown state machine: %w", err)
	}
	if err := eng.Define("egress-refresh", statemachines.EgressRefresh); err != nil {
		rt.Close()
		return nil, fmt.Errorf("load egress-refresh state machine: %w", err)
	}
	// The engine resumes the open executions in the store, such as those
	// of a repolink up that was stopped, so their hosts must be served
	// before it runs them. repolink up prepares the sandbox for the
	// requests that it starts in the preflight step.
	if rt.sandbox != nil {
		if err := rt.prepareOpenExecutions(ctx); err != nil {
			rt.Close()
			return nil, err
		}
	}
	return rt, nil
}

// seed prepares the sandbox for a request: the Snowflake account and user,
// the referenced secrets, and the index credentials. It is safe for
// concurrent use.
func (rt *runtime) seed(ctx context.Context, req request.Request) error {
	if rt.sandbox == nil {
		return nil
	}
	rt.seedMu.Lock()
	defer rt.seedMu.Unlock()
	return rt.sandbox.Seed(ctx, req, rt.adapters.requestSecrets)
}

// seedForTeardown is seed for a teardown of req: it leaves out the index
// credentials, which no teardown step reads.
func (rt *runtime) seedForTeardown(ctx context.Context, req request.Request) error {
	if rt.sandbox == nil {
		return nil
	}
	rt.seedMu.Lock()
	defer rt.seedMu.Unlock()
	return rt.sandbox.SeedForTeardown(ctx, req, rt.adapters.requestSecrets)
}

// prepareError wraps a failure of seed. A failure that only a change to
// the request fixes is a usage error naming the request field, because
// nothing has started.
func prepareError(err error) error {
	return prepareErrorFor(err, provisionMachine)
}

// prepareErrorFor is prepareError for a command that runs an execution of
// machine, whose usage error closes with what that command left unchanged.
func prepareErrorFor(err error, machine string) error {
	if reason, ok := requestChange(err); ok {
		return usagef("prepare sandbox: %s\n%s", reason, nothingChanged(machine))
	}
	return fmt.Errorf("prepare sandbox: %w", err)
}

// requestChange returns the request field and reason of a seed failure
// that only a change to the request fixes, and whether err is one.
func requestChange(err error) (string, bool) {
	var credential *sandbox.CredentialError
	var change *sandbox.RequestError
	if errors.As(err, &change) && errors.As(err, &credential) {
		return credential.Path + ": " + err.Error(), true
	}
	return "", false
}

// serve runs the engine and the poller until ctx is done. The returned
// function waits until both have stopped, so that the stores can close.
func (rt *runtime) serve(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := rt.engine.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			rt.logger.Error("engine stopped", "error", err)
		}
	})
	wg.Go(func() { rt.pollLoop(ctx) })
	return wg.Wait
}

// pollLoop polls every poll interval, and also soon after a wait is
// registered, so that a run whose endpoint is live at once does not wait a
// whole interval. Polls after registrations come at most once per
// pollGap, so that many runs that register together cost one poll.
func (rt *runtime) pollLoop(ctx context.Context) {
	// The warning gives the advice of the notification that
	// rt.credentialNotices sends, with the flags of this state directory.
	flags := commandFlags(rt.sandbox != nil, rt.dir)
	nextAction := func(req request.Request) string { return payload.CredentialNextAction(req, flags) }
	p := &poller.Poller{Env: rt.env, Tasks: engineTasks{rt.engine}, Notices: rt.credentialNotices, NextAction: nextAction,
		StoreHealth: rt.health}
	if rt.waits != nil {
		p.Polls = rt.waits
	}
	interval := rt.poll
	if rt.clock != nil {
		// A large clock scale can shrink the interval to nothing, and a
		// ticker needs a positive one.
		interval = max(rt.clock.Wall(rt.poll), time.Millisecond)
	}
	gap := min(interval, pollGap)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-rt.registered:
			if !sleepCtx(ctx, time.Until(last.Add(gap))) {
				return
			}
		}
		last = time.Now()
		report, err := p.Poll(ctx)
		if err != nil {
			if !rt.health.Record(err) {
				rt.logger.Warn("poll failed", "error", err)
			}
			continue
		}
		if report.Waits > 0 || report.Renewed > 0 {
			rt.logger.Debug("poll finished", "waits", report.Waits, "queries", report.Queries, "succeeded", report.Succeeded, "failed", report.Failed,
				"renewed", report.Renewed)
		}
	}
}

// pollGap is the least time between two polls after registrations.
const pollGap = time.Second

// sleepCtx waits for d, and reports false when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// nudgingWaits is a wait registry that sends on registered after each
// wait it registers. A full channel already holds a pending poll.
type nudgingWaits struct {
	workflow.WaitRegistry
	registered chan<- struct{}
}

func (w nudgingWaits) Put(ctx context.Context, wait workflow.Wait) error {
	if err := w.WaitRegistry.Put(ctx, wait); err != nil {
		return err
	}
	select {
	case w.registered <- struct{}{}:
	default:
	}
	return nil
}

// Close stops the sandbox and closes the stores.
func (rt *runtime) Close() {
	if rt.adapters != nil {
		// Closing a Snowflake session logs it out, which can take seconds.
		// The sessions close in parallel, within snowflakeCloseTimeout.
		started := time.Now()
		rt.adapters.Close()
		if rt.logger != nil {
			rt.logger.Info("Snowflake sessions closed", "took", time.Since(started).Round(time.Millisecond).String())
		}
	}
	if rt.engine != nil {
		rt.engine.Close()
	}
	if rt.waits != nil {
		rt.waits.Close()
	}
	if rt.defaults != nil {
		rt.defaults.Close()
	}
	if rt.expiries != nil {
		rt.expiries.Close()
	}
	if rt.reservations != nil {
		rt.reservations.Close()
	}
	if rt.sandbox != nil {
		rt.sandbox.Close()
	}
	if rt.sandboxLock != nil {
		removeSandboxAddresses(rt.dir)
		rt.sandboxLock.release()
		rt.sandboxLock = nil
	}
}

// engineTasks completes task tokens on the embedded engine.
type engineTasks struct{ engine *engine.Engine }

func (t engineTasks) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	return tokenGone(t.engine.SendTaskSuccess(ctx, token, output))
}

func (t engineTasks) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return tokenGone(t.engine.SendTaskFailure(ctx, token, errName, cause))
}

func tokenGone(err error) error {
	if errors.Is(err, engine.ErrInvalidToken) {
		return fmt.Errorf("%w: %v", poller.ErrTokenGone, err)
	}
	return err
}
