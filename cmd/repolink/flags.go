package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// errHelp is returned after --help printed the usage of a command.
var errHelp = errors.New("help requested")

// defaultStateDir is the state directory used when --state-dir is not given.
const defaultStateDir = ".repolink"

// flagSetCreated, when set by a test, receives every flag set that
// newFlagSet returns, so that the test can compare each command's
// registered flags with its help.
var flagSetCreated func(*flag.FlagSet)

// newFlagSet returns a flag set that prints its usage to stderr and turns
// parse errors into usage errors.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: repolink %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	if flagSetCreated != nil {
		flagSetCreated(fs)
	}
	return fs
}

// addUsageNotes makes the usage of fs end with notes, such as the
// environment variables that the command reads.
func addUsageNotes(fs *flag.FlagSet, notes string) {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), "\n"+notes)
	}
}

// parseFlags parses args. For --help it prints the usage. For an invalid
// flag it prints the error once, followed by the usage, and returns a usage
// error that is not printed again.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// The flag package prints the error and calls Usage by itself, which
	// would print the error twice, so it prints to io.Discard here.
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return checkStateDirGiven(fs)
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelp
	}
	fmt.Fprintln(out, "repolink:", err)
	fs.Usage()
	return &usageError{msg: err.Error(), printed: true}
}

// checkStateDirGiven returns a usage error when fs has --state-dir and its
// value is empty or only whitespace, as from an unset shell variable.
// filepath.Abs turns an empty path into the current directory, where the
// command would otherwise create or read its state.
func checkStateDirGiven(fs *flag.FlagSet) error {
	f := fs.Lookup("state-dir")
	if f == nil || strings.TrimSpace(f.Value.String()) != "" {
		return nil
	}
	return usagef("--state-dir is empty; pass the state directory, or leave the flag out for the default %s", defaultStateDir)
}

// stateDirFlag registers --state-dir.
func stateDirFlag(fs *flag.FlagSet) *string {
	return fs.String("state-dir", defaultStateDir, "directory for the engine store and the sandbox world")
}

// prepareStateDir creates the state directory, readable by its owner only
// because the sandbox world and the engine store live in it. An existing
// directory keeps its mode, and warn gets one line when users other than
// its owner can open it.
func prepareStateDir(dir string, warn func(string)) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create state directory %s: %w", dir, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", dir, err)
	}
	if mode := info.Mode().Perm(); mode&0o077 != 0 {
		warn(fmt.Sprintf("state directory %s has mode %#o, so other users can open it; run 'chmod 700 %s'",
			abs, mode, shellQuote(abs)))
	}
	if err := checkStateLinks(abs); err != nil {
		return "", err
	}
	return abs, nil
}

// warnTo returns a function that writes a warning line to stderr.
func warnTo(stderr io.Writer) func(string) {
	return func(msg string) { printText(stderr, "repolink: warning: %s\n", msg) }
}

// parseInterspersed parses flags that may come before and after the
// positional arguments, as in "send-task-failure TOKEN --error E", and
// returns the positional arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// commandFlags returns the flags that a suggested follow-up command needs
// to act on the same state directory and sandbox.
func commandFlags(sandbox bool, stateDir string) string {
	var flags string
	if sandbox {
		flags += " --sandbox"
	}
	if stateDir != defaultStateDir {
		flags += " --state-dir " + shellQuote(stateDir)
	}
	return flags
}

// remoteCommandFlags returns the flags of commandFlags for a command that
// a message suggests to a caller of the Step Functions API or the webhook
// of repolink up. Such a caller may be on another machine, so the state
// directory, a path of the machine of repolink up, is shown as DIR.
func remoteCommandFlags(sandbox bool, stateDir string) string {
	if stateDir != defaultStateDir {
		stateDir = "DIR"
	}
	return commandFlags(sandbox, stateDir)
}

// storeFlagsOf returns the flags of commandFlags without --sandbox, for a
// suggested command that takes only --state-dir, such as stop or history.
func storeFlagsOf(flags string) string {
	return strings.TrimPrefix(flags, " --sandbox")
}

