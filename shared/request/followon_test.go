package request

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// editedExample reads the example request file name, applies edit to it
// and returns the result as JSON.
func editedExample(t *testing.T, name string, edit func(doc map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// objectAt returns the object at key of doc.
func objectAt(doc map[string]any, key string) map[string]any {
	return doc[key].(map[string]any)
}

const proxyOffYAML = `
id: DATA-4711
route: aws-privatelink
snowflake:
  account: myorg-analytics
  user: REPOLINK_SVC
  private_key_ref: env:SNOWFLAKE_KEY
  warehouse: REPOLINK_WH
  database: PLATFORM
  schema: PACKAGES
repository:
  name: corp_pypi
  index_url: https://pypi.corp.example.com/simple/
  auth: {type: token, token_ref: env:INDEX_TOKEN}
  packages: [requests]
aws: {region: us-west-2, vpc_id: vpc-0a1b2c3d, subnet_ids: [subnet-0a1b2c3d], proxy: off, target_address: 10.0.0.5}
`

// TestParseSkipsFollowOnErrors checks that an invalid proxy value or a
// block that does not belong to the route is the only error reported,
// with no error from a check that depends on that value or block.
func TestParseSkipsFollowOnErrors(t *testing.T) {
	tests := []struct {
		name  string
		data  func(t *testing.T) []byte
		paths []string
	}{
		{
			name:  "aws proxy off in YAML",
			data:  func(*testing.T) []byte { return []byte(proxyOffYAML) },
			paths: []string{"$.aws.proxy"},
		},
		{
			name: "aws proxy unknown",
			data: func(t *testing.T) []byte {
				return editedExample(t, "aws-privatelink.json", func(doc map[string]any) {
					aws := objectAt(doc, "aws")
					aws["proxy"] = "off"
					aws["target_address"] = "10.0.0.5"
					delete(aws, "upstream")
				})
			},
			paths: []string{"$.aws.proxy"},
		},
		{
			name: "azure proxy false",
			data: func(t *testing.T) []byte {
				return editedExample(t, "azure-privatelink.json", func(doc map[string]any) {
					azure := objectAt(doc, "azure")
					azure["proxy"] = false
					azure["target_address"] = "10.0.0.5"
					delete(azure, "upstream")
				})
			},
			paths: []string{"$.azure.proxy"},
		},
		{
			name: "gcp proxy false",
			data: func(t *testing.T) []byte {
				return editedExample(t, "gcp-privatelink.json", func(doc map[string]any) {
					gcp := objectAt(doc, "gcp")
					gcp["proxy"] = false
					gcp["target_address"] = "10.0.0.5"
					gcp["target_tags"] = []any{"pypi"}
					delete(gcp, "upstream")
				})
			},
			paths: []string{"$.gcp.proxy"},
		},
		{
			name: "gcp proxy unknown",
			data: func(t *testing.T) []byte {
				return editedExample(t, "gcp-privatelink.json", func(doc map[string]any) {
					gcp := objectAt(doc, "gcp")
					gcp["proxy"] = "squid"
					gcp["target_tags"] = []any{"pypi"}
					delete(gcp, "upstream")
				})
			},
			paths: []string{"$.gcp.proxy"},
		},
		{
			name: "gcp region invalid",
			data: func(t *testing.T) []byte {
				return editedExample(t, "gcp-privatelink.json", func(doc map[string]any) {
					objectAt(doc, "gcp")["region"] = "US-Central1"
				})
			},
			paths: []string{"$.gcp.region"},
		},
		{
			name: "aws block on public route",
			data: func(t *testing.T) []byte {
				return editedExample(t, "public.json", func(doc map[string]any) {
					doc["aws"] = map[string]any{"region": "us-west-2"}
				})
			},
			paths: []string{"$.aws"},
		},
		{
			name: "azure and gcp blocks on public route",
			data: func(t *testing.T) []byte {
				return editedExample(t, "public.json", func(doc map[string]any) {
					doc["azure"] = map[string]any{"location": "East US"}
					doc["gcp"] = map[string]any{"region": "x", "subnet_ids": "subnet-1"}
				})
			},
			paths: []string{"$.azure", "$.gcp"},
		},
		{
			name: "egress block on aws route",
			data: func(t *testing.T) []byte {
				return editedExample(t, "aws-privatelink.json", func(doc map[string]any) {
					doc["egress"] = map[string]any{"cloud": "aws", "port": 0}
				})
			},
			paths: []string{"$.egress"},
		},
		{
			name: "aws block on egress route",
			data: func(t *testing.T) []byte {
				return editedExample(t, "egress-ip.json", func(doc map[string]any) {
					doc["aws"] = map[string]any{"proxy": true}
				})
			},
			paths: []string{"$.aws"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data(t))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			var got []string
			for _, f := range invalid.Fields {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

// TestValidateSkipsMisplacedBlock checks that Validate, which callers use
// on a request built in code, reports a block that does not belong to the
// route without checking its fields.
func TestValidateSkipsMisplacedBlock(t *testing.T) {
	req, err := Parse(editedExample(t, "public.json", func(map[string]any) {}))
	if err != nil {
		t.Fatal(err)
	}
	req.AWS = &AWS{Region: "us-west-2"}
	got := fieldErrorsOf(t, req.Validate())
	want := map[string]string{"$.aws": "does not belong to the public route; remove it or change route"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field errors (-want +got):\n%s", diff)
	}
}
