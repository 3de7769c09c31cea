package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/webhook"
)

// notifyReceiver is a notification endpoint on 127.0.0.1 that responds
// with status and keeps the notifications whose signature it verified.
type notifyReceiver struct {
	*httptest.Server
	status int
	mu     sync.Mutex
	got    []notify.Notification
	errs   []error
}

func newNotifyReceiver(t *testing.T, status int) *notifyReceiver {
	t.Helper()
	r := &notifyReceiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.VerifyTimestamped([]byte(testWebhookSecret), req.Header, body, time.Now()); err != nil {
			r.errs = append(r.errs, err)
		}
		var note notify.Notification
		if err := json.Unmarshal(body, &note); err != nil {
			r.errs = append(r.errs, err)
		}
		r.got = append(r.got, note)
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *notifyReceiver) received() ([]notify.Notification, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Notification(nil), r.got...), append([]error(nil), r.errs...)
}

func TestRunAndTeardownNotifyWithoutUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	recv := newNotifyReceiver(t, http.StatusNoContent)
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink?token=abc"}
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "sending the notification of DATA-4711 to "+recv.Listener.Addr().String()) {
		t.Errorf("run stderr does not say that it sends the notification before it waits:\n%s", errOut)
	}
	if !strings.Contains(errOut, "notification of DATA-4711 delivered to "+recv.Listener.Addr().String()) {
		t.Errorf("run stderr does not report the delivery:\n%s", errOut)
	}
	if strings.Contains(errOut, "token=abc") {
		t.Errorf("run stderr shows the notify URL's query:\n%s", errOut)
	}
	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	got, errs := recv.received()
	if len(errs) > 0 {
		t.Fatalf("receiver rejected notifications: %v", errs)
	}
	if len(got) != 2 {
		t.Fatalf("receiver got %d notifications, want 2: %+v", len(got), got)
	}
	if got[0].Event != notify.EventSucceeded || got[0].Execution != "DATA-4711" || len(got[0].Resources) == 0 {
		t.Errorf("first notification = %s of %s with resources %s, want succeeded of DATA-4711 with resources",
			got[0].Event, got[0].Execution, got[0].Resources)
	}
	if got[1].Event != notify.EventTornDown || got[1].Execution != "DATA-4711-teardown" {
		t.Errorf("second notification = %s of %s, want torn_down of DATA-4711-teardown", got[1].Event, got[1].Execution)
	}
}

func TestRunReportsRejectedNotification(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	recv := newNotifyReceiver(t, http.StatusBadRequest)
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", t.TempDir(), req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "notification of DATA-4711 to " + recv.Listener.Addr().String() + " failed after 1 attempt: receiver responded 400"; !strings.Contains(errOut, want) {
		t.Errorf("run stderr lacks %q:\n%s", want, errOut)
	}
}

func TestRunWarnsNotifyWithoutSecret(t *testing.T) {
	t.Setenv(envWebhookSecret, "")
	recv := newNotifyReceiver(t, http.StatusOK)
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", t.TempDir(), req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "warning: the request has $.notify.url, but "+envWebhookSecret+" is not set") {
		t.Errorf("run stderr has no warning about the missing secret:\n%s", errOut)
	}
	if got, _ := recv.received(); len(got) != 0 {
		t.Errorf("receiver got %d notifications without a secret, want none", len(got))
	}
}

func TestRedriveNotifiesWithoutUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	recv := newNotifyReceiver(t, http.StatusOK)
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})
	req, err := readRequest(file)
	if err != nil {
		t.Fatal(err)
	}
	// A run that a stop closed before any process ran a step.
	ctx := context.Background()
	if err := claimStateMode(dir, true); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "DATA-4711", "", ""); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	code, out, errOut := runCLI(t, "redrive", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("redrive exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	got, errs := recv.received()
	if len(errs) > 0 {
		t.Fatalf("receiver rejected notifications: %v", errs)
	}
	if len(got) != 1 || got[0].Event != notify.EventSucceeded || got[0].RedriveCount != 1 {
		t.Errorf("notifications = %+v, want one succeeded of redrive 1", got)
	}
}

func TestRejectedTeardownSendsNoNotification(t *testing.T) {
	t.Setenv(envWebhookSecret, "")
	recv := newNotifyReceiver(t, http.StatusOK)
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "TN-1"
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})
	// Without a secret, neither run records nor sends a notification. A
	// second provision run is open, so the next teardown starts nothing.
	openRerunAfterTeardown(t, dir, file, "TN-1")
	t.Setenv(envWebhookSecret, testWebhookSecret)
	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TN-1")
	if code != exitInvalid {
		t.Fatalf("teardown while TN-1-r2 runs: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if strings.Contains(errOut, "notification") {
		t.Errorf("rejected teardown reports a notification:\n%s", errOut)
	}
	if got, _ := recv.received(); len(got) != 0 {
		t.Errorf("receiver got %d notifications from a rejected teardown, want none: %+v", len(got), got)
	}
}

