// Package reliability runs repolink's reliability suites against the local
// sandbox: kill -9 trials, fault injection at every step, webhook load, SQL
// safety, a secret scan of everything the other suites left behind, and the
// fuzz targets. Each suite has its own time budget, and everything that the
// suites start binds 127.0.0.1.
package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/sandbox/vm"
)

// Suite names, in the order Run runs them. The secret scan comes after the
// suites whose output it reads.
const (
	SuiteKillNine = "killnine"
	SuiteFaults   = "faults"
	SuiteWebhook  = "webhook"
	SuiteSQL      = "sql"
	SuiteSecrets  = "secrets"
	SuiteFuzz     = "fuzz"
)

// AllSuites lists every suite in run order.
var AllSuites = []string{SuiteKillNine, SuiteFaults, SuiteWebhook, SuiteSQL, SuiteSecrets, SuiteFuzz}

// DefaultBudgets are the suites' time budgets. They add up to 17.75
// minutes, which leaves room for building the binaries inside a 20-minute
// make reliability. A suite that runs out stops its cases and counts the
// ones it did not finish as failed.
var DefaultBudgets = map[string]time.Duration{
	SuiteKillNine: 6 * time.Minute,
	SuiteFaults:   3 * time.Minute,
	SuiteWebhook:  3*time.Minute + 30*time.Second,
	SuiteSQL:      30 * time.Second,
	SuiteSecrets:  45 * time.Second,
	SuiteFuzz:     4 * time.Minute,
}

// Config configures Run.
type Config struct {
	// Root is the repository root, which holds examples/ and the packages
	// with fuzz targets.
	Root string
	// Binary is the repolink binary that the suites run as a child process.
	Binary string
	// Work is the directory for every state directory and log of the run.
	// Run empties it first.
	Work string
	// Seed seeds every random choice: kill delays, delivery order,
	// duplicates. The same seed repeats a run's choices.
	Seed int64
	// Suites are the suites to run, in AllSuites order. Empty runs all.
	Suites []string
	// Budgets overrides DefaultBudgets per suite.
	Budgets map[string]time.Duration

	// Trials is the number of kill -9 trials and Parallel how many run at
	// once.
	Trials   int
	Parallel int
	// FaultParallel is how many fault cases run at once. Most of a case is
	// spent waiting for retries, so more than the number of cores fit.
	FaultParallel int
	// Deliveries is the number of webhook deliveries, Duplicates the share
	// of them that repeat an earlier ticket, and Concurrency the number of
	// deliveries in flight.
	Deliveries  int
	Duplicates  float64
	Concurrency int
	// FuzzTime is how long each fuzz target runs, and Go is the go command
	// that runs them.
	FuzzTime time.Duration
	Go       string

	// Out receives one line per result and the closing tally.
	Out io.Writer
}

func (c *Config) setDefaults() {
	if len(c.Suites) == 0 {
		c.Suites = AllSuites
	}
	if c.Trials == 0 {
		c.Trials = 100
	}
	if c.Parallel == 0 {
		c.Parallel = 3
	}
	if c.FaultParallel == 0 {
		c.FaultParallel = 4
	}
	if c.Deliveries == 0 {
		c.Deliveries = 10000
	}
	if c.Concurrency == 0 {
		c.Concurrency = 50
	}
	if c.FuzzTime == 0 {
		c.FuzzTime = 30 * time.Second
	}
	if c.Go == "" {
		c.Go = "go"
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
}

func (c *Config) check() error {
	var errs []error
	for _, s := range c.Suites {
		if !slices.Contains(AllSuites, s) {
			errs = append(errs, fmt.Errorf("unknown suite %q; choose from %s", s, strings.Join(AllSuites, ", ")))
		}
	}
	if c.Duplicates < 0 || c.Duplicates >= 1 {
		errs = append(errs, fmt.Errorf("duplicate share %v must be at least 0 and below 1", c.Duplicates))
	}
	for name, path := range map[string]string{"repository root": c.Root, "repolink binary": c.Binary} {
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.Work == "" {
		errs = append(errs, errors.New("work directory is empty"))
	}
	return errors.Join(errs...)
}

func (c *Config) budget(suite string) time.Duration {
	if d, ok := c.Budgets[suite]; ok {
		return d
	}
	return DefaultBudgets[suite]
}

// Run runs the configured suites and returns the number of passed and
// failed cases. The error is for a run that could not start at all.
func Run(ctx context.Context, cfg Config) (passed, failed int, err error) {
	cfg.setDefaults()
	if err := cfg.check(); err != nil {
		return 0, 0, err
	}
	if err := resetWork(cfg.Work); err != nil {
		return 0, 0, err
	}
	s := &session{cfg: cfg, report: newReport(cfg.Out), secrets: newSecretSet()}
	fmt.Fprintf(cfg.Out, "reliability: seed %d (pass -seed %d to repeat the random choices), work directory %s\n",
		cfg.Seed, cfg.Seed, cfg.Work)

	if slices.Contains(cfg.Suites, SuiteFuzz) {
		buildFuzzTargets(ctx, s)
	}

	runners := map[string]func(context.Context, *session){
		SuiteKillNine: runKillNine,
		SuiteFaults:   runFaults,
		SuiteWebhook:  runWebhook,
		SuiteSQL:      runSQLSafety,
		SuiteSecrets:  runSecretScan,
		SuiteFuzz:     runFuzz,
	}
	for _, name := range AllSuites {
		if !slices.Contains(cfg.Suites, name) {
			continue
		}
		if ctx.Err() != nil {
			s.report.fail(name, "suite", 0, "not run: interrupted")
			continue
		}
		budget := cfg.budget(name)
		fmt.Fprintf(cfg.Out, "\n== %s (budget %s)\n", name, budget)
		suiteCtx, cancel := context.WithTimeout(ctx, budget)
		start := time.Now()
		runners[name](suiteCtx, s)
		cancel()
		p, f := s.report.suiteTally(name)
		fmt.Fprintf(cfg.Out, "== %s: %d passed, %d failed in %s\n", name, p, f, time.Since(start).Round(time.Second))
	}
	passed, failed = s.report.tally()
	fmt.Fprintf(cfg.Out, "\n%d passed, %d failed\n", passed, failed)
	return passed, failed, nil
}

// resetWork stops proxy VMs that an earlier run left in dir, removes it
// and creates it again.
func resetWork(dir string) error {
	// Every state directory is <suite>/<case> under the work directory.
	vmDirs, _ := filepath.Glob(filepath.Join(dir, "*", "*", "sandbox", "vms"))
	for _, vms := range vmDirs {
		_ = vm.StopAll(vms)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("empty work directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create work directory: %w", err)
	}
	return nil
}

// session is the state that the suites of one Run share.
type session struct {
	cfg    Config
	report *report
	// secrets collects the sandbox passwords, tokens and keys that the
	// secret scan looks for.
	secrets *secretSet
}

// dir returns a directory under the work directory, created on first use.
func (s *session) dir(parts ...string) string {
	d := filepath.Join(append([]string{s.cfg.Work}, parts...)...)
	_ = os.MkdirAll(d, 0o700)
	return d
}

// example returns the path of a file in examples/.
func (s *session) example(name string) string {
	return filepath.Join(s.cfg.Root, "examples", name)
}

// budgetLeft reports why a case cannot start: the suite's budget ran out or
// the run was interrupted. It returns "" while there is time.
func budgetLeft(ctx context.Context) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "not run: the suite's time budget ran out"
	case ctx.Err() != nil:
		return "not run: interrupted"
	}
	return ""
}
