package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	preflightstep "github.com/repolink/repolink/functions/preflight"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
	"github.com/repolink/repolink/shared/workflow"
)

// Service defaults and limits.
const (
	defaultListen = "127.0.0.1:8080"
	// shutdownTimeout bounds how long repolink up waits for open HTTP
	// requests on SIGTERM.
	shutdownTimeout = 10 * time.Second
	// defaultSandboxHosts is the repository host of the example requests.
	defaultSandboxHosts = "pypi.corp.example.com"
)

// Environment variables that repolink up reads.
const (
	envWebhookSecret = "REPOLINK_WEBHOOK_SECRET"
	envAPIToken      = "REPOLINK_API_TOKEN"
)

type upOptions struct {
	sandbox        bool
	listen         string
	dir            string
	secretRef      string
	jiraMapping    string
	serviceNow     string
	sandboxHosts   []string
	poll           time.Duration
	notifyInterval time.Duration
	instant        bool
	logLevel       slog.Level
	// localRefs are the env: and file: references that requests may use.
	localRefs secrets.AllowList
	// localRefList is the value of --allow-local-refs that localRefs
	// was parsed from.
	localRefList string
	// storeRefList is the value of --allow-secret-refs, which localRefs
	// also contains.
	storeRefList string
	// codeArtifactDomains are the CodeArtifact domains that requests of
	// auth type codeartifact may get tokens for.
	codeArtifactDomains workflow.CodeArtifactDomains
	// codeArtifactDomainList is the value of --codeartifact-domains that
	// codeArtifactDomains was parsed from.
	codeArtifactDomainList string
}

func upCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseUpFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: opts.logLevel}))
	// A signal cancels ctx. From then on, the error of a start-up step is
	// a consequence of the stop, so up stops cleanly instead of failing.
	var stopping stopClock
	defer context.AfterFunc(ctx, stopping.mark)()

	// Configuration errors come before anything starts.
	if opts.secretRef == "" && os.Getenv(envWebhookSecret) == "" {
		return errMissingSecret
	}
	apiToken := os.Getenv(envAPIToken)
	if !opts.sandbox && apiToken == "" {
		return usagef("%s is not set; outside sandbox mode the operations API needs a bearer token, so %s", envAPIToken, makeSecretHint)
	}
	if apiToken != "" {
		if err := checkServiceSecret(envAPIToken, apiToken); err != nil {
			return err
		}
	}
	own, err := serviceSecretRefs(opts)
	if err != nil {
		return err
	}
	if opts.localRefs, err = denyServiceSecrets(opts.localRefs, own); err != nil {
		return err
	}
	snowflakeRefs, err := mappingSnowflakeRefs(opts)
	if err != nil {
		return err
	}
	opts.localRefs = opts.localRefs.WithSnowflakeSecrets(snowflakeRefs)
	localRefsRecord, err := newServedLocalRefs(opts.localRefList, own)
	if err != nil {
		return usagef("%v", err)
	}
	localRefsRecord.StoreRefs = opts.storeRefList
	localRefsRecord.Snowflake = snowflakeRefs
	if err := checkLocalServiceSecrets(ctx, opts); err != nil {
		return stopOrFail(ctx, err, nil, &stopping, logger)
	}

	// Listen before creating or locking the state directory, so that an
	// address that cannot be bound leaves the directory as it was, or
	// leaves no directory at all.
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		if serving, _ := serviceStatus(opts.dir); serving {
			return errServingDir(opts.dir)
		}
		return listenError(opts.listen, err)
	}
	defer ln.Close()
	warn := func(msg string) { logger.Warn(msg) }
	if _, err := prepareStateDir(opts.dir, warn); err != nil {
		return usagef("%v", err)
	}
	lock, err := lockStateDir(opts.dir, opts.sandbox)
	if errors.Is(err, errServing) {
		return errServingDir(opts.dir)
	}
	if err != nil {
		return err
	}
	defer lock.release()
	// run, redrive and teardown read the lists, so that they reject a
	// request that the steps would reject before they start anything.
	if err := lock.recordLocalRefs(localRefsRecord); err != nil {
		return err
	}
	if err := lock.recordDomains(servedDomains{List: opts.codeArtifactDomainList}); err != nil {
		return err
	}

	svc, err := openService(ctx, opts, apiToken, logger)
	if err != nil {
		return stopOrFail(ctx, err, nil, &stopping, logger)
	}
	if err := holdRejectedExecutions(ctx, svc.rt.engine, opts, commandFlags(opts.sandbox, opts.dir), logger); err != nil {
		return stopOrFail(ctx, err, svc, &stopping, logger)
	}
	runErr := svc.run(ctx, ln, opts, apiToken != "", &stopping)
	svc.stop(&stopping)
	return runErr
}

