package gcf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

func TestMain(m *testing.M) {
	// The handlers that init registers read the wait registry from the
	// environment. With a collection set they would call the production
	// Firestore with Application Default Credentials.
	if os.Getenv(envWaitsCollection) != "" {
		fmt.Fprintf(os.Stderr, "unset %s to run these tests\n", envWaitsCollection)
		os.Exit(2)
	}
	// No test may reach the metadata server, even through a client that
	// looks up default credentials by mistake.
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:1")
	os.Exit(m.Run())
}

// environment returns a getenv function over vars.
func environment(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// startGCPSim starts the Google Cloud simulator on 127.0.0.1 for the test
// and returns it with client options that reach it without credentials.
func startGCPSim(t *testing.T) (*gcpsim.Server, gcpadapter.Options) {
	t.Helper()
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, simOptions(sim.URL())
}

// unreachableOptions returns client options for a local port on which
// nothing listens, so that every call fails without leaving the machine.
func unreachableOptions() gcpadapter.Options {
	return simOptions("http://127.0.0.1:1")
}

func simOptions(endpoint string) gcpadapter.Options {
	return gcpadapter.Options{Endpoint: endpoint, ClientOptions: []option.ClientOption{option.WithoutAuthentication()}}
}

func TestLoadWaitsConfig(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		want    gcpadapter.WaitsConfig
		wantErr string
	}{
		{name: "none", vars: map[string]string{envProject: "proj-one"}},
		{
			name: "waits project",
			vars: map[string]string{envWaitsCollection: "waits", envWaitsProject: "proj-waits", envProject: "proj-one"},
			want: gcpadapter.WaitsConfig{Project: "proj-waits", Collection: "waits"},
		},
		{
			name: "cloud project",
			vars: map[string]string{envWaitsCollection: " waits ", envProject: "proj-one", envWaitsDatabase: "repolink"},
			want: gcpadapter.WaitsConfig{Project: "proj-one", Database: "repolink", Collection: "waits"},
		},
		{
			name:    "no project",
			vars:    map[string]string{envWaitsCollection: "waits"},
			wantErr: "neither REPOLINK_WAITS_PROJECT nor GOOGLE_CLOUD_PROJECT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadWaitsConfig(environment(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadWaitsConfig error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// awaitInput returns the await_endpoint task input for the example request
// with task token token.
func awaitInput(t *testing.T, token string) []byte {
	t.Helper()
	var doc workflow.Document
	if err := json.Unmarshal(connectionInput(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Resources.Endpoint.Result.ID = "vpce-svc-0a1b2c3d4e5f60718"
	doc.Execution = "run-1"
	doc.Token = token
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return input
}

func TestAwaitEndpointWaitRegistry(t *testing.T) {
	opts := gcpsandbox.Start(t)
	const token = "https://workflowexecutions.googleapis.com/v1/projects/proj-one/locations/europe-west1/workflows/provision/executions/run-1/callbacks/1700000000000_42"

	tests := []struct {
		name string
		vars map[string]string
		// token is the task token; empty means the callback URL token.
		token      string
		wantStatus int
		// wantCause is part of the failure's cause; empty for a success.
		wantCause string
		wantWaits int
	}{
		{
			name:       "none configured",
			vars:       map[string]string{envProject: "proj-one"},
			wantStatus: http.StatusBadRequest,
			wantCause:  "set REPOLINK_WAITS_COLLECTION and REPOLINK_WAITS_PROJECT",
		},
		{
			name:       "no project",
			vars:       map[string]string{envWaitsCollection: "waits-no-project"},
			wantStatus: http.StatusBadRequest,
			wantCause:  "neither REPOLINK_WAITS_PROJECT nor GOOGLE_CLOUD_PROJECT",
		},
		{
			name:       "invalid collection",
			vars:       map[string]string{envWaitsCollection: "waits/nested", envProject: "proj-one"},
			wantStatus: http.StatusBadRequest,
			wantCause:  `collection "waits/nested"`,
		},
		{
			name:       "not a callback URL",
			vars:       map[string]string{envWaitsCollection: "waits-other-token", envProject: "proj-one"},
			token:      "AQCEAAAAKgAAAAMAAAAAAAAAAc",
			wantStatus: http.StatusBadRequest,
			wantCause:  "not a Workflows callback URL",
		},
		{
			name:       "firestore",
			vars:       map[string]string{envWaitsCollection: "waits", envProject: "proj-one"},
			wantStatus: http.StatusOK,
			wantWaits:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger := slog.New(slog.DiscardHandler)
			registry := newWaitRegistry(environment(tt.vars), opts, false, logger)
			server := serve(t, newAdapters(logger, opts, stores{waits: registry}).env(), "await_endpoint")

			input := awaitInput(t, token)
			if tt.token != "" {
				input = awaitInput(t, tt.token)
			}
			// A retried registration stores nothing more.
			for range 2 {
				status, body := post(t, server.URL, input)
				if status != tt.wantStatus {
					t.Fatalf("status = %d, want %d (body %s)", status, tt.wantStatus, body)
				}
				if tt.wantCause == "" {
					continue
				}
				var failure Failure
				if err := json.Unmarshal(body, &failure); err != nil {
					t.Fatalf("body %s is not a failure: %v", body, err)
				}
				if failure.Error != workflow.ErrInvalidRequest {
					t.Errorf("error = %q, want InvalidRequest", failure.Error)
				}
				if !strings.Contains(failure.Cause, tt.wantCause) {
					t.Errorf("cause = %q, want it to contain %q", failure.Cause, tt.wantCause)
				}
			}
			if tt.wantWaits == 0 {
				return
			}

			// Read the collection with a store of its own, to check where
			// the registry wrote.
			store, err := gcpadapter.NewWaits(context.Background(), opts, gcpadapter.WaitsConfig{Project: "proj-one", Collection: "waits"})
			if err != nil {
				t.Fatal(err)
			}
			waits, err := store.List(context.Background())
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(waits) != tt.wantWaits {
				t.Fatalf("waits = %d, want %d", len(waits), tt.wantWaits)
			}
			if got := waits[0]; got.Token != token || got.Execution != "run-1" || got.ServiceID != "vpce-svc-0a1b2c3d4e5f60718" {
				t.Errorf("wait = %+v, want token %s, execution run-1 and the endpoint's service", got, token)
			}
		})
	}
}
