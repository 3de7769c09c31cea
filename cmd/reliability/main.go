// Command reliability runs repolink's reliability suites on the local
// sandbox and prints one line per case and the tally "N passed, N failed"
// last. Run it with make reliability, which builds bin/repolink first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/repolink/repolink/internal/reliability"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := reliability.Config{Out: os.Stdout}
	var suites, budgets string
	flag.StringVar(&cfg.Binary, "bin", "bin/repolink", "repolink binary that the suites run")
	flag.StringVar(&cfg.Root, "root", ".", "repository root, which holds examples/ and the packages with fuzz targets")
	flag.StringVar(&cfg.Work, "work", ".repolink/reliability", "work directory for state directories and logs; emptied first")
	flag.Int64Var(&cfg.Seed, "seed", time.Now().UnixNano(), "seed of every random choice; a run prints its seed")
	flag.StringVar(&suites, "suites", strings.Join(reliability.AllSuites, ","), "comma-separated suites to run")
	flag.StringVar(&budgets, "budgets", "", "comma-separated suite=duration budgets that replace the defaults, such as faults=6m")
	flag.IntVar(&cfg.Trials, "trials", 100, "kill -9 trials")
	flag.IntVar(&cfg.Parallel, "parallel", 3, "kill -9 trials that run at once")
	flag.IntVar(&cfg.FaultParallel, "fault-parallel", 4, "fault cases that run at once")
	flag.IntVar(&cfg.Deliveries, "deliveries", 10000, "signed webhook deliveries")
	flag.Float64Var(&cfg.Duplicates, "duplicates", 0.3, "share of the deliveries that repeat an earlier ticket")
	flag.IntVar(&cfg.Concurrency, "concurrency", 50, "webhook deliveries in flight")
	flag.DurationVar(&cfg.FuzzTime, "fuzztime", 30*time.Second, "how long each fuzz target runs")
	flag.StringVar(&cfg.Go, "go", "go", "go command that runs the fuzz targets")
	flag.Parse()

	cfg.Suites = strings.Split(suites, ",")
	var err error
	if cfg.Budgets, err = parseBudgets(budgets); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 2
	}
	for _, p := range []*string{&cfg.Binary, &cfg.Root, &cfg.Work} {
		if *p, err = filepath.Abs(*p); err != nil {
			fmt.Fprintln(os.Stderr, "reliability:", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, failed, err := reliability.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 2
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// parseBudgets reads "suite=duration,..." into a map.
func parseBudgets(text string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if text == "" {
		return out, nil
	}
	for _, part := range strings.Split(text, ",") {
		name, value, ok := strings.Cut(part, "=")
		d, err := time.ParseDuration(value)
		if !ok || err != nil || d <= 0 {
			return nil, fmt.Errorf("-budgets entry %q must be suite=duration, such as faults=6m", part)
		}
		out[name] = d
	}
	return out, nil
}
