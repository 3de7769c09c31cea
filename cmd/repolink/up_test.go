package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/webhook"
)

const testWebhookSecret = "up-test-webhook-secret"

// syncBuffer is a bytes.Buffer that the service and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// upProcess is repolink up running in-process.
type upProcess struct {
	url    string
	logs   *syncBuffer
	done   chan int
	cancel context.CancelFunc
	once   sync.Once
	code   int
}

// startUp starts repolink up on 127.0.0.1:0 and waits until it listens.
func startUp(t *testing.T, dir string, extra ...string) *upProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &upProcess{logs: &syncBuffer{}, done: make(chan int, 1), cancel: cancel}
	args := append([]string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir}, extra...)
	go func() { p.done <- run(ctx, args, io.Discard, p.logs) }()
	t.Cleanup(func() { p.stop() })

	waitFor(t, "repolink up to listen", func() bool {
		select {
		case code := <-p.done:
			// The exit status is taken, so stop in the cleanup must not
			// wait for it again.
			p.once.Do(func() { p.cancel(); p.code = code })
			t.Fatalf("repolink up exited %d before listening:\n%s", code, p.logs)
		default:
		}
		for _, line := range strings.Split(p.logs.String(), "\n") {
			var rec struct{ Msg, Listen string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "repolink up started" {
				p.url = "http://" + rec.Listen
				return true
			}
		}
		return false
	})
	return p
}

// stop cancels the service as SIGTERM does and returns its exit status.
func (p *upProcess) stop() int {
	p.once.Do(func() {
		p.cancel()
		p.code = <-p.done
	})
	return p.code
}

func postSigned(t *testing.T, url string, body []byte, secret string) (int, webhook.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		webhook.SetSignature(req.Header, []byte(secret), time.Now(), body)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp webhook.Response
	_ = json.NewDecoder(res.Body).Decode(&resp)
	return res.StatusCode, resp
}

func getJSON(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil {
		_ = json.NewDecoder(res.Body).Decode(v)
	}
	return res.StatusCode
}

// waitForStatus polls the operations API until the execution has status.
func waitForStatus(t *testing.T, up *upProcess, name, token, status string) executionView {
	t.Helper()
	var v executionView
	waitFor(t, name+" to reach "+status, func() bool {
		v = executionView{}
		getJSON(t, up.url+"/v1/executions/"+name, token, &v)
		if v.Status != "RUNNING" && v.Status != status && v.Status != "" {
			t.Fatalf("execution %s is %s (%s: %s), want %s\nlogs:\n%s", name, v.Status, v.Error, v.Cause, status, up.logs)
		}
		return v.Status == status
	})
	return v
}

// notificationReceiver collects signed notifications on 127.0.0.1.
type notificationReceiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func (r *notificationReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
}

func (r *notificationReceiver) received() ([][]byte, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies, r.headers
}

