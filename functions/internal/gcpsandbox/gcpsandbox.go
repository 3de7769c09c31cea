// Package gcpsandbox starts the sandbox GCP front end for the tests of the
// GCP steps and provides the gcp-privatelink example request and endpoint
// lists for them.
package gcpsandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"google.golang.org/api/option"

	"github.com/repolink/repolink/functions/provisionendpoint"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
)

// Start starts the sandbox GCP front end in memory, on 127.0.0.1, and
// returns adapter options that reach it without authentication. The front
// end stops when the test ends.
func Start(t *testing.T) gcpadapter.Options {
	t.Helper()
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return gcpadapter.Options{Endpoint: sim.URL(), ClientOptions: []option.ClientOption{option.WithoutAuthentication()}}
}

// Request returns the gcp-privatelink example request with id as its
// request ID.
func Request(t *testing.T, id string) request.Request {
	t.Helper()
	req := ExampleRequest(t)
	req.ID = id
	return req
}

// ExampleRequest returns the gcp-privatelink example request as the
// examples directory stores it.
func ExampleRequest(t *testing.T) request.Request {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed, so the examples directory cannot be located")
	}
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "gcp-privatelink.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse example request: %v", err)
	}
	return req
}

// ListedEndpoints returns n endpoints as SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO
// lists them, each for its own service attachment in proj-one.
func ListedEndpoints(n int) []provisionendpoint.EndpointInfo {
	infos := make([]provisionendpoint.EndpointInfo, 0, n)
	for i := range n {
		infos = append(infos, provisionendpoint.EndpointInfo{
			ProviderServiceName: fmt.Sprintf("projects/proj-one/regions/us-central1/serviceAttachments/other-%d", i),
			Host:                fmt.Sprintf("index-%d.example.com", i),
			Status:              "ACCEPTED",
		})
	}
	return infos
}
