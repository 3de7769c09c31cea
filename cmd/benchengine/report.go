package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Targets of the benchmark.
const (
	targetRatio       = 10.0 // engine executions per second over the peer's
	targetWaitsMiB    = 50.0 // memory that 1,000 token waits may add
	targetTransitions = 50   // billed state transitions per provision run
	targetZeroSeconds = 2.0  // wall time of a run with no cloud delays
	targetBootstrapMB = 40.0 // stripped bootstrap size, in units of 10^6 bytes
	targetInitSeconds = 0.1  // bootstrap start to its first request for an event
)

// peerResult is the output of tools/bench/peer.mjs.
type peerResult struct {
	Implementation string  `json:"implementation"`
	Node           string  `json:"node"`
	Executions     int     `json:"executions"`
	Seconds        float64 `json:"seconds"`
	PerSecond      float64 `json:"per_second"`
}

// report is the content of docs/benchmarks.md.
type report struct {
	Date, CPU, Go string
	// Load is /proc/loadavg when the report started: other work on the
	// machine slows the scaled runs.
	Load         string
	CPUs, Warmup int
	Engine       throughputResult
	Peer         peerResult
	Waits        waitsResult
	Polls        pollsResult
	Loop         loopResult
	Provision    provisionResult
	Lambda       lambdaResult
	// WaitLimits are the bounds of the endpoint wait as shipped.
	WaitLimits waitLimits
	// Seconds is how long the whole report took.
	Seconds float64
}

// reportSettings are the flags of the report subcommand.
type reportSettings struct {
	node, modules, machine, loopMachine  string
	repolink, request, lambdaDir, goTool string
	executions, warmup, waits            int
	out                                  string
}

func reportCommand(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	var s reportSettings
	fs.StringVar(&s.node, "node", "node", "Node 22 binary for aws-local-stepfunctions")
	fs.StringVar(&s.modules, "modules", ".tools/node/node_modules", "node_modules with aws-local-stepfunctions")
	fs.StringVar(&s.machine, "machine", "tools/bench/machine.asl.json", "ASL definition to run")
	fs.StringVar(&s.loopMachine, "loop", "tools/bench/polling-loop.asl.json", "ASL definition of the 30-second polling loop")
	fs.StringVar(&s.repolink, "repolink", "bin/repolink", "repolink binary for the provision runs")
	fs.StringVar(&s.request, "request", "examples/aws-privatelink.json", "request for the provision runs")
	fs.StringVar(&s.lambdaDir, "lambda", "bin/lambda", "directory with <arch>/bootstrap from make lambda")
	fs.StringVar(&s.goTool, "go", "go", "go command, for the bootstrap build with symbols")
	fs.IntVar(&s.executions, "executions", 2000, "executions to measure on each implementation")
	fs.IntVar(&s.warmup, "warmup", 200, "executions to run before measuring")
	fs.IntVar(&s.waits, "waits", 1000, "executions to leave waiting on task tokens")
	fs.StringVar(&s.out, "out", "docs/benchmarks.md", "file to write")
	fs.Parse(args)

	started := time.Now()
	r, err := measureAll(s)
	if err != nil {
		return err
	}
	r.Seconds = time.Since(started).Seconds()

	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, r); err != nil {
		return err
	}
	if err := os.WriteFile(s.out, page.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Print(r.headlines())
	fmt.Printf("wrote %s in %.0f s\n", s.out, r.Seconds)
	return nil
}

// measureAll runs every measurement in a child process of its own, so that
// one does not warm or grow the heap of the next.
func measureAll(s reportSettings) (report, error) {
	self, err := os.Executable()
	if err != nil {
		return report{}, err
	}
	limits, err := shippedWaitLimits()
	if err != nil {
		return report{}, err
	}
	r := report{
		Date:       time.Now().UTC().Format("2006-01-02"),
		CPU:        cpuModel(),
		Load:       loadAverage(),
		CPUs:       runtime.NumCPU(),
		Go:         runtime.Version(),
		Warmup:     s.warmup,
		WaitLimits: limits,
	}
	counts := []string{"-executions", fmt.Sprint(s.executions), "-warmup", fmt.Sprint(s.warmup)}
	steps := []struct {
		what string
		into any
		name string
		args []string
	}{
		{"engine throughput", &r.Engine, self, append([]string{"throughput", "-machine", s.machine}, counts...)},
		{"aws-local-stepfunctions throughput", &r.Peer, s.node, []string{"tools/bench/peer.mjs", "--modules", s.modules, "--machine", s.machine,
			"--executions", fmt.Sprint(s.executions), "--warmup", fmt.Sprint(s.warmup)}},
		{"token waits", &r.Waits, self, []string{"waits", "-executions", fmt.Sprint(s.waits)}},
		{"Snowflake queries per poll", &r.Polls, self, []string{"polls"}},
		{"polling loop", &r.Loop, self, []string{"loop", "-machine", s.loopMachine}},
		{"provision runs", &r.Provision, self, []string{"provision", "-repolink", s.repolink, "-request", s.request}},
		{"Lambda bootstrap", &r.Lambda, self, []string{"lambda", "-dir", s.lambdaDir, "-go", s.goTool}},
	}
	for _, step := range steps {
		fmt.Fprintf(os.Stderr, "benchengine: measuring %s\n", step.what)
		if err := runJSON(step.into, step.name, step.args...); err != nil {
			return report{}, fmt.Errorf("%s: %w", step.what, err)
		}
	}
	return r, nil
}

// runJSON runs a command and decodes the JSON line it prints into v.
func runJSON(v any, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(output, v); err != nil {
		return fmt.Errorf("%s printed %q: %w", name, output, err)
	}
	return nil
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(raw))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}
