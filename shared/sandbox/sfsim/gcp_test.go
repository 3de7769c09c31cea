package sfsim

import (
	"encoding/json"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

func TestPrivateLinkConfigNamesGCPProject(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	var config map[string]any
	if err := json.Unmarshal([]byte(mustScalar(t, client, snowflake.GetPrivateLinkConfig())), &config); err != nil {
		t.Fatal(err)
	}
	want := "projects/" + GCPProject + "/regions/us-central1/serviceAttachments/sf-sandbox-privatelink"
	if got := config["privatelink-gcp-service-attachment"]; got != want {
		t.Errorf("privatelink-gcp-service-attachment = %v, want %s", got, want)
	}
}
