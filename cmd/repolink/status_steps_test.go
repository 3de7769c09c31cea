package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStatusNamesStepsAsRun checks that status lists each resource under
// the name of the step that run printed for it, on every route with a
// proxy VM.
func TestStatusNamesStepsAsRun(t *testing.T) {
	cases := []struct {
		example string
		// steps are step names that differ from the keys under
		// $.resources that the steps write.
		steps []string
	}{
		{"aws-privatelink.json", []string{"await_endpoint"}},
		{"azure-privatelink.json", []string{"azure_proxy_vm", "await_endpoint"}},
		{"gcp-privatelink.json", []string{"gcp_proxy_vm", "await_endpoint"}},
	}
	for _, c := range cases {
		t.Run(c.example, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join("..", "..", "examples", c.example)
			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			name := strings.Fields(out)[1]
			ran := firstColumn(out, "execution ", "summary")
			if len(ran) == 0 {
				t.Fatalf("found no steps in the output of run:\n%s", out)
			}

			code, status, errOut := runCLI(t, "status", "--state-dir", dir, name)
			if code != exitOK {
				t.Fatalf("status exit %d\nstdout:\n%s\nstderr:\n%s", code, status, errOut)
			}
			listed := firstColumn(status, "resources:", "torn down:")
			if len(listed) == 0 {
				t.Fatalf("found no resources in the output of status:\n%s", status)
			}
			if !slices.Equal(ran, listed) {
				t.Errorf("status lists the steps %v, want the steps of run %v\n%s", listed, ran, status)
			}
			for _, step := range c.steps {
				if !slices.Contains(listed, step) {
					t.Errorf("status does not list the step %s: %v\n%s", step, listed, status)
				}
			}
		})
	}
}

// firstColumn returns the sorted, distinct names that start the indented
// lines of text after the line starting with from and before the one
// starting with to.
func firstColumn(text, from, to string) []string {
	var names []string
	inside := false
	for line := range strings.Lines(text) {
		switch {
		case strings.HasPrefix(line, from):
			inside = true
			continue
		case strings.HasPrefix(line, to):
			inside = false
		}
		if !inside || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		names = append(names, strings.Fields(line)[0])
	}
	slices.Sort(names)
	return slices.Compact(names)
}
