package accountregion

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestCompare(t *testing.T) {
	awsConfig := snowflake.PrivateLinkConfig{VPCEID: "com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}
	gcpConfig := snowflake.PrivateLinkConfig{GCPServiceAttachment: "projects/sf/regions/us-central1/serviceAttachments/sf-pl"}
	tests := []struct {
		name  string
		route request.Route
		aws   string
		gcp   string
		cfg   snowflake.PrivateLinkConfig
		// want are the texts that the error contains. When empty, the
		// request must pass.
		want []string
	}{
		{"aws same region", request.RouteAWSPrivateLink, "us-west-2", "", awsConfig, nil},
		{"aws other region", request.RouteAWSPrivateLink, "eu-west-1", "", awsConfig,
			[]string{"$.aws.region is eu-west-1", "AWS region us-west-2", "set $.aws.region to us-west-2", "ACCT"}},
		{"aws without vpce id", request.RouteAWSPrivateLink, "eu-west-1", "", snowflake.PrivateLinkConfig{}, nil},
		{"gcp same region", request.RouteGCPPrivateLink, "", "us-central1", gcpConfig, nil},
		{"gcp other region", request.RouteGCPPrivateLink, "", "europe-west4", gcpConfig,
			[]string{"$.gcp.region is europe-west4", "Google Cloud region us-central1", "set $.gcp.region to us-central1"}},
		{"public route", request.RoutePublic, "", "", awsConfig, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request.Request{Route: tt.route, Snowflake: request.Snowflake{Account: "ACCT"}}
			if tt.aws != "" {
				req.AWS = &request.AWS{Region: tt.aws}
			}
			if tt.gcp != "" {
				req.GCP = &request.GCP{Region: tt.gcp}
			}

			err := Compare(req, tt.cfg, "")

			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Compare: %v", err)
				}
				return
			}
			if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q, want %s; error: %v", name, workflow.ErrInvalidRequest, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
				t.Errorf("error without an execution %q advises a teardown", err)
			}

			err = Compare(req, tt.cfg, "DATA-4711")
			if !strings.Contains(err.Error(), "run 'repolink teardown DATA-4711'") {
				t.Errorf("error in a step %q does not advise the teardown of DATA-4711 first", err)
			}
			if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
				t.Errorf("NeedsTeardownFirst is false for %q", err)
			}
		})
	}
}

// TestCheckSandboxAccountRegion checks the region that the sandbox
// Snowflake returns for an account: us-west-2 until a seeded request sets
// one, then the first region set.
func TestCheckSandboxAccountRegion(t *testing.T) {
	sb := sfsandbox.Start(t)
	req := sb.Request
	req.Route = request.RouteAWSPrivateLink
	req.AWS = &request.AWS{Region: "us-west-2"}

	if err := Check(t.Context(), sb.Conn, req); err != nil {
		t.Fatalf("request in the default region: %v", err)
	}

	if err := sb.Server.SetAccountRegions(req.Snowflake.Account, "eu-west-1", ""); err != nil {
		t.Fatal(err)
	}
	if err := sb.Server.SetAccountRegions(req.Snowflake.Account, "ap-south-1", ""); err != nil {
		t.Fatal(err)
	}
	if err := Check(t.Context(), sb.Conn, req); err == nil {
		t.Error("request in us-west-2 passed for an account in eu-west-1")
	} else if !strings.Contains(err.Error(), "AWS region eu-west-1") {
		t.Errorf("error %q does not name the account's first region eu-west-1", err)
	}
	req.AWS.Region = "eu-west-1"
	if err := Check(t.Context(), sb.Conn, req); err != nil {
		t.Errorf("request in the account's region: %v", err)
	}
}
