package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequestCommandsRejectExecutionName(t *testing.T) {
	for _, command := range []string{"plan", "preflight", "run"} {
		t.Run(command, func(t *testing.T) {
			dir := t.TempDir()
			code, _, errOut := runCLI(t, command, "--state-dir", dir, "DATA-4721")
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			want := "file DATA-4721 does not exist; " + command + " takes a request file (JSON or YAML), such as examples/public.json"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not contain %q", errOut, want)
			}
			if strings.Contains(errOut, "stat ") {
				t.Errorf("stderr %q shows the bare stat error", errOut)
			}
		})
	}
}

func TestRequestFileArgDanglingLink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "request.json")
	if err := os.Symlink(filepath.Join(t.TempDir(), "missing.json"), link); err != nil {
		t.Fatal(err)
	}
	// The reader reports the missing target; the argument itself exists.
	if err := checkRequestFileArg("plan", link); err != nil {
		t.Errorf("checkRequestFileArg(%s) = %v, want nil", link, err)
	}
}

// TestRequestCommandsRejectEmptyFileName checks that an empty request file
// argument, as from an unset shell variable, is reported as an empty name.
func TestRequestCommandsRejectEmptyFileName(t *testing.T) {
	for _, command := range []string{"plan", "preflight", "run"} {
		t.Run(command, func(t *testing.T) {
			dir := t.TempDir()
			code, _, errOut := runCLI(t, command, "--state-dir", dir, "")
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			want := "the request file name is empty; " + command + " takes a request file"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not contain %q", errOut, want)
			}
		})
	}
}
