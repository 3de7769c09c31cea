package main

import (
	"testing"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
)

func TestNewAppLocationRecords(t *testing.T) {
	for _, handler := range []string{"secret", "repository", "teardown_snowflake"} {
		got := newAppEnv(t, handler, "rl-waits").Locations
		if _, ok := got.(*dynamo.LocationStore); !ok {
			t.Errorf("%s: Locations with a table is %T, want *dynamo.LocationStore", handler, got)
		}
	}

	if got := newAppEnv(t, "teardown_snowflake", "").Locations; got != nil {
		t.Errorf("Locations without a table is %T, want nil", got)
	}
}
