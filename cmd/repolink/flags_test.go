package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"/tmp/state-1/a_b.c", "/tmp/state-1/a_b.c"},
		{"./x y", `"./x y"`},
		{"./it's", `"./it's"`},
		{`a"b`, `"a\"b"`},
		{"$HOME", `"\$HOME"`},
		{"a`id`", "\"a\\`id\\`\""},
		{`a\b`, `"a\\b"`},
		{"a!b", `"a"\!"b"`},
		{"~/state", `"~/state"`},
		{"", `""`},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestShellQuoteRoundTrip checks that sh reads each quoted word back as
// the original string.
func TestShellQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	for _, in := range []string{"./x y", "./it's", `a"b`, "$HOME/x", "a`id`", `a\b\`, "a!b", "two  spaces\ttab", "*.json", "new\nline", ""} {
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(in)).Output()
		if err != nil {
			t.Errorf("sh -c printf %%s %s: %v", shellQuote(in), err)
			continue
		}
		if string(out) != in {
			t.Errorf("sh read %s as %q, want %q", shellQuote(in), out, in)
		}
	}
}

func TestCommandFlagsQuoteStateDir(t *testing.T) {
	if got, want := commandFlags(true, "./x y"), ` --sandbox --state-dir "./x y"`; got != want {
		t.Errorf("commandFlags = %s, want %s", got, want)
	}
	if got, want := commandFlags(false, "/tmp/state"), " --state-dir /tmp/state"; got != want {
		t.Errorf("commandFlags = %s, want %s", got, want)
	}
}

func TestNextCommandsQuoteRequestFile(t *testing.T) {
	cmds := nextCommands(provisionMachine, "DATA-4711", "", "./my request.json")
	if want := `run 'repolink run "./my request.json"'`; cmds.Run != want {
		t.Errorf("Run = %s, want %s", cmds.Run, want)
	}
}

func TestStatusUnknownNameQuotesStateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x y")
	req := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "status", "--state-dir", dir, "NOPE")
	if code != exitInvalid {
		t.Fatalf("status exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if want := `'repolink list --state-dir "` + dir + `"'`; !strings.Contains(errOut, want) {
		t.Errorf("stderr does not contain %s:\n%s", want, errOut)
	}
}

// TestEmptyStateDirRejected checks that an empty --state-dir, as from an
// unset shell variable, is rejected instead of making the current
// directory the state directory.
func TestEmptyStateDirRejected(t *testing.T) {
	for _, args := range [][]string{
		{"list", "--state-dir", ""},
		{"status", "--state-dir", " ", "DATA-4711"},
		{"sandbox", "reset", "--state-dir="},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			if !strings.Contains(errOut, "--state-dir is empty") {
				t.Errorf("stderr does not say that --state-dir is empty:\n%s", errOut)
			}
		})
	}
}
