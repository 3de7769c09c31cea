package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox"
)

func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// event returns a history event at t0 plus seconds.
func event(typ, state string, seconds float64) engine.Event {
	return engine.Event{Type: typ, State: state, Timestamp: t0.Add(time.Duration(seconds * float64(time.Second)))}
}

// taskAttempts returns the events of a Task state entered at start that
// fails retries times before it succeeds. Each attempt's function runs for
// work seconds, and each retry waits wait seconds.
func taskAttempts(state string, start float64, retries int, work, wait float64) []engine.Event {
	at := start
	events := []engine.Event{event("TaskStateEntered", state, at)}
	for i := 0; i <= retries; i++ {
		events = append(events, event("TaskScheduled", state, at), event("TaskStarted", state, at))
		at += work
		if i < retries {
			events = append(events, event("TaskFailed", state, at))
			at += wait
			continue
		}
		events = append(events, event("TaskSucceeded", state, at), event("TaskStateExited", state, at))
	}
	return events
}

// lambdaAttempts returns events with each Task event type replaced by the
// LambdaFunction type that a Task with a Lambda function ARN records.
func lambdaAttempts(events []engine.Event) []engine.Event {
	lambda := map[string]string{"TaskScheduled": "LambdaFunctionScheduled", "TaskStarted": "LambdaFunctionStarted",
		"TaskSucceeded": "LambdaFunctionSucceeded", "TaskFailed": "LambdaFunctionFailed"}
	out := slices.Clone(events)
	for i, ev := range out {
		if typ, ok := lambda[ev.Type]; ok {
			out[i].Type = typ
		}
	}
	return out
}

