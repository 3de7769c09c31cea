package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/sandbox/vm"
)

// faultTarget is the call that a fault case fails: the first call of the
// step that changes something, found by name in the sandbox's traffic.
type faultTarget struct {
	// step is the step's name in progress lines and the summary.
	step string
	// state is the step's Task state in the provision state machine.
	state string
	cloud string
	match string
	// skip lets earlier matching calls through: sandbox seeding reads two
	// secrets before preflight reads the third, and the endpoint step
	// lists endpoints before the poller does.
	skip int
}

// privateLinkTargets are the steps of the aws-privatelink route in the
// order the state machine runs them.
var privateLinkTargets = []faultTarget{
	{"preflight", "Preflight", sandbox.FaultCloudAWS, "secretsmanager:GetSecretValue", 2},
	{"proxy_vm", "ProxyVM", sandbox.FaultCloudAWS, "RunInstances", 0},
	{"target_group", "TargetGroup", sandbox.FaultCloudAWS, "CreateTargetGroup", 0},
	{"load_balancer", "LoadBalancer", sandbox.FaultCloudAWS, "CreateLoadBalancer", 0},
	{"endpoint_service", "EndpointService", sandbox.FaultCloudAWS, "CreateVpcEndpointServiceConfiguration", 0},
	{"endpoint", "Endpoint", sandbox.FaultCloudSnowflake, "SYSTEM$PROVISION_PRIVATELINK_ENDPOINT", 0},
	{"connection", "Connection", sandbox.FaultCloudAWS, "AcceptVpcEndpointConnections", 0},
	{"await_endpoint", "AwaitEndpoint", sandbox.FaultCloudSnowflake, "SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO", 1},
	{"secret", "Secret", sandbox.FaultCloudSnowflake, "CREATE SECRET", 0},
	{"integration", "Integration", sandbox.FaultCloudSnowflake, "CREATE API INTEGRATION", 0},
	{"repository", "Repository", sandbox.FaultCloudSnowflake, "CREATE ARTIFACT REPOSITORY", 0},
	{"default", "DefaultRepository", sandbox.FaultCloudSnowflake, "SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY", 0},
	{"grants", "Grants", sandbox.FaultCloudSnowflake, "GRANT USAGE ON DATABASE", 0},
	{"verification", "Verification", sandbox.FaultCloudSnowflake, "TEMPORARY FUNCTION", 0},
}

// Fault sizes. Four failures in a row outlast the AWS SDK's three attempts
// and the Snowflake driver's retries, so the state machine's Retry has to
// act. The timeout hold outlasts the Snowflake client's 60 s request
// timeout.
const (
	transientTimes = 4
	slowDelay      = 3 * time.Second
	timeoutHold    = 75 * time.Second
	// faultRunTimeout bounds one repolink run or redrive of a fault case.
	faultRunTimeout = 150 * time.Second
)

// faultCase is one fault at one step.
type faultCase struct {
	target faultTarget
	rule   sandbox.FaultRule
}

func (c faultCase) name() string { return c.target.step + " " + c.rule.Kind }

func (c faultCase) terminal() bool { return c.rule.Kind == sandbox.FaultReject }

