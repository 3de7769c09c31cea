package reliability

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLanding(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	events := []historyEvent{
		{ID: 1, Type: "ExecutionStarted", Timestamp: base.Add(-2 * time.Nanosecond)},
		{ID: 2, Type: "TaskStateEntered", State: "Preflight", Timestamp: base},
		{ID: 3, Type: "TaskStarted", State: "Preflight", Timestamp: base},
		{ID: 4, Type: "TaskSucceeded", State: "Preflight", Timestamp: base.Add(time.Millisecond)},
		{ID: 5, Type: "ChoiceStateEntered", State: "Route", Timestamp: base.Add(time.Millisecond)},
		{ID: 6, Type: "TaskStateEntered", State: "ProxyVM", Timestamp: base.Add(time.Millisecond)},
		{ID: 7, Type: "TaskStarted", State: "ProxyVM", Timestamp: base.Add(time.Millisecond)},
		{ID: 8, Type: "TaskScheduled", State: "ProxyVM", Timestamp: base.Add(6 * time.Second)},
		{ID: 9, Type: "TaskStarted", State: "ProxyVM", Timestamp: base.Add(6 * time.Second)},
	}

	tests := []struct {
		name      string
		restartAt time.Time
		state     string
		lastEvent string
	}{
		{"before start", base.Add(-time.Second), beforeStart, ""},
		{"no state yet", base.Add(-time.Nanosecond), noStateYet, "ExecutionStarted"},
		{"in preflight", base.Add(time.Microsecond), "Preflight", "TaskStarted"},
		{"in proxy vm", base.Add(5 * time.Second), "ProxyVM", "TaskStarted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, lastEvent := landing(events, tt.restartAt)
			if state != tt.state {
				t.Errorf("state = %q, want %q", state, tt.state)
			}
			if lastEvent != tt.lastEvent {
				t.Errorf("last event = %q, want %q", lastEvent, tt.lastEvent)
			}
		})
	}
}

func TestRerunTasks(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	restartAt := base.Add(time.Second)
	after := restartAt.Add(5 * time.Second)
	events := []historyEvent{
		{ID: 1, Type: "TaskStarted", State: "Secret", Timestamp: base},
		{ID: 2, Type: "TaskSucceeded", State: "Secret", Timestamp: base},
		{ID: 3, Type: "TaskStarted", State: "Integration", Timestamp: base},
		// The killed run left Integration in flight, so it runs again.
		{ID: 4, Type: "TaskStarted", State: "Integration", Timestamp: after},
		{ID: 5, Type: "TaskSucceeded", State: "Integration", Timestamp: after},
	}
	if problems := rerunTasks(events, restartAt); len(problems) != 0 {
		t.Errorf("rerunTasks found %q, want nothing for a task that was in flight", problems)
	}

	events = append(events,
		historyEvent{ID: 6, Type: "TaskScheduled", State: "Secret", Timestamp: after},
		historyEvent{ID: 7, Type: "TaskStarted", State: "Secret", Timestamp: after},
	)
	problems := rerunTasks(events, restartAt)
	if len(problems) != 1 {
		t.Fatalf("rerunTasks found %d problems, want 1: %q", len(problems), problems)
	}
	if !strings.Contains(problems[0], "Secret") {
		t.Errorf("problem %q does not name state Secret", problems[0])
	}
}

