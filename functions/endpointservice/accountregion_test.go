package endpointservice

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestRunRejectsOtherRegion checks that the step creates no endpoint
// service in a region other than the Snowflake account's.
func TestRunRejectsOtherRegion(t *testing.T) {
	fake := &network{}
	config := `{"privatelink-account-principal":"arn:aws:iam::210987654321:root",` +
		`"privatelink-vpce-id":"com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}`
	env := &workflow.Env{
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return configConn{config}, nil },
	}
	doc := workflow.Document{
		Request: request.Request{ID: "T-1", Route: request.RouteAWSPrivateLink,
			Snowflake: request.Snowflake{Account: "myorg-acct"}, AWS: &request.AWS{Region: "eu-west-1"}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: "arn:lb"}}},
	}

	_, err := Run(t.Context(), env, doc)

	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name %q (%v), want InvalidRequest", got, err)
	}
	if !strings.Contains(err.Error(), "set $.aws.region to us-west-2") {
		t.Errorf("error %q does not say which region to set", err)
	}
	if fake.created != 0 {
		t.Errorf("%d endpoint services created, want none", fake.created)
	}

	doc.Request.AWS.Region = "us-west-2"
	if _, err := Run(t.Context(), env, doc); err != nil {
		t.Errorf("Run in the account's region: %v", err)
	}
}

// countingConn is a configConn that counts its queries.
type countingConn struct {
	configConn
	queries *int
}

func (c countingConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	*c.queries++
	return c.configConn.Query(ctx, stmt)
}

func TestRunReadsConfigOnce(t *testing.T) {
	queries := 0
	conn := countingConn{configConn: configConn{`{"privatelink-account-principal":"arn:aws:iam::210987654321:root",` +
		`"privatelink-vpce-id":"com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}`}, queries: &queries}
	env := &workflow.Env{
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return &network{}, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
	}
	doc := workflow.Document{
		Request:   request.Request{ID: "T-1", Route: request.RouteAWSPrivateLink, AWS: &request.AWS{Region: "us-west-2"}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: "arn:lb"}}},
	}

	out, err := Run(t.Context(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Principal != "arn:aws:iam::210987654321:root" {
		t.Errorf("principal %q, want arn:aws:iam::210987654321:root", out.Principal)
	}
	if queries != 1 {
		t.Errorf("Run sent %d queries, want 1 read of SYSTEM$GET_PRIVATELINK_CONFIG", queries)
	}
}
