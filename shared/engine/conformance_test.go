package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The conformance cases in testdata/conformance run here on the engine and,
// through `make conformance`, on aws-local-stepfunctions. Each file is one
// execution: a definition, an input, scripted Task results and the
// expected outcome.

var conformanceReport = flag.String("conformance.report", "",
	"write the outcome of every conformance case as JSON to this file")

// Names that the cases see in the context object, as in Step Functions.
const (
	conformanceRegion    = "us-east-1"
	conformanceAccount   = "123456789012"
	conformanceMachine   = "conformance"
	conformanceExecution = "conformance-run"
)

// conformanceCase is one file under testdata/conformance.
type conformanceCase struct {
	Comment    string          `json:"comment"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	// Execution is the execution name; empty means conformanceExecution.
	Execution string `json:"execution"`
	// Tasks scripts the Task resources by function name: the name in a
	// Lambda function ARN, the FunctionName of lambda:invoke, or a name in
	// ${...}.
	Tasks  map[string]taskScript `json:"tasks"`
	Expect caseExpectation       `json:"expect"`
	// Redrive, when set, redrives the closed execution with new scripts.
	Redrive *redriveStep `json:"redrive"`
	// Peer is "skip" when aws-local-stepfunctions lacks the feature or
	// differs from Step Functions, and Reason then gives the difference.
	Peer   string `json:"peer"`
	Reason string `json:"reason"`
	// PeerWaitMilliseconds sets the duration of Wait states on the peer,
	// which otherwise waits 0 ms; -1 keeps the state's own duration. The
	// engine ignores it.
	PeerWaitMilliseconds map[string]int `json:"peerWaitMilliseconds"`
}

type redriveStep struct {
	Tasks  map[string]taskScript `json:"tasks"`
	Expect caseExpectation       `json:"expect"`
}

// caseExpectation is the outcome a case expects. A set Error means status
// FAILED unless Status is set, and neither means SUCCEEDED.
type caseExpectation struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  *string         `json:"cause"`
	// Calls counts the invocations of each scripted function.
	Calls map[string]int `json:"calls"`
	// DefinitionError expects the definition to be rejected.
	DefinitionError bool `json:"definitionError"`
	// StartError expects StartExecution to fail with this Step Functions
	// error name, such as InvalidName.
	StartError string `json:"startError"`
	// Events lists history event types that must appear in this order,
	// with any other events between them.
	Events []string `json:"events"`
	// CallbackErrors lists the Step Functions error names that the
	// scripted SendTask* calls returned, in order.
	CallbackErrors []string `json:"callbackErrors"`
}

func (x caseExpectation) status() string {
	switch {
	case x.Status != "":
		return x.Status
	case x.Error != "":
		return StatusFailed
	}
	return StatusSucceeded
}

// taskScript is the outcome of each invocation of one function, in order.
// The last outcome repeats. A single object in the file is a script of one.
type taskScript []taskOutcome

func (s *taskScript) UnmarshalJSON(data []byte) error {
	if strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
		return json.Unmarshal(data, (*[]taskOutcome)(s))
	}
	var one taskOutcome
	if err := json.Unmarshal(data, &one); err != nil {
		return err
	}
	*s = taskScript{one}
	return nil
}

// taskOutcome is what one invocation does: take Seconds, then fail with
// Error and Cause, return the input (Echo), or return Output (null when
// absent). Callback completes the task token of a waitForTaskToken task.
type taskOutcome struct {
	Seconds  float64         `json:"seconds"`
	Error    string          `json:"error"`
	Cause    string          `json:"cause"`
	Echo     bool            `json:"echo"`
	Output   json.RawMessage `json:"output"`
	Callback *callbackScript `json:"callback"`
}

// callbackScript completes a task token read from the field TaskToken of the
// task input: Heartbeats heartbeats HeartbeatEverySeconds apart, then after
// AfterSeconds more SendTaskFailure when Error is set, SendTaskSuccess when
// Output is set, and nothing otherwise.
type callbackScript struct {
	Heartbeats            int             `json:"heartbeats"`
	HeartbeatEverySeconds float64         `json:"heartbeatEverySeconds"`
	AfterSeconds          float64         `json:"afterSeconds"`
	Output                json.RawMessage `json:"output"`
	Error                 string          `json:"error"`
	Cause                 string          `json:"cause"`
}

// caseResult is one case's entry in the conformance report.
type caseResult struct {
	Passed   bool     `json:"passed"`
	Problems []string `json:"problems,omitempty"`
}

func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no cases in testdata/conformance")
	}

	var mu sync.Mutex
	results := map[string]caseResult{}
	t.Cleanup(func() {
		if *conformanceReport == "" {
			return
		}
		if err := writeReport(*conformanceReport, results); err != nil {
			t.Errorf("write conformance report: %v", err)
		}
	})

	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			problems := runConformanceFile(t, file)
			for _, p := range problems {
				t.Error(p)
			}
			mu.Lock()
			results[name] = caseResult{Passed: len(problems) == 0, Problems: problems}
			mu.Unlock()
		})
	}
}

func writeReport(path string, results map[string]caseResult) error {
	raw, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

// runConformanceFile runs one case in a synctest bubble, so that Wait
// states, retry delays and timeouts take no real time. It returns what
// differed from the expectation.
func runConformanceFile(t *testing.T, file string) []string {
	raw, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}
	}
	var c conformanceCase
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return []string{fmt.Sprintf("invalid case file: %v", err)}
	}
	if c.Peer != "" && (c.Peer != "skip" || c.Reason == "") {
		return []string{`invalid case file: peer must be "skip" and come with a reason`}
	}

	var problems []string
	synctest.Test(t, func(t *testing.T) {
		problems = (&caseRun{c: c, dir: t.TempDir()}).run()
	})
	return problems
}

// caseRun is the state of one case while it runs.
type caseRun struct {
	c   conformanceCase
	dir string
	e   *Engine

	mu             sync.Mutex
	scripts        map[string]taskScript
	calls          map[string]int
	callbackErrors []string
	callbacks      sync.WaitGroup
	problems       []string
}

func (r *caseRun) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *caseRun) run() []string {
	e, err := Open(filepath.Join(r.dir, "engine.db"), Options{
		PollInterval: time.Hour,
		Region:       conformanceRegion,
		Account:      conformanceAccount,
	})
	if err != nil {
		return []string{fmt.Sprintf("open engine: %v", err)}
	}
	defer e.Close()
	r.e = e
	r.scripts = r.c.Tasks
	r.calls = map[string]int{}
	for name := range r.allScriptNames() {
		e.Register(name, r.taskFunc(name))
	}

	err = e.Define(conformanceMachine, r.c.Definition)
	if r.c.Expect.DefinitionError {
		if err == nil {
			r.problem("Define accepted the definition, want it rejected")
		}
		return r.problems
	}
	if err != nil {
		return []string{fmt.Sprintf("Define: %v", err)}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer r.callbacks.Wait()
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	name := cmp.Or(r.c.Execution, conformanceExecution)
	input := r.c.Input
	if input == nil {
		input = json.RawMessage(`{}`)
	}
	_, err = e.Start(ctx, conformanceMachine, name, input)
	if r.c.Expect.StartError != "" {
		if got := startErrorName(err); got != r.c.Expect.StartError {
			r.problem("Start error = %v (%s), want %s", err, got, r.c.Expect.StartError)
		}
		return r.problems
	}
	if err != nil {
		return []string{fmt.Sprintf("Start: %v", err)}
	}
	r.check(ctx, name, r.c.Expect)

	if r.c.Redrive != nil {
		r.mu.Lock()
		for fn, script := range r.c.Redrive.Tasks {
			r.scripts[fn] = script
		}
		r.mu.Unlock()
		if _, err := e.Redrive(ctx, name); err != nil {
			r.problem("Redrive: %v", err)
			return r.problems
		}
		r.check(ctx, name, r.c.Redrive.Expect)
	}
	return r.problems
}

// allScriptNames returns the function names of the case and its redrive.
func (r *caseRun) allScriptNames() map[string]bool {
	names := map[string]bool{}
	for name := range r.c.Tasks {
		names[name] = true
	}
	if r.c.Redrive != nil {
		for name := range r.c.Redrive.Tasks {
			names[name] = true
		}
	}
	return names
}

// maxCaseDuration bounds one execution in fake time, so that a case that
// never closes fails instead of hanging.
const maxCaseDuration = 72 * time.Hour

// check waits for the execution to close and compares it with want.
func (r *caseRun) check(ctx context.Context, name string, want caseExpectation) {
	waitCtx, cancel := context.WithTimeout(ctx, maxCaseDuration)
	defer cancel()
	x, err := r.e.Wait(waitCtx, name)
	if err != nil {
		r.problem("execution did not close within %s: %v (status %s, state %s)",
			maxCaseDuration, err, x.Status, x.CurrentState)
		return
	}
	r.callbacks.Wait()

	if x.Status != want.status() {
		r.problem("status = %s (error %q, cause %q), want %s", x.Status, x.Error, x.Cause, want.status())
	}
	if want.Error != "" && x.Error != want.Error {
		r.problem("error = %q (cause %q), want %q", x.Error, x.Cause, want.Error)
	}
	if want.Cause != nil && x.Cause != *want.Cause {
		r.problem("cause = %q, want %q", x.Cause, *want.Cause)
	}
	if want.Output != nil {
		if problem := compareJSON(x.Output, want.Output); problem != "" {
			r.problem("output: %s", problem)
		}
	}

	r.mu.Lock()
	calls := maps.Clone(r.calls)
	callbackErrors := slices.Clone(r.callbackErrors)
	r.mu.Unlock()
	for fn, n := range want.Calls {
		if calls[fn] != n {
			r.problem("%s ran %d times, want %d", fn, calls[fn], n)
		}
	}
	if want.CallbackErrors != nil && !slices.Equal(callbackErrors, want.CallbackErrors) {
		r.problem("callback errors = %v, want %v", callbackErrors, want.CallbackErrors)
	}
	if want.Events != nil {
		r.checkEvents(ctx, name, want.Events)
	}
}

func (r *caseRun) checkEvents(ctx context.Context, name string, want []string) {
	events, err := r.e.History(ctx, name)
	if err != nil {
		r.problem("History: %v", err)
		return
	}
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	next := 0
	for _, typ := range types {
		if next < len(want) && typ == want[next] {
			next++
		}
	}
	if next < len(want) {
		r.problem("history lacks %s after %v: %v", want[next], want[:next], types)
	}
}

// taskFunc runs the script of one function name.
func (r *caseRun) taskFunc(name string) TaskFunc {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		r.mu.Lock()
		script := r.scripts[name]
		n := r.calls[name]
		r.calls[name]++
		r.mu.Unlock()
		if len(script) == 0 {
			return nil, fmt.Errorf("the case has no script for %s", name)
		}
		outcome := script[min(n, len(script)-1)]

		if outcome.Seconds > 0 {
			timer := time.NewTimer(time.Duration(outcome.Seconds * float64(time.Second)))
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if outcome.Callback != nil {
			if err := r.startCallback(input, outcome.Callback); err != nil {
				return nil, err
			}
		}
		switch {
		case outcome.Error != "":
			return nil, &namedError{outcome.Error, outcome.Cause}
		case outcome.Echo:
			return input, nil
		case outcome.Output != nil:
			return outcome.Output, nil
		}
		return json.RawMessage(`null`), nil
	}
}

// startCallback completes the task token in the task input from another
// goroutine, as an external worker would.
func (r *caseRun) startCallback(input json.RawMessage, cb *callbackScript) error {
	var payload struct {
		TaskToken string `json:"TaskToken"`
	}
	if err := json.Unmarshal(input, &payload); err != nil || payload.TaskToken == "" {
		return fmt.Errorf("the task input has no TaskToken field for the callback: %s", input)
	}
	token := payload.TaskToken
	r.callbacks.Add(1)
	go func() {
		defer r.callbacks.Done()
		ctx := context.Background()
		for range cb.Heartbeats {
			time.Sleep(seconds(cb.HeartbeatEverySeconds))
			r.recordCallback(r.e.SendTaskHeartbeat(ctx, token))
		}
		time.Sleep(seconds(cb.AfterSeconds))
		switch {
		case cb.Error != "":
			r.recordCallback(r.e.SendTaskFailure(ctx, token, cb.Error, cb.Cause))
		case cb.Output != nil:
			r.recordCallback(r.e.SendTaskSuccess(ctx, token, cb.Output))
		}
	}()
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// recordCallback records the Step Functions error name of a failed
// SendTask* call.
func (r *caseRun) recordCallback(err error) {
	if err == nil {
		return
	}
	name := "Error"
	if errors.Is(err, ErrInvalidToken) {
		name = "InvalidToken"
	}
	r.mu.Lock()
	r.callbackErrors = append(r.callbackErrors, name)
	r.mu.Unlock()
}

// startErrorName maps a Start error to the Step Functions error name.
func startErrorName(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidName):
		return "InvalidName"
	case errors.Is(err, ErrInvalidInput):
		return "InvalidExecutionInput"
	case errors.Is(err, ErrExecutionAlreadyExists):
		return "ExecutionAlreadyExists"
	case errors.Is(err, ErrMachineNotFound):
		return "StateMachineDoesNotExist"
	}
	return "Error"
}

// compareJSON compares two JSON texts as values, numbers by value, with
// the members of every object in the same order, and returns both texts
// when they differ.
func compareJSON(got, want json.RawMessage) string {
	g, err := decodeJSON(got)
	if err != nil {
		return fmt.Sprintf("got invalid JSON %s: %v", got, err)
	}
	w, err := decodeJSON(want)
	if err != nil {
		return fmt.Sprintf("the case has invalid JSON %s: %v", want, err)
	}
	gotText, _ := encodeJSON(g)
	wantText, _ := encodeJSON(w)
	if jsonEqual(g, w) {
		if sameKeyOrder(g, w) {
			return ""
		}
		return fmt.Sprintf("got %s, want the keys in the order of %s", gotText, wantText)
	}
	return fmt.Sprintf("got %s, want %s", gotText, wantText)
}

// sameKeyOrder reports whether every object in got lists its keys in the
// order of the matching object in want, which jsonEqual found equal.
func sameKeyOrder(got, want any) bool {
	switch g := got.(type) {
	case *jsonObject:
		w := want.(*jsonObject)
		if !slices.Equal(g.Keys(), w.Keys()) {
			return false
		}
		for _, m := range g.Members() {
			if !sameKeyOrder(m.value, w.Value(m.key)) {
				return false
			}
		}
	case []any:
		w := want.([]any)
		for i := range g {
			if !sameKeyOrder(g[i], w[i]) {
				return false
			}
		}
	}
	return true
}
