package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/execview"
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

			// status lists the steps in the order in which run printed them.
			ranOrder := columnInOrder(out, "execution ", "summary")
			listedOrder := columnInOrder(status, "resources:", "torn down:")
			if !slices.Equal(ranOrder, listedOrder) {
				t.Errorf("status lists the steps in the order %v, want the order of run %v", listedOrder, ranOrder)
			}

			code, statusJSON, errOut := runCLI(t, "status", "--output", "json", "--state-dir", dir, name)
			if code != exitOK {
				t.Fatalf("status --output json exit %d\nstderr:\n%s", code, errOut)
			}
			var view struct {
				Resources json.RawMessage `json:"resources"`
			}
			if err := json.Unmarshal([]byte(statusJSON), &view); err != nil {
				t.Fatalf("status output is not JSON: %v\n%s", err, statusJSON)
			}
			keys := execview.ObjectKeys(view.Resources)
			written := execview.ResultSteps(provisionMachine, routeOf(t, req))
			var keySteps []string
			for _, key := range keys {
				keySteps = append(keySteps, written[key])
			}
			if !slices.Equal(keySteps, ranOrder) {
				t.Errorf("status JSON has the resources %v of the steps %v, want the order of run %v", keys, keySteps, ranOrder)
			}
		})
	}
}

// columnInOrder returns the distinct names that start the indented lines
// of text between the line starting with from and the one starting with
// to, in the order of their first line.
func columnInOrder(text, from, to string) []string {
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
		if name := strings.Fields(line)[0]; !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// routeOf returns the route of the request in the file path.
func routeOf(t *testing.T, path string) string {
	t.Helper()
	req, err := readRequest(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(req.Route)
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