// TestTeardownRacingRunSendsNoNotification starts a provision run of the
// request after teardown checked that none runs, but before it takes the
// start lock to start its teardown. The teardown then starts nothing, so
// it must send no notification, not even that of the request's earlier
// teardown.
func TestTeardownRacingRunSendsNoNotification(t *testing.T) {
	t.Setenv(envWebhookSecret, "")
	recv := newNotifyReceiver(t, http.StatusOK)
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "TN-2"
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})
	// Without a secret, the first run and teardown send no notification.
	for _, args := range [][]string{
		{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file},
		{"teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TN-2"},
	} {
		if code, out, errOut := runCLI(t, args...); code != exitOK {
			t.Fatalf("%s exit %d\nstdout:\n%s\nstderr:\n%s", args[0], code, out, errOut)
		}
	}
	changed, err := readRequest(file)
	if err != nil {
		t.Fatal(err)
	}
	changed.Repository.Packages = []string{"requests"}
	t.Setenv(envWebhookSecret, testWebhookSecret)

	// The test holds the start lock of TN-2 while the teardown runs its
	// first checks, and starts the second run once the teardown waits for
	// the lock.
	ctx := context.Background()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	var rerun string
	err = withStartLock(ctx, dir, "TN-2", func() error {
		go func() {
			var stdout, stderr strings.Builder
			code := run(ctx, []string{"teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TN-2"}, &stdout, &stderr)
			done <- result{code, stderr.String()}
		}()
		if err := waitForStartGateUsers(dir, "TN-2", 2); err != nil {
			return err
		}
		eng, _, err := openEngineStore(dir)
		if err != nil {
			return err
		}
		defer eng.Close()
		rerun, err = startExecution(ctx, eng, changed)
		return err
	})
	if err != nil {
		t.Fatalf("start the second run of TN-2 under the start lock: %v", err)
	}

	var got result
	select {
	case got = <-done:
	case <-time.After(time.Minute):
		t.Fatal("teardown did not return within a minute")
	}
	if got.code != exitInvalid {
		t.Fatalf("teardown while %s starts: exit %d, want %d\nstderr:\n%s", rerun, got.code, exitInvalid, got.stderr)
	}
	if !strings.Contains(got.stderr, rerun) {
		t.Errorf("teardown error does not name the run %s:\n%s", rerun, got.stderr)
	}
	if strings.Contains(got.stderr, "notification") {
		t.Errorf("teardown that started nothing reports a notification:\n%s", got.stderr)
	}
	notes, _ := recv.received()
	for _, note := range notes {
		t.Errorf("receiver got the %s notification of %s from a teardown that started nothing, want none", note.Event, note.Execution)
	}
}

// waitForStartGateUsers waits until n goroutines of this process hold or
// wait at the start gate of request id in dir.
func waitForStartGateUsers(dir, id string, n int) error {
	key := startGateKey{dir: filepath.Clean(dir), stripe: startLockStripe(id)}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		startGatesMu.Lock()
		gate := startGates[key]
		users := 0
		if gate != nil {
			users = gate.users
		}
		startGatesMu.Unlock()
		if users >= n {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("start gate of %s in %s did not reach %d users within a minute", id, dir, n)
}

func TestRejectedRunSkipsNotifyWarning(t *testing.T) {
	t.Setenv(envWebhookSecret, "")
	recv := newNotifyReceiver(t, http.StatusOK)
	dir := t.TempDir()
	requestFor := func(account string) string {
		return writeRequest(t, func(doc map[string]any) {
			doc["id"] = "NW-1"
			section(doc, "snowflake")["account"] = account
			doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
		})
	}
	const warning = "so this command does not send the notification when the execution closes"

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, requestFor("acct-first"))
	if code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, warning) {
		t.Errorf("first run stderr lacks %q:\n%s", warning, errOut)
	}

	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, requestFor("acct-second"))
	if code != exitInvalid {
		t.Fatalf("run with another account: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if strings.Contains(errOut, warning) {
		t.Errorf("rejected run warns %q:\n%s", warning, errOut)
	}
}