// stopOrFail ends a start that failed with err, after stopping svc when it
// is open. When a signal has cancelled ctx, the failure is part of the
// stop: up logs the interrupted step's error at info level, logs
// "repolink up stopped" last and returns nil, as for a stop after the
// start. Otherwise it returns err.
func stopOrFail(ctx context.Context, err error, svc *service, stopping *stopClock, logger *slog.Logger) error {
	signalled := ctx.Err() != nil
	if signalled {
		logger.Info("repolink up stopping", "reason", "signal", "during", "start", "error", err.Error())
	}
	if svc != nil {
		svc.stop(stopping)
	} else if signalled {
		logStopped(logger, stopping)
	}
	if signalled {
		return nil
	}
	return err
}

// stopClock records when the stop of repolink up began: the signal, or
// the failure that ended the start or the serving. The first mark counts.
type stopClock struct {
	at atomic.Pointer[time.Time]
}

func (c *stopClock) mark() {
	now := time.Now()
	c.at.CompareAndSwap(nil, &now)
}

// since returns the time since the first mark, marking now when nothing
// has marked the clock yet.
func (c *stopClock) since() time.Duration {
	c.mark()
	return time.Since(*c.at.Load())
}

// logStopped logs "repolink up stopped", the last record of up, with the
// time from the start of the stop, such as the signal, to this record.
func logStopped(logger *slog.Logger, stopping *stopClock) {
	logger.Info("repolink up stopped", "shutdown", stopping.since().Round(time.Millisecond).String())
}

// errServingDir is the error for a state directory that another repolink
// up serves.
func errServingDir(dir string) error {
	return usagef("another repolink up is serving %s; stop it, or choose another --state-dir", dir)
}

// upEnvironment is the part of up's usage about the environment variables
// that it reads.
const upEnvironment = `Environment:
  ` + envWebhookSecret + `  the secret that webhook requests and notifications are signed
                           with; up does not start without it unless --webhook-secret-ref
                           names the secret
  ` + envAPIToken + `       the bearer token of the operations API (/v1/executions) and the
                           secret access key of the Step Functions API, whose access key ID
                           is ` + sfnAccessKeyID + `; up does not start without it outside sandbox mode.
                           With --sandbox and without it, both APIs answer only on a loopback
                           --listen address
  Both secrets must be at least 16 bytes, such as the output of: openssl rand -hex 32
`