func TestEndToEndUpServesSignedRequest(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_JIRA_SECRET", "up-test-jira-secret")
	receiver := &notificationReceiver{}
	notifySrv := httptest.NewServer(receiver)
	defer notifySrv.Close()
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none", "--jira-mapping", "../../examples/jira-mapping.json")

	if code := getJSON(t, up.url+"/healthz", "", nil); code != http.StatusOK {
		t.Errorf("healthz = %d, want 200", code)
	}
	body, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": notifySrv.URL + "/hooks/repolink"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := postSigned(t, up.url+"/v1/requests", body, ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned request = %d, want 401", code)
	}
	if code, _ := postSigned(t, up.url+"/v1/hooks/jira", body, ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned Jira delivery = %d, want 401", code)
	}

	code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711" || resp.Status != "RUNNING" {
		t.Fatalf("signed request = %d %+v, want 202 DATA-4711 RUNNING\nlogs:\n%s", code, resp, up.logs)
	}
	code, resp = postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if code != http.StatusOK || resp.Execution != "DATA-4711" || !resp.Duplicate {
		t.Errorf("same request again = %d %+v, want 200 duplicate of DATA-4711", code, resp)
	}
	otherHost, _ := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["id"] = "DATA-4799"
		section(doc, "repository")["index_url"] = "https://pypi.other.example.com/simple/"
	}))
	if code, resp := postSigned(t, up.url+"/v1/requests", otherHost, testWebhookSecret); code != http.StatusBadRequest || len(resp.Errors) == 0 || resp.Errors[0].Path != "$.repository.index_url" {
		t.Errorf("request for a host the sandbox does not serve = %d %+v, want 400 on $.repository.index_url", code, resp)
	}

	// Operator commands work on the store while the service holds it.
	if code, out, errOut := runCLI(t, "list", "--state-dir", dir); code != exitOK || !strings.Contains(out, "DATA-4711") {
		t.Errorf("list while up runs: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir); code != exitInvalid || !strings.Contains(errOut, "another repolink up") {
		t.Errorf("second up on the same directory: exit %d, stderr %q; want 2", code, errOut)
	}

	v := waitForStatus(t, up, "DATA-4711", "", "SUCCEEDED")
	if !strings.Contains(string(v.Resources), "PLATFORM.PACKAGES.CORP_PYPI") {
		t.Errorf("resources of DATA-4711 lack the repository: %s", v.Resources)
	}
	var list struct{ Executions []executionView }
	if code := getJSON(t, up.url+"/v1/executions", "", &list); code != http.StatusOK || len(list.Executions) != 1 {
		t.Errorf("GET /v1/executions = %d with %d executions, want 200 with 1", code, len(list.Executions))
	}
	var history struct{ Events []eventView }
	if code := getJSON(t, up.url+"/v1/executions/DATA-4711/history", "", &history); code != http.StatusOK || len(history.Events) < 10 {
		t.Errorf("GET history = %d with %d events", code, len(history.Events))
	}
	if code := getJSON(t, up.url+"/v1/executions/NOPE", "", nil); code != http.StatusNotFound {
		t.Errorf("GET unknown execution = %d, want 404", code)
	}
	for _, path := range []string{"/", "/sfn/"} {
		if status := describeOverStepFunctionsAPI(t, up.url+path, "DATA-4711"); status != "SUCCEEDED" {
			t.Errorf("DescribeExecution at %s = %q, want SUCCEEDED", path, status)
		}
	}

	var bodies [][]byte
	var headers []http.Header
	waitFor(t, "the notification", func() bool {
		bodies, headers = receiver.received()
		return len(bodies) > 0
	})
	if err := webhook.VerifyTimestamped([]byte(testWebhookSecret), headers[0], bodies[0], time.Now()); err != nil {
		t.Errorf("notification signature: %v", err)
	}
	var note notify.Notification
	if err := json.Unmarshal(bodies[0], &note); err != nil {
		t.Fatal(err)
	}
	if note.Event != notify.EventSucceeded || note.Execution != "DATA-4711" || note.Status != "SUCCEEDED" {
		t.Errorf("notification = %s %s %s, want succeeded DATA-4711 SUCCEEDED", note.Event, note.Execution, note.Status)
	}

	if code := up.stop(); code != exitOK {
		t.Errorf("up exit %d after stop, want 0", code)
	}
	logs := up.logs.String()
	if !strings.Contains(logs, `"msg":"repolink up stopped"`) {
		t.Errorf("logs lack the stop record:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if strings.Contains(logs, testWebhookSecret) || strings.Contains(logs, "up-test-jira-secret") {
		t.Error("logs contain a webhook secret")
	}
	if len(bodies) != 1 {
		t.Errorf("receiver got %d notifications, want 1", len(bodies))
	}
}

// describeOverStepFunctionsAPI calls DescribeExecution as the AWS SDK does
// and returns the status.
func describeOverStepFunctionsAPI(t *testing.T, url, name string) string {
	t.Helper()
	body := []byte(`{"executionArn": "arn:aws:states:local:000000000000:execution:provision:` + name + `"}`)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeExecution")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Status string }
	_ = json.NewDecoder(res.Body).Decode(&out)
	return out.Status
}

func TestEndToEndUpResumesAfterStop(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	body, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}

	// The default sandbox latency keeps the run going long enough to stop
	// the service in the middle of it.
	first := startUp(t, dir)
	if code, resp := postSigned(t, first.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("signed request = %d %+v", code, resp)
	}
	waitFor(t, "the run to reach a step", func() bool {
		var v executionView
		getJSON(t, first.url+"/v1/executions/DATA-4711", "", &v)
		return v.CurrentStep != "" && v.CurrentStep != "preflight"
	})
	if code := first.stop(); code != exitOK {
		t.Fatalf("first up exit %d, want 0\nlogs:\n%s", code, first.logs)
	}
	code, out, _ := runCLI(t, "status", "DATA-4711", "--state-dir", dir)
	if code != exitOK || !strings.Contains(out, "status:        RUNNING") {
		t.Fatalf("status after stop: exit %d\n%s", code, out)
	}

	// The second start resumes the open execution, and the API now needs
	// the token.
	const token = "up-test-api-token"
	t.Setenv(envAPIToken, token)
	second := startUp(t, dir, "--sandbox-latency", "none")
	if code := getJSON(t, second.url+"/v1/executions", "", nil); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/executions without the token = %d, want 401", code)
	}
	if code := getJSON(t, second.url+"/v1/executions", "wrong", nil); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/executions with a wrong token = %d, want 401", code)
	}
	if code := getJSON(t, second.url+"/healthz", "", nil); code != http.StatusOK {
		t.Errorf("healthz without the token = %d, want 200", code)
	}
	waitForStatus(t, second, "DATA-4711", token, "SUCCEEDED")
	if status := describeOverStepFunctionsAPI(t, second.url+"/", "DATA-4711"); status != "" {
		t.Errorf("unsigned DescribeExecution with a token set = %q, want a rejection", status)
	}
	for _, tt := range []struct {
		secret string
		want   string
	}{{token, "SUCCEEDED"}, {"wrong", ""}} {
		client := sfn.New(sfn.Options{
			Region:           "local",
			BaseEndpoint:     aws.String(second.url),
			Credentials:      credentials.NewStaticCredentialsProvider(sfnAccessKeyID, tt.secret, ""),
			RetryMaxAttempts: 1,
		})
		out, err := client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{
			ExecutionArn: aws.String("arn:aws:states:local:000000000000:execution:provision:DATA-4711")})
		var got string
		if err == nil {
			got = string(out.Status)
		}
		if got != tt.want {
			t.Errorf("DescribeExecution signed with the right secret %v = %q (error %v), want %q", tt.secret == token, got, err, tt.want)
		}
	}
	if strings.Contains(second.logs.String(), token) {
		t.Error("logs contain the API token")
	}
}