// TestRejectedRedriveTeardownSkipNotifyWarning rejects a redrive and a
// teardown at their start checks, because the index password that the
// request references is no longer set. Neither starts an execution, so
// neither may warn that its notification is not sent.
func TestRejectedRedriveTeardownSkipNotifyWarning(t *testing.T) {
	const passwordVar = "REPOLINK_TEST_NOTIFY_PASSWORD"
	t.Setenv(envWebhookSecret, "")
	t.Setenv(passwordVar, "index-password")
	recv := newNotifyReceiver(t, http.StatusOK)
	// A teardown reads only the Snowflake key, so the key file is moved
	// away to reject it.
	keyFile := writePrivateKeyFile(t)
	// Each request has a state directory of its own, because both name the
	// same Snowflake objects.
	succeededDir, stoppedDir := t.TempDir(), t.TempDir()
	requestFor := func(id string) string {
		return writeRequest(t, func(doc map[string]any) {
			doc["id"] = id
			section(doc, "snowflake")["private_key_ref"] = "file:" + keyFile
			section(section(doc, "repository"), "auth")["password_ref"] = "env:" + passwordVar
			doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
		})
	}
	const warning = "so this command does not send the notification when the execution closes"

	// NW-2 succeeds, so it can be torn down. NW-3 is interrupted and
	// stopped, so it can be redriven.
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", succeededDir, requestFor("NW-2"))
	if code != exitOK {
		t.Fatalf("run of NW-2: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, warning) {
		t.Errorf("run of NW-2 stderr lacks %q:\n%s", warning, errOut)
	}
	r := startRun(t, "run", "--sandbox", "--state-dir", stoppedDir, requestFor("NW-3"))
	r.waitOutput(t, "execution NW-3 (")
	if code := r.interrupt(t); code != exitInterrupted {
		t.Fatalf("interrupted run of NW-3: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	if code, out, errOut := runCLI(t, "stop", "--state-dir", stoppedDir, "NW-3"); code != exitOK {
		t.Fatalf("stop NW-3: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Setenv restores the variable when the test ends.
	os.Unsetenv(passwordVar)
	if err := os.Rename(keyFile, keyFile+".moved"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"teardown", succeededDir, "NW-2"}, {"redrive", stoppedDir, "NW-3"}} {
		code, out, errOut := runCLI(t, args[0], "--sandbox", "--state-dir", args[1], args[2])
		if code != exitInvalid {
			t.Fatalf("%s %s without the credentials: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
				args[0], args[2], code, exitInvalid, out, errOut)
		}
		if reason := "$.snowflake.private_key_ref"; !strings.Contains(errOut, reason) {
			t.Errorf("rejected %s %s stderr lacks %q:\n%s", args[0], args[2], reason, errOut)
		}
		if strings.Contains(errOut, warning) {
			t.Errorf("rejected %s %s warns %q:\n%s", args[0], args[2], warning, errOut)
		}
	}

	// With the credentials back, both start their execution and warn.
	t.Setenv(passwordVar, "index-password")
	if err := os.Rename(keyFile+".moved", keyFile); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"teardown", succeededDir, "NW-2"}, {"redrive", stoppedDir, "NW-3"}} {
		code, out, errOut := runCLI(t, args[0], "--sandbox", "--sandbox-latency", "none", "--state-dir", args[1], args[2])
		if code != exitOK {
			t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", args[0], args[2], code, out, errOut)
		}
		if !strings.Contains(errOut, warning) {
			t.Errorf("%s %s stderr lacks %q:\n%s", args[0], args[2], warning, errOut)
		}
	}
}

// TestUpSendsNotificationOfRunWithoutSecret checks that the warning of a
// run without REPOLINK_WEBHOOK_SECRET holds: a repolink up started later
// on a fresh state directory sends the notification.
func TestUpSendsNotificationOfRunWithoutSecret(t *testing.T) {
	t.Setenv(envWebhookSecret, "")
	t.Setenv(envAPIToken, "")
	recv := newNotifyReceiver(t, http.StatusNoContent)
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink"}
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "A repolink up started on this state directory with " + envWebhookSecret + " set sends it"; !strings.Contains(errOut, want) {
		t.Errorf("run stderr lacks %q:\n%s", want, errOut)
	}
	if got, _ := recv.received(); len(got) != 0 {
		t.Fatalf("receiver got %d notifications from run without a secret, want none", len(got))
	}

	t.Setenv(envWebhookSecret, testWebhookSecret)
	startUp(t, dir, "--sandbox-latency", "none")
	waitFor(t, "repolink up to send the notification of DATA-4711", func() bool {
		got, _ := recv.received()
		return len(got) > 0
	})
	got, errs := recv.received()
	if len(errs) > 0 {
		t.Fatalf("receiver rejected notifications: %v", errs)
	}
	if got[0].Execution != "DATA-4711" || got[0].Event != notify.EventSucceeded {
		t.Errorf("notification = %s of %s, want succeeded of DATA-4711", got[0].Event, got[0].Execution)
	}
}

// TestSandboxRunWarnsNonLoopbackNotifyOnce checks that a sandbox run with
// a notify.url on another host warns once, at start, that it sends
// nothing there, and neither retries nor reports it again at the close.
func TestSandboxRunWarnsNonLoopbackNotifyOnce(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": "https://hooks.example.com/repolink?token=abc"}
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", t.TempDir(), req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	warning := "$.notify.url host hooks.example.com is not a loopback address, and sandbox mode sends notifications only to loopback receivers"
	if !strings.Contains(errOut, warning) {
		t.Errorf("run stderr lacks %q:\n%s", warning, errOut)
	}
	if n := strings.Count(errOut, "hooks.example.com"); n != 1 {
		t.Errorf("run stderr names hooks.example.com %d times, want once:\n%s", n, errOut)
	}
	if strings.Contains(errOut, "retrying for up to") {
		t.Errorf("run stderr says it retries a notification that the sandbox skips:\n%s", errOut)
	}
	if strings.Contains(errOut, "token=abc") {
		t.Errorf("run stderr shows the notify URL's query:\n%s", errOut)
	}
}