// awaitEndpointLoop is the history of a run that went through the endpoint
// wait twice, because the first check found the endpoint not live. The
// events are stamped 1 ms apart from base, in order.
func awaitEndpointLoop(base time.Time) []historyEvent {
	types := []struct{ typ, state string }{
		{"TaskStateEntered", "AwaitEndpoint"},
		{"TaskScheduled", "AwaitEndpoint"},
		{"TaskStarted", "AwaitEndpoint"},
		{"TaskSubmitted", "AwaitEndpoint"},
		{"TaskSucceeded", "AwaitEndpoint"},
		{"TaskStateExited", "AwaitEndpoint"},
		{"ChoiceStateEntered", "CheckEndpointLive"},
		{"ChoiceStateExited", "CheckEndpointLive"},
		{"PassStateEntered", "EndpointNotLive"},
		{"PassStateExited", "EndpointNotLive"},
		{"TaskStateEntered", "AwaitEndpoint"},
		{"TaskScheduled", "AwaitEndpoint"},
		{"TaskStarted", "AwaitEndpoint"},
		{"TaskSubmitted", "AwaitEndpoint"},
		{"TaskSucceeded", "AwaitEndpoint"},
		{"TaskStateExited", "AwaitEndpoint"},
	}
	var events []historyEvent
	for i, e := range types {
		events = append(events, historyEvent{ID: int64(i + 1), Type: e.typ, State: e.state,
			Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
	}
	return events
}

func TestRerunTasksStateLoop(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	events := awaitEndpointLoop(base)

	// The kill came after the second visit of AwaitEndpoint was entered
	// (event 11), so its task ran only after the restart.
	restartAt := base.Add(10*time.Millisecond + time.Microsecond)
	if problems := rerunTasks(events, restartAt); len(problems) != 0 {
		t.Errorf("rerunTasks found %q, want nothing for a second visit of AwaitEndpoint", problems)
	}

	// The kill came after the first visit had exited (event 6), so the
	// second visit starts after the restart.
	restartAt = base.Add(5*time.Millisecond + time.Microsecond)
	if problems := rerunTasks(events, restartAt); len(problems) != 0 {
		t.Errorf("rerunTasks found %q, want nothing when the kill came between two visits", problems)
	}
}

func TestRerunTasksSameVisit(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	restartAt := base.Add(time.Second)
	after := restartAt.Add(5 * time.Second)

	// The second visit's task succeeded before the kill and was scheduled
	// again after it.
	events := append(awaitEndpointLoop(base)[:15],
		historyEvent{ID: 16, Type: "TaskScheduled", State: "AwaitEndpoint", Timestamp: after})
	problems := rerunTasks(events, restartAt)
	if len(problems) != 1 {
		t.Fatalf("rerunTasks found %d problems, want 1: %q", len(problems), problems)
	}
	if !strings.Contains(problems[0], "visit 2") {
		t.Errorf("problem %q does not name visit 2", problems[0])
	}

	// A StateEntered without a StateExited before it continues the visit,
	// so a task that succeeded in it must not run again.
	events = []historyEvent{
		{ID: 1, Type: "TaskStateEntered", State: "Secret", Timestamp: base},
		{ID: 2, Type: "TaskStarted", State: "Secret", Timestamp: base},
		{ID: 3, Type: "TaskSucceeded", State: "Secret", Timestamp: base},
		{ID: 4, Type: "TaskStateEntered", State: "Secret", Timestamp: after},
		{ID: 5, Type: "TaskStarted", State: "Secret", Timestamp: after},
	}
	if problems := rerunTasks(events, restartAt); len(problems) != 1 {
		t.Errorf("rerunTasks found %d problems, want 1 for a task run again after a second StateEntered: %q",
			len(problems), problems)
	}
}

// TestRerunTasksLambdaFunction checks a task whose history uses the
// LambdaFunction events of a Lambda function ARN like one with Task events.
func TestRerunTasksLambdaFunction(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	restartAt := base.Add(time.Second)
	after := restartAt.Add(5 * time.Second)
	events := []historyEvent{
		{ID: 1, Type: "TaskStateEntered", State: "Secret", Timestamp: base},
		{ID: 2, Type: "LambdaFunctionStarted", State: "Secret", Timestamp: base},
		{ID: 3, Type: "LambdaFunctionSucceeded", State: "Secret", Timestamp: base},
		{ID: 4, Type: "LambdaFunctionScheduled", State: "Secret", Timestamp: after},
	}
	if problems := rerunTasks(events, restartAt); len(problems) != 1 {
		t.Errorf("rerunTasks found %d problems, want 1 for a Lambda function run again in the same visit: %q",
			len(problems), problems)
	}
}

func TestCalibrationDraw(t *testing.T) {
	cal := calibration{
		labels: []string{"process start", "execution line", "'secret created'"},
		gaps:   []time.Duration{100 * time.Millisecond, 2 * time.Millisecond, 0},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	seen := map[int]int{}
	var points []killPoint
	for range 300 {
		p := cal.draw(rng, false)
		points = append(points, p)
		seen[p.segment]++
		if p.offset < 0 || (p.offset > 0 && p.offset >= cal.gaps[p.segment]) {
			t.Errorf("point %+v lies outside its segment of %s", p, cal.gaps[p.segment])
		}
	}
	if seen[0] != 0 {
		t.Errorf("segment 0 drawn %d times of 300 outside a startup trial, want 0", seen[0])
	}
	for segment := 1; segment < len(cal.gaps); segment++ {
		if seen[segment] < 100 {
			t.Errorf("segment %d drawn %d times of 300, want about 150", segment, seen[segment])
		}
	}

	for range 20 {
		if p := cal.draw(rng, true); p.segment != 0 || p.offset < 0 || p.offset >= cal.gaps[0] {
			t.Errorf("startup draw %+v, want a point in segment 0 of %s", p, cal.gaps[0])
		}
	}

	again := rand.New(rand.NewPCG(1, 1))
	for i, want := range points {
		if got := cal.draw(again, false); got != want {
			t.Fatalf("draw %d with the same seed = %+v, want %+v", i, got, want)
		}
	}
}

func TestStartupTrialShare(t *testing.T) {
	for _, trials := range []int{19, 20, 100} {
		startup := 0
		for n := 1; n <= trials; n++ {
			if isStartupTrial(n) {
				startup++
			}
		}
		if want := trials / 20; startup != want {
			t.Errorf("%d startup trials of %d, want %d", startup, trials, want)
		}
	}
}

func TestKillSpreadReport(t *testing.T) {
	cal := calibration{
		labels: []string{"process start", "execution line"},
		gaps:   []time.Duration{time.Millisecond, time.Millisecond},
		states: []string{"Preflight", "Grants"},
	}
	tests := []struct {
		name    string
		landed  int
		startup int
		missed  int
		verdict string
	}{
		{"nine of ten", 9, 0, 1, "PASS"},
		{"eight of ten", 8, 0, 2, "FAIL"},
		{"none", 0, 0, 0, "FAIL"},
		{"one startup of twenty", 19, 1, 0, "PASS"},
		{"two startup of ten", 8, 2, 0, "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s := &session{report: newReport(&out)}
			spread := newKillSpread()
			for i := range tt.landed {
				spread.addLanded(killPoint{segment: 1 + i%2}, "Grants")
			}
			for range tt.startup {
				spread.addLanded(killPoint{segment: 0}, beforeStart)
			}
			for range tt.missed {
				spread.addMissed()
			}
			spread.report(s, cal)

			text := out.String()
			if !strings.Contains(text, tt.verdict+"  killnine kills mid-run") {
				t.Errorf("report has no %s line for kills mid-run:\n%s", tt.verdict, text)
			}
			if want := fmt.Sprintf("  %-24s %3d", "Grants", tt.landed); !strings.Contains(text, want) {
				t.Errorf("report has no histogram line %q:\n%s", want, text)
			}
			if want := fmt.Sprintf("kills during startup, before ExecutionStarted, which test a fresh run: %d", tt.startup); !strings.Contains(text, want) {
				t.Errorf("report has no line %q:\n%s", want, text)
			}
			if want := fmt.Sprintf("%d landed during startup", tt.startup); !strings.Contains(text, want) {
				t.Errorf("case detail does not say %q:\n%s", want, text)
			}
		})
	}
}

func TestLockedBufferLineTimes(t *testing.T) {
	b := lockedBuffer{lineArrived: make(chan struct{}, 1)}
	if _, err := b.Write([]byte("execution DATA-1\n  preflight")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.lineArrived:
	default:
		t.Error("no signal after a write that completed a line")
	}
	if _, ok := b.lineTime(2); ok {
		t.Error("line 2 has a time before it is complete")
	}
	if _, err := b.Write([]byte(" checked\n\n")); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.lineTime(3); !ok {
		t.Error("line 3 has no time after it is complete")
	}
	lines, times := b.lines()
	if want := []string{"execution DATA-1", "  preflight checked", ""}; strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", lines, want)
	}
	if len(times) != 3 {
		t.Errorf("%d line times, want 3", len(times))
	}
}

// fakeFinishedRun is a repolink stand-in whose run finishes at once and
// whose list shows its execution SUCCEEDED.
const fakeFinishedRun = `#!/bin/sh
case "$1" in
run)
	prev=
	for arg; do
		if [ "$prev" = --state-dir ]; then dir=$arg; fi
		prev=$arg
	done
	touch "$dir/engine.db"
	printf 'execution DATA-1 (sandbox)\n  preflight  checked  x  1ms\n\nsummary\n  status:           SUCCEEDED\n'
	;;
list)
	echo '[{"name":"DATA-1","status":"SUCCEEDED","current_state":"Succeeded"}]'
	;;
esac
`

func TestKillTrialMissedKillsFail(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "repolink")
	if err := os.WriteFile(bin, []byte(fakeFinishedRun), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &session{
		cfg:     Config{Binary: bin, Root: dir, Work: filepath.Join(dir, "work")},
		report:  newReport(&out),
		secrets: newSecretSet(),
	}
	// Every kill point lies an hour into the run, after the run finished.
	cal := calibration{
		labels: []string{"process start", "execution line"},
		gaps:   []time.Duration{time.Hour, time.Hour},
	}
	spread := newKillSpread()
	killTrial(context.Background(), s, 1, false, cal, rand.New(rand.NewPCG(1, 1)), "request.json", spread)

	passed, failed := s.report.tally()
	if passed != 0 || failed != 1 {
		t.Errorf("tally = %d passed, %d failed, want 0 passed, 1 failed:\n%s", passed, failed, out.String())
	}
	if !strings.Contains(out.String(), "came after the run had finished") {
		t.Errorf("failure does not say that the kills came after the run finished:\n%s", out.String())
	}
	if spread.attempts != maxKillAttempts || spread.missed != maxKillAttempts {
		t.Errorf("spread has %d attempts and %d missed, want %d of each", spread.attempts, spread.missed, maxKillAttempts)
	}
}
