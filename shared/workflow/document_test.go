package workflow

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// A schedule or a StartExecution call passes the request as written in its
// file, with the optional fields left out, and every step must accept it.
func TestDocumentFillsRequestDefaults(t *testing.T) {
	file, err := os.ReadFile("../../examples/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	input := []byte(`{"request": ` + string(file) + `}`)

	var doc Document
	if err := json.Unmarshal(input, &doc); err != nil {
		t.Fatalf("decode input: %v", err)
	}
	if err := doc.Request.Validate(); err != nil {
		t.Errorf("request decoded from the file's input is invalid: %v", err)
	}
	if got := doc.Request.Repository.RuntimeVersion; got != request.DefaultRuntimeVersion {
		t.Errorf("repository.runtime_version = %q, want the default %q", got, request.DefaultRuntimeVersion)
	}
	if got := doc.Request.Repository.DefaultFor; got != "none" {
		t.Errorf("repository.default_for = %q, want the default none", got)
	}
}

func TestDocumentKeepsWrittenValues(t *testing.T) {
	input := []byte(`{"request": {"id": "T-1", "snowflake": {"role": "SYSADMIN"}, "repository": {"runtime_version": "3.10"}}, "resources": {}}`)
	var doc Document
	if err := json.Unmarshal(input, &doc); err != nil {
		t.Fatalf("decode input: %v", err)
	}
	if got := doc.Request.Snowflake.Role; got != "SYSADMIN" {
		t.Errorf("snowflake.role = %q, want SYSADMIN", got)
	}
	if got := doc.Request.Repository.RuntimeVersion; got != "3.10" {
		t.Errorf("repository.runtime_version = %q, want 3.10", got)
	}
}

func TestDocumentWithoutRequestStaysZero(t *testing.T) {
	for _, input := range []string{`{}`, `{"request": null}`, `{"resources": {}}`} {
		var doc Document
		if err := json.Unmarshal([]byte(input), &doc); err != nil {
			t.Fatalf("decode %s: %v", input, err)
		}
		if doc.Request.Snowflake.Role != "" || doc.Request.Repository.RuntimeVersion != "" {
			t.Errorf("decode %s: request = %+v, want a zero request", input, doc.Request)
		}
	}
}
