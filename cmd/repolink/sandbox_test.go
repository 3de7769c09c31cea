package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSandboxCommandHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "long flag", args: []string{"sandbox", "--help"}, wantCode: exitOK, wantErr: "Usage: repolink sandbox COMMAND"},
		{name: "short flag", args: []string{"sandbox", "-h"}, wantCode: exitOK, wantErr: "Usage: repolink sandbox COMMAND"},
		{name: "single dash flag", args: []string{"sandbox", "-help"}, wantCode: exitOK, wantErr: "Usage: repolink sandbox COMMAND"},
		{name: "help command", args: []string{"sandbox", "help"}, wantCode: exitOK, wantOut: "reset"},
		{name: "reset help", args: []string{"sandbox", "reset", "--help"}, wantCode: exitOK, wantErr: "Usage: repolink sandbox reset"},
		{name: "no command", args: []string{"sandbox"}, wantCode: exitInvalid, wantErr: "sandbox needs a command"},
		{name: "unknown command", args: []string{"sandbox", "rebuild"}, wantCode: exitInvalid, wantErr: `unknown sandbox command "rebuild"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
			// The usage goes to one stream only: stderr for a flag, as
			// for every command, and stdout for the help command.
			if tt.wantErr != "" && strings.Contains(out, "Usage:") {
				t.Errorf("stdout %q contains the usage, want it on stderr only", out)
			}
			if tt.wantOut != "" && strings.Contains(errOut, "Usage:") {
				t.Errorf("stderr %q contains the usage, want it on stdout only", errOut)
			}
		})
	}
}

func TestSandboxResetKeepsCloudExecutions(t *testing.T) {
	dir := t.TempDir()
	makeFile(engineStore)(t, dir)

	code, _, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "belongs to the real clouds") {
		t.Errorf("stderr does not say why: %s", errOut)
	}
	if !exists(filepath.Join(dir, engineStore)) {
		t.Error("sandbox reset removed the engine store of a cloud directory")
	}
}

// TestSandboxResetRemovesTicketRecords checks that reset also removes the
// webhook's ticket records, the notifications and the endpoint
// reservations: they name executions that reset removes, and a ticket seen
// before a reset must start a run.
func TestSandboxResetRemovesTicketRecords(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	stores := []string{engineStore, "waits.db", "webhook.db", "webhook.db-wal", "notify.db", "reservations.db"}
	for _, name := range stores {
		makeFile(name)(t, dir)
	}

	code, _, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, name := range stores {
		if exists(filepath.Join(dir, name)) {
			t.Errorf("sandbox reset left %s", name)
		}
	}
}

func TestSandboxResetRejectsDirectoryWithoutState(t *testing.T) {
	dir := t.TempDir()
	makeFile("notes.txt")(t, dir)

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if strings.Contains(out, "removed") {
		t.Errorf("stdout claims a reset: %s", out)
	}
	for _, want := range []string{"contains no repolink state", "mode, sandbox/, engine.db", "--state-dir"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory contains %v after the rejected reset, want only notes.txt", names)
	}
}

func TestSandboxResetAcceptsModeFileAlone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, modeFile), []byte(modeSandbox+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	if !strings.Contains(out, "removed") {
		t.Errorf("stdout does not report the reset: %s", out)
	}
}

// TestSandboxResetRejectsArguments checks that reset with an argument
// other than a flag changes nothing, because flags after that argument,
// such as --state-dir, would go unread.
func TestSandboxResetRejectsArguments(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	makeFile(engineStore)(t, dir)

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir, "other")
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if strings.Contains(out, "removed") {
		t.Errorf("stdout claims a reset: %s", out)
	}
	if !strings.Contains(errOut, `takes no arguments; got "other"`) {
		t.Errorf("stderr %q does not name the argument", errOut)
	}
	if !exists(filepath.Join(dir, engineStore)) {
		t.Error("sandbox reset removed the engine store")
	}
}

// TestSandboxResetRemovesSandboxRecords checks that reset of a sandbox
// directory removes the default levels and credential expiries, which name
// objects of the old world, and prints each entry it removed.
func TestSandboxResetRemovesSandboxRecords(t *testing.T) {
	dir := t.TempDir()
	writeMode(modeSandbox)(t, dir)
	if err := os.Mkdir(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{engineStore, "defaults.db", "defaults.db-wal", "credentials.db"} {
		makeFile(name)(t, dir)
	}

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, name := range []string{"sandbox", engineStore, "defaults.db", "defaults.db-wal", "credentials.db"} {
		if exists(filepath.Join(dir, name)) {
			t.Errorf("sandbox reset left %s", name)
		}
	}
	want := "removed sandbox/, engine.db, defaults.db, credentials.db from " + dir
	if !strings.Contains(out, want) {
		t.Errorf("stdout %q does not contain %q", out, want)
	}
	if strings.Contains(out, "kept") {
		t.Errorf("stdout %q reports kept stores", out)
	}
}

// TestSandboxResetKeepsRecordsWithoutSandbox checks that reset keeps the
// default levels and credential expiries of a directory where no sandbox
// ran, because only commands without --sandbox can have written them.
func TestSandboxResetKeepsRecordsWithoutSandbox(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"waits.db", "defaults.db", "credentials.db"} {
		makeFile(name)(t, dir)
	}

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, name := range []string{"defaults.db", "credentials.db"} {
		if !exists(filepath.Join(dir, name)) {
			t.Errorf("sandbox reset removed %s of a directory where no sandbox ran", name)
		}
	}
	if exists(filepath.Join(dir, "waits.db")) {
		t.Error("sandbox reset left waits.db")
	}
	if want := "removed waits.db from " + dir; !strings.Contains(out, want) {
		t.Errorf("stdout %q does not contain %q", out, want)
	}
	if want := "kept defaults.db, credentials.db"; !strings.Contains(out, want) {
		t.Errorf("stdout %q does not contain %q", out, want)
	}
}

// TestSandboxResetRejectsCloudRecords checks that reset of a sandbox
// directory in which invoke without --sandbox opened the record stores
// before a sandbox run changes nothing and names the stores.
func TestSandboxResetRejectsCloudRecords(t *testing.T) {
	dir := t.TempDir()
	rt, err := openRuntime(context.Background(), runtimeOptions{dir: dir, noExecutions: true, logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rt.Close()
	if !exists(filepath.Join(dir, cloudRecordsFile)) {
		t.Fatalf("a runtime without --sandbox left no %s", cloudRecordsFile)
	}
	// A later sandbox run claims the directory and adds its own records.
	writeMode(modeSandbox)(t, dir)
	if err := os.Mkdir(filepath.Join(dir, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	makeFile(engineStore)(t, dir)

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stdout: %s", code, exitInvalid, out)
	}
	for _, name := range []string{"sandbox", engineStore, "defaults.db", "credentials.db", cloudRecordsFile} {
		if !exists(filepath.Join(dir, name)) {
			t.Errorf("rejected sandbox reset removed %s", name)
		}
	}
	for _, want := range []string{"records of real cloud objects", "defaults.db and credentials.db", "nothing was changed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
}

// TestSandboxResetAfterCloudRecordsMoved checks that reset of a marked
// sandbox directory whose record stores were moved out resets it and
// removes the mark.
func TestSandboxResetAfterCloudRecordsMoved(t *testing.T) {
	dir := t.TempDir()
	writeMode(modeSandbox)(t, dir)
	makeFile(cloudRecordsFile)(t, dir)
	makeFile(engineStore)(t, dir)

	code, out, errOut := runCLI(t, "sandbox", "reset", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	for _, name := range []string{engineStore, cloudRecordsFile} {
		if exists(filepath.Join(dir, name)) {
			t.Errorf("sandbox reset left %s", name)
		}
	}
	if want := "removed engine.db from " + dir; !strings.Contains(out, want) {
		t.Errorf("stdout %q does not contain %q", out, want)
	}
}