// faultCases returns the cases of the suite: every transient kind and the
// terminal kind at every step, and a timeout at one AWS and one Snowflake
// step. The timeouts come first because they take longest.
func faultCases() (cases []faultCase, notes []string) {
	for _, step := range []string{"load_balancer", "repository"} {
		t := targetByStep(step)
		cases = append(cases, faultCase{t, sandbox.FaultRule{Cloud: t.cloud, Match: t.match, Skip: t.skip,
			Kind: sandbox.FaultTimeout, Times: 1, Delay: timeoutHold.String()}})
	}
	for _, t := range privateLinkTargets {
		for _, kind := range []string{sandbox.FaultThrottle, sandbox.FaultServerError, sandbox.FaultDrop, sandbox.FaultSlow, sandbox.FaultReject} {
			rule := sandbox.FaultRule{Cloud: t.cloud, Match: t.match, Skip: t.skip, Kind: kind, Times: transientTimes}
			switch kind {
			case sandbox.FaultDrop, sandbox.FaultSlow:
				rule.Times = 1
				if kind == sandbox.FaultSlow {
					rule.Delay = slowDelay.String()
				}
			case sandbox.FaultReject:
				// Every call fails until the fault is cleared.
				rule.Times = 0
			}
			if kind == sandbox.FaultReject && t.step == "await_endpoint" {
				notes = append(notes, "await_endpoint reject is not run: the poller retries every failed query until the wait's deadline, "+
					"so only Snowflake reporting the endpoint failed ends the wait, and no sandbox fault makes it do that")
				continue
			}
			cases = append(cases, faultCase{t, rule})
		}
	}
	return cases, notes
}

func targetByStep(step string) faultTarget {
	for _, t := range privateLinkTargets {
		if t.step == step {
			return t
		}
	}
	panic("no fault target for step " + step)
}

// runFaults runs every fault case in its own state directory.
func runFaults(ctx context.Context, s *session) {
	cases, notes := faultCases()
	for _, n := range notes {
		s.report.note(SuiteFaults, n)
	}
	request := s.example("aws-privatelink.json")
	forEach(ctx, s.cfg.FaultParallel, len(cases), func(i int) {
		c := cases[i]
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteFaults, c.name(), 0, reason)
			return
		}
		runFaultCase(ctx, s, c, request)
	})
}

func runFaultCase(ctx context.Context, s *session, c faultCase, request string) {
	start := time.Now()
	label := "faults-" + strings.ReplaceAll(c.name(), " ", "-")
	stateDir := s.dir(SuiteFaults, strings.ReplaceAll(c.name(), " ", "-"))
	hits := filepath.Join(stateDir, "fault-hits")
	rulesPath := filepath.Join(stateDir, "faults.json")
	if err := writeFaultFile(rulesPath, hits, c.rule); err != nil {
		s.report.fail(SuiteFaults, c.name(), 0, err.Error())
		return
	}
	defer func() { _ = vm.StopAll(filepath.Join(stateDir, "sandbox", "vms")) }()

	runCtx, cancel := context.WithTimeout(ctx, faultRunTimeout)
	run := s.repolink(runCtx, label+"-run", childEnv(faultsEnv(rulesPath)),
		"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", stateDir, request)
	cancel()

	var problems []string
	injected := countLines(hits)
	if injected == 0 {
		problems = append(problems, fmt.Sprintf("the fault never fired: no %s call matched %q after skipping %d", c.rule.Cloud, c.rule.Match, c.rule.Skip))
	}
	detail := plural(injected, "fault") + " injected"
	if c.terminal() {
		problems = append(problems, checkTerminal(ctx, s, c, label, stateDir, run)...)
	} else {
		var failed int
		failed, problems = checkTransient(ctx, s, c, label, stateDir, run, problems)
		detail += fmt.Sprintf(", %s of %s failed", plural(failed, "attempt"), c.target.state)
	}

	s.status(ctx, label+"-status", stateDir, "DATA-4711")
	w, err := readWorld(stateDir)
	if err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, w.checkOneOfEach()...)
	s.secrets.addWorld(w)
	s.report.check(SuiteFaults, c.name(), time.Since(start), detail, problems)
}

func writeFaultFile(path, hits string, rule sandbox.FaultRule) error {
	data, err := json.MarshalIndent(sandbox.FaultFile{Hits: hits, Rules: []sandbox.FaultRule{rule}}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode fault file: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write fault file: %w", err)
	}
	return nil
}

