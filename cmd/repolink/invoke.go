package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func invokeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoke", "invoke [--sandbox] [--state-dir DIR] --input FILE STEP", stderr)
	sandboxMode := fs.Bool("sandbox", false, "run the step against the local sandbox on 127.0.0.1")
	stateDir := stateDirFlag(fs)
	inputPath := fs.String("input", "", "workflow document JSON ({\"request\": ..., \"resources\": ...}) that the step receives; - reads stdin")
	verbose := fs.Bool("verbose", false, "log adapter details to stderr")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("invoke takes one step name; got %d arguments", len(positional))
	}
	step := positional[0]
	if *inputPath == "" {
		return usagef("--input is required; pass a file with the workflow document, such as the input of the step in 'repolink history%s NAME --output json'",
			commandFlags(false, *stateDir))
	}

	// The handler table does not depend on the environment, so the step
	// name is checked before anything starts.
	if service, ok := serviceHandlers[step]; ok {
		return usagef("%s is a service handler, not a step, so invoke cannot run it. "+
			"Run repolink up instead, which %s (add --sandbox to use the local sandbox)", step, service)
	}
	names := stepNames()
	if !slices.Contains(names, step) {
		return usagef("unknown step %q; use one of: %s", step, strings.Join(names, ", "))
	}
	parse := parseRequest
	if strings.HasPrefix(step, "teardown_") {
		// A teardown step runs on a request that an earlier repolink
		// accepted, as the state machine's teardown steps do.
		parse = request.ParseForTeardown
	}
	input, doc, err := readDocumentWith(*inputPath, parse)
	if err != nil {
		return err
	}
	if err := checkLocalCredentialsAt(ctx, doc.Request, "$.request"); err != nil {
		return err
	}

	dir, err := prepareStateDir(*stateDir, warnTo(stderr))
	if err != nil {
		return usagef("%v", err)
	}
	if *sandboxMode {
		if err := checkSandboxFree(dir); err != nil {
			return err
		}
	}
	// A document without an execution gets a name of its own, or the name
	// of the call before that found the step not ready, which the state
	// machine would retry within one execution.
	pending := pendingExecutionPath(dir, step, doc.Request.ID)
	if doc.Execution == "" {
		if doc.Execution = readPendingExecution(pending); doc.Execution == "" {
			doc.Execution = invokeExecutionName()
		}
		if input, err = withExecution(input, doc.Execution); err != nil {
			return err
		}
	} else {
		pending = ""
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rt, err := openRuntime(ctx, runtimeOptions{dir: dir, sandbox: *sandboxMode, hosts: requestHosts(doc.Request), logger: logger, noExecutions: true})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.seed(ctx, doc.Request); err != nil {
		return prepareError(err)
	}

	// The same handler that the workflow calls, with the same environment.
	output, err := registry.Handlers(rt.env)[step](ctx, input)
	if pending != "" {
		if recordErr := recordPendingExecution(pending, doc.Execution, workflow.NameOf(err) == workflow.ErrNotReady); recordErr != nil {
			printText(stderr, "repolink: warning: %v\n", recordErr)
		}
	}
	if err != nil {
		name := workflow.NameOf(err)
		if name == "" {
			name = "States.TaskFailed"
		}
		printText(stderr, "repolink: step %s failed: %s: %v\n", step, name, err)
		return &failedError{msg: name}
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, output, "", "  "); err != nil {
		return fmt.Errorf("format output of %s: %w", step, err)
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}

// invokeExecutionName returns a new execution name for an invoke whose
// input names none: invoke-, the UTC time and 6 random hex digits. The steps
// tag what they launch with the execution, and report a resource as created
// only when its tag names the current execution. So each invoke needs a
// name of its own. The call that launches a resource, or finds it ready
// after a NotReady, then reports created, and the next call adopted.
func invokeExecutionName() string {
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	return "invoke-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix[:])
}

// pendingExecutionPath returns the file in which invoke keeps the
// execution name of step for requestID while the step is not ready.
func pendingExecutionPath(dir, step, requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	return filepath.Join(dir, "invoke", step+"-"+hex.EncodeToString(sum[:8]))
}

// readPendingExecution returns the execution name stored at path, or "".
func readPendingExecution(path string) string {
	data, err := privatefile.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// recordPendingExecution stores name at path when the step was not ready,
// so that the next invoke of the step continues that execution, and
// removes the file otherwise.
func recordPendingExecution(path, name string, notReady bool) error {
	if !notReady {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove pending execution %s: %w", path, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record pending execution: %w", err)
	}
	f, err := privatefile.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("record pending execution: %w", err)
	}
	_, err = f.WriteString(name + "\n")
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("record pending execution: %w", err)
	}
	return nil
}

// withExecution returns the step input with its execution field set to
// name.
func withExecution(input json.RawMessage, name string) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(input, &fields); err != nil {
		return nil, fmt.Errorf("decode step input: %w", err)
	}
	value, err := json.Marshal(name)
	if err != nil {
		return nil, fmt.Errorf("encode execution name: %w", err)
	}
	fields["execution"] = value
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode step input: %w", err)
	}
	return out, nil
}

// serviceHandlers maps each REPOLINK_HANDLER value of an AWS service
// function to what repolink up does in its place. These handlers take no
// workflow document, so invoke rejects them and names the local command.
var serviceHandlers = map[string]string{
	"poller":     "runs the poller, which completes endpoint waits, every --poll-interval",
	"webhook":    "serves the webhook at POST /v1/requests",
	"notifier":   "sends the notification of each closed execution to its request's notify URL",
	"operations": "serves the operations API at GET /v1/executions",
}

