package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// noWarehouseConn creates objects, and fails every query as Snowflake fails
// a function call in a session without a warehouse.
type noWarehouseConn struct{}

func (noWarehouseConn) Exec(context.Context, string) error { return nil }

func (noWarehouseConn) Query(context.Context, string) ([]snowflake.Row, error) {
	return nil, &snowflake.Error{Op: "query", Code: snowflake.CodeNoWarehouse, SQLState: "57P03",
		Message: "No active warehouse selected in the current session."}
}

func TestRunWithoutWarehouse(t *testing.T) {
	tests := []struct {
		name, warehouse string
		want            []string
	}{
		{"missing warehouse", "no_such_wh", []string{"snowflake.warehouse NO_SUCH_WH does not exist", "myorg-analytics", "ACCOUNTADMIN"}},
		{"no warehouse set", "", []string{"sets no $.snowflake.warehouse", "REPOLINK_SVC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
				return noWarehouseConn{}, nil
			}}
			doc := workflow.Document{Request: request.Request{
				ID: "DATA-4711",
				Snowflake: request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", Role: "ACCOUNTADMIN",
					Warehouse: tt.warehouse, Database: "PLATFORM", Schema: "PACKAGES"},
				Repository: request.Repository{Name: "corp_pypi", Packages: []string{"requests"}},
			}}

			_, err := Run(t.Context(), env, doc)

			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
