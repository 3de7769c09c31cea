package gcf

import (
	"context"
	"log/slog"
	"testing"

	"github.com/repolink/repolink/functions/internal/defaulttest"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// TestDefaultRecordsInFirestore runs the default step and
// teardown_snowflake with the default repository records in Firestore, as
// the functions do.
func TestDefaultRecordsInFirestore(t *testing.T) {
	_, opts := startGCPSim(t)
	vars := environment(map[string]string{envWaitsCollection: "waits", envProject: "corp-packages-prod"})
	logger := slog.New(slog.DiscardHandler)
	env := newAdapters(logger, opts, stores{defaults: newDefaultLevels(vars, opts, logger)}).env()
	if _, ok := env.Defaults.(*firestoreDefaults); !ok {
		t.Fatalf("Defaults with a collection is %T, want *firestoreDefaults", env.Defaults)
	}
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	env.Snowflake = sb.Env.Snowflake
	defaulttest.CheckRecords(t, sb, env)
}

func TestDefaultLevelsConfiguration(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	opts := unreachableOptions()

	none := newAdapters(logger, opts, stores{defaults: newDefaultLevels(environment(nil), opts, logger)})
	if got := none.env().Defaults; got != nil {
		t.Errorf("Defaults without a collection is %T, want nil", got)
	}

	// A collection without a project fails every call, so that the default
	// step sets no level that nothing records.
	invalid := newDefaultLevels(environment(map[string]string{envWaitsCollection: "waits"}), opts, logger)
	if invalid == nil {
		t.Fatal("Defaults with an invalid configuration is nil, want one that fails every call")
	}
	err := invalid.Put(context.Background(), workflow.DefaultSetting{})
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("Put with an invalid configuration = %v, want InvalidRequest", err)
	}
}
