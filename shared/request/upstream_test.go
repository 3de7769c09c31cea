package request

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// exampleWithout returns the example request file name as JSON, with the
// upstream of cloud removed and proxy set to proxy.
func exampleWithout(t *testing.T, name, cloud, proxy string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	section := doc[cloud].(map[string]any)
	delete(section, "upstream")
	section["proxy"] = proxy
	if proxy != "none" {
		delete(section, "target_address")
		delete(section, "target_tags")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpstreamOptionalWithoutProxy(t *testing.T) {
	examples := []struct{ file, cloud string }{
		{"aws-privatelink-no-proxy.json", "aws"},
		{"azure-privatelink-no-proxy.json", "azure"},
		{"gcp-privatelink-no-proxy.json", "gcp"},
	}
	for _, ex := range examples {
		t.Run(ex.cloud+" proxy none", func(t *testing.T) {
			if _, err := Parse(exampleWithout(t, ex.file, ex.cloud, "none")); err != nil {
				t.Errorf("Parse without %s.upstream: %v", ex.cloud, err)
			}
		})
		t.Run(ex.cloud+" proxy nginx", func(t *testing.T) {
			_, err := Parse(exampleWithout(t, ex.file, ex.cloud, "nginx"))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			if len(invalid.Fields) != 1 || invalid.Fields[0].Path != "$."+ex.cloud+".upstream" {
				t.Errorf("field errors = %+v, want one on $.%s.upstream", invalid.Fields, ex.cloud)
			}
		})
	}
}
