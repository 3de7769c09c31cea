package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// runCLI runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// runCLITimed runs the command like runCLI and fails the test when the
// command has not returned within limit. The command's context ends at
// limit, and the test waits 10 seconds more for it to return, so a step
// that ignores its context still fails the test instead of hanging it.
func runCLITimed(t *testing.T, limit time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()

	select {
	case code := <-done:
		if ctx.Err() != nil {
			t.Fatalf("repolink %s timed out after %s (exit %d)\nstdout:\n%s\nstderr:\n%s",
				strings.Join(args, " "), limit, code, stdout.String(), stderr.String())
		}
		return code, stdout.String(), stderr.String()
	case <-time.After(limit + 10*time.Second):
		t.Fatalf("repolink %s did not return within %s, although its context ended 10s before\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), limit+10*time.Second, stdout.String(), stderr.String())
		return 0, "", ""
	}
}

// lockedBuffer is a bytes.Buffer that a command may write while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeRequest writes the AWS example with edits applied to a temp file.
func writeRequest(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(doc)
	}
	out, _ := json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func section(doc map[string]any, key string) map[string]any { return doc[key].(map[string]any) }

func TestEndToEndRunTwice(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, nil)

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"status:           SUCCEEDED", "endpoint status:  Available", "repository:       PLATFORM.PACKAGES.CORP_PYPI", "requests==", "corp-utils==2.3.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	world := worldCounts(t, dir)

	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("second run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "execution DATA-4711-r2") {
		t.Errorf("second run is not DATA-4711-r2:\n%s", out)
	}
	if !strings.Contains(out, "0 created") || !strings.Contains(out, "nothing was created") {
		t.Errorf("second run summary does not say that nothing was created:\n%s", out)
	}
	if strings.Contains(out, " created ") {
		t.Errorf("second run created something:\n%s", out)
	}
	if again := worldCounts(t, dir); !equalCounts(world, again) {
		t.Errorf("sandbox world changed on the second run: %v, then %v", world, again)
	}
}

func TestEndToEndInvalidRequestCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil))
	if code != exitOK {
		t.Fatalf("setup run exit %d: %s", code, errOut)
	}
	before := snapshotWorld(t, dir)

	bad := writeRequest(t, func(doc map[string]any) {
		section(doc, "aws")["region"] = "Oregon"
		section(doc, "repository")["index_url"] = "http://user:hunter2-literal@pypi.corp.example.com/simple/"
		doc["colour"] = "red"
	})
	code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, bad)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	for _, want := range []string{"$.colour", "nothing was created"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut+out, "hunter2-literal") {
		t.Errorf("output echoes the credential:\n%s", errOut)
	}
	if after := snapshotWorld(t, dir); !equalCounts(before, after) {
		t.Error("the sandbox world changed after an invalid request")
	}
}

func TestEndToEndInvalidFieldsAllReported(t *testing.T) {
	dir := t.TempDir()
	bad := writeRequest(t, func(doc map[string]any) {
		section(doc, "aws")["region"] = "Oregon"
		section(doc, "repository")["index_url"] = "http://pypi.corp.example.com/simple/"
	})
	code, _, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, bad)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	for _, want := range []string{"$.aws.region", "$.repository.index_url"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox")); err == nil {
		t.Error("an invalid request started the sandbox")
	}
}

func TestEndToEndTerminalFailureNamesStep(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["packages"] = []string{"requests", "not-in-the-index"}
	})
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{"status:           FAILED", "failed step:      preflight", "not-in-the-index", "repolink redrive --sandbox --state-dir " + dir + " DATA-4711"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// A package that the index lacks is an InvalidRequest, which a changed
	// request fixes, so the advice names the request file that ran.
	rerun := "change the request to fix the cause, then run 'repolink run --sandbox --state-dir " + dir + " " + req + "' with the changed request file"
	if !strings.Contains(out, rerun) {
		t.Errorf("summary lacks %q:\n%s", rerun, out)
	}
}

func TestEndToEndSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	const password = "Known-S3cret-@#%/^-value"
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", password)
	// The failing run, which has another index host, reads the same value
	// through a reference of its own, because an index credential belongs
	// to the index host of the request that used it first.
	t.Setenv("REPOLINK_TEST_FAILING_INDEX_PASSWORD", password)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	keyFile := filepath.Join(t.TempDir(), "snowflake.p8")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	req := writeRequest(t, func(doc map[string]any) {
		section(doc, "snowflake")["private_key_ref"] = "file:" + keyFile
		section(section(doc, "repository"), "auth")["password_ref"] = "env:REPOLINK_TEST_INDEX_PASSWORD"
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--verbose", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// A failed run puts error messages into the history too.
	code, out2, errOut2 := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--verbose", "--state-dir", dir,
		writeRequest(t, func(doc map[string]any) {
			doc["id"] = "DATA-4712"
			section(doc, "snowflake")["private_key_ref"] = "file:" + keyFile
			section(section(doc, "repository"), "auth")["password_ref"] = "env:REPOLINK_TEST_FAILING_INDEX_PASSWORD"
			section(doc, "repository")["name"] = "corp_pypi_failing"
			// A host of its own, because an account routes a host to the
			// private endpoint of one request only.
			section(doc, "repository")["index_url"] = "https://pypi-failing.corp.example.com/simple/"
			section(doc, "repository")["packages"] = []string{"missing-package"}
			// The first request sets the schema's default, which no other
			// request may set too.
			section(doc, "repository")["default_for"] = "none"
		}))
	if code != exitFailed {
		t.Fatalf("failing run exit %d\nstdout:\n%s\nstderr:\n%s", code, out2, errOut2)
	}

	needles := map[string]string{
		"index password":         password,
		"password in basic auth": base64.StdEncoding.EncodeToString([]byte("svc-snowflake:" + password)),
		"private key":            base64.StdEncoding.EncodeToString(der)[100:160],
	}
	haystacks := map[string]string{"stdout": out + out2, "stderr": errOut + errOut2}
	// No file under the state directory may contain a secret in clear, the
	// sandbox's saved worlds included.
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err == nil {
			haystacks[rel] = string(data)
		}
		return nil
	})
	for where, text := range haystacks {
		for what, needle := range needles {
			if strings.Contains(text, needle) {
				t.Errorf("%s found in %s", what, where)
			}
		}
	}
	if _, ok := haystacks["engine.db"]; !ok {
		t.Error("engine.db was not scanned")
	}
}

// worldCounts counts the resources that the sandbox world holds per kind.
func worldCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, file := range []string{"sandbox/aws/aws.json", "sandbox/snowflake/snowflake.json"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("read world: %v", err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("decode %s: %v", file, err)
		}
		countNested(file, doc, counts)
	}
	return counts
}

// countNested counts the entries of every list and map in a document by path.
func countNested(path string, v any, counts map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		counts[path] = len(x)
		for k, child := range x {
			if k == "created_on" || k == "updated_at" || strings.HasSuffix(k, "_at") {
				continue
			}
			countNested(path+"."+k, child, counts)
		}
	case []any:
		counts[path] = len(x)
		for _, child := range x {
			countNested(path+"[]", child, counts)
		}
	}
}

func snapshotWorld(t *testing.T, dir string) map[string]int {
	return worldCounts(t, dir)
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestEndToEndFullAccountBuildsNothing(t *testing.T) {
	t.Setenv("REPOLINK_TEST_INDEX_TWO_PASSWORD", "index-two-password")
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil))
	if code != exitOK {
		t.Fatalf("setup run exit %d: %s", code, errOut)
	}
	fillEndpoints(t, dir)
	before := awsCounts(t, dir)

	req := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "DATA-4712"
		section(doc, "repository")["name"] = "corp_pypi_two"
		section(doc, "repository")["index_url"] = "https://pypi-two.corp.example.com/simple/"
		// The first request's index password belongs to its index host, and
		// an env: reference adds no secret to the sandbox's AWS world.
		section(section(doc, "repository"), "auth")["password_ref"] = "env:REPOLINK_TEST_INDEX_TWO_PASSWORD"
		// The first request holds the schema's default level.
		section(doc, "repository")["default_for"] = "none"
	})
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{"failed step:      preflight", "has 5 private endpoints, the maximum"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if after := awsCounts(t, dir); !equalCounts(before, after) {
		t.Errorf("the AWS world changed although the account has no room for an endpoint: %v, then %v", before, after)
	}
}

