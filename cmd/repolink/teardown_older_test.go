package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownOlderRequest checks that a provision execution whose stored
// request the current Validate rejects, as after a version that checks
// more, can still be torn down, while 'repolink run' rejects the request.
func TestTeardownOlderRequest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) { doc["id"] = "OLD-1" })
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// A private-link index on port 8443 was accepted before the route
	// required port 443.
	older := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OLD-1"
		section(doc, "repository")["index_url"] = "https://pypi.corp.example.com:8443/simple/"
	})
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, older)
	if code != exitInvalid {
		t.Fatalf("run of the older request: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "$.repository.index_url") {
		t.Errorf("run of the older request: stderr does not name $.repository.index_url:\n%s", errOut)
	}

	// Start the older request's execution in the store, as the earlier
	// version did, and stop it, so that it is the latest provision run.
	req, err := readRequest(file)
	if err != nil {
		t.Fatal(err)
	}
	req.Repository.IndexURL = "https://pypi.corp.example.com:8443/simple/"
	if req.Validate() == nil {
		t.Fatal("Validate accepted index port 8443, so the test does not cover a strict rule")
	}
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	name, err := startExecution(ctx, eng, req)
	if err == nil {
		_, err = eng.Stop(ctx, name, "", "")
	}
	eng.Close()
	if err != nil || name != "OLD-1-r2" {
		t.Fatalf("start the older request's run: %q, %v, want OLD-1-r2", name, err)
	}

	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "OLD-1-r2")
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "InvalidRequest") || strings.Contains(errOut, "InvalidRequest") {
		t.Errorf("teardown reported InvalidRequest:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown did not delete the network resources of the first run:\n%s", out)
	}

	// The older request file names the run too, as the execution name does.
	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, older)
	if code != exitOK {
		t.Fatalf("teardown of the older request file: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "whose latest execution is OLD-1-r2") {
		t.Errorf("teardown of the older request file did not find OLD-1-r2:\n%s", errOut)
	}

	eng, _, err = openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(ctx, "OLD-1-r2-teardown")
	if err != nil {
		t.Fatalf("teardown execution: %v", err)
	}
	if x.Status != engine.StatusSucceeded {
		t.Errorf("OLD-1-r2-teardown status %s, want %s", x.Status, engine.StatusSucceeded)
	}
}

// TestAPITeardownOlderRequest checks that the API starts a teardown of a
// request that the current Validate rejects, and still rejects it for a
// provision execution or when it has no ID.
func TestAPITeardownOlderRequest(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	client := apiClient(t, eng)
	older := exampleInput(t, "aws-privatelink.json", func(req map[string]any) { req["id"] = "Z-1\u200b" })
	start := func(machine, name, input string) error {
		_, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(eng.StateMachineARN(machine)),
			Name:            aws.String(name),
			Input:           aws.String(input),
		})
		return err
	}

	var invalid *types.InvalidExecutionInput
	if err := start(provisionMachine, "Z-1", older); !errors.As(err, &invalid) {
		t.Errorf("provision start: error %v, want InvalidExecutionInput", err)
	} else if !strings.Contains(invalid.ErrorMessage(), "$.request.id") {
		t.Errorf("provision start: message %q does not name $.request.id", invalid.ErrorMessage())
	}

	if err := start(teardownMachine, "Z-1-teardown", older); err != nil {
		t.Fatalf("teardown start: %v", err)
	}
	x, err := eng.Describe(ctx, "Z-1-teardown")
	if err != nil {
		t.Fatal(err)
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatalf("input %s: %v", x.Input, err)
	}
	if doc.Request.ID != "Z-1\u200b" {
		t.Errorf("teardown input ID = %q, want %q", doc.Request.ID, "Z-1\u200b")
	}
	if doc.Request.AWS == nil || doc.Request.AWS.Proxy != "nginx" {
		t.Errorf("teardown input %s lacks the aws defaults", x.Input)
	}

	noID := exampleInput(t, "aws-privatelink.json", func(req map[string]any) { delete(req, "id") })
	if err := start(teardownMachine, "NO-ID-teardown", noID); !errors.As(err, &invalid) {
		t.Errorf("teardown start without an ID: error %v, want InvalidExecutionInput", err)
	} else if !strings.Contains(invalid.ErrorMessage(), "$.request.id: missing") {
		t.Errorf("teardown start without an ID: message %q does not name $.request.id", invalid.ErrorMessage())
	}
	noBlock := exampleInput(t, "aws-privatelink.json", func(req map[string]any) { delete(req, "aws") })
	if err := start(teardownMachine, "NO-BLOCK-teardown", noBlock); !errors.As(err, &invalid) {
		t.Errorf("teardown start without the aws block: error %v, want InvalidExecutionInput", err)
	} else if !strings.Contains(invalid.ErrorMessage(), "$.request.aws: missing") {
		t.Errorf("teardown start without the aws block: message %q does not name $.request.aws", invalid.ErrorMessage())
	}
}

// TestInvokeTeardownOlderRequest checks that invoke gives a teardown step
// a request that the current Validate rejects, and still rejects it for a
// provision step.
func TestInvokeTeardownOlderRequest(t *testing.T) {
	input := exampleInput(t, "aws-privatelink.json", func(req map[string]any) {
		section(req, "repository")["index_url"] = "https://pypi.corp.example.com:8443/simple/"
	})
	path := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "invoke", "secret", "--sandbox", "--state-dir", t.TempDir(), "--input", path)
	if code != exitInvalid || !strings.Contains(errOut, "index_url") {
		t.Errorf("invoke secret: exit %d, want %d naming index_url\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	code, out, errOut = runCLI(t, "invoke", "teardown_snowflake", "--sandbox", "--state-dir", t.TempDir(), "--input", path)
	if code == exitInvalid || strings.Contains(errOut, "index_url") {
		t.Errorf("invoke teardown_snowflake: exit %d, want the input accepted\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