func parseUpFlags(args []string, stderr io.Writer) (upOptions, error) {
	fs := newFlagSet("up", "up [--sandbox] [--listen ADDR] [--state-dir DIR]", stderr)
	addUsageNotes(fs, upEnvironment)
	sandboxMode := fs.Bool("sandbox", false, "run against the local sandbox on 127.0.0.1 instead of real clouds and Snowflake")
	listen := fs.String("listen", defaultListen, "host:port for the webhook and the operations API; the host is required (0.0.0.0 listens on every interface)")
	stateDir := stateDirFlag(fs)
	secretRef := fs.String("webhook-secret-ref", "", "reference to the webhook secret, such as env:NAME, file:PATH or aws-secretsmanager:ARN (default: the "+envWebhookSecret+" environment variable)")
	jira := fs.String("jira-mapping", "", "mapping file that turns Jira deliveries at /v1/hooks/jira into requests")
	serviceNow := fs.String("servicenow-mapping", "", "mapping file that turns ServiceNow deliveries at /v1/hooks/servicenow into requests")
	hosts := fs.String("sandbox-hosts", defaultSandboxHosts, "comma-separated repository host names that the sandbox index serves, besides the hosts of the open executions that up resumes")
	poll := pollIntervalFlag(fs)
	notifyInterval := fs.Duration("notify-interval", 0, "how often notifications are looked for and retried, from 1s to 1h (default 1s with --sandbox, 10s otherwise)")
	latency := latencyFlag(fs, false)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	localRefs := fs.String("allow-local-refs", "", "comma-separated env: and file: credential references that requests may use, such as env:SNOWFLAKE_KEY,file:/run/secrets/*; "+
		"a trailing * matches every reference that starts with the text before it. It also applies to run, redrive and teardown on the directory that this service serves, "+
		"because they hand their executions to it (default: none, so requests must use secret store references)")
	storeRefs := fs.String("allow-secret-refs", "", "comma-separated aws-secretsmanager:, azure-keyvault: and gcp-secretmanager: references that requests may use, "+
		"such as aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index/*; a trailing * matches every reference that starts with the text before it, "+
		"and a whole reference matches only that secret in the account, vault or project as written, with any JSON key or version unless it names one. It also applies to run, redrive and teardown on the directory that this service serves "+
		"(default: every secret store reference, except the service's own secrets and, outside $.snowflake, the Snowflake credentials of the mapping files)")
	codeArtifactDomains := fs.String("codeartifact-domains", "", "comma-separated CodeArtifact domain ARNs, such as arn:aws:codeartifact:us-east-1:111122223333:domain/corp, "+
		"or * for every domain, that requests of auth type codeartifact may get tokens for with this process's AWS credentials. "+
		"It also applies to run and redrive on the directory that this service serves (default: none, so those requests are rejected)")
	if err := parseFlags(fs, args); err != nil {
		return upOptions{}, err
	}
	if fs.NArg() != 0 {
		return upOptions{}, usagef("up takes no arguments; got %q", strings.Join(fs.Args(), " "))
	}
	for _, name := range []string{"poll-interval", "notify-interval"} {
		if err := checkIntervalFlag(fs, name, minInterval, maxInterval); err != nil {
			return upOptions{}, err
		}
	}
	if *secretRef != "" {
		if problem := request.RefSchemeProblem(*secretRef); problem != "" {
			return upOptions{}, usagef("--webhook-secret-ref %s", problem)
		}
	}

	opts := upOptions{sandbox: *sandboxMode, listen: *listen, secretRef: *secretRef, jiraMapping: *jira,
		serviceNow: *serviceNow, poll: *poll, notifyInterval: *notifyInterval, instant: *latency == "none"}
	if err := checkLatency(*latency, false); err != nil {
		return opts, err
	}
	allow, err := parseLocalRefs(*localRefs)
	if err != nil {
		return opts, err
	}
	if allow, err = parseStoreRefs(allow, *storeRefs, storeRefsFix); err != nil {
		return opts, err
	}
	opts.localRefs = allow
	opts.localRefList = *localRefs
	opts.storeRefList = *storeRefs
	opts.codeArtifactDomainList = *codeArtifactDomains
	if opts.codeArtifactDomains, err = workflow.ParseCodeArtifactDomains(*codeArtifactDomains, codeArtifactDomainsFix); err != nil {
		return opts, usagef("--codeartifact-domains: %v", err)
	}
	// Mapping files are checked before the state directory is created, so
	// that an invalid one leaves nothing behind.
	if err := checkMappings(opts.jiraMapping, opts.serviceNow, opts.localRefs); err != nil {
		return opts, err
	}
	if err := opts.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return opts, usagef("--log-level must be debug, info, warn or error, not %q", *logLevel)
	}
	if err := checkListen(opts.listen); err != nil {
		return opts, err
	}
	if opts.sandboxHosts, err = parseSandboxHosts(*hosts); err != nil {
		return opts, err
	}
	if opts.notifyInterval == 0 {
		opts.notifyInterval = 10 * time.Second
		if opts.sandbox {
			opts.notifyInterval = time.Second
		}
	}
	// upCommand creates the directory once every input check has passed.
	dir, err := filepath.Abs(*stateDir)
	if err != nil {
		return opts, usagef("state directory %s: %v", *stateDir, err)
	}
	opts.dir = dir
	return opts, nil
}

// checkListen returns a usage error when listen is not host:port with an
// explicit host and a port from 0 to 65535 or a service name, such as http.
// Port 0 lets the system choose a free port. An empty host would bind every
// interface, so an operator who means that writes 0.0.0.0 or [::].
func checkListen(listen string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return usagef("--listen %q is not host:port, such as %s", listen, defaultListen)
	}
	if err := checkListenPort(listen, port); err != nil {
		return err
	}
	if host == "" {
		return usagef("--listen %q has no host, so it would listen on every interface; write 127.0.0.1:%s, or 0.0.0.0:%s to listen on every interface", listen, port, port)
	}
	return checkListenHost(listen, host, port)
}

// checkListenPort checks the port of the --listen address listen. Numeric
// ports other than 0 get the check of the ports in request URLs, so that
// 080 is rejected there and here alike.
func checkListenPort(listen, port string) error {
	if port == "" {
		return usagef("--listen %q has no port; give one, such as %s, or port 0 to let the system choose", listen, defaultListen)
	}
	if port == "0" {
		return nil
	}
	if strings.Trim(port, "0123456789") == "" {
		if problem := request.PortProblem(port); problem != "" {
			return usagef("--listen %q %s, or 0 to let the system choose", listen, problem)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return usagef("--listen %q: port %s is not a number from 0 to 65535 or a known service name", listen, port)
	}
	return nil
}

// parseSandboxHosts splits the --sandbox-hosts list into lowercase host
// names. Each entry must be a DNS host name, because up compares the
// entries with the hosts of request index URLs, which are DNS host names.
func parseSandboxHosts(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, usagef("--sandbox-hosts is empty; list the repository hosts that the sandbox index serves, separated by commas, such as %s", defaultSandboxHosts)
	}
	var hosts []string
	for _, entry := range strings.Split(list, ",") {
		host := strings.TrimSpace(entry)
		if host == "" {
			return nil, usagef("--sandbox-hosts %q has an empty entry; separate host names with single commas, such as %s,files.corp.example.com", list, defaultSandboxHosts)
		}
		if u, err := url.Parse(host); err == nil && u.Scheme != "" && u.Hostname() != "" {
			return nil, usagef("--sandbox-hosts entry %q is a URL; give only its host name, %s", host, u.Hostname())
		}
		if !request.IsDNSHostname(host) {
			return nil, usagef("--sandbox-hosts entry %q is not a DNS host name; give the host of the request's index URL without a scheme, port or path, such as %s", host, defaultSandboxHosts)
		}
		hosts = append(hosts, strings.ToLower(host))
	}
	return hosts, nil
}

