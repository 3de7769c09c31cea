package clientcache

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
)

func TestRegionOfARN(t *testing.T) {
	tests := map[string]string{
		"arn:aws:secretsmanager:us-west-2:123456789012:secret:name": "us-west-2",
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret":   "eu-central-1",
		"name-only":                  "",
		"aws:secretsmanager:a:b:c:d": "",
		"arn:aws:secretsmanager:x:y": "",
	}
	for arn, want := range tests {
		if got := RegionOfARN(arn); got != want {
			t.Errorf("RegionOfARN(%q) = %q, want %q", arn, got, want)
		}
	}
}

// TestCacheBuildsOncePerRegion builds clients only: no call leaves the
// process, because the SDK connects on the first API call.
func TestCacheBuildsOncePerRegion(t *testing.T) {
	var built []string
	cache := New(func(region string) awsadapter.Options {
		built = append(built, region)
		return awsadapter.Options{
			Region:      region,
			Endpoint:    "http://127.0.0.1:1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		}
	})
	ctx := context.Background()

	first, err := cache.Provider(ctx, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	again, err := cache.Provider(ctx, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Errorf("Provider built a second adapter for the same region")
	}
	if _, err := cache.Provider(ctx, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	manager, err := cache.SecretsManager(ctx, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := cache.SecretsManager(ctx, "us-west-2"); again != manager {
		t.Errorf("SecretsManager built a second client for the same region")
	}

	want := []string{"us-west-2", "eu-west-1", "us-west-2"}
	if len(built) != len(want) {
		t.Fatalf("options requested for %v, want %v", built, want)
	}
	for i := range want {
		if built[i] != want[i] {
			t.Errorf("options request %d for %s, want %s", i, built[i], want[i])
		}
	}
}

func TestCacheKeepsNoFailedClient(t *testing.T) {
	cache := New(func(string) awsadapter.Options { return awsadapter.Options{} })
	if _, err := cache.Provider(context.Background(), ""); err == nil {
		t.Fatal("Provider without a region returned no error")
	}
	if len(cache.providers) != 0 {
		t.Errorf("cache kept %d providers after a failure", len(cache.providers))
	}
}
