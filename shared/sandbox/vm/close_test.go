package vm

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// TestCloseStopsInstancesTogether checks that Close stops the instances at
// the same time: four instances that each take 300 ms to stop must all be
// stopped in well under the 1.2 s that stopping them one by one takes.
func TestCloseStopsInstancesTogether(t *testing.T) {
	const stopTime = 300 * time.Millisecond
	l := &Launcher{dir: t.TempDir(), logger: slog.New(slog.DiscardHandler), instances: map[string]*running{}}
	for i := range 4 {
		id := fmt.Sprintf("i-%d", i)
		l.instances[id] = &running{info: Instance{ID: id}, stop: func() error {
			time.Sleep(stopTime)
			return nil
		}}
	}
	if got := l.Running(); got != 4 {
		t.Fatalf("Running = %d, want 4", got)
	}

	started := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(started)

	if took >= 3*stopTime {
		t.Errorf("Close took %s, want less than %s, as when the stops overlap", took, 3*stopTime)
	}
	if got := l.Running(); got != 0 {
		t.Errorf("Running after Close = %d, want 0", got)
	}
}