// shellQuote returns s as one word of a POSIX shell command line that a
// user can paste. A word of only letters, digits and the characters
// _@%+=:,./- stays as it is, so common paths read unchanged. Any other word
// goes in double quotes, which keep the single quotes that messages put
// around a suggested command readable, with ", $, ` and \ escaped. A ! ends
// the double quotes and is escaped outside them, because interactive bash
// expands ! in double quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '$', '`', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '!':
			b.WriteString(`"\!"`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// shellSafe are the characters that shellQuote leaves unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-"

// executionFlags are the flags of the commands that continue the work of an
// existing execution: redrive and teardown.
type executionFlags struct {
	sandbox  *bool
	stateDir *string
	verbose  *bool
	latency  *string
}

func addExecutionFlags(fs *flag.FlagSet, sandboxUsage string) executionFlags {
	return executionFlags{
		sandbox:  fs.Bool("sandbox", false, sandboxUsage),
		stateDir: stateDirFlag(fs),
		verbose:  fs.Bool("verbose", false, "log engine and adapter details to stderr"),
		latency:  latencyFlag(fs, false),
	}
}

// validate checks the values that the flag package cannot.
func (f executionFlags) validate() error {
	return checkLatency(*f.latency, false)
}

// logger returns the stderr logger: errors only, or everything with --verbose.
func (f executionFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelError
	if *f.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// parseName parses the flags of a command that takes one execution name
// and returns the name. output, when not nil, is the --output flag to check.
func parseName(fs *flag.FlagSet, args []string, output *string) (string, error) {
	return parseNameOr(fs, args, output, "")
}

// parseNameOr is parseName for a command that also takes what alternative
// names, such as "or a request file", in place of the execution name.
func parseNameOr(fs *flag.FlagSet, args []string, output *string, alternative string) (string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if output != nil {
		if err := checkOutput(*output); err != nil {
			return "", err
		}
	}
	if len(positional) != 1 {
		forms := "one execution name"
		if alternative != "" {
			forms += " " + alternative
		}
		return "", usagef("%s takes %s; got %d arguments", fs.Name(), forms, len(positional))
	}
	if err := checkNameGiven(fs.Name(), positional[0], alternative); err != nil {
		return "", err
	}
	return nameArg(positional[0]), nil
}

// checkNameGiven returns a usage error when the execution name that
// command received is empty or only whitespace, as from an unset shell
// variable. alternative, such as "or a request file", names what else
// command takes.
func checkNameGiven(command, name, alternative string) error {
	if strings.TrimSpace(name) != "" {
		return nil
	}
	if alternative != "" {
		alternative = " " + alternative
	}
	return usagef("%s: the execution name is empty; pass the name of an execution%s, such as DATA-4711, and run 'repolink list' for the names", command, alternative)
}

// openStoreFor opens the engine store in stateDir to read or change the
// execution name, or returns a usage error when the directory has none.
func openStoreFor(stateDir, name string) (*engine.Engine, string, error) {
	eng, dir, err := openEngineStore(stateDir)
	if errors.Is(err, errNoStore) {
		return nil, dir, noStoreError(dir, "no execution named "+name)
	}
	return eng, dir, err
}

// readStoreFor opens the engine store in stateDir as openStoreFor does,
// for a command that only reads the execution name.
func readStoreFor(stateDir, name string) (*engine.Engine, string, error) {
	eng, dir, err := readEngineStore(stateDir)
	if errors.Is(err, errNoStore) {
		return nil, dir, noStoreError(dir, "no execution named "+name)
	}
	return eng, dir, err
}

// loadExecution reads an execution from the store in stateDir and returns
// it with the store's absolute directory, or a usage error that explains why it
// cannot be read. It leaves the store in the format it has.
func loadExecution(ctx context.Context, stateDir, name string) (engine.Execution, string, error) {
	eng, dir, x, err := openStoredExecution(ctx, stateDir, name)
	if err != nil {
		return engine.Execution{}, dir, err
	}
	eng.Close()
	return x, dir, nil
}

// openStoredExecution opens the store in stateDir for reading and describes the
// execution name in it, as loadExecution does, for a caller that reads
// more of the store afterwards. The caller closes the returned engine,
// which is nil when the error is not.
func openStoredExecution(ctx context.Context, stateDir, name string) (*engine.Engine, string, engine.Execution, error) {
	eng, dir, err := readStoreFor(stateDir, name)
	if err != nil {
		return nil, dir, engine.Execution{}, err
	}
	x, err := describeOrUsage(ctx, eng, dir, name)
	if err != nil {
		eng.Close()
		return nil, dir, engine.Execution{}, err
	}
	return eng, dir, x, nil
}

// serveLocally checks the request's local credential references, opens the
// runtime for it, prepares the sandbox and starts the poller and the engine.
// It returns the runtime, the mode for progress output, and the function
// that stops it all.
func serveLocally(ctx context.Context, req request.Request, opts runtimeOptions) (*runtime, string, func(), error) {
	machine := provisionMachine
	if opts.teardown {
		machine = teardownMachine
	}
	if err := checkMachineCredentials(ctx, req, "$", machine); err != nil {
		return nil, "", nil, err
	}
	opts.hosts = requestHosts(req)
	rt, err := openRuntime(ctx, opts)
	if err != nil {
		return nil, "", nil, err
	}
	seed := rt.seed
	if opts.teardown {
		seed = rt.seedForTeardown
	}
	if err := seed(ctx, req); err != nil {
		rt.Close()
		return nil, "", nil, prepareErrorFor(err, machine)
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	waitServing := rt.serve(serveCtx)
	stop := func() {
		stopServing()
		waitServing()
		rt.Close()
	}

	mode := "real clouds"
	if rt.sandbox != nil {
		mode = "sandbox in " + rt.sandbox.Dir()
	}
	return rt, mode, stop, nil
}

// latencyFlag defines --sandbox-latency. With bench, as on run, the help
// also lists realistic, the delays that the provision benchmark uses.
func latencyFlag(fs *flag.FlagSet, bench bool) *string {
	usage := "how long sandbox clouds take: default (about a second per wait) or none"
	if bench {
		usage = "how long sandbox clouds take: default (about a second per wait), none, " +
			"or realistic (estimates of the clouds' delays, for benchmarks; needs --sandbox)"
	}
	return fs.String("sandbox-latency", "default", usage)
}

// checkLatency checks a --sandbox-latency value. realistic is accepted only
// where bench is true, and the error lists exactly the values accepted.
func checkLatency(value string, bench bool) error {
	if value == "default" || value == "none" || (bench && value == "realistic") {
		return nil
	}
	if bench {
		return usagef("--sandbox-latency must be default, none or realistic, not %q", value)
	}
	if value == "realistic" {
		return usagef("--sandbox-latency must be default or none, not %q, because only run accepts realistic", value)
	}
	return usagef("--sandbox-latency must be default or none, not %q", value)
}

// Bounds of the interval flags. A ticker needs a positive interval, and an
// interval longer than an hour would leave a waiting endpoint or a failed
// notification unchecked for that long.
const (
	minInterval = time.Second
	maxInterval = time.Hour
	// maxEndpointDelay bounds --sandbox-endpoint-delay, on the sandbox clock.
	// The benchmark keeps an endpoint pending for 7 days, and a longer delay
	// than 30 days would only outlast every wait deadline.
	maxEndpointDelay = 30 * 24 * time.Hour
)

// pollIntervalFlag defines --poll-interval. Zero, the default, means 1s
// with --sandbox and 1m otherwise.
func pollIntervalFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("poll-interval", 0, "how often the poller checks waiting endpoints, from 1s to 1h (default 1s with --sandbox, 1m otherwise); a newly registered wait is also checked at most 1s after it is registered")
}

// checkIntervalFlag rejects a value of the duration flag name outside
// [low, high] when the command line sets it. A flag left unset keeps its
// default, which the command replaces later.
func checkIntervalFlag(fs *flag.FlagSet, name string, low, high time.Duration) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if f.Name != name {
			return
		}
		value := f.Value.(flag.Getter).Get().(time.Duration)
		if value < low || value > high {
			err = usagef("--%s must be from %s to %s, not %s", name, low, high, value)
		}
	})
	return err
}
