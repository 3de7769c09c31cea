package awssim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetParametersListsUnknownNames(t *testing.T) {
	const arm = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
	body, _ := json.Marshal(map[string][]string{"Names": {arm + ":1", arm + ":2", "/aws/service/no-such-image"}})
	out, apiErr := getParameters("eu-west-1", "GetParameters", body)
	if apiErr != nil {
		t.Fatalf("getParameters: %v", apiErr)
	}
	encoded, _ := json.Marshal(out)
	var got struct {
		Parameters []struct {
			Name, Value, ARN, Selector string
		}
		InvalidParameters []string
	}
	if err := json.Unmarshal(encoded, &got); err != nil {
		t.Fatal(err)
	}

	if len(got.Parameters) != 1 {
		t.Fatalf("Parameters = %+v, want one", got.Parameters)
	}
	parameter := got.Parameters[0]
	if parameter.Value != "ami-0a1b2c3d4e5f60102" || parameter.Selector != ":1" {
		t.Errorf("parameter = %+v, want value ami-0a1b2c3d4e5f60102 and selector :1", parameter)
	}
	if want := "arn:aws:ssm:eu-west-1::parameter" + arm; parameter.ARN != want {
		t.Errorf("ARN = %q, want %q", parameter.ARN, want)
	}
	if diff := cmp.Diff([]string{arm + ":2", "/aws/service/no-such-image"}, got.InvalidParameters); diff != "" {
		t.Errorf("InvalidParameters (-want +got):\n%s", diff)
	}
}

func TestGetParametersRejectsOtherActions(t *testing.T) {
	_, apiErr := getParameters("us-west-2", "PutParameter", []byte(`{}`))
	if apiErr == nil || apiErr.code != "UnknownOperationException" {
		t.Errorf("PutParameter = %v, want UnknownOperationException", apiErr)
	}
}