func TestCountTransitions(t *testing.T) {
	tests := []struct {
		name    string
		history []engine.Event
		want    transitions
	}{
		{"empty", nil, transitions{}},
		{
			"pass and choice",
			[]engine.Event{event("ExecutionStarted", "", 0), event("PassStateEntered", "A", 0), event("PassStateExited", "A", 0),
				event("ChoiceStateEntered", "B", 0), event("ChoiceStateExited", "B", 0), event("SucceedStateEntered", "C", 0)},
			transitions{Entered: 3, Billed: 3},
		},
		{"task without retries", taskAttempts("T", 0, 0, 1, 2), transitions{Entered: 1, Billed: 1}},
		{"task with three retries", taskAttempts("T", 0, 3, 1, 2), transitions{Entered: 1, Retries: 3, Billed: 4}},
		{
			"two tasks",
			append(taskAttempts("A", 0, 2, 1, 2), taskAttempts("B", 10, 1, 1, 2)...),
			transitions{Entered: 2, Retries: 3, Billed: 5},
		},
		{"Lambda function with two retries", lambdaAttempts(taskAttempts("T", 0, 2, 1, 2)), transitions{Entered: 1, Retries: 2, Billed: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, countTransitions(tt.history)); diff != "" {
				t.Errorf("countTransitions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStateTimes(t *testing.T) {
	history := []engine.Event{event("ExecutionStarted", "", 0), event("ChoiceStateEntered", "Route", 0), event("ChoiceStateExited", "Route", 0)}
	history = append(history, taskAttempts("ProxyVM", 0, 2, 0.5, 2)...)
	history = append(history,
		event("TaskStateEntered", "AwaitEndpoint", 6),
		event("TaskScheduled", "AwaitEndpoint", 6),
		event("TaskStarted", "AwaitEndpoint", 6),
		event("TaskSubmitted", "AwaitEndpoint", 6.25),
		event("TaskSucceeded", "AwaitEndpoint", 400),
		event("TaskStateExited", "AwaitEndpoint", 400),
	)
	want := []stepTime{
		{State: "Route", Attempts: 0},
		{State: "ProxyVM", Duration: 5500 * time.Millisecond, Work: 1500 * time.Millisecond, Attempts: 3},
		{State: "AwaitEndpoint", Duration: 394 * time.Second, Work: 250 * time.Millisecond, Attempts: 1},
	}
	if diff := cmp.Diff(want, stateTimes(history)); diff != "" {
		t.Errorf("stateTimes (-want +got):\n%s", diff)
	}
}

func TestStateTimesFailedExecution(t *testing.T) {
	history := []engine.Event{
		event("TaskStateEntered", "AwaitEndpoint", 10),
		event("TaskScheduled", "AwaitEndpoint", 10),
		event("TaskStarted", "AwaitEndpoint", 10),
		event("TaskSubmitted", "AwaitEndpoint", 11),
		event("TaskFailed", "AwaitEndpoint", 86400),
		event("ExecutionFailed", "", 86400),
	}
	want := []stepTime{{State: "AwaitEndpoint", Duration: 86390 * time.Second, Work: time.Second, Attempts: 1}}
	if diff := cmp.Diff(want, stateTimes(history)); diff != "" {
		t.Errorf("stateTimes (-want +got):\n%s", diff)
	}
}

func TestRealisticTimes(t *testing.T) {
	history := taskAttempts("ProxyVM", 0, 3, 1, 10)
	history = append(history, taskAttempts("LoadBalancer", 43, 0, 1, 0)...)
	run := provisionRun{
		exec:    engine.Execution{Status: engine.StatusSucceeded, StartedAt: t0, StoppedAt: t0.Add(100 * time.Second)},
		history: history,
	}
	delays := realisticDelaysForTest()
	got := realisticTimes(run, 10, time.Minute, delays)

	if got.Critical != 60*time.Second {
		t.Errorf("critical path %s, want 60s (instance 30s, load balancer 30s)", got.Critical)
	}
	if got.Beyond() != 40*time.Second {
		t.Errorf("beyond %s, want 40s", got.Beyond())
	}
	if got.Work != 5*time.Second {
		t.Errorf("work %s, want 5s", got.Work)
	}
	// 5 s of work on a clock 10 times fast is 0.5 s of wall time.
	if want := 35500 * time.Millisecond; got.BeyondAtWallSpeed() != want {
		t.Errorf("beyond at wall speed %s, want %s", got.BeyondAtWallSpeed(), want)
	}
	if want := time.Minute + 3*time.Second; got.Target() != want {
		t.Errorf("target %s, want %s", got.Target(), want)
	}
	if diff := cmp.Diff(transitions{Entered: 2, Retries: 3, Billed: 5}, got.Transitions); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

func TestRealisticTimesFirstSight(t *testing.T) {
	history := taskAttempts("Connection", 99, 0, 1, 0)
	history = append(history, taskAttempts("AwaitEndpoint", 100, 0, 0.5, 0)...)
	history[len(history)-2].Timestamp = t0.Add(520 * time.Second)
	history[len(history)-1].Timestamp = t0.Add(520 * time.Second)
	run := provisionRun{
		exec:           engine.Execution{Status: engine.StatusSucceeded, StartedAt: t0, StoppedAt: t0.Add(520 * time.Second)},
		history:        history,
		availableSince: t0.Add(180 * time.Second),
	}
	delays := sandbox.Delays{ConnectionAvailable: 60 * time.Second, EndpointCreated: 300 * time.Second}
	got := realisticTimes(run, 1, time.Minute, delays)

	// The connection was available at 160 s and first seen so at 180 s, and
	// the endpoint was CREATED at 480 s and seen at 520 s.
	if got.FirstSight != 20*time.Second {
		t.Errorf("first-sight lag %s, want 20s", got.FirstSight)
	}
	if got.Detection != 40*time.Second {
		t.Errorf("detection %s, want 40s", got.Detection)
	}
	if want := got.BeyondAtWallSpeed() - 20*time.Second; got.BeyondWithoutFirstSight() != want {
		t.Errorf("beyond without first sight %s, want %s", got.BeyondWithoutFirstSight(), want)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		want   float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd", []float64{5, 1, 3}, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.values); got != tt.want {
				t.Errorf("median(%v) = %g, want %g", tt.values, got, tt.want)
			}
		})
	}
}

func TestModuleOf(t *testing.T) {
	tests := []struct {
		symbol, want string
	}{
		{"runtime.mallocgc", "standard library"},
		{"go:func.*", "standard library"},
		{"crypto/tls.(*Conn).Handshake", "standard library"},
		{"github.com/apache/arrow-go/v18/arrow/array.NewRecord", "github.com/apache/arrow-go"},
		{"github.com/aws/aws-sdk-go-v2/service/s3.(*resolver).ResolveEndpoint", "github.com/aws/aws-sdk-go-v2/service/s3"},
		{"github.com/aws/aws-sdk-go-v2/aws.Config.Copy", "github.com/aws/aws-sdk-go-v2"},
		{"type:*github.com/snowflakedb/gosnowflake.snowflakeConn", "github.com/snowflakedb/gosnowflake"},
		{"modernc.org/sqlite/lib.Xsqlite3_step", "modernc.org/sqlite"},
		{"golang.org/x/net/http2.(*Framer).ReadFrame", "golang.org/x/net"},
	}
	for _, tt := range tests {
		t.Run(tt.symbol, func(t *testing.T) {
			if got := moduleOf(tt.symbol); got != tt.want {
				t.Errorf("moduleOf(%q) = %q, want %q", tt.symbol, got, tt.want)
			}
		})
	}
}

func TestWaitNames(t *testing.T) {
	tests := []struct {
		wait             time.Duration
		adjective, nouns string
	}{
		{time.Hour, "1-hour", "1 hour"},
		{23 * time.Hour, "23-hour", "23 hours"},
		{24 * time.Hour, "24-hour", "24 hours"},
		{7 * 24 * time.Hour, "7-day", "7 days"},
		{90 * time.Minute, "1.5-hour", "1.5 hours"},
	}
	for _, tt := range tests {
		t.Run(tt.wait.String(), func(t *testing.T) {
			if got := hours(tt.wait); got != tt.adjective {
				t.Errorf("hours(%s) = %q, want %q", tt.wait, got, tt.adjective)
			}
			if got := words(tt.wait); got != tt.nouns {
				t.Errorf("words(%s) = %q, want %q", tt.wait, got, tt.nouns)
			}
		})
	}
}

func TestEventClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newEventClock(t0, 1000)
		time.Sleep(time.Hour)
		if got := c.Now(); !got.Equal(t0) {
			t.Errorf("the clock moved to %s without a timer", got)
		}

		stopped := c.NewTimer(time.Hour)
		if !stopped.Stop() {
			t.Error("Stop of a pending timer returned false")
		}
		timer := c.NewTimer(30 * time.Second)
		<-timer.C()
		if got, want := c.Now(), t0.Add(30*time.Second); !got.Equal(want) {
			t.Errorf("after a 30s timer the clock reads %s, want %s", got, want)
		}

		time.Sleep(2 * time.Hour)
		if got, want := c.Now(), t0.Add(30*time.Second); !got.Equal(want) {
			t.Errorf("a stopped timer moved the clock to %s, want %s", got, want)
		}
	})
}

