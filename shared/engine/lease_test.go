package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects JSON log records. It is safe for concurrent use,
// because the engine may log from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the records whose message starts with prefix.
func (b *logBuffer) records(t *testing.T, prefix string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if msg, _ := record["msg"].(string); strings.HasPrefix(msg, prefix) {
			out = append(out, record)
		}
	}
	return out
}

// TestLeaseWaitLogged checks that a Run loop that finds the lease held by
// another process, such as one that was killed, logs once that it waits
// and how long the lease has left, and logs again when it takes the lease.
func TestLeaseWaitLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	holder := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
	var logs logBuffer
	waiter := openEngine(t, path, "", nil, Options{PollInterval: testPoll,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx := context.Background()
	start := time.Unix(1_800_000_000, 0)

	killed := holder.newLease()
	if held, err := killed.hold(ctx, start); err != nil || !held {
		t.Fatalf("first lease hold = %v, %v; want it taken", held, err)
	}
	next := waiter.newLease()
	for _, at := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if held, err := next.hold(ctx, start.Add(at)); err != nil || held {
			t.Fatalf("second lease hold at +%s = %v, %v; want it held by the first", at, held, err)
		}
	}
	waiting := logs.records(t, "runner lease held by another process")
	if len(waiting) != 1 {
		t.Fatalf("%d waiting records, want 1 for three tries", len(waiting))
	}
	if got, want := waiting[0]["expires_in"], (killed.ttl - time.Second).String(); got != want {
		t.Errorf("expires_in = %v, want %s", got, want)
	}
	if taken := logs.records(t, "runner lease taken"); len(taken) != 0 {
		t.Fatalf("lease taken logged while another process holds it: %v", taken)
	}

	if held, err := next.hold(ctx, start.Add(killed.ttl)); err != nil || !held {
		t.Fatalf("second lease hold after expiry = %v, %v; want it taken", held, err)
	}
	taken := logs.records(t, "runner lease taken")
	if len(taken) != 1 {
		t.Fatalf("%d lease taken records, want 1", len(taken))
	}
	if got, want := taken[0]["waited"], (killed.ttl - time.Second).String(); got != want {
		t.Errorf("waited = %v, want %s", got, want)
	}
}

// TestLeaseTakenWithoutWait checks that a Run loop that takes a free lease
// logs no wait.
func TestLeaseTakenWithoutWait(t *testing.T) {
	var logs logBuffer
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), "", nil, Options{PollInterval: testPoll,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if held, err := e.newLease().hold(context.Background(), time.Unix(1_800_000_000, 0)); err != nil || !held {
		t.Fatalf("hold = %v, %v; want it taken", held, err)
	}
	if waiting := logs.records(t, "runner lease held by another process"); len(waiting) != 0 {
		t.Errorf("waiting logged for a free lease: %v", waiting)
	}
	taken := logs.records(t, "runner lease taken")
	if len(taken) != 1 {
		t.Fatalf("%d lease taken records, want 1", len(taken))
	}
	if _, ok := taken[0]["waited"]; ok {
		t.Errorf("lease taken record has waited without a wait: %v", taken[0])
	}
}

// TestRunnerActive checks that RunnerActive reports a lease that a Run
// loop holds, and no runner before the first hold, after a release and
// once a killed holder's lease has expired.
func TestRunnerActive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
	ctx := context.Background()

	if active, err := e.RunnerActive(ctx); err != nil || active {
		t.Errorf("RunnerActive on a new store = %v, %v; want false", active, err)
	}

	live := e.newLease()
	if held, err := live.hold(ctx, time.Now()); err != nil || !held {
		t.Fatalf("lease hold = %v, %v; want it taken", held, err)
	}
	if active, err := e.RunnerActive(ctx); err != nil || !active {
		t.Errorf("RunnerActive with a held lease = %v, %v; want true", active, err)
	}
	live.release(ctx)
	if active, err := e.RunnerActive(ctx); err != nil || active {
		t.Errorf("RunnerActive after the release = %v, %v; want false", active, err)
	}

	killed := e.newLease()
	if held, err := killed.hold(ctx, time.Now().Add(-2*killed.ttl)); err != nil || !held {
		t.Fatalf("lease hold in the past = %v, %v; want it taken", held, err)
	}
	if active, err := e.RunnerActive(ctx); err != nil || active {
		t.Errorf("RunnerActive with an expired lease = %v, %v; want false", active, err)
	}
}

// TestRunnerActiveAfterKill checks that a holder that exits without
// releasing its lease, as after kill -KILL, stops counting at once,
// before its lease expires. Closing the lock file drops its flock as the
// kernel does at exit.
func TestRunnerActiveAfterKill(t *testing.T) {
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), "", nil, Options{PollInterval: testPoll})
	ctx := context.Background()

	killed := e.newLease()
	if held, err := killed.hold(ctx, time.Now()); err != nil || !held {
		t.Fatalf("lease hold = %v, %v; want it taken", held, err)
	}
	if active, err := e.RunnerActive(ctx); err != nil || !active {
		t.Fatalf("RunnerActive with a live holder = %v, %v; want true", active, err)
	}
	if killed.lockFile == nil {
		t.Fatal("the lease holder has no flock on the runner lock file")
	}
	killed.lockFile.Close()
	if active, err := e.RunnerActive(ctx); err != nil || active {
		t.Errorf("RunnerActive after the holder exited = %v, %v; want false before the lease expires", active, err)
	}

	next := e.newLease()
	if held, err := next.hold(ctx, time.Now()); err != nil || held {
		t.Fatalf("second lease hold = %v, %v; want it to wait for the expiry", held, err)
	}
	if next.lockFile != nil {
		t.Error("a waiting loop keeps the flock of the runner lock file")
	}
}
