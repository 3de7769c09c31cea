package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/notify"
)

// failNotification records the notification of the closed execution name
// in dir and lets one attempt fail for good, as a run of attempts that
// ends in "no attempts left" does.
func failNotification(t *testing.T, dir, name string) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.OpenReadOnly(filepath.Join(dir, engineStore), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	store, err := notify.OpenStore(filepath.Join(dir, notifyStore), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := notify.New(notify.Config{Store: store, Executions: eng, Secret: []byte(testWebhookSecret), Sandbox: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := n.Send(ctx, x, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != notify.StateFailed {
		t.Fatalf("notification is %s after one failed attempt, want failed", rec.State)
	}
}

func TestNotifyResendsFailedNotification(t *testing.T) {
	recv := newNotifyReceiver(t, http.StatusInternalServerError)
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/hooks/repolink?token=abc"}
	})
	t.Setenv(envWebhookSecret, "")
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	failNotification(t, dir, "DATA-4711")
	host := recv.Listener.Addr().String()

	code, out, errOut := runCLI(t, "status", "--state-dir", dir, "--output", "json", "DATA-4711")
	if code != exitOK {
		t.Fatalf("status exit %d\nstderr:\n%s", code, errOut)
	}
	var sv struct {
		Notifications []notify.View `json:"notifications"`
	}
	if err := json.Unmarshal([]byte(out), &sv); err != nil {
		t.Fatal(err)
	}
	if len(sv.Notifications) != 1 {
		t.Fatalf("status json has %d notifications, want 1:\n%s", len(sv.Notifications), out)
	}
	if got := sv.Notifications[0]; got.State != notify.StateFailed || got.Attempts != 1 || got.LastStatus != 500 || got.Receiver != host {
		t.Errorf("status json notification = %+v, want failed to %s after 1 attempt with status 500", got, host)
	}
	if strings.Contains(out, "token=abc") {
		t.Errorf("status json shows the notify URL's query:\n%s", out)
	}

	_, out, _ = runCLI(t, "status", "--state-dir", dir, "DATA-4711")
	if !strings.Contains(out, "notification:  failed to "+host+" after 1 attempt: receiver responded 500") {
		t.Errorf("status text does not show the failed notification:\n%s", out)
	}
	if !strings.Contains(out, "'repolink notify --state-dir") {
		t.Errorf("status text does not name the command that sends it again:\n%s", out)
	}

	// The operations API of repolink up shows the same state, with up's
	// store open while the command below sends the notification again.
	upStore, err := notify.OpenStore(filepath.Join(dir, notifyStore), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer upStore.Close()
	api := &operationsAPI{engine: testStore(t, dir, nil), notes: upStore, listen: "127.0.0.1:8080",
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	api.register(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/executions/DATA-4711", nil))
	if !strings.Contains(w.Body.String(), `"notifications":[{"redrive_count":0,"state":"failed","receiver":"`+host+`","attempts":1,"last_status":500`) {
		t.Errorf("GET /v1/executions/DATA-4711 does not show the failed notification: %s", w.Body.String())
	}

	recv.mu.Lock()
	recv.status = http.StatusNoContent
	recv.mu.Unlock()
	t.Setenv(envWebhookSecret, testWebhookSecret)
	code, out, errOut = runCLI(t, "notify", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("notify exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "notification of DATA-4711 delivered to "+host) {
		t.Errorf("notify output does not report the delivery:\n%s", out)
	}
	if got, errs := recv.received(); len(got) != 2 || len(errs) != 0 {
		t.Errorf("receiver got %d notifications with errors %v, want 2 signed ones", len(got), errs)
	}

	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/executions/DATA-4711", nil))
	if !strings.Contains(w.Body.String(), `"state":"delivered"`) || !strings.Contains(w.Body.String(), `"delivered_at":"`) {
		t.Errorf("GET /v1/executions/DATA-4711 after notify does not show the delivery: %s", w.Body.String())
	}

	code, _, errOut = runCLI(t, "notify", "--state-dir", dir, "DATA-4711")
	if code != exitInvalid || !strings.Contains(errOut, "is delivered, and only a failed notification is sent again") {
		t.Errorf("notify of a delivered notification: exit %d, stderr:\n%s", code, errOut)
	}
}

// suggestedCommand matches a repolink command that a message quotes for the
// user to run.
var suggestedCommand = regexp.MustCompile(`'repolink ([^']+)'`)

// runSuggested runs every repolink command quoted in text, which must quote
// at least one, and fails the test when one rejects its flags.
func runSuggested(t *testing.T, text string) {
	t.Helper()
	found := suggestedCommand.FindAllStringSubmatch(text, -1)
	if len(found) == 0 {
		t.Fatalf("no suggested repolink command in:\n%s", text)
	}
	for _, m := range found {
		_, _, errOut := runCLI(t, strings.Fields(m[1])...)
		if strings.Contains(errOut, "flag provided but not defined") {
			t.Errorf("suggested command 'repolink %s' rejects its flags:\n%s", m[1], errOut)
		}
	}
}

func TestNotifyAdviceCommandsRunAsPrinted(t *testing.T) {
	recv := newNotifyReceiver(t, http.StatusBadRequest)
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/h"}
	})
	t.Setenv(envWebhookSecret, "")
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	failNotification(t, dir, "DATA-4711")

	_, out, _ := runCLI(t, "status", "--state-dir", dir, "DATA-4711")
	notification := regexp.MustCompile(`(?m)^notification:.*$`).FindString(out)
	// The suggested notify makes the notification pending again, and with
	// no secret set it leaves sending it to repolink up.
	runSuggested(t, notification)

	code, out, errOut := runCLI(t, "notify", "--state-dir", dir, "DATA-4711")
	if code != exitInvalid {
		t.Fatalf("notify of a pending notification: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	runSuggested(t, errOut)

	code, out, errOut = runCLI(t, "notify", "--state-dir", dir, "--redrive-count", "3", "DATA-4711")
	if code != exitInvalid {
		t.Fatalf("notify --redrive-count 3: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	runSuggested(t, errOut)
}

func TestNotificationAdviceNamesEarlierRun(t *testing.T) {
	views := []notify.View{
		{RedriveCount: 0, State: notify.StateFailed, Receiver: "127.0.0.1:9", Attempts: 1, LastError: "receiver responded 400"},
		{RedriveCount: 1, State: notify.StateFailed, Receiver: "127.0.0.1:9", Attempts: 1, LastError: "receiver responded 400"},
	}
	var out strings.Builder
	writeNotifications(&out, "DATA-4711", views, " --state-dir S")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d notification lines, want 2:\n%s", len(lines), out.String())
	}
	if want := "'repolink notify --state-dir S --redrive-count 0 DATA-4711'"; !strings.Contains(lines[0], want) {
		t.Errorf("line of the first run lacks %s:\n%s", want, lines[0])
	}
	if want := "'repolink notify --state-dir S --redrive-count 1 DATA-4711'"; !strings.Contains(lines[1], want) {
		t.Errorf("line of redrive 1 lacks %s:\n%s", want, lines[1])
	}
}
