package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/repolink/repolink/functions/registry"
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
		return fmt.Errorf("prepare sandbox: %w", err)
	}

	// The same handler that the workflow calls, with the same environment.
	output, err := registry.Handlers(rt.env)[step](ctx, input)
	if err != nil {
		name := workflow.NameOf(err)
		if name == "" {
			name = "States.TaskFailed"
		}
		fmt.Fprintf(stderr, "repolink: step %s failed: %s: %v\n", step, name, err)
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
	if problems := checkStepInputFields(fields); len(problems) > 0 {
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
