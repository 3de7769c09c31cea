package registry

import (
	"context"
	"fmt"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestClassifyTransientSnowflakeError(t *testing.T) {
	err := fmt.Errorf("create secret X: %w", &snowflake.Error{Op: "exec", Message: "HTTP Status: 429", Transient: true})
	if got := workflow.NameOf(Classify(err)); got != workflow.ErrTransient {
		t.Errorf("transient Snowflake error classified as %q, want Transient", got)
	}
	terminal := fmt.Errorf("create secret X: %w", &snowflake.Error{Op: "exec", Code: "002003"})
	if got := workflow.NameOf(Classify(terminal)); got != "" {
		t.Errorf("terminal Snowflake error classified as %q, want no name", got)
	}
	if got := workflow.NameOf(Classify(context.DeadlineExceeded)); got != workflow.ErrTransient {
		t.Errorf("deadline classified as %q, want Transient", got)
	}
	if got := workflow.NameOf(Classify(workflow.NotReady("x"))); got != workflow.ErrNotReady {
		t.Errorf("named error reclassified as %q", got)
	}
}
