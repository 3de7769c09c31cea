package sfsim

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

// TestLoginWarehouse opens sessions that name a warehouse at login. An
// existing one, in any case for a plain name, becomes the session's
// warehouse. A missing one leaves the session without a warehouse, so the
// verification function fails to run until USE WAREHOUSE names one that
// exists.
func TestLoginWarehouse(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	if err := sb.EnsureWarehouse(testAccount, "REPOLINK_WH"); err != nil {
		t.Fatal(err)
	}
	admin := sb.connect(t)
	createObjects(t, admin, "corp_secret", "corp_int", "corp_pypi", true)
	readyEndpoint(t, sb, admin, "127.0.0.1:4443")
	repo := snowflake.Qualified(testDB, testSchema, "corp_pypi")
	create, err := snowflake.CreateVerifyFunction(testDB, testSchema, "repolink_check", repo, "", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	call := snowflake.CallVerifyFunction(testDB, testSchema, "repolink_check")

	open := func(t *testing.T, warehouse string) *snowflake.Client {
		t.Helper()
		cfg := sb.config()
		cfg.Warehouse = warehouse
		client, err := snowflake.Open(context.Background(), cfg)
		if err != nil {
			t.Fatalf("Open with warehouse %s: %v", warehouse, err)
		}
		t.Cleanup(func() { client.Close() })
		mustExec(t, client, create)
		return client
	}

	for _, warehouse := range []string{"REPOLINK_WH", "repolink_wh", `"REPOLINK_WH"`} {
		t.Run("existing "+warehouse, func(t *testing.T) {
			client := open(t, warehouse)
			if got := mustScalar(t, client, "SELECT CURRENT_WAREHOUSE()"); got != "REPOLINK_WH" {
				t.Errorf("CURRENT_WAREHOUSE() = %q, want REPOLINK_WH", got)
			}
			if got := mustScalar(t, client, call); got != "requests==1.0" {
				t.Errorf("function result = %q, want requests==1.0", got)
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		client := open(t, "NO_SUCH_WH")
		if got := mustScalar(t, client, "SELECT CURRENT_WAREHOUSE()"); got != "" {
			t.Errorf("CURRENT_WAREHOUSE() = %q, want none", got)
		}
		_, err := client.Query(context.Background(), call)
		if !snowflake.IsNoWarehouse(err) {
			t.Fatalf("function call without a warehouse: %v, want code %s", err, snowflake.CodeNoWarehouse)
		}

		err = client.Exec(context.Background(), "USE WAREHOUSE NO_SUCH_WH")
		if !snowflake.IsNotExist(err) {
			t.Errorf("USE WAREHOUSE NO_SUCH_WH: %v, want code %s", err, snowflake.CodeDoesNotExist)
		}
		mustExec(t, client, "USE WAREHOUSE repolink_wh")
		if got := mustScalar(t, client, call); got != "requests==1.0" {
			t.Errorf("function result after USE WAREHOUSE = %q, want requests==1.0", got)
		}
	})
}
