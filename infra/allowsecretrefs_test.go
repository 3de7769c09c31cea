package main

import "testing"

// TestAllowSecretRefsEnvironment checks that the webhook and every step
// function get the list of secret references, so that both the intake and
// an execution started with StartExecution reject the others, and that no
// function gets the variable without a list.
func TestAllowSecretRefsEnvironment(t *testing.T) {
	const list = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/*"
	cfg := fullConfig()
	cfg.AllowSecretRefs = []string{list}
	listed := synth(t, "allow-secret-refs", cfg)
	for _, handler := range []string{"webhook", "preflight", "secret", "teardown_snowflake", "await_endpoint"} {
		_, props := functionOf(t, listed.json, handler)
		if got := environmentOf(props)["REPOLINK_ALLOW_SECRET_REFS"]; got != list {
			t.Errorf("function %s has REPOLINK_ALLOW_SECRET_REFS=%v, want %s", handler, got, list)
		}
	}

	for _, handler := range []string{"webhook", "secret"} {
		_, props := functionOf(t, fullStack(t).json, handler)
		if got, ok := environmentOf(props)["REPOLINK_ALLOW_SECRET_REFS"]; ok {
			t.Errorf("function %s without a list has REPOLINK_ALLOW_SECRET_REFS=%v, want it unset", handler, got)
		}
	}
}
