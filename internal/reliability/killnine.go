package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/vm"
)

// Kill delays are drawn from this range. An uninterrupted run of the
// example with zero sandbox latency takes about 1.5 s on an idle machine,
// so most kills land inside it and the rest test a restart after success.
const (
	minKillDelay = 50 * time.Millisecond
	maxKillDelay = 1500 * time.Millisecond
)

// restartTimeout bounds the run after the kill. It has to outlast the
// engine's runner lease, which the killed process held and which a new
// process takes over only after it expires (at least 5 s).
const restartTimeout = 90 * time.Second

// runKillNine provisions the example request in a fresh state directory
// per trial, kills the run with SIGKILL after a random delay, runs it again
// and checks that the open execution finished and nothing was created
// twice.
func runKillNine(ctx context.Context, s *session) {
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), 9))
	delays := make([]time.Duration, s.cfg.Trials)
	for i := range delays {
		delays[i] = minKillDelay + time.Duration(rng.Int64N(int64(maxKillDelay-minKillDelay)))
	}
	request := s.example("aws-privatelink.json")
	forEach(ctx, s.cfg.Parallel, len(delays), func(i int) {
		name := fmt.Sprintf("trial %03d", i+1)
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteKillNine, name, 0, fmt.Sprintf("kill after %s: %s", delays[i], reason))
			return
		}
		killTrial(ctx, s, i+1, delays[i], request)
	})
}

// forEach calls fn(i) for i in [0, n), at most parallel at a time, and
// returns when every call has returned.
func forEach(ctx context.Context, parallel, n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Go(func() {
			for i := range work {
				fn(i)
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// killOutcome is the state that a kill left: whether the run had already
// finished, and the executions that the killed run left behind.
type killOutcome struct {
	missed bool // the run had finished before the kill
	before []execution
}

// closedBeforeKill reports whether the killed run had already finished its
// execution.
func (k killOutcome) closedBeforeKill() bool {
	if k.missed {
		return true
	}
	for _, x := range k.before {
		if x.Status == "SUCCEEDED" {
			return true
		}
	}
	return false
}

func (k killOutcome) String() string {
	switch {
	case k.missed:
		return "the run finished before the kill"
	case len(k.before) == 0:
		return "no execution yet"
	}
	var parts []string
	for _, x := range k.before {
		parts = append(parts, fmt.Sprintf("%s %s in %s", x.Name, x.Status, x.CurrentState))
	}
	return strings.Join(parts, ", ")
}

func killTrial(ctx context.Context, s *session, n int, delay time.Duration, request string) {
	name := fmt.Sprintf("trial %03d", n)
	label := fmt.Sprintf("killnine-%03d", n)
	stateDir := s.dir(SuiteKillNine, fmt.Sprintf("%03d", n))
	args := []string{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", stateDir, request}
	start := time.Now()

	outcome, err := killRun(ctx, s, label, stateDir, delay, args)
	if err != nil {
		s.report.fail(SuiteKillNine, name, time.Since(start), fmt.Sprintf("kill after %s: %v", delay, err))
		return
	}
	detail := fmt.Sprintf("kill after %s: %s", delay, outcome)

	runCtx, cancel := context.WithTimeout(ctx, restartTimeout)
	restart := s.repolink(runCtx, label+"-restart", childEnv(), args...)
	cancel()

	var problems []string
	if restart.err != nil || restart.code != 0 || !strings.Contains(restart.stdout, "status:           SUCCEEDED") {
		problems = append(problems, "the run after the kill did not succeed: "+restart.describe())
	}
	problems = append(problems, checkExecutions(ctx, s, label, stateDir, outcome)...)
	w, err := readWorld(stateDir)
	if err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, w.checkOneOfEach()...)
	s.secrets.addWorld(w)
	if err := vm.StopAll(filepath.Join(stateDir, "sandbox", "vms")); err != nil {
		problems = append(problems, "stop leftover proxy VMs: "+err.Error())
	}
	s.report.check(SuiteKillNine, name, time.Since(start), detail, problems)
}

// killRun starts a run and sends it SIGKILL after delay, unless it exits
// first. It returns the executions that the killed run left behind.
func killRun(ctx context.Context, s *session, label, stateDir string, delay time.Duration, args []string) (killOutcome, error) {
	c, err := s.startChild(ctx, label+"-killed", childEnv(), s.cfg.Binary, args...)
	if err != nil {
		return killOutcome{}, err
	}
	done := make(chan childResult, 1)
	go func() { done <- c.wait() }()

	var outcome killOutcome
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case res := <-done:
		if res.code != 0 {
			return outcome, fmt.Errorf("the run exited on its own before the kill: %s", res.describe())
		}
		outcome.missed = true
	case <-timer.C:
		if err := c.kill(); err != nil {
			<-done
			return outcome, fmt.Errorf("send SIGKILL: %w", err)
		}
		<-done
	case <-ctx.Done():
		_ = c.kill()
		<-done
		return outcome, fmt.Errorf("%s", budgetLeft(ctx))
	}

	outcome.before, err = s.listExecutions(ctx, label+"-list-killed", stateDir)
	return outcome, err
}

// checkExecutions checks that the run after the kill finished the
// execution that the killed run left open, or started the only one, and
// that no execution was lost or started twice.
func checkExecutions(ctx context.Context, s *session, label, stateDir string, outcome killOutcome) []string {
	after, err := s.listExecutions(ctx, label+"-list-after", stateDir)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, x := range after {
		if x.Status != "SUCCEEDED" {
			problems = append(problems, fmt.Sprintf("execution %s is %s in %s, want SUCCEEDED", x.Name, x.Status, x.CurrentState))
		}
	}
	want := 1
	if outcome.closedBeforeKill() {
		// The first run closed its execution, so the second run starts
		// DATA-4711-r2, which adopts everything.
		want = 2
	}
	if len(after) != want {
		problems = append(problems, fmt.Sprintf("%d executions after the restart, want %d: %v", len(after), want, after))
	}
	names := map[string]bool{}
	for _, x := range after {
		names[x.Name] = true
	}
	for _, x := range outcome.before {
		if !names[x.Name] {
			problems = append(problems, fmt.Sprintf("execution %s, which the killed run left %s, is gone", x.Name, x.Status))
		}
	}
	if len(after) == 0 {
		return problems
	}

	events, err := s.history(ctx, label+"-history", stateDir, after[0].Name)
	if err != nil {
		return append(problems, err.Error())
	}
	counts := map[string]int{}
	for _, ev := range events {
		counts[ev.Type]++
	}
	if counts["ExecutionStarted"] != 1 || counts["ExecutionSucceeded"] != 1 {
		problems = append(problems, fmt.Sprintf("history of %s has %d ExecutionStarted and %d ExecutionSucceeded events, want 1 each",
			after[0].Name, counts["ExecutionStarted"], counts["ExecutionSucceeded"]))
	}
	return problems
}
