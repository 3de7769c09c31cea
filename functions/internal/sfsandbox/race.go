package sfsandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
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

// OtherRequestID is the request that creates a step's object between the
// step's lookup and its CREATE ... IF NOT EXISTS in the Race checks.
const OtherRequestID = "DATA-9000"

// Race describes how another request or a person creates a step's object
// between the step's lookup and its create.
type Race struct {
	// Prefix starts the step's create statement, such as "CREATE SECRET".
	Prefix string
	// Create is the statement that creates the object, without the COMMENT
	// that marks its owner.
	Create string
	// Object names the object as the step's Conflict error does, such as
	// "secret PLATFORM.PACKAGES.CORP_PYPI_SECRET".
	Object string
	// Show is the SHOW statement that lists the object.
	Show string
	// Run runs the step and returns its result.
	Run func(context.Context, *workflow.Env, workflow.Document) (workflow.Result, error)
}

// createBefore makes the step's create first run race.Create, marked for
// requestID unless it is "".
func (s *Sandbox) createBefore(t *testing.T, race Race, requestID string) (ran func() bool) {
	t.Helper()
	stmt := race.Create
	if requestID != "" {
		stmt = sfobject.WithOwner(stmt, requestID)
	}
	return s.CreateBefore(t, race.Prefix, stmt)
}

// CheckRaceByOtherRequest runs the step on doc while OtherRequestID creates
// the object first. The step must fail with a Conflict that names the
// object and the other request, and leave the other request's object as
// the only one.
func (s *Sandbox) CheckRaceByOtherRequest(t *testing.T, race Race, doc workflow.Document) {
	t.Helper()
	ran := s.createBefore(t, race, OtherRequestID)

	out, err := race.Run(t.Context(), s.Env, doc)

	if !ran() {
		t.Fatalf("the step ran no %s, so the other request never created the object", race.Prefix)
	}
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Fatalf("Run = %+v, %v (%s), want a Conflict", out, err, name)
	}
	for _, want := range []string{race.Object, "created for request " + OtherRequestID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if out.Action == workflow.Created {
		t.Errorf("action = %q after a Conflict", out.Action)
	}
	rows := s.Query(t, race.Show)
	if len(rows) != 1 || sfobject.Owner(rows[0]) != OtherRequestID {
		t.Errorf("%s = %v, want one row owned by %s", race.Show, rows, OtherRequestID)
	}
}

// RerunRaceByOwner runs the step on doc while OtherRequestID creates the
// object first, checks that the step fails with a Conflict, and runs it
// again as OtherRequestID. It fails the test when the rerun fails and
// returns the rerun's result.
func (s *Sandbox) RerunRaceByOwner(t *testing.T, race Race, doc workflow.Document) workflow.Result {
	t.Helper()
	s.createBefore(t, race, OtherRequestID)
	if _, err := race.Run(t.Context(), s.Env, doc); workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run error = %v, want a Conflict", err)
	}
	doc.Request.ID = OtherRequestID

	out, err := race.Run(t.Context(), s.Env, doc)

	if err != nil {
		t.Fatalf("rerun by the owner: %v", err)
	}
	return out
}

// CheckRaceByHand runs the step on doc while a person creates the object
// first, without the COMMENT of an owner. The step must adopt the object.
func (s *Sandbox) CheckRaceByHand(t *testing.T, race Race, doc workflow.Document) {
	t.Helper()
	s.createBefore(t, race, "")

	out, err := race.Run(t.Context(), s.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Action, workflow.Adopted)
	}
}
