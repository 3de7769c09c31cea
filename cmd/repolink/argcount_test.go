package main

import (
	"strings"
	"testing"
)

// Each command's message for a wrong number of arguments names every form
// that the command accepts.
func TestArgumentCountNamesForms(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "run takes one request file; got 0 arguments"},
		{[]string{"plan"}, "plan takes one request file; got 0 arguments"},
		{[]string{"preflight"}, "preflight takes one request file; got 0 arguments"},
		{[]string{"redrive", "--sandbox"}, "redrive takes one execution name or a request file; got 0 arguments"},
		{[]string{"redrive", "a", "b"}, "redrive takes one execution name or a request file; got 2 arguments"},
		{[]string{"redrive", ""}, "pass the name of an execution or a request file"},
		{[]string{"teardown", "--sandbox"}, "teardown takes the name of a provision execution or a request file; got 0 arguments"},
		{[]string{"status"}, "status takes one execution name; got 0 arguments"},
		{[]string{"history"}, "history takes one execution name; got 0 arguments"},
		{[]string{"stop"}, "stop takes one execution name; got 0 arguments"},
		{[]string{"notify"}, "notify takes one execution name; got 0 arguments"},
		{[]string{"send-task-heartbeat"}, "send-task-heartbeat takes one task token; got 0 arguments"},
		{[]string{"version", "x"}, "version takes no arguments; got 1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Errorf("exit code = %d, want %d", code, exitInvalid)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}
