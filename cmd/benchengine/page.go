package main

import (
	"fmt"
	"runtime/debug"
	"text/template"
	"time"
)

// moduleVersion returns the version of a module linked into this binary.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "unknown"
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"f0":       func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"f1":       func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":       func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"kib":      func(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) },
	"mb":       func(v int64) string { return fmt.Sprintf("%.1f MB", float64(v)/1e6) },
	"ms":       func(v float64) string { return fmt.Sprintf("%.0f ms", v*1000) },
	"secs":     seconds,
	"span":     span,
	"hours":    hours,
	"version":  moduleVersion,
	"minutes":  func(d time.Duration) string { return fmt.Sprintf("%g min", d.Minutes()) },
	"hour":     func() time.Duration { return time.Hour },
	"week":     func() time.Duration { return 7 * 24 * time.Hour },
	"joined":   joinSeconds,
	"joinedMS": joinMilliseconds,
	"sources": func(run realisticRun) []time.Duration {
		retries, firstSight, detection, other := beyondSources(run)
		return []time.Duration{retries, firstSight, detection, other}
	},
	"inc":  func(i int) int { return i + 1 },
	"real": func(d time.Duration, scale float64) string { return fmt.Sprintf("%.0f ms", float64(d)/scale/1e6) },
}).Parse(`# Benchmarks

This page is written by ` + "`make bench`" + ` (cmd/benchengine); do not edit it by hand. Each result stands beside
its anchor, which the same run of ` + "`make bench`" + ` measured (or computed, where the anchor says formula).

| measure | result | anchor | target |
| --- | --- | --- | --- |
{{range .Rows}}| {{.Measure}} | {{.Result}} | {{.Anchor}} | {{.Target}} |
{{end}}
{{- with .Misses}}
## Missed targets
{{range .}}
### {{.Measure}}

{{.Why}}
{{end}}{{end}}
## Machine

- Date: {{.Date}} (UTC); the whole report took {{f0 .Seconds}} s; load average at its start: {{.Load}}
- CPU: {{.CPU}}, {{.CPUs}} logical CPUs
- Go: {{.Go}}; SQLite through modernc.org/sqlite {{version "modernc.org/sqlite"}} (pure Go); gosnowflake {{version "github.com/snowflakedb/gosnowflake"}}
- Node: {{.Peer.Node}}, {{.Peer.Implementation}}

## Method

### Engine throughput and memory

Throughput: both implementations run tools/bench/machine.asl.json, 20 states in a row (8 Pass, 4 Choice with
an And rule, 8 Task states whose function returns ` + "`{\"ok\":true}`" + ` at once, each with Parameters, ResultSelector and
ResultPath). Each first runs a warm-up batch of {{.Warmup}} executions, then starts {{.Engine.Executions}}
executions without waiting for any to finish, then waits for all of them; the rate is executions over the wall
time of that batch. The engine's Start calls come from {{.Engine.StartGoroutines}} goroutines, each taking the next
execution in turn, and each call returns once its start committed. Start calls that arrive together share one
commit. aws-local-stepfunctions starts them all in one loop. The engine runs in its own process on a fresh SQLite
store, with its Run loop and the task function in process ({{.Engine.Events}} history events per execution).
aws-local-stepfunctions runs the same definition with every Task state replaced by a local function
(` + "`taskResourceLocalHandlers`" + `) and keeps everything in memory.

History floor: after the measured batch, the engine's histories of those {{.Engine.Executions}} executions
({{.Engine.Events}} events, {{.Engine.HistoryBytes}} bytes of details each) are written into a fresh store with nothing
else, split as the engine stored them: one event_parts row for the events of one execution that one write batch
appended, {{f1 .Engine.Parts}} rows and {{.Engine.PartBytes}} bytes per execution on average. Each row is encoded with the
engine's own encoding (` + "`engine.AppendHistoryPart`" + `), and each prepared INSERT writes 64 rows, all in one
transaction. The rate is executions over the time of that transaction, encoding included. The engine writes the same
rows, but in one transaction per write batch and together with the state of each execution, so it cannot pass this
rate here.

Durable floor: an estimate of the least that an engine must write for the same executions, with no state machine
work. A task that completed must never run again, so each task outcome commits before the next task starts, and
the history must be in SQLite. A fresh database gets, for each execution, a row with its input; then, in one transaction per
task shared by all executions, each task's output over that row; and, with the last outcome, the execution's event
details in one row, compressed with DEFLATE at its fastest level on every core ({{.Engine.CompressedBytes}} bytes
on average). The rate is executions over the time from the first write to the last commit, compression included.
The engine instead writes each execution's history in uncompressed parts, one with each write batch that changes
the execution ({{.Engine.PartBytes}} bytes per execution, as above).

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

### Snowflake queries per poll

A child process starts the sandbox Snowflake in memory and creates {{.Polls.Accounts}} accounts with a user each. It
registers {{.Polls.Waits}} waits in a fresh wait store (the SQLite store of ` + "`repolink up`" + `), spread evenly over
the accounts, each for its own endpoint service. The poller (functions/poller) then polls twice through the real
gosnowflake client, with one session per account kept between polls as ` + "`repolink up`" + ` keeps them; the
sandbox counts every query request it receives. The anchor reads SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO once per
wait on the same sessions. No wait's endpoint exists (a Snowflake account has at most 5), so every wait stays
open, which is the poller's worst case: it keeps all {{.Polls.Waits}}.

| pass | query requests | of them SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO | time |
| --- | --- | --- | --- |
| first poll, logging in (the driver sends SELECT 1 on connect) | {{.Polls.Cold.Queries}} | {{.Polls.Cold.EndpointsQueries}} | {{ms .Polls.Cold.Seconds}} |
| next poll | {{.Polls.Warm.Queries}} | {{.Polls.Warm.EndpointsQueries}} | {{ms .Polls.Warm.Seconds}} |
| one query per wait | {{.Polls.Naive.Queries}} | {{.Polls.Naive.EndpointsQueries}} | {{ms .Polls.Naive.Seconds}} |

The next poll left {{.Polls.Pending}} waits open.

### State transitions

Step Functions bills a state transition for every state entered and for every retry. The count is read from the
engine's history after the run: StateEntered events, plus the TaskScheduled events beyond one per Task state
entered (each retry schedules the task again).

The provision runs are ` + "`bin/repolink run --sandbox`" + ` of {{.Provision.Request}} ({{.Provision.Route}}), each in a
fresh state directory. They use two run flags that work only with ` + "`--sandbox`" + `, and ` + "`repolink run --help`" + ` lists both. ` + "`--sandbox-clock-scale N`" + ` runs the
sandbox clouds, the engine's timers, the poller and the wait deadline N times faster than the wall clock, and
` + "`--sandbox-endpoint-delay D`" + ` sets how long the sandbox Snowflake keeps the endpoint pending after its connection is
available. The long-wait runs have no other cloud delays (` + "`--sandbox-latency none`" + `) and poll every minute of the
scaled clock.

| endpoint wait | clock scale | status | states entered | retries | billed | time in AwaitEndpoint | wall time |
| --- | --- | --- | --- | --- | --- | --- | --- |
{{range .Provision.Waits}}| {{hours .Wait}} | {{f0 .Scale}} | {{.Status}} {{.Error}} | {{.Transitions.Entered}} | {{.Transitions.Retries}} | {{.Transitions.Billed}} | {{span .Awaited}} | {{f1 .WallSeconds}} s |
{{end}}
The anchor is tools/bench/polling-loop.asl.json, a Choice that checks whether the endpoint is live and a
{{.LoopName}} Wait that returns to it. It runs on the engine with an injected clock, which does not move while
the engine works and jumps to each timer's due time, so every Wait lasts exactly {{.Loop.Interval.Seconds}} seconds. The
formula is 2 transitions per interval: {{.LoopFormula hour}} for an hour and {{.LoopFormula week}} for 7 days. The
measured count adds the last Choice and the Succeed state.
{{with .LoopRun hour}}
- 1-hour loop, run on the engine: {{.Status}}, {{.Transitions}} transitions, {{.Events}} history events, {{span .Waited}} waited, {{f1 .WallSeconds}} s of wall time.{{end}}
{{- with .LoopRun week}}
- 7-day loop, run on the engine: {{.Status}} {{.Error}}, after {{.Transitions}} transitions, {{.Events}} history events and {{span .Waited}} of waiting ({{f1 .WallSeconds}} s of wall time). Step Functions has the same 25,000-event limit, so a Standard execution cannot poll for 7 days this way, and the 7-day anchor is the formula.{{end}}

### Wall time and time beyond the critical path

Wall time: {{len .Provision.Zero.Seconds}} runs of ` + "`bin/repolink run --sandbox --sandbox-latency none`" + `, each timed from exec to
exit, including the sandbox start: {{joined .Provision.Zero.Seconds}} s. The poller polls as soon as the endpoint
wait is registered, so with no delays the wait ends at that first poll. Each run took
{{.Provision.Zero.Transitions.Billed}} transitions.

Time beyond the critical path: {{len .Provision.Realistic}} runs with ` + "`--sandbox-latency realistic`" + ` (estimates of
the clouds' delays, below) on a clock {{with .RealisticMedian}}{{f0 .Scale}} times faster than the wall clock, with a poll
interval of {{secs .Poll}}{{end}}, as in production. The critical path is the sum of the delays that the run must wait
for one after the other: the instance running, the load balancer active, the connection available and the
endpoint CREATED. The target's health checks start at registration and pass while the load balancer provisions. The time beyond it is
the execution's duration on the scaled clock minus the critical path. The scaled clock also stretches the task
functions' own work by the scale, so the result counts that work at its wall-clock length, and it leaves out the
sandbox's first-sight lag (below). The first-sight lag comes from the sandbox Snowflake's saved world, which
records when it first saw the connection available. The target is one poll interval plus 5% of the critical path,
judged on the median run.

| delay (sandbox.RealisticDelays, estimates) | value |
| --- | --- |
{{range .DelayRows}}| {{.Name}} | {{secs .Value}} |
{{end}}
| run | duration | beyond the critical path | of it: retries of states with a cloud delay | sandbox first-sight lag | after CREATED | other states | task work at wall-clock length | beyond, task work at wall-clock length | the same without the first-sight lag | wall time |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{{range $i, $run := .Provision.Realistic}}| {{inc $i}} | {{secs .Total}} | {{secs .Beyond}} |{{range sources $run}} {{secs .}} |{{end}} {{real .Work .Scale}} | {{secs .BeyondAtWallSpeed}} | {{secs .BeyondWithoutFirstSight}} | {{f1 .WallSeconds}} s |
{{end}}
{{.BeyondNote}}

The median run, state by state:
{{with .RealisticMedian}}
| state | time | cloud delay it waits for | beyond the delay | task attempts | task work (wall-clock) |
| --- | --- | --- | --- | --- | --- |
{{range .Steps}}| {{.State}} | {{secs .Duration}} | {{secs .Delay}} | {{secs .Beyond}} | {{.Attempts}} | {{real .Work $.RealisticMedian.Scale}} |
{{end}}| whole run | {{secs .Total}} | {{secs .Critical}} | {{secs .Beyond}} | | {{real .Work .Scale}} |

Transitions of this run: {{.Transitions.Entered}} states entered and {{.Transitions.Retries}} retries, {{.Transitions.Billed}} billed.
{{end}}
### Lambda bootstrap

Sizes are of bin/lambda/<arch>/bootstrap from ` + "`make lambda`" + ` (CGO_ENABLED=0, tags lambda.norpc and
minicore_disabled, -trimpath, -ldflags "-s -w"); MB is 10^6 bytes. Init time: the {{.Lambda.Arch}} bootstrap starts
with REPOLINK_HANDLER set and a Lambda-like environment: AWS_LAMBDA_RUNTIME_API points at a local Runtime API
server on 127.0.0.1, and there are a region and static sandbox keys but no shared AWS configuration. The time runs
from exec to its first GET /2018-06-01/runtime/invocation/next, after which it is killed.
{{range .Lambda.Inits}}
- {{.Handler}}: {{joinedMS .Seconds}} ms{{end}}

Largest modules of an amd64 build with symbols, by code and read-only data ({{mb .Lambda.Attributed}} in all; the
rest of the file is symbol and function tables and data):

| module | size |
| --- | --- |
{{range .Lambda.Modules}}| {{.Module}} | {{mb .Bytes}} |
{{end}}
## Reproduce

    make bench

installs aws-local-stepfunctions and a Node 22 binary into .tools/node on first use, builds bin/repolink and
bin/lambda, runs ` + "`go run ./cmd/benchengine report`" + ` and rewrites this page. Each number comes from one subcommand,
which prints JSON:

| numbers | command |
| --- | --- |
| executions per second | ` + "`go run ./cmd/benchengine throughput`" + `; the peer: ` + "`.tools/node/node_modules/node/bin/node tools/bench/peer.mjs --modules .tools/node/node_modules`" + ` |
| memory of waiting executions | ` + "`go run ./cmd/benchengine waits`" + ` |
| Snowflake queries per poll | ` + "`go run ./cmd/benchengine polls`" + ` |
| polling-loop transitions | ` + "`go run ./cmd/benchengine loop`" + ` |
| provision transitions, wall time, time beyond the critical path | ` + "`make build && go run ./cmd/benchengine provision`" + ` |
| bootstrap sizes and init time | ` + "`make lambda && go run ./cmd/benchengine lambda`" + ` |

One provision run by hand (any empty state directory):

    bin/repolink run --sandbox --sandbox-latency none --state-dir DIR examples/aws-privatelink.json
    bin/repolink run --sandbox --sandbox-latency realistic --sandbox-clock-scale 60 --poll-interval 1m --state-dir DIR examples/aws-privatelink.json
    bin/repolink run --sandbox --sandbox-latency none --sandbox-endpoint-delay 1h --sandbox-clock-scale 6000 --poll-interval 1m --state-dir DIR examples/aws-privatelink.json

The Go benchmark ` + "`go test -run '^$' -bench . ./shared/engine/`" + ` measures the engine alone.
`))