func TestRunLoopOneHour(t *testing.T) {
	definition, err := os.ReadFile("../../tools/bench/polling-loop.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := runLoop(definition, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != engine.StatusSucceeded {
		t.Errorf("status %s (%s), want SUCCEEDED", got.Status, got.Error)
	}
	// 121 Choice states at 0, 30 s, ..., 3600 s, 120 Wait states between
	// them and the Succeed state.
	if got.Transitions != 242 {
		t.Errorf("%d transitions, want 242", got.Transitions)
	}
	if got.Waited != time.Hour {
		t.Errorf("waited %s on the engine clock, want 1h", got.Waited)
	}
}

func TestMeasurePolls(t *testing.T) {
	got, err := measurePolls(context.Background(), 30, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got.Warm.Queries != 3 || got.Warm.EndpointsQueries != 3 {
		t.Errorf("the next poll sent %d query requests, %d for endpoints; want 3 and 3", got.Warm.Queries, got.Warm.EndpointsQueries)
	}
	if got.Naive.EndpointsQueries != 30 {
		t.Errorf("one query per wait sent %d endpoint queries, want 30", got.Naive.EndpointsQueries)
	}
	if got.Pending != 30 {
		t.Errorf("the poll left %d waits open, want 30", got.Pending)
	}
}

func TestPageShowsMisses(t *testing.T) {
	r := sampleReport()
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, r); err != nil {
		t.Fatal(err)
	}
	text := page.String()
	for _, want := range []string{
		"| Snowflake queries per poll, 1000 waits over 3 accounts | 3 | one query per wait: 1000 | 3, the number of accounts: met |",
		"30-second polling loop: 242 (measured)",
		"30-second polling loop: 40320 (formula)",
		"### Transitions with a 7-day wait",
		"The run cannot wait 7 days",
		"### Bootstrap size, amd64",
		"at most 88.5 s, one poll interval plus 5% of the critical path: met by the median, but 1 of 3 runs were over",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not contain %q", want)
		}
	}
	for _, unwanted := range []string{"<no value>", "### Bootstrap size, arm64", "### Time beyond the critical path"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("page contains %q", unwanted)
		}
	}
}

