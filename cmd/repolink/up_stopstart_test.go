package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/notify"
)

// lastLogRecord returns the message and the shutdown field of the last
// JSON record in logs.
func lastLogRecord(t *testing.T, logs string) (msg, shutdown string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	var rec struct {
		Msg      string `json:"msg"`
		Shutdown string `json:"shutdown"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("last log line %q is not a JSON record: %v", lines[len(lines)-1], err)
	}
	return rec.Msg, rec.Shutdown
}

// TestUpSignalDuringStart cancels the context of repolink up, as SIGTERM
// does, at several moments of its start. Each must be a clean stop: exit
// status 0, as for a stop after the start, and "repolink up stopped" as
// the last record.
func TestUpSignalDuringStart(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	for _, delay := range []time.Duration{0, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
		30 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond, 80 * time.Millisecond, 120 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if delay == 0 {
				cancel()
			} else {
				time.AfterFunc(delay, cancel)
			}
			logs := &syncBuffer{}
			args := []string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", filepath.Join(t.TempDir(), "state")}

			if code := run(ctx, args, io.Discard, logs); code != exitOK {
				t.Errorf("exit status = %d, want %d\nlogs:\n%s", code, exitOK, logs)
			}
			if msg, _ := lastLogRecord(t, logs.String()); msg != "repolink up stopped" {
				t.Errorf("last log message = %q, want \"repolink up stopped\"\nlogs:\n%s", msg, logs)
			}
		})
	}
}

// TestUpShutdownCoversWholeStop stops repolink up while a notification is
// in flight to a receiver that never responds, so the stop waits for the
// notifier's grace period. The shutdown field of the last record must
// cover the time from the cancellation to that record.
func TestUpShutdownCoversWholeStop(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	received := make(chan struct{}, 1)
	release := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case received <- struct{}{}:
		default:
		}
		<-release
	}))
	t.Cleanup(receiver.Close)
	t.Cleanup(func() { close(release) })

	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")
	body, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": receiver.URL + "/repolink"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("request = %d %+v\nlogs:\n%s", code, resp, up.logs)
	}
	waitForStatus(t, up, "DATA-4711", "", "SUCCEEDED")
	select {
	case <-received:
	case <-time.After(30 * time.Second):
		t.Fatalf("no notification reached the receiver\nlogs:\n%s", up.logs)
	}

	stopped := time.Now()
	if code := up.stop(); code != exitOK {
		t.Fatalf("up exit %d\nlogs:\n%s", code, up.logs)
	}
	elapsed := time.Since(stopped)

	msg, shutdown := lastLogRecord(t, up.logs.String())
	if msg != "repolink up stopped" {
		t.Fatalf("last log message = %q, want \"repolink up stopped\"\nlogs:\n%s", msg, up.logs)
	}
	reported, err := time.ParseDuration(shutdown)
	if err != nil {
		t.Fatalf("shutdown %q is not a duration: %v", shutdown, err)
	}
	// The notification in flight holds the stop for its grace period, so
	// a field that covers the whole stop is at least that long. The record
	// is written just before up returns, and the field is rounded to the
	// millisecond, so it can exceed the elapsed time by that much.
	if reported < notify.DefaultShutdownGrace {
		t.Errorf("shutdown = %s, want at least the %s grace of the notification in flight", reported, notify.DefaultShutdownGrace)
	}
	if reported > elapsed+time.Millisecond {
		t.Errorf("shutdown = %s, want at most the %s from the cancellation to the exit", reported, elapsed)
	}
}