// service is everything repolink up runs in one process.
type service struct {
	rt         *runtime
	deliveries *sqlitestore.Store
	notes      *notify.Store
	notifier   *notify.Notifier
	handler    http.Handler
	logger     *slog.Logger
}

func openService(ctx context.Context, opts upOptions, apiToken string, logger *slog.Logger) (*service, error) {
	// The engine reports closed executions before the notifier exists.
	var notifier atomic.Pointer[notify.Notifier]
	onEvent := func(ev engine.Event) {
		if closingEvents[ev.Type] {
			if n := notifier.Load(); n != nil {
				n.Wake()
			}
		}
		if opts.sandbox && ev.Type == "ExecutionStarted" {
			warnSandboxSkipsNotify(logger, ev)
		}
	}
	rt, err := openRuntime(ctx, runtimeOptions{dir: opts.dir, sandbox: opts.sandbox, hosts: opts.sandboxHosts,
		logger: logger, onEvent: onEvent, poll: opts.poll, instant: opts.instant, localRefs: &opts.localRefs,
		codeArtifactDomains: &opts.codeArtifactDomains, seedInPreflight: opts.sandbox})
	if err != nil {
		return nil, err
	}
	svc := &service{rt: rt, logger: logger}

	secret, err := webhookSecret(ctx, rt.adapters.secrets, opts.secretRef)
	if err != nil {
		svc.close()
		return nil, err
	}
	sources, err := ticketSources(ctx, rt, opts)
	if err != nil {
		svc.close()
		return nil, err
	}
	// The caller holds the service lock of the state directory, so no other
	// process records claims in the store, and a claim left in it belongs
	// to a repolink up that has ended.
	svc.deliveries, err = sqlitestore.Open(filepath.Join(opts.dir, webhookStoreFile), sqlitestore.Options{Logger: logger, Exclusive: true})
	if err != nil {
		svc.close()
		return nil, err
	}
	executions := &serviceExecutions{rt: rt, sandbox: opts.sandbox, hosts: servedHosts(rt, opts.sandboxHosts), localRefs: opts.localRefs,
		codeArtifactDomains: opts.codeArtifactDomains}
	hook, err := webhook.New(webhook.Config{
		Secret:      secret,
		Executions:  executions,
		Store:       svc.deliveries,
		Logger:      logger,
		StoreHealth: rt.health,
		Sources:     sources,
	})
	if err != nil {
		svc.close()
		return nil, usagef("%v", err)
	}
	if svc.notes, err = notify.OpenStore(filepath.Join(opts.dir, "notify.db"), time.Now()); err != nil {
		svc.close()
		return nil, err
	}
	svc.notifier, err = notify.New(notify.Config{Store: svc.notes, Executions: rt.engine, Secret: secret,
		Sandbox: opts.sandbox, CommandFlags: commandFlags(opts.sandbox, opts.dir), Logger: logger,
		StoreHealth: rt.health, TicketSystem: ticketSystemsIn(opts.dir)})
	if err != nil {
		svc.close()
		return nil, err
	}
	notifier.Store(svc.notifier)
	rt.credentialNotices = svc.notifier

	mux := http.NewServeMux()
	hook.Register(mux)
	(&operationsAPI{engine: rt.engine, notes: svc.notes, health: rt.health, token: apiToken, listen: opts.listen, logger: logger}).register(mux)
	mountStepFunctionsAPI(mux, rt.engine, executions.checkAPIStart, executions.checkStart, opts.dir, opts.listen, apiToken, opts.sandbox, logger)
	svc.handler = mux
	if apiToken == "" && loopbackListen(opts.listen) {
		svc.handler = requireLoopbackHost(mux, logger)
	}
	return svc, nil
}