func TestHeadlinesFailedWait(t *testing.T) {
	got := sampleReport().headlines()
	for _, want := range []string{
		"Snowflake queries per poll (1000 waits, 3 accounts): 3 vs 1000 for one query per wait: 333x fewer",
		"state transitions per run, 1-hour wait: 17 vs 242 for a 30-second polling loop: 14x fewer",
		"state transitions per run, 7-day wait: the run failed after 24.0 h of waiting and 12 transitions; a 30-second polling loop takes 40320",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("headlines do not contain %q:\n%s", want, got)
		}
	}
}

// sampleReport is a report with one missed long wait, one missed
// bootstrap size, and one of three realistic runs over its target.
func sampleReport() report {
	realistic := func(beyond time.Duration) realisticRun {
		return realisticRun{
			Scale: 60, Poll: time.Minute, Status: engine.StatusSucceeded,
			Critical: 570 * time.Second, Total: 570*time.Second + beyond,
			Steps: []stepTime{
				{State: "ProxyVM", Duration: 45 * time.Second, Delay: 30 * time.Second, Attempts: 7},
				{State: "AwaitEndpoint", Duration: 400 * time.Second, Delay: 360 * time.Second, Attempts: 1},
			},
			Transitions: transitions{Entered: 17, Retries: 16, Billed: 33},
		}
	}
	wait := func(d time.Duration, status string, billed int, awaited time.Duration) waitRun {
		w := waitRun{Wait: d, Scale: 6000, Status: status, Transitions: transitions{Entered: billed, Billed: billed}, Awaited: awaited}
		if status != engine.StatusSucceeded {
			w.Error = "Timeout"
		}
		return w
	}
	return report{
		Date: "2026-01-01", CPU: "test CPU", Go: "go1.26", Load: "0.00 0.00 0.00", CPUs: 2, Warmup: 200,
		Engine:     throughputResult{Executions: 2000, Seconds: 5, PerSecond: 400, Events: 66, StartGoroutines: 32},
		Peer:       peerResult{Implementation: "aws-local-stepfunctions 3.0.0", Node: "v22", PerSecond: 2000},
		Waits:      waitsResult{Executions: 1000, RSSBefore: 10, RSSAfter: 17, RSSAdded: 7},
		Polls:      pollsResult{Waits: 1000, Accounts: 3, Warm: pollPass{Queries: 3, EndpointsQueries: 3}, Naive: pollPass{Queries: 1000, EndpointsQueries: 1000}, Pending: 1000},
		Loop:       loopResult{Interval: 30 * time.Second, Runs: []loopRun{{Wait: time.Hour, Status: "SUCCEEDED", Transitions: 242, Waited: time.Hour}, {Wait: 7 * 24 * time.Hour, Status: "FAILED", Transitions: 12499, Waited: 52 * time.Hour}}},
		WaitLimits: waitLimits{Deadline: 24 * time.Hour, Timeout: 48 * time.Hour},
		Provision: provisionResult{
			Request: "examples/aws-privatelink.json", Route: "aws-privatelink",
			Zero:      zeroRuns{Seconds: []float64{1.2, 1.1, 1.3}, Median: 1.2, Transitions: transitions{Entered: 17, Billed: 17}},
			Realistic: []realisticRun{realistic(80 * time.Second), realistic(85 * time.Second), realistic(150 * time.Second)},
			Waits: []waitRun{
				wait(time.Hour, engine.StatusSucceeded, 17, time.Hour),
				wait(7*24*time.Hour, engine.StatusFailed, 12, 24*time.Hour),
			},
		},
		Lambda: lambdaResult{
			Sizes: map[string]int64{"arm64": 34_700_000, "amd64": 40_200_000}, Arch: "amd64",
			Inits:   []initTime{{Handler: "poller", Seconds: []float64{0.015, 0.016, 0.014}, Median: 0.015}},
			Modules: []moduleSize{{Module: "github.com/apache/arrow-go", Bytes: 7_300_000}, {Module: "standard library", Bytes: 5_900_000}},
		},
	}
}

