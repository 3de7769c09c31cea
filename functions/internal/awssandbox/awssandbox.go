// Package awssandbox starts the sandbox AWS front end for the tests of the
// AWS network steps and returns a step environment whose AWS adapter talks
// to it with the real SDK clients.
package awssandbox

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/repolink/repolink/shared/cloud"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/workflow"
)

// Start starts the sandbox AWS front end in memory, on 127.0.0.1, and
// returns an environment whose AWS adapter uses it, and that adapter. The
// front end stops when the test ends.
func Start(t *testing.T) (*workflow.Env, *awsadapter.Provider) {
	t.Helper()
	env, provider, _ := StartSim(t)
	return env, provider
}

// StartSim is Start that also returns the front end, so that a test can
// change the sandbox region, such as its availability zones.
func StartSim(t *testing.T) (*workflow.Env, *awsadapter.Provider, *awssim.Server) {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	sim, err := awssim.Start(t.Context(), awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	provider, err := awsadapter.New(t.Context(), awsadapter.Options{
		Region:      "us-west-2",
		Endpoint:    sim.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRETEXAMPLE", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return provider, nil }}
	return env, provider, sim
}
