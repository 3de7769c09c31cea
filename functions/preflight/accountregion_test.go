package preflight

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// configConn returns config for SYSTEM$GET_PRIVATELINK_CONFIG.
type configConn struct {
	endpointsConn
	config string
}

func (c configConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	if stmt == snowflake.GetPrivateLinkConfig() {
		return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_CONFIG()": c.config}}, nil
	}
	return c.endpointsConn.Query(ctx, stmt)
}

func TestRequestChecksAccountRegion(t *testing.T) {
	conn := configConn{config: `{"privatelink-vpce-id": "com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}`}
	env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil }}
	req := document().Request
	req.Route = request.RouteAWSPrivateLink
	req.AWS = &request.AWS{Region: "eu-west-1"}
	var check *RequestCheck
	for _, c := range RequestChecks(req) {
		if c.Name == "account_region" {
			check = &c
		}
	}
	if check == nil {
		t.Fatal("RequestChecks has no account_region check")
	}

	_, err := check.Run(t.Context(), env, req)
	checkStepError(t, err, []string{"$.aws.region is eu-west-1", "AWS region us-west-2", "set $.aws.region to us-west-2"})

	req.AWS.Region = "us-west-2"
	if _, err := check.Run(t.Context(), env, req); err != nil {
		t.Errorf("request in the account's region: %v", err)
	}
}
