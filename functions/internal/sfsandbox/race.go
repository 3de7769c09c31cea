package sfsandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
)

// CreateBefore makes the step connections of s.Env run other on the
// sandbox's own session just before the first statement that starts with
// prefix, such as "CREATE SECRET IF NOT EXISTS". A test uses it to create
// an object as another request between a step's lookup and its create.
// It returns a function that reports whether other ran.
func (s *Sandbox) CreateBefore(t *testing.T, prefix, other string) (ran func() bool) {
	t.Helper()
	hook := &createHook{prefix: prefix, other: other, session: s.Conn}
	open := s.Env.Snowflake
	s.Env.Snowflake = func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
		conn, err := open(ctx, sf)
		if err != nil {
			return nil, err
		}
		return &hookedConn{Conn: conn, hook: hook}, nil
	}
	return hook.ran
}

// createHook runs the statement other once, before the first statement
// that starts with prefix.
type createHook struct {
	prefix  string
	other   string
	session snowflake.Conn

	mu   sync.Mutex
	done bool
}

func (h *createHook) before(ctx context.Context, stmt string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || !strings.HasPrefix(stmt, h.prefix) {
		return nil
	}
	h.done = true
	if err := h.session.Exec(ctx, h.other); err != nil {
		return fmt.Errorf("run the test's statement before %s: %w", h.prefix, err)
	}
	return nil
}

func (h *createHook) ran() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done
}

// hookedConn is a step connection that runs its hook before each Exec.
type hookedConn struct {
	snowflake.Conn
	hook *createHook
}

func (c *hookedConn) Exec(ctx context.Context, stmt string) error {
	if err := c.hook.before(ctx, stmt); err != nil {
		return err
	}
	return c.Conn.Exec(ctx, stmt)
}
