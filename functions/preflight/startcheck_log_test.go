package preflight

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

func TestCheckStartLogsCheckThatCannotRun(t *testing.T) {
	var logs bytes.Buffer
	env := &workflow.Env{
		GCP: func(context.Context, string) (cloud.GCPNetwork, error) {
			return nil, errors.New("compute.regions.list denied")
		},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	req := gcpsandbox.ExampleRequest(t)

	if err := CheckStart(t.Context(), env, req); err != nil {
		t.Fatalf("CheckStart with a failed lookup = %v, want nil", err)
	}
	line := logs.String()
	for _, want := range []string{"level=WARN", "check=gcp_region", "request=" + req.ID, "compute.regions.list denied"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}