// servedHosts returns the lower-case repository hosts that the sandbox
// index of rt serves: listed, the --sandbox-hosts list, and the hosts of
// the open executions that the runtime resumes. Without a sandbox it
// returns listed.
func servedHosts(rt *runtime, listed []string) []string {
	if rt.sandbox == nil {
		return listed
	}
	hosts := slices.Clone(listed)
	for _, host := range rt.sandbox.Index.Hosts() {
		if host = strings.ToLower(host); !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

// closingEvents are the history events that close an execution.
var closingEvents = map[string]bool{
	"ExecutionSucceeded": true, "ExecutionFailed": true, "ExecutionTimedOut": true, "ExecutionAborted": true,
}

// warnSandboxSkipsNotify logs a warning for event ev, the start of an
// execution, when sandbox mode sends no notification of it because the
// host of its request's notify.url is not a loopback address. up calls it
// for the executions that its own engine starts, which are those of the
// webhook and the Step Functions API. run, redrive and teardown warn on
// stderr instead.
func warnSandboxSkipsNotify(logger *slog.Logger, ev engine.Event) {
	var details struct {
		Input json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(ev.Details, &details); err != nil {
		return
	}
	host, skipped := notify.SandboxSkips(notifyURL(details.Input))
	if !skipped {
		return
	}
	logger.Warn("notification of execution will not be sent", "execution", ev.Execution, "notify_host", host,
		"reason", "sandbox mode sends notifications only to loopback receivers, such as http://127.0.0.1:PORT/")
}

// run serves until ctx is done or the listener fails, then stops in order:
// HTTP first, then the engine, the poller and the notifier. Open executions
// stay in the store and resume with the next start. The stores and the
// sandbox stay open for stop.
func (s *service) run(ctx context.Context, ln net.Listener, opts upOptions, apiAuth bool, stopping *stopClock) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	waitRuntime := s.rt.serve(serveCtx)
	var notifying sync.WaitGroup
	notifying.Go(func() { s.notifier.Run(serveCtx, opts.notifyInterval) })
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	s.logger.Info("repolink up started", "listen", ln.Addr().String(), "state_dir", opts.dir, "sandbox", opts.sandbox,
		"poll_interval", s.rt.poll.String(), "api_auth", apiAuth, "jira", opts.jiraMapping != "", "servicenow", opts.serviceNow != "",
		"allowed_local_refs", opts.localRefs.Entries())

	var serveErr error
	select {
	case <-ctx.Done():
		s.logger.Info("repolink up stopping", "reason", "signal")
	case serveErr = <-httpDone:
		stopping.mark()
		s.logger.Error("http server stopped", "error", serveErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.logger.Warn("http shutdown incomplete", "error", err)
	}
	s.logger.Info("http server stopped")
	stop()
	waitRuntime()
	notifying.Wait()
	s.logger.Info("engine, poller and notifier stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", serveErr)
	}
	return nil
}

// stop closes the Snowflake sessions and the stores and stops the
// sandbox, each of which can take seconds, and logs "repolink up stopped"
// last, with the time since the stop began, such as the signal.
func (s *service) stop(stopping *stopClock) {
	proxyVMs := 0
	if sb := s.rt.sandbox; sb != nil {
		proxyVMs = sb.RunningVMs()
	}
	s.logger.Info("closing Snowflake sessions and stores, then stopping the sandbox", "proxy_vms", proxyVMs)
	s.close()
	logStopped(s.logger, stopping)
}

func (s *service) close() {
	if s.notes != nil {
		s.notes.Close()
	}
	if s.deliveries != nil {
		s.deliveries.Close()
	}
	s.rt.Close()
}

var errMissingSecret = usagef("the webhook secret is missing; set %s or --webhook-secret-ref (such as env:NAME or aws-secretsmanager:ARN), because repolink up does not accept unsigned requests", envWebhookSecret)

// webhookSecret reads the webhook secret from --webhook-secret-ref or
// REPOLINK_WEBHOOK_SECRET. A missing, blank or short secret is a usage
// error, because the webhook never runs unverified.
func webhookSecret(ctx context.Context, resolver *secrets.Resolver, ref string) ([]byte, error) {
	if ref == "" {
		secret, err := webhookSecretFromEnv()
		if err != nil {
			return nil, err
		}
		if secret == "" {
			return nil, errMissingSecret
		}
		return []byte(secret), nil
	}
	secret, err := resolver.Resolve(ctx, ref)
	if err != nil {
		return nil, usagef("read --webhook-secret-ref: %v", err)
	}
	if err := checkServiceSecret("the secret that --webhook-secret-ref "+ref+" references", secret); err != nil {
		return nil, err
	}
	return []byte(secret), nil
}

// mappingFile is a --jira-mapping or --servicenow-mapping file that was
// read.
type mappingFile struct {
	// name is the ticket system, jira or servicenow, as in the flag name.
	name    string
	path    string
	mapping webhook.Mapping
}

// readMappings reads the --jira-mapping and --servicenow-mapping files
// that were given.
func readMappings(opts upOptions) ([]mappingFile, error) {
	var files []mappingFile
	for _, s := range []struct{ name, path string }{{"jira", opts.jiraMapping}, {"servicenow", opts.serviceNow}} {
		if s.path == "" {
			continue
		}
		m, err := webhook.ReadMapping(s.path)
		if err != nil {
			return nil, usagef("--%s-mapping: %v", s.name, err)
		}
		files = append(files, mappingFile{name: s.name, path: s.path, mapping: m})
	}
	return files, nil
}

// serviceSecretRefs returns the references to the service's own secrets:
// the webhook secret, the API token and the credentials of the mapping
// files.
func serviceSecretRefs(opts upOptions) ([]string, error) {
	files, err := readMappings(opts)
	if err != nil {
		return nil, err
	}
	refs := []string{"env:" + envWebhookSecret, "env:" + envAPIToken, opts.secretRef}
	for _, file := range files {
		refs = append(refs, file.mapping.AuthSecretRefs()...)
	}
	return refs, nil
}

// ticketSources loads the Jira and ServiceNow mappings that were given.
func ticketSources(ctx context.Context, rt *runtime, opts upOptions) ([]webhook.Source, error) {
	files, err := readMappings(opts)
	if err != nil {
		return nil, err
	}
	var sources []webhook.Source
	for _, file := range files {
		src, err := webhook.NewSource(ctx, file.name, file.mapping, rt.adapters.secrets)
		if err != nil {
			return nil, usagef("--%s-mapping: mapping %s: %v", file.name, file.path, err)
		}
		sources = append(sources, src)
	}
	return sources, nil
}

// serviceExecutions starts the executions that webhook deliveries ask for.
type serviceExecutions struct {
	rt      *runtime
	sandbox bool
	// hosts are the repository hosts that the sandbox index serves.
	hosts []string
	// localRefs are the env: and file: references that requests may use.
	localRefs secrets.AllowList
	// codeArtifactDomains are the CodeArtifact domains that requests of
	// auth type codeartifact may get tokens for.
	codeArtifactDomains workflow.CodeArtifactDomains
}

// Start checks that this service can run the request, prepares the sandbox
// for it once every check has passed, and starts its execution. When an
// execution already runs the request, or the latest execution of the ID
// ran the same request and no teardown started after it, Start returns a
// *webhook.ExistingError that names that execution. This applies however the
// execution was started: by a delivery, the Step Functions API or
// repolink run. A changed request of an ID whose executions have closed
// starts the next run, as repolink run does.
func (s *serviceExecutions) Start(ctx context.Context, req request.Request) (string, error) {
	if err := s.check(req); err != nil {
		return "", err
	}
	// Preparing the sandbox after the intake checks, and again in the
	// preflight step, rejects a request that cannot be prepared before an
	// execution starts, and prepares nothing for a rejected request. The
	// start checks run last, because they read the sandbox clouds.
	prepare := func(ctx context.Context) error {
		if err := s.rt.seed(ctx, req); err != nil {
			return &request.ValidationError{Fields: []request.FieldError{{Path: seedErrorPath(req, err), Message: "prepare the sandbox for this request: " + err.Error()}}}
		}
		return s.checkStart(ctx, req)
	}
	latest, err := closedLatestOf(ctx, s.rt.engine, req)
	if err != nil {
		return "", err
	}
	if latest != "" {
		return "", &webhook.ExistingError{Ticket: req.ID, Execution: latest}
	}
	earlier := changedFrom(ctx, s.rt.engine, req)
	name, started, err := findOrStartExecutionLocked(ctx, s.rt.engine, s.rt.dir, req, prepare)
	if err == nil && !started {
		return "", &webhook.ExistingError{Ticket: req.ID, Execution: name}
	}
	// The webhook returns a conflict that names a running execution of the
	// ticket, and a running teardown of the request is one.
	var teardown *teardownRunningError
	if errors.As(err, &teardown) {
		err = &webhook.RunningError{Ticket: req.ID, Execution: teardown.teardown, Teardown: true}
	}
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		conflict.setFlags(remoteCommandFlags(s.sandbox, s.rt.dir))
		conflict.setRetry(retrySendRequest)
		reason, otherID := webhookConflictReason(err, conflict)
		err = &webhook.ConflictError{
			Ticket: req.ID, Execution: conflict.execution(), Reason: reason,
			OtherID: otherID, NewIDChanges: newIDChangesOf(err),
		}
	}
	if err == nil && len(earlier) > 0 && earlier[0].earlier != name {
		for _, run := range earlier {
			s.rt.logger.Warn("execution started for a changed request; objects that the earlier execution created and this request no longer names stay until a teardown of any run of the request removes them",
				"execution", name, "earlier", run.earlier, "objects", run.objects, "request_id", req.ID)
		}
	}
	return name, err
}

// closedLatestOf returns the name of the latest provision execution of
// req.ID when it has closed after running the same request (sameRequest)
// and no teardown of the ID started after it, and "" otherwise.
func closedLatestOf(ctx context.Context, eng *engine.Engine, req request.Request) (string, error) {
	latest, err := latestExecution(ctx, eng, provisionMachine, req.ID)
	if err != nil || latest == nil || latest.Status == engine.StatusRunning {
		return "", err
	}
	ran, ok := provisionRequest(*latest)
	if !ok {
		return "", nil
	}
	if !sameRequest(req, ran) {
		return "", nil
	}
	tornDown, _, err := teardownsAfter(ctx, eng, req.ID, *latest)
	if err != nil || tornDown {
		return "", err
	}
	return latest.Name, nil
}

// webhookConflictReason returns the reason of the webhook's conflict reply
// for conflict, the intakeConflict in err, and whether a request with
// another ID would not conflict. A placement change leaves out its advice to
// give the request a new ID, because the webhook adds it for the sender.
func webhookConflictReason(err error, conflict intakeConflict) (reason string, otherID bool) {
	var placement *placementChangeError
	if errors.As(err, &placement) {
		return placement.reason(), true
	}
	return conflict.Error(), false
}

// newIDChangesOf returns the fields that a request with another ID than
// the one that err rejects must change too, when err is a placement
// change (request.NewIDChanges).
func newIDChangesOf(err error) []string {
	var placement *placementChangeError
	if errors.As(err, &placement) {
		return placement.newIDChanges
	}
	return nil
}

// seedErrorPath returns the JSON path of the credential field that the
// sandbox could not read or use, such as one in a named pipe or one with a
// blank value, or "$" for another error.
func seedErrorPath(req request.Request, err error) string {
	var credential *sandbox.CredentialError
	if errors.As(err, &credential) {
		return credential.Path
	}
	var invalid *secrets.InvalidValueError
	if !errors.As(err, &invalid) {
		return "$"
	}
	for _, field := range req.CredentialRefs() {
		if field.Ref == invalid.Ref {
			return field.Path
		}
	}
	return "$"
}

// check returns a *request.ValidationError for a request that this service
// cannot run as given.
func (s *serviceExecutions) check(req request.Request) error {
	fields := s.localRefs.FieldErrors(req, localRefFix)
	var names *request.ValidationError
	if errors.As(checkSecretARNs(req), &names) {
		fields = append(fields, names.Fields...)
	}
	fields = append(fields, s.unlistedDomains(req)...)
	if !s.sandbox && req.Notify != nil && strings.HasPrefix(req.Notify.URL, "http://") {
		fields = append(fields, request.FieldError{Path: "$.notify.url", Message: "must use https:// outside sandbox mode"})
	}
	fields = append(fields, s.unservedHosts(req)...)
	if len(fields) > 0 {
		return &request.ValidationError{Fields: fields}
	}
	return nil
}

// checkStart returns a *request.ValidationError on the rejected field
// when a start check of the preflight step rejects req.
func (s *serviceExecutions) checkStart(ctx context.Context, req request.Request) error {
	return startRejection(preflightstep.CheckStart(ctx, s.rt.env, req))
}

// checkAPIStart returns a *request.ValidationError for a provision request
// sent to StartExecution that this service cannot run. It checks less than
// check: the steps, not StartExecution, reject an env: or file: reference
// that --allow-local-refs does not allow. It rejects a secret store
// reference that --allow-secret-refs does not allow, and an index
// credential that names a Snowflake credential of the mapping files,
// because no step can tell an index credential from a Snowflake one.
func (s *serviceExecutions) checkAPIStart(req request.Request) error {
	fields := s.localRefs.StoreFieldErrors(req)
	var names *request.ValidationError
	if errors.As(checkSecretARNs(req), &names) {
		fields = append(fields, names.Fields...)
	}
	fields = append(fields, s.unlistedDomains(req)...)
	fields = append(fields, s.unservedHosts(req)...)
	if len(fields) > 0 {
		return &request.ValidationError{Fields: fields}
	}
	return nil
}

// unlistedDomains returns an error for a request of auth type codeartifact
// whose domain --codeartifact-domains does not list, so that it is rejected
// before an execution starts. The steps check the list again.
func (s *serviceExecutions) unlistedDomains(req request.Request) []request.FieldError {
	if req.Repository.Auth.Type != request.AuthCodeArtifact {
		return nil
	}
	repo, err := request.ParseCodeArtifactURL(req.Repository.IndexURL)
	if err != nil || s.codeArtifactDomains.Allows(repo) {
		// Validation reports an index URL that is not a CodeArtifact one.
		return nil
	}
	return []request.FieldError{{Path: "$.repository.index_url", Message: fmt.Sprintf(
		"CodeArtifact domain %s is not among the domains that this service gets tokens for; %s",
		workflow.CodeArtifactDomainARN(repo), codeArtifactDomainsFix)}}
}

// codeArtifactDomainsFix is the change that lets a rejected CodeArtifact
// domain through in repolink up.
const codeArtifactDomainsFix = "restart repolink up with the domain ARN in --codeartifact-domains"

// unservedHosts returns an error for each repository host of req that the
// sandbox index does not serve, so that the request is rejected before an
// execution starts rather than failing at preflight. Outside sandbox mode
// it returns none.
func (s *serviceExecutions) unservedHosts(req request.Request) []request.FieldError {
	if !s.sandbox {
		return nil
	}
	var fields []request.FieldError
	for _, host := range requestHosts(req) {
		if !slices.Contains(s.hosts, strings.ToLower(host)) {
			fields = append(fields, request.FieldError{Path: "$.repository.index_url",
				Message: fmt.Sprintf("host %s is not served by the sandbox index; restart repolink up with --sandbox-hosts including %s", host, host)})
		}
	}
	return fields
}

// Status returns the status of an execution, with the error name and the
// failed step of one that closed without success, as status prints them.
func (s *serviceExecutions) Status(ctx context.Context, name string) (webhook.ExecutionStatus, error) {
	x, err := s.rt.engine.Describe(ctx, name)
	if err != nil {
		return webhook.ExecutionStatus{}, err
	}
	run := webhook.ExecutionStatus{Status: x.Status}
	if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
		run.Error = x.Error
		run.FailedStep, _ = failedStep(x)
	}
	return run, nil
}

