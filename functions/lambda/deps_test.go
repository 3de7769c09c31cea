package main

import (
	"os/exec"
	"strings"
	"testing"
)

// buildTags are the tags that make lambda builds the bootstrap with.
const buildTags = "lambda.norpc,minicore_disabled"

// snowflakeDriver is the Snowflake driver module. It links the Azure Blob
// Storage client for stage file transfers. The Azure SDK packages that the
// driver needs are allowed, and any other Azure package is not.
const snowflakeDriver = "github.com/snowflakedb/gosnowflake"

// goCommand returns the go command on PATH, or skips the test.
func goCommand(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("go")
	if err != nil {
		t.Skip("skipping: the go command is not on PATH")
	}
	return path
}

// goList runs go list -deps for linux/arm64 with the Lambda build tags and
// returns the import paths.
func goList(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	goTool := goCommand(t)
	cmd := exec.Command(goTool, "list", "-deps", "-tags", buildTags, pkg)
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if exitErr, ok := err.(*exec.ExitError); ok {
			stderr = string(exitErr.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	deps := map[string]bool{}
	for _, line := range strings.Fields(string(out)) {
		deps[line] = true
	}
	return deps
}

// forbidden reports why the bootstrap must not link pkg, or "".
func forbidden(pkg string) string {
	const module = "github.com/repolink/repolink/"
	switch {
	case strings.HasPrefix(pkg, module+"shared/sandbox"):
		return "the sandbox is for the repolink command only"
	case strings.HasPrefix(pkg, module+"shared/cloud/azure"), strings.HasPrefix(pkg, module+"shared/cloud/gcp"):
		return "the Lambda deployment has AWS adapters only"
	case strings.HasPrefix(pkg, module+"functions/gcf"), strings.HasPrefix(pkg, module+"shared/engine"):
		return "the Lambda runs under Step Functions, not the embedded engine or the functions framework"
	case strings.HasPrefix(pkg, "github.com/Azure/"), strings.HasPrefix(pkg, "github.com/AzureAD/"):
		return "Azure SDK"
	case strings.HasPrefix(pkg, "cloud.google.com/"), strings.HasPrefix(pkg, "google.golang.org/api"),
		strings.HasPrefix(pkg, "google.golang.org/genproto"), strings.HasPrefix(pkg, "github.com/googleapis/"),
		strings.HasPrefix(pkg, "github.com/GoogleCloudPlatform/"):
		return "Google Cloud SDK"
	}
	return ""
}

func TestBootstrapLinksNoOtherCloud(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping go list in short mode")
	}
	deps := goList(t, "github.com/repolink/repolink/functions/lambda")
	driverDeps := goList(t, snowflakeDriver)

	for pkg := range deps {
		reason := forbidden(pkg)
		if reason == "" || driverDeps[pkg] {
			continue
		}
		t.Errorf("bootstrap links %s: %s", pkg, reason)
	}
	for _, want := range []string{snowflakeDriver, "github.com/aws/aws-sdk-go-v2/service/sfn", "github.com/aws/aws-sdk-go-v2/service/dynamodb"} {
		if !deps[want] {
			t.Errorf("bootstrap does not link %s; the dependency list looks wrong", want)
		}
	}
}

func TestForbidden(t *testing.T) {
	tests := []struct {
		pkg  string
		want bool
	}{
		{"github.com/repolink/repolink/shared/sandbox/awssim", true},
		{"github.com/repolink/repolink/shared/cloud/azure", true},
		{"github.com/repolink/repolink/shared/cloud/gcp", true},
		{"github.com/repolink/repolink/shared/engine", true},
		{"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6", true},
		{"cloud.google.com/go/compute/apiv1", true},
		{"google.golang.org/api/compute/v1", true},
		{"github.com/repolink/repolink/shared/cloud/aws", false},
		{"github.com/repolink/repolink/functions/azureproxyvm", false},
		{"github.com/google/uuid", false},
	}
	for _, tt := range tests {
		if got := forbidden(tt.pkg) != ""; got != tt.want {
			t.Errorf("forbidden(%q) = %v, want %v", tt.pkg, got, tt.want)
		}
	}
}
