package preflight

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
)

// TestSandboxStepChecksWarehouse runs preflight against the sandbox
// Snowflake through gosnowflake. A login that names a missing warehouse,
// or none for a user without a default warehouse, succeeds with no
// warehouse in the session, and the step must fail with InvalidRequest
// naming $.snowflake.warehouse before anything is built.
func TestSandboxStepChecksWarehouse(t *testing.T) {
	idx := startIndex(t)
	sb := sfsandbox.Start(t)
	env := sandboxEnv(sb)
	const account = "myorg-analytics"
	if err := sb.Server.EnsureUser(account, "NO_DEFAULT_SVC", nil, "pw-value"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, user, warehouse string
		// want are the texts that the error contains. When empty, the
		// step must pass.
		want []string
	}{
		{"existing warehouse", "REPOLINK_SVC", "repolink_wh", nil},
		{"user default warehouse", "REPOLINK_SVC", "", nil},
		{"missing warehouse", "REPOLINK_SVC", "NO_SUCH_WH",
			[]string{"$.snowflake.warehouse NO_SUCH_WH does not exist in Snowflake account myorg-analytics", "set $.snowflake.warehouse to an existing warehouse", "CURRENT_WAREHOUSE() of the session is NULL"}},
		{"no warehouse and no default", "NO_DEFAULT_SVC", "",
			[]string{"the request sets no $.snowflake.warehouse and user NO_DEFAULT_SVC has no default warehouse", "set $.snowflake.warehouse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sandboxDocument(sb)
			doc.Request.Snowflake.User = tt.user
			doc.Request.Snowflake.Warehouse = tt.warehouse

			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)

			checkStepError(t, err, tt.want)
		})
	}
}
