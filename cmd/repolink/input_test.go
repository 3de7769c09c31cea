package main

import (
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
)

// writeMapping writes the Jira example mapping with every old text
// replaced by its new text and returns the file's path.
func writeMapping(t *testing.T, replace ...string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(doc, replace[i]) {
			t.Fatalf("example mapping has no %s", replace[i])
		}
		doc = strings.Replace(doc, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "jira-mapping.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUpRejectsInvalidMapping(t *testing.T) {
	const indexPasswordRef = `"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`
	tests := []struct {
		name    string
		replace []string
		args    []string
		want    []string
	}{
		{
			name:    "unknown request path",
			replace: []string{`"repository.name":`, `"repository.nme":`},
			want:    []string{"$.fields['repository.nme']", "repository.nme is not a request field"},
		},
		{
			name:    "unknown top-level key",
			replace: []string{`"ticket_id"`, `"bogus": 1, "ticket_id"`},
			want:    []string{"$.bogus", "unknown field"},
		},
		{
			name:    "literal password",
			replace: []string{`"username": "svc-snowflake",`, `"username": "svc-snowflake", "password": "lit-c2VjcmV0",`},
			want:    []string{"$.request.repository.auth.password", "literal credentials are not accepted"},
		},
		{
			name:    "local reference without allow-list",
			replace: []string{indexPasswordRef, `"password_ref": "env:HOME"`},
			want:    []string{"$.request.repository.auth.password_ref", "env:HOME is not allowed", "--allow-local-refs"},
		},
		{
			name:    "local reference outside allow-list",
			replace: []string{indexPasswordRef, `"password_ref": "env:HOME"`},
			args:    []string{"--allow-local-refs", "env:REPOLINK_TEST_INDEX_PASSWORD"},
			want:    []string{"$.request.repository.auth.password_ref", "env:HOME is not allowed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envWebhookSecret, testWebhookSecret)
			t.Setenv(envAPIToken, "")
			mapping := writeMapping(t, tt.replace...)
			dir := filepath.Join(t.TempDir(), "state")
			args := append([]string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir, "--jira-mapping", mapping}, tt.args...)

			code, _, errOut := runCLI(t, args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			for _, want := range append(tt.want, "--jira-mapping", mapping) {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not contain %q", errOut, want)
				}
			}
			if strings.Contains(errOut, "c2VjcmV0") {
				t.Errorf("stderr shows a literal credential: %s", errOut)
			}
			if exists(dir) {
				t.Error("up created the state directory although the mapping is invalid")
			}
		})
	}
}

func TestUpAcceptsAllowedMappingReference(t *testing.T) {
	mapping := writeMapping(t,
		`"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`,
		`"password_ref": "env:REPOLINK_TEST_INDEX_PASSWORD"`)
	allow, err := parseLocalRefs("env:REPOLINK_TEST_INDEX_PASSWORD")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMappings(mapping, "", allow); err != nil {
		t.Errorf("checkMappings: %v", err)
	}
}

// sparseFile creates a file of size bytes that takes no disk space.
func sparseFile(t *testing.T, name string, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOversizedInputFilesRejected(t *testing.T) {
	const size = 200 << 20
	tests := []struct {
		name string
		args func(path string) []string
		want string
	}{
		{name: "run request", args: func(path string) []string { return []string{"run", "--sandbox", path} }, want: "is 209715200 bytes; the limit is 65536"},
		{name: "plan request", args: func(path string) []string { return []string{"plan", "--sandbox", path} }, want: "is 209715200 bytes; the limit is 65536"},
		{name: "invoke input", args: func(path string) []string { return []string{"invoke", "--sandbox", "preflight", "--input", path} }, want: "is 209715200 bytes; the limit is 262144"},
		{name: "up mapping", args: func(path string) []string { return []string{"up", "--sandbox", "--jira-mapping", path} }, want: "is 209715200 bytes; the limit is 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envWebhookSecret, testWebhookSecret)
			t.Setenv(envAPIToken, "")
			path := sparseFile(t, "input.json", size)
			dir := filepath.Join(t.TempDir(), "state")
			args := append(tt.args(path), "--state-dir", dir)

			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			code, _, errOut := runCLI(t, args...)
			goruntime.ReadMemStats(&after)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			// Reading the whole file would allocate at least its 200 MiB.
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 32<<20 {
				t.Errorf("the command allocated %d bytes, so it read past the limit", allocated)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.want)
			}
			if !strings.Contains(errOut, path) {
				t.Errorf("stderr %q does not name the file", errOut)
			}
		})
	}
}

func TestReadDocumentRejectsZeroEgressPort(t *testing.T) {
	data, err := os.ReadFile("../../examples/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	const port = `"port": 443`
	if !strings.Contains(string(data), port) {
		t.Fatalf("example request has no %s", port)
	}
	doc := `{"request": ` + strings.Replace(string(data), port, `"port": 0`, 1) + `, "resources": {}}`
	path := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err = readDocument(path)
	if err == nil {
		t.Fatal("readDocument accepted an egress.port of 0")
	}
	if !strings.Contains(err.Error(), "$.request.egress.port: is 0") {
		t.Errorf("error %q does not name $.request.egress.port", err)
	}
}