// sfnAccessKeyID is the access key ID with which clients sign Step
// Functions API requests; the secret access key is the API token.
const sfnAccessKeyID = "repolink"

// mountStepFunctionsAPI serves the Step Functions JSON API of the engine at
// /sfn/ and at / for requests with an X-Amz-Target header, so that the AWS
// CLI and SDKs can drive the engine. With an API token, every request must
// be signed with the access key ID "repolink" and the token as the secret
// access key. Without one (sandbox mode only), requests are not checked,
// so the API is served only when the service listens on a loopback address.
// It rejects the redrives that 'repolink redrive' rejects after a teardown,
// and a start or redrive of a request's teardown or provision execution
// while the other one of the request runs, checking each under the start
// lock of the request in the state directory dir. The commands that a
// rejection suggests carry --sandbox where they need it and sandbox is set,
// and name the state directory DIR (see remoteCommandFlags).
// check rejects a provision request that the service cannot run, such as
// one whose host the sandbox index does not serve, with the message of
// POST /v1/requests. start, when not nil, runs the start checks of a
// provision request before StartExecution starts it. RedriveExecution does
// not run them, because DescribeExecution reads the same redrive check and
// a read must not call the clouds. A redriven request that a check rejects fails
// in its preflight step again.
func mountStepFunctionsAPI(mux *http.ServeMux, eng *engine.Engine, check func(request.Request) error,
	start func(context.Context, request.Request) error, dir, listen, token string, sandbox bool, logger *slog.Logger) {
	flags := remoteCommandFlags(false, dir)
	opts := sfnapi.Options{
		Logger:       logger,
		RedriveCheck: teardownRedriveCheck(eng, flags, remoteCommandFlags(sandbox, dir)),
		StartCheck:   startCheck(eng, flags, remoteCommandFlags(sandbox, dir)),
		LockStarts:   lockStartsOfInput(dir),
	}
	// StartExecution checks and completes a request as 'repolink run' does.
	opts.PrepareInput = serviceAPIInput(check, start)
	opts.CheckName = checkAPIName
	if token != "" {
		opts.Credentials = &sfnapi.Credentials{AccessKeyID: sfnAccessKeyID, SecretAccessKey: token}
	} else if !loopbackListen(listen) {
		logger.Warn("step functions api not served", "reason", "no API token is set and the listen address is not a loopback address", "listen", listen)
		return
	}
	// The key that signs nextTokens is kept in the state directory, so
	// that tokens survive a restart of up.
	if key, err := sfnapi.LoadTokenKey(filepath.Join(dir, sfnapi.TokenKeyFile)); err != nil {
		logger.Error("step functions api nextToken key not loaded, so nextTokens stop working when up restarts", "error", err)
	} else {
		opts.TokenKey = key
	}
	api := sfnapi.New(eng, opts)
	mux.Handle("POST /sfn/", api)
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" {
			http.NotFound(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