// awsCounts returns the entries of the sandbox's AWS world by path.
func awsCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	counts := worldCounts(t, dir)
	for path := range counts {
		if !strings.HasPrefix(path, "sandbox/aws/") {
			delete(counts, path)
		}
	}
	return counts
}

// fillEndpoints moves the sandbox account's endpoint to another host and
// adds endpoints until the account has the maximum of 5.
func fillEndpoints(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "sandbox", "snowflake", "snowflake.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var world map[string]any
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	for _, account := range world["accounts"].(map[string]any) {
		account := account.(map[string]any)
		endpoints, _ := account["endpoints"].([]any)
		for i := range 5 {
			if i >= len(endpoints) {
				endpoints = append(endpoints, map[string]any{
					"service_name": fmt.Sprintf("com.amazonaws.vpce.us-west-2.vpce-svc-other%d", i),
					"created_on":   "2026-01-01T00:00:00Z",
				})
			}
			endpoints[i].(map[string]any)["host"] = fmt.Sprintf("other-%d.example.com", i)
		}
		account["endpoints"] = endpoints
	}
	out, err := json.Marshal(world)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestEndToEndChangedRequestWarns(t *testing.T) {
	dir := t.TempDir()
	// t.TempDir leaves the directory open to other users under the usual
	// umask, about which run warns too.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil))
	if code != exitOK {
		t.Fatalf("first run exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "warning") {
		t.Errorf("first run warned:\n%s", errOut)
	}

	// A changed warehouse keeps every object name, and so does the run of
	// the original file after it.
	otherWarehouse := writeRequest(t, func(doc map[string]any) { section(doc, "snowflake")["warehouse"] = "COMPUTE_WH" })
	for _, file := range []string{otherWarehouse, writeRequest(t, nil)} {
		code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file)
		if code != exitOK {
			t.Fatalf("run exit %d: %s", code, errOut)
		}
		if strings.Contains(errOut, "warning") {
			t.Errorf("run that keeps every object name warned:\n%s", errOut)
		}
	}

	renamed := writeRequest(t, func(doc map[string]any) { section(doc, "repository")["name"] = "corp_pypi_two" })
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, renamed)
	if code != exitOK {
		t.Fatalf("renamed run exit %d: %s", code, errOut)
	}
	want := "warning: execution DATA-4711-r3 of request DATA-4711 created secret PLATFORM.PACKAGES.CORP_PYPI_SECRET, " +
		"API integration CORP_PYPI_INTEGRATION and artifact repository PLATFORM.PACKAGES.CORP_PYPI, which this request no longer names"
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
}

func TestEndToEndOtherTicketsObjectsStay(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil))
	if code != exitOK {
		t.Fatalf("first run exit %d: %s", code, errOut)
	}
	before := worldCounts(t, dir)

	other := writeRequest(t, func(doc map[string]any) { doc["id"] = "DATA-4799" })
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, other)
	assertUsage(t, "run of another ticket with the same repository name", code, errOut,
		"request DATA-4799 names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET", "as request DATA-4711 does in execution DATA-4711")
	if after := worldCounts(t, dir); !equalCounts(before, after) {
		t.Errorf("the sandbox world changed after a run that conflicts with another ticket: %v, then %v", before, after)
	}
}

func TestEndToEndRotatedPasswordReachesSecret(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		section(section(doc, "repository"), "auth")["password_ref"] = "env:REPOLINK_TEST_INDEX_PASSWORD"
	})
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", "first-index-password")
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("first run exit %d: %s", code, errOut)
	}

	// The index now takes only the new password, so verification passes
	// only if the run set it on the SECRET.
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", "rotated-index-password")
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run after the rotation: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "updated") {
		t.Errorf("run after the rotation did not update the secret:\n%s", out)
	}
	if strings.Contains(out+errOut, "rotated-index-password") {
		t.Error("output contains the password")
	}
}
