package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// requestFileExtensions are the name endings of the request files that
// redrive and teardown accept in place of an execution name.
var requestFileExtensions = []string{".json", ".yaml", ".yml"}

// isRequestFile reports whether arg names an existing path whose name
// ends in one of requestFileExtensions. Such a path that is not a regular
// file, such as a directory or a named pipe, counts too, so that reading
// it reports that instead of a missing execution.
func isRequestFile(arg string) bool {
	if !slices.Contains(requestFileExtensions, strings.ToLower(filepath.Ext(arg))) {
		return false
	}
	_, err := os.Lstat(arg)
	return err == nil
}

// executionOf returns the provision execution that the command-line
// argument arg of redrive names. An argument that isRequestFile accepts
// names the latest provision execution of the request ID in the file. Any
// other argument is an execution name and is returned as it is.
func executionOf(ctx context.Context, stateDir, arg, flags string, stderr io.Writer) (string, error) {
	return commandExecutionOf(ctx, stateDir, arg, flags, "redrive", stderr)
}

// commandExecutionOf is executionOf for the subcommand command, "redrive"
// or "teardown". Its warning about a request file that differs from the
// execution's request states what command does with the change.
func commandExecutionOf(ctx context.Context, stateDir, arg, flags, command string, stderr io.Writer) (string, error) {
	if !isRequestFile(arg) {
		return arg, checkFileArg(ctx, stateDir, arg)
	}
	// The file only names the request, and its executions use their own
	// copy, so a request that an earlier repolink accepted still names
	// them.
	req, err := readRequestWith(arg, request.ParseForTeardown)
	if err != nil {
		return "", err
	}
	eng, dir, err := readEngineStore(stateDir)
	if errors.Is(err, errNoStore) {
		return "", noStoreError(dir, fmt.Sprintf("no execution of request %s, the ID in %s", req.ID, arg))
	}
	if err != nil {
		return "", err
	}
	defer eng.Close()

	latest, _, err := latestRun(ctx, eng, req.ID)
	if err != nil {
		return "", err
	}
	if latest == nil {
		return "", usagef("no execution of request %s, the ID in %s, in %s; start one with 'repolink run%s %s'",
			req.ID, arg, dir, flags, shellQuote(arg))
	}
	printText(stderr, "repolink: %s has request ID %s, whose latest execution is %s\n", arg, req.ID, latest.Name)

	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err == nil && !sameRequestInput(input, latest.Input) {
		printText(stderr, "repolink: warning: the request in %s differs from the one that execution %s was started with; %s\n",
			arg, latest.Name, changedFileEffect(command, arg, flags))
	}
	return latest.Name, nil
}

// changedFileEffect returns what command does with a request file that
// differs from the request of the execution that the file names.
func changedFileEffect(command, file, flags string) string {
	if command == "teardown" {
		return "the teardown ignores the changes in the file, because it deletes what the request's executions built, " +
			"as their own requests name it"
	}
	return fmt.Sprintf("the %s uses the execution's request, so run the changed file with 'repolink run%s %s' to apply the change",
		command, flags, shellQuote(file))
}

// checkFileArg returns a usage error when arg, which isRequestFile rejects,
// looks like a file name and no execution has that name. Such an argument
// is a missing file that ends in a request file extension or has a
// directory part, or an existing path with another ending, such as
// request.txt. The plain "no execution named" error would hide that the
// file was the mistake.
func checkFileArg(ctx context.Context, stateDir, arg string) error {
	_, statErr := os.Lstat(arg)
	exists := statErr == nil
	requestExt := slices.Contains(requestFileExtensions, strings.ToLower(filepath.Ext(arg)))
	hasDir := strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator)
	if !exists && !requestExt && !hasDir {
		return nil
	}
	if named, err := executionExists(ctx, stateDir, arg); err != nil || named {
		return err
	}
	listFlags := commandFlags(false, stateDir)
	if !exists {
		return usagef("file %s does not exist, and no execution has that name; check the file name, "+
			"or run 'repolink list%s' for the execution names", arg, listFlags)
	}
	return usagef("%s is not read as a request file, because only names ending in %s are, and no execution has that name; "+
		"rename the file if it contains a request, or run 'repolink list%s' for the execution names",
		arg, strings.Join(requestFileExtensions, ", "), listFlags)
}

// executionExists reports whether the engine store in stateDir has an
// execution named name. A state directory without a store has none.
func executionExists(ctx context.Context, stateDir, name string) (bool, error) {
	eng, _, err := readEngineStore(stateDir)
	if errors.Is(err, errNoStore) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer eng.Close()
	_, err = eng.Describe(ctx, name)
	if errors.Is(err, engine.ErrExecutionNotFound) {
		return false, nil
	}
	return err == nil, err
}