func TestUpRejectsConfiguration(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		token   string
		args    []string
		wantErr string
	}{
		{name: "no webhook secret", args: []string{"--sandbox"}, wantErr: "webhook secret is missing"},
		{name: "empty secret reference", secret: testWebhookSecret, args: []string{"--sandbox", "--webhook-secret-ref", "env:REPOLINK_TEST_EMPTY_SECRET"}, wantErr: "--webhook-secret-ref"},
		{name: "no API token outside sandbox", secret: testWebhookSecret, wantErr: envAPIToken},
		{name: "listen without port", secret: testWebhookSecret, token: "up-test-api-token", args: []string{"--listen", "localhost"}, wantErr: "host:port"},
		{name: "listen port out of range", secret: testWebhookSecret, args: []string{"--sandbox", "--listen", "127.0.0.1:99999"}, wantErr: "--listen \"127.0.0.1:99999\" has the invalid port \"99999\"; use a number from 1 to 65535, or 0 to let the system choose"},
		{name: "listen empty port", secret: testWebhookSecret, args: []string{"--sandbox", "--listen", "127.0.0.1:"}, wantErr: "--listen \"127.0.0.1:\" has no port"},
		{name: "arguments", secret: testWebhookSecret, args: []string{"--sandbox", "extra"}, wantErr: "no arguments"},
		{name: "bad mapping", secret: testWebhookSecret, args: []string{"--sandbox", "--jira-mapping", "../../examples/aws-privatelink.json"}, wantErr: "--jira-mapping"},
		{name: "allow-list without scheme", secret: testWebhookSecret, args: []string{"--sandbox", "--allow-local-refs", "SNOWFLAKE_KEY"}, wantErr: "must start with the scheme env or file"},
		{name: "allow-list relative file", secret: testWebhookSecret, args: []string{"--sandbox", "--allow-local-refs", "file:keys/*"}, wantErr: "absolute path"},
		{name: "allow-list allows webhook secret", secret: testWebhookSecret, args: []string{"--sandbox", "--allow-local-refs", "env:REPOLINK_*"}, wantErr: "env:" + envWebhookSecret + ", a secret of repolink up itself"},
		{name: "allow-list allows API token", secret: testWebhookSecret, args: []string{"--sandbox", "--allow-local-refs", "env:" + envAPIToken}, wantErr: "env:" + envAPIToken + ", a secret of repolink up itself"},
		{name: "allow-list allows secret ref", secret: testWebhookSecret, args: []string{"--sandbox", "--webhook-secret-ref", "file:/run/secrets/hook", "--allow-local-refs", "file:/run/secrets/*"}, wantErr: "file:/run/secrets/hook, a secret"},
		{name: "allow-list allows mapping secret", secret: testWebhookSecret, args: []string{"--sandbox", "--jira-mapping", "../../examples/jira-mapping.json", "--allow-local-refs", "env:REPOLINK_JIRA_SECRET"}, wantErr: "env:REPOLINK_JIRA_SECRET, a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envWebhookSecret, tt.secret)
			t.Setenv(envAPIToken, tt.token)
			t.Setenv("REPOLINK_TEST_EMPTY_SECRET", "")
			args := append([]string{"up", "--state-dir", t.TempDir()}, tt.args...)
			code, _, errOut := runCLI(t, args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestServiceRejectsRequestsItCannotRun(t *testing.T) {
	allowed, err := secrets.ParseAllowList([]string{"env:REPOLINK_TEST_INDEX_PASSWORD"})
	if err != nil {
		t.Fatal(err)
	}
	envPassword := func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_INDEX_PASSWORD"}
	}
	tests := []struct {
		name      string
		sandbox   bool
		localRefs secrets.AllowList
		edit      func(map[string]any)
		wantPaths []string
	}{
		{name: "sandbox example", sandbox: true},
		{name: "env password not allowed", sandbox: true, edit: envPassword, wantPaths: []string{"$.repository.auth.password_ref"}},
		{name: "env password allowed", sandbox: true, localRefs: allowed, edit: envPassword},
		{
			name:      "file key not allowed",
			localRefs: allowed,
			edit:      func(doc map[string]any) { section(doc, "snowflake")["private_key_ref"] = "file:/etc/hostname" },
			wantPaths: []string{"$.snowflake.private_key_ref"},
		},
		{
			name:      "http notify outside sandbox",
			edit:      func(doc map[string]any) { doc["notify"] = map[string]any{"url": "http://127.0.0.1:9/hook"} },
			wantPaths: []string{"$.notify.url"},
		},
		{
			name:    "http notify in sandbox",
			sandbox: true,
			edit:    func(doc map[string]any) { doc["notify"] = map[string]any{"url": "http://127.0.0.1:9/hook"} },
		},
		{
			name:    "host the sandbox does not serve",
			sandbox: true,
			edit: func(doc map[string]any) {
				section(doc, "repository")["index_url"] = "https://pypi.other.example.com/simple/"
			},
			wantPaths: []string{"$.repository.index_url"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := readRequest(writeRequest(t, tt.edit))
			if err != nil {
				t.Fatal(err)
			}
			s := &serviceExecutions{sandbox: tt.sandbox, hosts: []string{defaultSandboxHosts}, localRefs: tt.localRefs}
			err = s.check(req)
			var paths []string
			var invalid *request.ValidationError
			if errors.As(err, &invalid) {
				for _, f := range invalid.Fields {
					paths = append(paths, f.Path)
				}
			} else if err != nil {
				t.Fatalf("check = %v, want nil or a *request.ValidationError", err)
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

// addressInUse listens on a free port of 127.0.0.1 until the test ends and
// returns the address, which up then cannot listen on.
func addressInUse(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	return listener.Addr().String()
}

// TestUpPortTakenLeavesDirectory checks that up on a port in use exits 2
// before it records the state directory's mode or creates a store.
func TestUpPortTakenLeavesDirectory(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	inUse := addressInUse(t)
	dir := t.TempDir()

	code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", inUse, "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "choose another --listen") {
		t.Errorf("stderr does not say what to change: %s", errOut)
	}
	for _, name := range []string{modeFile, engineStore, "webhook.db"} {
		if exists(filepath.Join(dir, name)) {
			t.Errorf("up created %s although it could not listen", name)
		}
	}
}

// TestUpBadListenLeavesNothing checks that up with an address that it
// cannot use creates neither the state directory nor a file in it.
func TestUpBadListenLeavesNothing(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	inUse := addressInUse(t)

	for _, listen := range []string{"127.0.0.1:99999", inUse} {
		t.Run(listen, func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "state")
			code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", listen, "--state-dir", missing)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, "--listen") {
				t.Errorf("stderr does not name --listen: %s", errOut)
			}
			if exists(missing) {
				t.Errorf("up created the state directory %s although it could not listen", missing)
			}

			empty := t.TempDir()
			if code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", listen, "--state-dir", empty); code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			entries, err := os.ReadDir(empty)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Errorf("up created %s in the state directory although it could not listen", e.Name())
			}
		})
	}
}

// TestUpSameDirAndAddress checks that a second up on the directory and the
// address of a running one names the directory, not only the address.
func TestUpSameDirAndAddress(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	first := startUp(t, dir, "--sandbox-latency", "none")

	listen := strings.TrimPrefix(first.url, "http://")
	code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", listen, "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "another repolink up is serving") {
		t.Errorf("stderr does not say that another repolink up serves the directory: %s", errOut)
	}
}