// stepNames lists the task names of every registered step.
func stepNames() []string {
	var names []string
	for name := range registry.Handlers(&workflow.Env{}) {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// maxDocumentSize is the largest workflow document that invoke reads, in
// bytes: the 256 KiB that Step Functions allows for a state's input.
const maxDocumentSize = 256 << 10

// readDocument reads a workflow document and checks its request as a
// request file is checked, so that invalid input is a usage error rather
// than a step failure. The request gets its defaults, as a request file
// does; other fields pass unchanged.
func readDocument(path string) (json.RawMessage, workflow.Document, error) {
	return readDocumentWith(path, parseRequest)
}

// parseRequest parses a request with every check of a new run, the
// cloud secret references included.
func parseRequest(data []byte) (request.Request, error) {
	req, err := request.Parse(data)
	if err == nil {
		err = checkSecretARNs(req)
	}
	return req, err
}

// underRequest returns invalid with each path moved under $.request, where
// the request sits in a workflow document, as StartExecution names them.
func underRequest(invalid *request.ValidationError) *request.ValidationError {
	fields := make([]request.FieldError, len(invalid.Fields))
	for i, field := range invalid.Fields {
		fields[i] = request.FieldError{Path: "$.request" + strings.TrimPrefix(field.Path, "$"), Message: field.Message}
	}
	return &request.ValidationError{Fields: fields}
}

// readDocumentWith is readDocument with the request parsed by parse.
func readDocumentWith(path string, parse func([]byte) (request.Request, error)) (json.RawMessage, workflow.Document, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = request.ReadLimited(os.Stdin, "standard input", maxDocumentSize)
	} else {
		data, err = request.ReadFileLimited(path, maxDocumentSize)
	}
	if err != nil {
		return nil, workflow.Document{}, usagef("read --input: %v", err)
	}

	var doc workflow.Document
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		// The type error of encoding/json names a Go type, so the message
		// names the JSON value instead.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, doc, usagef("--input %s is a JSON %s, not an object; pass a workflow document such as {\"request\": {...}, \"resources\": {...}}", path, typeErr.Value)
		}
		return nil, doc, usagef("--input %s is not a JSON object: %v", path, err)
	}
	problems := request.DuplicateKeysOutside(data)
	problems = append(problems, checkStepInputFields(fields)...)
	if len(problems) > 0 {
		var b strings.Builder
		for _, field := range problems {
			fmt.Fprintf(&b, "\n  %s: %s", field.Path, field.Message)
		}
		return nil, doc, usagef("--input %s: invalid step input:%s", path, b.String())
	}
	if raw, ok := fields["resources"]; ok && string(raw) != "null" {
		if problems := workflow.CheckResources(raw); len(problems) > 0 {
			var b strings.Builder
			for _, field := range problems {
				fmt.Fprintf(&b, "\n  %s: %s", field.Path, field.Message)
			}
			return nil, doc, usagef("--input %s: invalid resources, the outputs of earlier steps:%s", path, b.String())
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil || fields["request"] == nil {
		return nil, doc, usagef("--input %s is not a workflow document; it needs a \"request\" object and may have a \"resources\" object with the outputs of earlier steps: {\"request\": {...}, \"resources\": {...}}", path)
	}

	// Parse checks the request as it checks a request file, including
	// unknown fields and an explicit egress.port of 0, which decoding
	// into the document cannot tell from an absent one.
	req, err := parse(fields["request"])
	if err != nil {
		var invalid *request.ValidationError
		if errors.As(err, &invalid) {
			return nil, doc, usagef("--input %s: %v", path, underRequest(invalid))
		}
		return nil, doc, usagef("--input %s: %v", path, err)
	}
	doc.Request = req

	if fields["request"], err = json.Marshal(doc.Request); err != nil {
		return nil, doc, fmt.Errorf("encode step input: %w", err)
	}
	input, err := json.Marshal(fields)
	if err != nil {
		return nil, doc, fmt.Errorf("encode step input: %w", err)
	}
	return input, doc, nil
}

// stepInputFields maps each top-level field of a step's input, other than
// request and resources, to the message that rejects a value of another
// type. The state machines add execution, state_machine and redrive_count
// from the context object, and token for a callback task, so the input of a
// step copied from 'repolink history' has them too.
var stepInputFields = map[string]string{
	"execution":     "must be a string, the execution name",
	"token":         "must be a string, the task token of a callback task",
	"state_machine": "must be a string, the state machine's ARN or name",
	"redrive_count": "must be an integer of 0 or more, the number of redrives so far",
}

// checkStepInputFields returns an error for each top-level field of a step
// input that is unknown and for each of stepInputFields of the wrong type.
// The request and resources have their own checks. A null counts as absent.
func checkStepInputFields(fields map[string]json.RawMessage) []request.FieldError {
	var problems []request.FieldError
	for _, key := range sortedKeys(fields) {
		path := "$." + key
		if key == "request" || key == "resources" {
			continue
		}
		message, known := stepInputFields[key]
		if !known {
			problems = append(problems, request.FieldError{Path: path,
				Message: "unknown field; a step input has only request, resources, execution, token, state_machine and redrive_count"})
			continue
		}
		raw := fields[key]
		if string(raw) == "null" {
			continue
		}
		var err error
		if key == "redrive_count" {
			var count uint32
			err = json.Unmarshal(raw, &count)
		} else {
			var text string
			err = json.Unmarshal(raw, &text)
		}
		if err != nil {
			problems = append(problems, request.FieldError{Path: path, Message: message})
		}
	}
	return problems
}
