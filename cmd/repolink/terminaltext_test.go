package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestTerminalText(t *testing.T) {
	tests := []struct {
		name, in, want, wantLines string
	}{
		{"plain", "plain text é", "plain text é", "plain text é"},
		{"escape sequence", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"line breaks", "line1\nline2\r", `line1\nline2\r`, "line1\nline2\\r"},
		{"tab", "a\tb", `a\tb`, `a\tb`},
		{"C1 control", "a\u009b31m", `a\u009b31m`, `a\u009b31m`},
		{"invalid UTF-8", "a\xffb", `a\xffb`, `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminalText(tt.in); got != tt.want {
				t.Errorf("terminalText = %q, want %q", got, tt.want)
			}
			if got := terminalLines(tt.in); got != tt.wantLines {
				t.Errorf("terminalLines = %q, want %q", got, tt.wantLines)
			}
		})
	}
}

func TestTerminalBlockIndentsLines(t *testing.T) {
	got := terminalBlock("first\nstatus: SUCCEEDED\n  kept\x1b[2J", 4)
	want := escapedText("first\n    status: SUCCEEDED\n      kept\\x1b[2J")
	if got != want {
		t.Errorf("terminalBlock = %q, want %q", got, want)
	}
}

func TestPrintTextEscapesArguments(t *testing.T) {
	type label string
	var b strings.Builder
	printText(&b, "%s|%s|%v|%d\n", "a\x1bb", label("c\nd"), errors.New("e\x07f"), 7)
	want := `a\x1bb|c\nd|e\af|7` + "\n"
	if b.String() != want {
		t.Errorf("printText wrote %q, want %q", b.String(), want)
	}
}

func TestStatusEscapesCause(t *testing.T) {
	dir := t.TempDir()
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"waiter": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
	})
	lock, err := lockStateDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	ctx := context.Background()
	if _, err := eng.Start(ctx, "tokens", "waiting", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	pendingToken(t, eng, "waiting")
	if _, err := eng.Stop(ctx, "waiting", "Bad\x1b[31m", "line1\n\x1b[2J\x1b[31mFAKE"); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"status", "--state-dir", dir, "waiting"},
		{"history", "--state-dir", dir, "waiting"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d\nstderr:\n%s", args[0], code, errOut)
		}
		if strings.ContainsRune(out, '\x1b') {
			t.Errorf("%s output contains a raw escape character:\n%q", args[0], out)
		}
		if !strings.Contains(out, `\x1b[31mFAKE`) {
			t.Errorf("%s output lacks the escaped cause:\n%s", args[0], out)
		}
	}

	_, out, _ := runCLI(t, "status", "--state-dir", dir, "waiting")
	if want := "Bad\\x1b[31m: line1\n               \\x1b[2J\\x1b[31mFAKE\n"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}

	code, out, _ := runCLI(t, "status", "--state-dir", dir, "--output", "json", "waiting")
	if code != exitOK {
		t.Fatalf("status --output json: exit %d", code)
	}
	var view struct{ Cause string }
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatal(err)
	}
	if view.Cause != "line1\n\x1b[2J\x1b[31mFAKE" {
		t.Errorf("JSON cause = %q, want the stored cause unchanged", view.Cause)
	}
}

func TestErrorMessageEscaped(t *testing.T) {
	var b strings.Builder
	exitCode(errors.New("first line\nsecond \x1b[2J line"), &b)
	want := "repolink: first line\nsecond \\x1b[2J line\n"
	if b.String() != want {
		t.Errorf("stderr = %q, want %q", b.String(), want)
	}
}
