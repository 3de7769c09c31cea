package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProgressLineWithoutDetail(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.line("proxy_vm", "skipped", "", 5*time.Millisecond)
	want := "  proxy_vm" + strings.Repeat(" ", stepColumn-len("proxy_vm")) + " skipped  5ms\n"
	if got := out.String(); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

func TestSkippedLinesReadCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping sandbox runs in short mode")
	}
	tests := []struct {
		example string
		// skipsProxy is false for Google Cloud, whose proxy step builds an
		// instance group for the target address with proxy none.
		skipsProxy bool
		// proxyStep is the name of the route's proxy VM step.
		proxyStep string
	}{
		{"../../examples/aws-privatelink-no-proxy.json", true, "proxy_vm"},
		{"../../examples/azure-privatelink-no-proxy.json", true, "azure_proxy_vm"},
		{"../../examples/gcp-privatelink-no-proxy.json", false, "gcp_proxy_vm"},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			data, err := os.ReadFile(tt.example)
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(data, &req); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			code, stdout, stderr := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, tt.example)
			if code != exitOK {
				t.Fatalf("run: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			checkNoTrailingBlanks(t, "run", stdout)
			if tt.skipsProxy && !strings.Contains(stdout, ` skipped   proxy is "none"  `) {
				t.Errorf("run output lacks the reason of the skipped proxy VM:\n%s", stdout)
			}

			code, stdout, stderr = runCLI(t, "status", "--state-dir", dir, req.ID)
			if code != exitOK {
				t.Fatalf("status: exit status %d\nstderr:\n%s", code, stderr)
			}
			checkNoTrailingBlanks(t, "status", stdout)
			skipped := regexp.MustCompile(`(?m)^  ` + tt.proxyStep + ` {2,}skipped  proxy is "none"$`)
			if tt.skipsProxy && !skipped.MatchString(stdout) {
				t.Errorf("status lacks the reason of the skipped proxy VM:\n%s", stdout)
			}
		})
	}
}

func checkNoTrailingBlanks(t *testing.T, command, output string) {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		if strings.TrimRight(line, " \t") != line {
			t.Errorf("%s prints trailing blanks in %q", command, line)
		}
	}
}
