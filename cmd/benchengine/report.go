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
	"text/template"
	"time"
)

// Targets of the benchmark.
const (
	targetRatio    = 10.0 // engine executions per second over the peer's
	targetWaitsMiB = 50.0 // memory that 1,000 token waits may add
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
	Date, CPU, Go          string
	CPUs, Warmup           int
	Engine                 throughputResult
	Peer                   peerResult
	Waits                  waitsResult
	Ratio                  float64
	TargetRatio, TargetMiB float64
}

func reportCommand(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	node := fs.String("node", "node", "Node 22 binary for aws-local-stepfunctions")
	modules := fs.String("modules", ".tools/node/node_modules", "node_modules with aws-local-stepfunctions")
	machine := fs.String("machine", "tools/bench/machine.asl.json", "ASL definition to run")
	executions := fs.Int("executions", 2000, "executions to measure on each implementation")
	warmup := fs.Int("warmup", 200, "executions to run before measuring")
	waits := fs.Int("waits", 1000, "executions to leave waiting on task tokens")
	out := fs.String("out", "docs/benchmarks.md", "file to write")
	fs.Parse(args)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	r := report{
		Date:        time.Now().UTC().Format("2006-01-02"),
		CPU:         cpuModel(),
		CPUs:        runtime.NumCPU(),
		Go:          runtime.Version(),
		TargetRatio: targetRatio,
		TargetMiB:   targetWaitsMiB,
		Warmup:      *warmup,
	}
	counts := []string{"-executions", fmt.Sprint(*executions), "-warmup", fmt.Sprint(*warmup)}
	if err := runJSON(&r.Engine, self, append([]string{"throughput", "-machine", *machine}, counts...)...); err != nil {
		return fmt.Errorf("engine throughput: %w", err)
	}
	if err := runJSON(&r.Peer, *node, "tools/bench/peer.mjs", "--modules", *modules, "--machine", *machine,
		"--executions", fmt.Sprint(*executions), "--warmup", fmt.Sprint(*warmup)); err != nil {
		return fmt.Errorf("aws-local-stepfunctions throughput: %w", err)
	}
	if err := runJSON(&r.Waits, self, "waits", "-executions", fmt.Sprint(*waits)); err != nil {
		return fmt.Errorf("token waits: %w", err)
	}
	r.Ratio = r.Engine.PerSecond / r.Peer.PerSecond

	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, r); err != nil {
		return err
	}
	if err := os.WriteFile(*out, page.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("engine %.0f executions/s, %s %.0f executions/s: %.2fx (target %.0fx); "+
		"%d token waits add %.1f MiB RSS (target %.0f MiB); wrote %s\n",
		r.Engine.PerSecond, r.Peer.Implementation, r.Peer.PerSecond, r.Ratio, targetRatio,
		r.Waits.Executions, r.Waits.RSSAdded, targetWaitsMiB, *out)
	return nil
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

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"f0":  func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"kib": func(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) },
}).Parse(`# Engine benchmarks

This page is written by ` + "`make bench`" + ` (cmd/benchengine); do not edit it by hand.

| measure | result | target |
| --- | --- | --- |
| executions per second, embedded engine | {{f0 .Engine.PerSecond}} | |
| executions per second, {{.Peer.Implementation}} | {{f0 .Peer.PerSecond}} | |
| engine over aws-local-stepfunctions | {{f2 .Ratio}}x | at least {{f0 .TargetRatio}}x: {{if ge .Ratio .TargetRatio}}met{{else}}**missed**{{end}} |
| memory that {{.Waits.Executions}} executions waiting on task tokens add (RSS) | {{f1 .Waits.RSSAdded}} MiB | at most {{f0 .TargetMiB}} MiB: {{if le .Waits.RSSAdded .TargetMiB}}met{{else}}**missed**{{end}} |

## Machine

- Date: {{.Date}} (UTC)
- CPU: {{.CPU}}, {{.CPUs}} logical CPUs
- Go: {{.Go}}, SQLite through modernc.org/sqlite (pure Go)
- Node: {{.Peer.Node}}, {{.Peer.Implementation}}

## Method

Throughput: both implementations run tools/bench/machine.asl.json, 20 states in a row (8 Pass, 4 Choice with
an And rule, 8 Task states whose function returns ` + "`{\"ok\":true}`" + ` at once, each with Parameters, ResultSelector and
ResultPath). Each first runs a warm-up batch of {{.Warmup}} executions, then starts {{.Engine.Executions}}
executions at once and waits for all of them; the rate is executions over the wall
time of that batch. The engine runs in its own process on a fresh SQLite store, with its Run loop and the task
function in process ({{.Engine.Events}} history events per execution, each transition committed before the next).
aws-local-stepfunctions runs the same definition with every Task state replaced by a local function
(` + "`taskResourceLocalHandlers`" + `) and keeps everything in memory.

Memory: a child process opens a fresh store, defines a machine whose only state is a
lambda:invoke.waitForTaskToken Task, starts its Run loop and idles for a second. It then collects garbage and
reads VmRSS from /proc/self/status, starts {{.Waits.Executions}} executions, waits until every one has
recorded its TaskSubmitted event (the task function returned and the execution waits on its token), collects
garbage and reads VmRSS again.

| memory | before | after |
| --- | --- | --- |
| resident set size | {{f1 .Waits.RSSBefore}} MiB | {{f1 .Waits.RSSAfter}} MiB |
| Go heap in use | {{f1 .Waits.HeapBefore}} MiB | {{f1 .Waits.HeapAfter}} MiB |
| store on disk (database and WAL) | | {{kib .Waits.StoreBytes}} |
{{if lt .Ratio .TargetRatio}}
## Why the throughput target is missed

The engine is durable and aws-local-stepfunctions is not. Every transition of the engine is a SQLite write
transaction that loads the execution and cursor rows, appends history events and saves both rows, and a Task
state takes two such transactions (started, then done), all through one connection. Most of the engine's
time goes to SQLite: running the statements of each transaction, from prepared statements, and writing each
commit to the WAL. aws-local-stepfunctions keeps executions as JavaScript objects and writes nothing, so a
transition costs it microseconds. A ratio of {{f0 .TargetRatio}}x would need the engine to commit tens of
thousands of transactions a second. Batching the transitions of many executions into one transaction is the
next step, and it is not done yet.
{{end}}
## Reproduce

    make bench

installs aws-local-stepfunctions and a Node 22 binary into .tools/node on first use, runs
` + "`go run ./cmd/benchengine report`" + ` and rewrites this page. The Go benchmark
` + "`go test -run '^$' -bench . ./shared/engine/`" + ` measures the engine alone.
`))
