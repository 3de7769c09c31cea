package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

const oneTask = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"work","End":true}}}`

// gatedTask fails at once, or, after block, waits until release and
// then fails.
type gatedTask struct {
	gate    chan struct{}
	blocked chan struct{}
}

func newGatedTask() *gatedTask { return &gatedTask{blocked: make(chan struct{}, 1)} }

func (g *gatedTask) block() { g.gate = make(chan struct{}) }

func (g *gatedTask) release() {
	close(g.gate)
	g.gate = nil
}

func (g *gatedTask) run(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
	if gate := g.gate; gate != nil {
		g.blocked <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, &namedError{"Rejected", "connection rejected"}
}

func describe(t *testing.T, e *Engine, name string) Execution {
	t.Helper()
	x, err := e.Describe(context.Background(), name)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	return x
}

func TestRedriveWithTokenRepeated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		work := newGatedTask()
		path := filepath.Join(t.TempDir(), "engine.db")
		e := openEngine(t, path, oneTask, map[string]TaskFunc{"work": work.run}, Options{PollInterval: testPoll})
		runEngine(t, e)
		ctx := context.Background()
		if x := execute(t, e, "run", `{}`); x.Status != StatusFailed {
			t.Fatalf("first run: status %s, want FAILED", x.Status)
		}

		work.block()
		first, err := e.RedriveWithToken(ctx, "run", "token-a")
		if err != nil {
			t.Fatalf("RedriveWithToken: %v", err)
		}
		<-work.blocked
		if x := describe(t, e, "run"); x.Status != StatusRunning || !x.RedrivenAt.Equal(first) {
			t.Errorf("after the redrive: status %s, redriven at %v, want RUNNING at %v", x.Status, x.RedrivenAt, first)
		}

		time.Sleep(time.Minute)
		again, err := e.RedriveWithToken(ctx, "run", "token-a")
		if err != nil {
			t.Errorf("repeated token while running: %v, want the first result", err)
		}
		if !again.Equal(first) {
			t.Errorf("repeated token while running: redrive time %v, want %v", again, first)
		}
		if _, err := e.RedriveWithToken(ctx, "run", "token-b"); !errors.Is(err, ErrCannotRedrive) {
			t.Errorf("new token while running: error = %v, want ErrCannotRedrive", err)
		}

		work.release()
		if x, _ := e.Wait(ctx, "run"); x.Status != StatusFailed {
			t.Fatalf("after the redrive: status %s, want FAILED", x.Status)
		}
		again, err = e.RedriveWithToken(ctx, "run", "token-a")
		if err != nil || !again.Equal(first) {
			t.Errorf("repeated token after the close: %v, %v, want %v without an error", again, err, first)
		}
		if x := describe(t, e, "run"); x.Status != StatusFailed || x.RedriveCount != 1 {
			t.Errorf("after the repeated token: status %s, redrive count %d, want FAILED, 1", x.Status, x.RedriveCount)
		}

		// Another process on the same store reads the token from the store.
		other := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
		again, err = other.RedriveWithToken(ctx, "run", "token-a")
		if err != nil || !again.Equal(first) {
			t.Errorf("repeated token in another process: %v, %v, want %v without an error", again, err, first)
		}
		if x := describe(t, e, "run"); x.RedriveCount != 1 {
			t.Errorf("after the token in another process: redrive count %d, want 1", x.RedriveCount)
		}
	})
}

func TestRedriveWithTokenExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		work := newGatedTask()
		e := testEngine(t, oneTask, map[string]TaskFunc{"work": work.run})
		runEngine(t, e)
		ctx := context.Background()
		execute(t, e, "run", `{}`)

		redrive := func(token string) time.Time {
			t.Helper()
			at, err := e.RedriveWithToken(ctx, "run", token)
			if err != nil {
				t.Fatalf("RedriveWithToken %s: %v", token, err)
			}
			if x, _ := e.Wait(ctx, "run"); x.Status != StatusFailed {
				t.Fatalf("after redrive with %s: status %s, want FAILED", token, x.Status)
			}
			return at
		}

		first := redrive("token-a")
		time.Sleep(redriveTokenLifetime + time.Second)
		later := redrive("token-a")
		if !later.After(first) {
			t.Errorf("token past its lifetime: redrive time %v, want a new redrive after %v", later, first)
		}
		if x := describe(t, e, "run"); x.RedriveCount != 2 {
			t.Errorf("token past its lifetime: redrive count %d, want 2", x.RedriveCount)
		}

		// Only the last maxRedriveTokens tokens are kept.
		for i := 1; i <= maxRedriveTokens; i++ {
			time.Sleep(time.Second)
			redrive(fmt.Sprintf("token-%d", i))
		}
		count := describe(t, e, "run").RedriveCount
		redrive("token-a")
		if got := describe(t, e, "run").RedriveCount; got != count+1 {
			t.Errorf("token older than the last %d: redrive count %d, want %d", maxRedriveTokens, got, count+1)
		}
		if _, err := e.RedriveWithToken(ctx, "run", fmt.Sprintf("token-%d", maxRedriveTokens)); err != nil {
			t.Errorf("recent token: %v", err)
		}
		if got := describe(t, e, "run").RedriveCount; got != count+1 {
			t.Errorf("recent token: redrive count %d, want %d", got, count+1)
		}
	})
}

func TestRedriveDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		work := newGatedTask()
		e := testEngine(t, oneTask, map[string]TaskFunc{"work": work.run})
		runEngine(t, e)
		ctx := context.Background()
		execute(t, e, "run", `{}`)
		if x := describe(t, e, "run"); !x.RedrivenAt.IsZero() {
			t.Errorf("before any redrive: RedrivenAt = %v, want zero", x.RedrivenAt)
		}

		time.Sleep(time.Hour)
		want := time.Now().UTC()
		if _, err := e.Redrive(ctx, "run"); err != nil {
			t.Fatal(err)
		}
		x, _ := e.Wait(ctx, "run")
		if !x.RedrivenAt.Equal(want) {
			t.Errorf("Describe after a redrive: RedrivenAt = %v, want %v", x.RedrivenAt, want)
		}
		listed, err := e.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(listed) != 1 || !listed[0].RedrivenAt.Equal(want) {
			t.Errorf("List after a redrive = %+v, want RedrivenAt %v", listed, want)
		}
	})
}
