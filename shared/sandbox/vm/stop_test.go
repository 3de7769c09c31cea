//go:build unix

package vm

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/proxy"
)

// maxQuickStop is well above the SIGTERM resend interval and well below the
// stop timeout, so a stop that took longer waited for the timeout.
const maxQuickStop = 2 * time.Second

// TestStopRightAfterNginxStarts fails nginx starts after delays from 0 to
// 10 ms, which makes some stops land while nginx is still starting. When
// only one SIGTERM was sent, 17 of 200 such stops (nginx 1.22.1, 2 CPUs)
// waited the whole stop timeout, because nginx lost the signal.
func TestStopRightAfterNginxStarts(t *testing.T) {
	bin, err := proxy.LookNginx(t.Context())
	if err != nil {
		t.Skipf("skipping: no usable nginx on this machine: %v", err)
	}
	l := &Launcher{
		dir:       t.TempDir(),
		logger:    slog.New(slog.DiscardHandler),
		nginx:     &bin,
		instances: map[string]*running{},
	}
	cfg := proxy.Config{
		Hosts:           []string{repoHost},
		Upstream:        "127.0.0.1:9",
		BindAddress:     "127.0.0.1",
		WorkerProcesses: 1,
	}

	for i := range 120 {
		delay := time.Duration(i%40) * time.Millisecond / 4
		ctx, cancel := context.WithTimeout(t.Context(), delay)
		started := time.Now()
		r, err := l.startNginx(ctx, fmt.Sprintf("i-%d", i), cfg)
		cancel()
		took := time.Since(started)

		if err == nil {
			// The start won the race against the deadline.
			if err := r.stop(); err != nil {
				t.Fatalf("stop after delay %s: %v", delay, err)
			}
			continue
		}
		if took > maxQuickStop {
			t.Fatalf("start failed after delay %s and took %s to stop nginx, want under %s",
				delay, took, maxQuickStop)
		}
	}
}
