package snowflake_test

import (
	"fmt"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestErrorNameMatchesWorkflow checks the names that *snowflake.Error
// returns against the workflow constants, which this package cannot import.
func TestErrorNameMatchesWorkflow(t *testing.T) {
	denied := &snowflake.Error{Op: "query", Code: snowflake.CodeInsufficientPrivs, SQLState: snowflake.SQLStateInsufficientPrivilege}
	if got := workflow.NameOf(fmt.Errorf("read endpoints: %w", denied)); got != workflow.ErrPermissionDenied {
		t.Errorf("NameOf(access control error) = %q, want %q", got, workflow.ErrPermissionDenied)
	}
	transient := &snowflake.Error{Op: "query", Transient: true}
	if got := workflow.NameOf(transient); got != workflow.ErrTransient {
		t.Errorf("NameOf(transient error) = %q, want %q", got, workflow.ErrTransient)
	}
}
