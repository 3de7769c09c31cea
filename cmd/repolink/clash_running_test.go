package main

import (
	"context"
	"strings"
	"testing"
)

// TestObjectClashWithRunningHolder checks that a request whose objects a
// still running execution of another request holds gets advice to wait for
// that execution or stop it before the teardown, because a teardown of a
// running execution exits with a usage error.
func TestObjectClashWithRunningHolder(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	holder, err := readRequest(writeRequest(t, func(doc map[string]any) { doc["id"] = "RH-1" }))
	if err != nil {
		t.Fatal(err)
	}
	rejected, err := readRequest(writeRequest(t, func(doc map[string]any) { doc["id"] = "RH-2" }))
	if err != nil {
		t.Fatal(err)
	}

	eng := provisionStore(t, dir)
	ctx := context.Background()
	if _, err := eng.Start(ctx, provisionMachine, "RH-1", documentOf(t, holder)); err != nil {
		t.Fatal(err)
	}

	flags := commandFlags(true, dir)
	err = checkObjectClash(ctx, eng, rejected, flags)
	if err == nil {
		t.Fatal("checkObjectClash = nil, want a clash with the running RH-1")
	}
	message := err.Error()
	want := "wait for execution RH-1 of request RH-1 to close, or stop it with 'repolink stop" + storeFlagsOf(flags) + " RH-1', " +
		"then tear down request RH-1 with 'repolink teardown" + flags + " RH-1'"
	if !strings.Contains(message, want) {
		t.Errorf("message lacks %q:\n%s", want, message)
	}
	if strings.Contains(message, "tear down request RH-1 first") {
		t.Errorf("message advises a teardown of the running RH-1 first:\n%s", message)
	}
}