// realisticDelaysForTest are small delays whose sums are easy to check.
func realisticDelaysForTest() sandbox.Delays {
	return sandbox.Delays{InstanceRunning: 30 * time.Second, LoadBalancerActive: 30 * time.Second, TargetHealthy: 20 * time.Second}
}

// The history floor writes the event_parts rows that the engine wrote for
// the same executions, byte for byte, and the engine reads them back.
func TestHistoryFloorWritesEngineParts(t *testing.T) {
	definition, err := os.ReadFile("../../tools/bench/machine.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Register("bench", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true}`), nil
	})
	if err := e.Define("bench", definition); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()
	const executions = 20
	if _, err := runBatch(ctx, e, "run", executions); err != nil {
		t.Fatal(err)
	}
	histories := make([][]engine.Event, executions)
	for i := range histories {
		if histories[i], err = e.History(ctx, fmt.Sprintf("run-%d", i)); err != nil {
			t.Fatal(err)
		}
	}

	parts, err := historyParts(filepath.Join(dir, "engine.db"), histories)
	if err != nil {
		t.Fatalf("historyParts: %v", err)
	}
	perSecond, meanBytes, err := historyFloor(dir, parts)
	if err != nil {
		t.Fatalf("historyFloor: %v", err)
	}
	if perSecond <= 0 {
		t.Errorf("floor rate = %v, want more than 0", perSecond)
	}
	want := partRows(t, filepath.Join(dir, "engine.db"))
	got := partRows(t, filepath.Join(dir, "floor.db"))
	if len(want) <= executions {
		t.Fatalf("engine stored %d event_parts rows for %d executions, want more than one each", len(want), executions)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("floor event_parts rows differ from the engine's (-engine +floor):\n%s", diff)
	}
	size := 0
	for _, row := range want {
		size += len(row.Data)
	}
	if meanBytes != size/executions {
		t.Errorf("mean part bytes = %d, want %d", meanBytes, size/executions)
	}

	// The floor writes no executions rows, which History needs.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "floor.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range histories {
		if _, err := db.Exec(`INSERT INTO executions (name, machine, input, status, started_at)
			VALUES (?, 'bench', '{}', 'SUCCEEDED', 1)`, h[0].Execution); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	floor, err := engine.Open(filepath.Join(dir, "floor.db"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer floor.Close()
	for i, h := range histories {
		read, err := floor.History(ctx, h[0].Execution)
		if err != nil {
			t.Fatalf("History of the floor store: %v", err)
		}
		if diff := cmp.Diff(h, read); diff != "" {
			t.Errorf("history %d read from the floor store differs (-engine +floor):\n%s", i, diff)
		}
	}
}

type partRow struct {
	Execution   string
	First, Last int64
	Data        []byte
}

// partRows returns the event_parts rows of the store at path.
func partRows(t *testing.T, path string) []partRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT execution, first_id, last_id, data FROM event_parts ORDER BY execution, first_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []partRow
	for rows.Next() {
		var row partRow
		if err := rows.Scan(&row.Execution, &row.First, &row.Last, &row.Data); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// floorReport is sampleReport with a history floor measured at floor
// executions per second.
func floorReport(floor float64) report {
	r := sampleReport()
	r.Engine.HistoryBytes = 10_500
	r.Engine.Parts = 10
	r.Engine.PartBytes = 12_000
	r.Engine.FloorPerSecond = floor
	return r
}

// throughputMiss returns the explanation of the missed engine throughput.
func throughputMiss(t *testing.T, r report) string {
	t.Helper()
	for _, m := range r.Misses() {
		if m.Measure == "Engine throughput" {
			return m.Why
		}
	}
	t.Fatal("no missed engine throughput")
	return ""
}

func TestFloorExplanationParts(t *testing.T) {
	explanation := throughputMiss(t, floorReport(8000))
	for _, want := range []string{
		"Each execution's 66 events and 10.5 KB of event details were stored as the engine stored them, in 10.0 event_parts rows of 12.0 KB in all",
		"ran at 8000 executions/s, 4.00x the peer",
		"reached 5% of that rate",
		"Below 10x for the history alone, the 10x target cannot be met",
	} {
		if !strings.Contains(explanation, want) {
			t.Errorf("explanation does not contain %q:\n%s", want, explanation)
		}
	}
	if strings.Contains(explanation, "one row per event") {
		t.Errorf("explanation still states that the engine stores one row per event:\n%s", explanation)
	}
}

func TestFloorExplanationHighFloor(t *testing.T) {
	explanation := throughputMiss(t, floorReport(30_000))
	if want := "does not by itself rule out 10x"; !strings.Contains(explanation, want) {
		t.Errorf("explanation does not contain %q:\n%s", want, explanation)
	}
	if unwanted := "cannot be met"; strings.Contains(explanation, unwanted) {
		t.Errorf("explanation contains %q:\n%s", unwanted, explanation)
	}
}

func TestFloorExplanationEngineFaster(t *testing.T) {
	explanation := throughputMiss(t, floorReport(300))
	if want := "ran at 133% of that rate, so in this run the history floor bounds nothing"; !strings.Contains(explanation, want) {
		t.Errorf("explanation does not contain %q:\n%s", want, explanation)
	}
	if unwanted := "reached"; strings.Contains(explanation, unwanted) {
		t.Errorf("explanation contains %q:\n%s", unwanted, explanation)
	}
}

func TestPageHistoryFloorMethod(t *testing.T) {
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, floorReport(8000)); err != nil {
		t.Fatal(err)
	}
	text := page.String()
	for _, want := range []string{
		"10.0 rows and 12000 bytes per execution on average",
		"engine.AppendHistoryPart",
		"executions per second, writing only their history to SQLite as the engine stores it",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not contain %q", want)
		}
	}
	for _, unwanted := range []string{"events table", "one row per event"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("page contains %q", unwanted)
		}
	}
}

// The method text states the number of goroutines that started the
// measured executions, as the run recorded it.
func TestPageStartGoroutines(t *testing.T) {
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, sampleReport()); err != nil {
		t.Fatal(err)
	}
	text := page.String()
	if want := "Start calls come from 32 goroutines"; !strings.Contains(text, want) {
		t.Errorf("page does not contain %q", want)
	}
	if unwanted := "follow one another"; strings.Contains(text, unwanted) {
		t.Errorf("page contains %q", unwanted)
	}
}
