package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatusNextAfterLaterRun checks that status of a closed provision
// execution that a later run or a teardown of its request followed does
// not suggest a redrive, which redrive rejects, and names what followed.
func TestStatusNextAfterLaterRun(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "SN-1")
	s.start(t, provisionMachine, "SN-1", req)
	s.stop(t, "SN-1")
	s.start(t, provisionMachine, "SN-1-r2", req)
	s.stop(t, "SN-1-r2")

	torn := exampleRequest(t, "SN-2")
	s.start(t, provisionMachine, "SN-2", torn)
	s.stop(t, "SN-2")
	s.start(t, teardownMachine, "SN-2-cleanup", torn)
	s.stop(t, "SN-2-cleanup")

	tests := []struct {
		name string
		want []string
	}{
		{"SN-1", []string{"execution SN-1-r2 of request SN-1 started after this one", "SN-1 cannot be redriven",
			"'repolink status --state-dir " + s.dir + " SN-1-r2'", "'repolink run --state-dir " + s.dir + " REQUEST'"}},
		{"SN-2", []string{"teardown SN-2-cleanup of request SN-2 started after this execution", "SN-2 cannot be redriven",
			"'repolink run --state-dir " + s.dir + " REQUEST'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, tt.name)
			if code != exitInvalid {
				t.Fatalf("redrive %s: exit %d, want %d\nstderr:\n%s", tt.name, code, exitInvalid, errOut)
			}

			code, out, errOut := runCLIWithin(t, "status", "--state-dir", s.dir, tt.name)
			if code != exitOK {
				t.Fatalf("status: exit %d\nstderr:\n%s", code, errOut)
			}
			var next string
			for _, line := range strings.Split(out, "\n") {
				if text, ok := strings.CutPrefix(line, "next:"); ok {
					next = strings.TrimSpace(text)
				}
			}
			if strings.Contains(next, "repolink redrive") {
				t.Errorf("status next suggests a redrive: %s", next)
			}
			for _, want := range tt.want {
				if !strings.Contains(next, want) {
					t.Errorf("status next %q does not contain %q", next, want)
				}
			}

			code, out, errOut = runCLIWithin(t, "status", "--state-dir", s.dir, "--output", "json", tt.name)
			if code != exitOK {
				t.Fatalf("status --output json: exit %d\nstderr:\n%s", code, errOut)
			}
			var view struct {
				Next string `json:"next"`
			}
			if err := json.Unmarshal([]byte(out), &view); err != nil {
				t.Fatalf("decode status: %v\n%s", err, out)
			}
			if view.Next != next {
				t.Errorf("JSON next = %q, want the text next %q", view.Next, next)
			}
		})
	}

	// The latest run of the request can still be redriven, so its status
	// keeps suggesting that.
	code, out, errOut := runCLIWithin(t, "status", "--state-dir", s.dir, "SN-1-r2")
	if code != exitOK {
		t.Fatalf("status SN-1-r2: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "repolink redrive --state-dir "+s.dir+" SN-1-r2") {
		t.Errorf("status of the latest run does not suggest its redrive:\n%s", out)
	}
}