// checkTransient checks that a run with a passing fault succeeded. A slow
// response must not cause a retry, and a held response must be given up by
// the client before the hold ends. It returns the number of failed
// attempts of the faulted state, which is the number of retries when the
// run succeeded.
func checkTransient(ctx context.Context, s *session, c faultCase, label, stateDir string, run childResult, problems []string) (int, []string) {
	if !run.succeededRun() {
		problems = append(problems, "the run did not succeed after the fault passed: "+run.describe())
	}
	events, err := s.history(ctx, label+"-history", stateDir, "DATA-4711")
	if err != nil {
		return 0, append(problems, err.Error())
	}
	retries := 0
	for _, ev := range events {
		if ev.State == c.target.state && engine.TaskEventType(ev.Type) == "TaskFailed" {
			retries++
		}
	}
	switch c.rule.Kind {
	case sandbox.FaultSlow:
		if retries > 0 {
			problems = append(problems, fmt.Sprintf("a response slowed by %s, below every client timeout, made the state machine retry %s %d times",
				slowDelay, c.target.state, retries))
		}
	case sandbox.FaultTimeout:
		if run.took >= timeoutHold {
			problems = append(problems, fmt.Sprintf("the %s client waited out the sandbox's whole %s hold (the run took %s): "+
				"its HTTP client has no response timeout, so a hung endpoint holds the step as long as it hangs",
				c.rule.Cloud, timeoutHold, run.took.Round(time.Second)))
		}
	}
	return retries, problems
}

// checkTerminal checks that a run with a lasting fault failed at the
// faulted step, and that a redrive without the fault finished the
// execution without running the earlier steps again.
func checkTerminal(ctx context.Context, s *session, c faultCase, label, stateDir string, run childResult) []string {
	var problems []string
	if run.err != nil || run.code != 1 {
		problems = append(problems, "the run did not fail with exit status 1: "+run.describe())
	}
	if want := "failed step:      " + c.target.step; !strings.Contains(run.stdout, want) {
		problems = append(problems, fmt.Sprintf("the summary does not name the step (%q): %s", want, run.describe()))
	}

	before, err := s.history(ctx, label+"-history-failed", stateDir, "DATA-4711")
	if err != nil {
		return append(problems, err.Error())
	}
	runCtx, cancel := context.WithTimeout(ctx, faultRunTimeout)
	redrive := s.repolink(runCtx, label+"-redrive", childEnv(),
		"redrive", "--sandbox", "--sandbox-latency", "none", "--state-dir", stateDir, "DATA-4711")
	cancel()
	if !redrive.succeededRun() {
		problems = append(problems, "repolink redrive after clearing the fault did not succeed: "+redrive.describe())
	}

	after, err := s.history(ctx, label+"-history-redriven", stateDir, "DATA-4711")
	if err != nil {
		return append(problems, err.Error())
	}
	if len(after) < len(before) {
		return append(problems, "the history got shorter after the redrive")
	}
	return append(problems, checkRedriveHistory(c.target.state, after[len(before):])...)
}

// checkRedriveHistory checks the events that a redrive added: the first
// Task state it enters is the failed one, and no state that ran before it
// runs again.
func checkRedriveHistory(failedState string, added []historyEvent) []string {
	earlier := map[string]bool{}
	for _, t := range privateLinkTargets {
		if t.state == failedState {
			break
		}
		earlier[t.state] = true
	}
	var problems []string
	var entered []string
	for _, ev := range added {
		if ev.Type != "TaskStateEntered" {
			continue
		}
		entered = append(entered, ev.State)
		if earlier[ev.State] {
			problems = append(problems, fmt.Sprintf("the redrive ran %s again, which had succeeded before %s failed", ev.State, failedState))
		}
	}
	if len(entered) == 0 || entered[0] != failedState {
		problems = append(problems, fmt.Sprintf("the redrive entered %v, want %s first", entered, failedState))
	}
	return problems
}

// plural returns "1 fault" or "n faults".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// countLines returns the number of lines in a file, 0 when it is missing.
func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\n")
}
