//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxCommandsQuietWithoutNginx checks that run, plan, preflight and
// invoke on the sandbox treat a missing nginx alike. The proxy VMs fall back
// to the Go passthrough, which the README documents, so no command logs a
// warning about it unless --verbose is given.
func TestSandboxCommandsQuietWithoutNginx(t *testing.T) {
	// An nginx on PATH whose -V fails makes nginx unavailable on every
	// machine, whether or not a real one is installed.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "nginx"), []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	requestPath := writeRequest(t, nil)
	input := writeInvokeInput(t, requestPath)
	commands := [][]string{
		{"run", "--sandbox", "--sandbox-latency", "none", requestPath},
		{"plan", "--sandbox", requestPath},
		{"preflight", "--sandbox", requestPath},
		{"invoke", "secret", "--sandbox", "--input", input},
	}
	for _, args := range commands {
		t.Run(args[0], func(t *testing.T) {
			stateDir := filepath.Join(t.TempDir(), "state")
			code, out, errOut := runCLI(t, append(args, "--state-dir", stateDir)...)
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if strings.Contains(errOut, "nginx") {
				t.Errorf("stderr mentions nginx:\n%s", errOut)
			}
			if strings.Contains(errOut, "level=WARN") {
				t.Errorf("stderr has a warning:\n%s", errOut)
			}
		})
	}

	t.Run("preflight verbose", func(t *testing.T) {
		stateDir := filepath.Join(t.TempDir(), "state")
		code, out, errOut := runCLI(t, "preflight", "--sandbox", "--verbose", "--state-dir", stateDir, requestPath)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, "nginx unavailable") {
			t.Errorf("stderr with --verbose does not say that nginx is unavailable:\n%s", errOut)
		}
	})
}

// writeInvokeInput writes an invoke input document for the request file at
// requestPath with no resources yet and returns its path.
func writeInvokeInput(t *testing.T, requestPath string) string {
	t.Helper()
	data, err := os.ReadFile(requestPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"request": json.RawMessage(data), "resources": map[string]any{}}
	encoded, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(path, encoded, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
