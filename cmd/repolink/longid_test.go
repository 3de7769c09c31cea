package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/request"
)

// TestLongIDRunsAndTearsDown checks that a request whose ID fills the
// execution name gets run, torn down, run again and torn down again,
// because each teardown and rerun name is cut to the 80 characters of an
// execution name.
func TestLongIDRunsAndTearsDown(t *testing.T) {
	for _, length := range []int{70, 72, 200} {
		t.Run(fmt.Sprintf("%d characters", length), func(t *testing.T) {
			data, err := os.ReadFile("../../examples/public.json")
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			doc["id"] = strings.Repeat("A", length)
			encoded, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			req := filepath.Join(t.TempDir(), "long.json")
			if err := os.WriteFile(req, encoded, 0o600); err != nil {
				t.Fatal(err)
			}

			dir := t.TempDir()
			for round := 1; round <= 2; round++ {
				if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
					t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", round, code, out, errOut)
				}
				if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
					t.Fatalf("teardown %d: exit %d\nstdout:\n%s\nstderr:\n%s", round, code, out, errOut)
				}
			}

			code, out, errOut := runCLI(t, "list", "--state-dir", dir, "--output", "json")
			if code != exitOK {
				t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
			}
			var executions []struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal([]byte(out), &executions); err != nil {
				t.Fatalf("list output: %v\n%s", err, out)
			}
			if len(executions) != 4 {
				t.Fatalf("list shows %d executions, want 4: %+v", len(executions), executions)
			}
			teardowns := 0
			for _, x := range executions {
				if n := utf8.RuneCountInString(x.Name); n > request.MaxNameLength {
					t.Errorf("execution %q has %d characters", x.Name, n)
				}
				if request.IsTeardownName(x.Name) {
					teardowns++
				}
			}
			if teardowns != 2 {
				t.Errorf("list shows %d teardown executions, want 2: %+v", teardowns, executions)
			}
		})
	}
}
