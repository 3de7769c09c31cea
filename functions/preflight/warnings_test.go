package preflight

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestStepOutputsWarnings checks that the step's output carries each
// check that warned, with its fix, so that run and status can show it.
func TestStepOutputsWarnings(t *testing.T) {
	idx := startIndex(t)
	env := &workflow.Env{Secrets: fakeSecrets{passwordRef: testPassword}, Now: time.Now, Logger: slog.New(slog.DiscardHandler), Snowflake: emptyAccount}
	in := document()
	// An index URL without the trailing slash of /simple/ warns.
	in.Request.Repository.IndexURL = "https://" + repoHost + "/simple"

	out, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, in)
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if len(out.Warnings) != 1 {
		t.Fatalf("warnings = %+v, want one for index_url", out.Warnings)
	}
	warning := out.Warnings[0]
	if warning.Check != "index_url" {
		t.Errorf("warning check = %q, want index_url", warning.Check)
	}
	if !strings.Contains(warning.Detail, "does not end in /simple/") {
		t.Errorf("warning detail = %q, want the reason", warning.Detail)
	}
	if !strings.Contains(warning.Fix, "https://"+repoHost+"/simple/") {
		t.Errorf("warning fix = %q, want the suggested index URL", warning.Fix)
	}
	if strings.Contains(warning.Detail+warning.Fix, testPassword) {
		t.Error("warning contains the index password")
	}
}

// TestStepZoneWarningHasFix reruns preflight for an AWS request whose
// subnets miss a zone after its endpoint service exists. The warning must
// carry the subnets to add as its fix, apart from the detail.
func TestStepZoneWarningHasFix(t *testing.T) {
	env, step := reservingStep(t)
	env.AWS = func(context.Context, string) (cloud.AWSNetwork, error) {
		return serviceNetwork{
			name:  "com.amazonaws.vpce.us-west-2.vpce-svc-1",
			zones: []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}},
			subnets: []cloud.Subnet{
				{ID: "subnet-a", VPCID: "vpc-1", ZoneName: "us-west-2a", ZoneID: "usw2-az1"},
				{ID: "subnet-b", VPCID: "vpc-1", ZoneName: "us-west-2b", ZoneID: "usw2-az2"},
			},
		}, nil
	}
	doc := document()
	doc.Request.Route = request.RouteAWSPrivateLink
	doc.Request.AWS = &request.AWS{Region: "us-west-2", VPCID: "vpc-1", SubnetIDs: []string{"subnet-a"}}

	out, err := step(t.Context(), env, doc)
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if len(out.Warnings) != 1 {
		t.Fatalf("warnings = %+v, want one for availability_zones", out.Warnings)
	}
	warning := out.Warnings[0]
	if warning.Check != "availability_zones" {
		t.Errorf("warning check = %q, want availability_zones", warning.Check)
	}
	if !strings.Contains(warning.Detail, "usw2-az2") {
		t.Errorf("warning detail = %q, want the missing zone", warning.Detail)
	}
	if !strings.Contains(warning.Fix, "subnet-b") {
		t.Errorf("warning fix = %q, want the subnet to add", warning.Fix)
	}
}

// TestStepFailureListsWarnings fails preflight with a token that the index
// rejects. The error must carry the warnings of the checks that ran, with
// their fixes, because a failed step has no output, and must not carry the
// token.
func TestStepFailureListsWarnings(t *testing.T) {
	const token = "TOKENWITHOUTCOLON"
	const tokenRef = "env:INDEX_TOKEN"
	idx := startIndex(t)
	env := &workflow.Env{Secrets: fakeSecrets{tokenRef: token}, Now: time.Now, Logger: slog.New(slog.DiscardHandler), Snowflake: emptyAccount}
	in := document()
	in.Request.Repository.Auth = request.Auth{Type: "token", TokenRef: tokenRef}
	in.Request.Repository.IndexURL = "https://" + repoHost + "/simple"

	_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, in)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	msg := err.Error()
	for _, want := range []string{
		"\n  credentials: ",
		"\n  warning: credential_template: the token has no user part",
		"\n    fix: store the token as user:token",
		"\n  warning: index_url: ",
		"skipped",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Index(msg, "warning: ") < strings.Index(msg, "credentials: ") {
		t.Errorf("error lists a warning before the failed check:\n%s", msg)
	}
	if strings.Contains(msg, token) {
		t.Errorf("error contains the token:\n%s", msg)
	}
}
