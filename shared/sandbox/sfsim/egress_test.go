package sfsim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

func TestEgressRangesRelativeToClock(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)

	raw := mustScalar(t, client, "SELECT SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES()")
	var got []egressRange
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("output is not a JSON array of ranges: %v\n%s", err, raw)
	}
	want := []egressRange{
		{IPv4Prefix: "192.0.2.0/24", Effective: "2029-07-06T00:00:00Z", Expires: "2030-07-06T00:00:00Z"},
		{IPv4Prefix: "198.51.100.0/25", Effective: "2029-12-03T00:00:00Z", Expires: "2030-12-03T00:00:00Z"},
		{IPv4Prefix: "203.0.113.0/24", Effective: "2030-03-03T00:00:00Z", Expires: "2031-03-03T00:00:00Z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ranges on 2030-01-02 (-want +got):\n%s", diff)
	}

	// Within one day the output does not change.
	sb.clock.Advance(20 * time.Hour)
	if again := mustScalar(t, client, "SELECT SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES()"); again != raw {
		t.Errorf("output changed within the day:\n%s\nthen\n%s", raw, again)
	}
}

func TestDropRemovesGrants(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	createObjects(t, client, "s", "i", "r", false)
	mustExec(t, client, snowflake.GrantUsageOnIntegration("i", "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantUsageOnSchema(testDB, testSchema, "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantReadOnRepository(testDB, testSchema, "r", "DATA_SCIENCE"))

	mustExec(t, client, snowflake.DropArtifactRepository(testDB, testSchema, "r"))
	mustExec(t, client, snowflake.DropAPIIntegration("i"))

	account, err := sb.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range account.Grants {
		got = append(got, g.Privilege+" "+g.ObjectType+" "+g.ObjectName)
	}
	if diff := cmp.Diff([]string{"USAGE SCHEMA PLATFORM.PACKAGES"}, got); diff != "" {
		t.Errorf("grants after dropping the repository and integration (-want +got):\n%s", diff)
	}
}
