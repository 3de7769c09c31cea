package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/webhook"
)

// TestRejectedRunPreparesNothing runs a request, then requests that run,
// plan and a webhook start reject: another request ID with the same
// repository.name in database ZDB, and the same request ID in another
// region with schema OTHER. None of them may add its database or schema to
// the sandbox Snowflake, because the sandbox is prepared for a request
// only after its start checks have passed.
func TestRejectedRunPreparesNothing(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) { doc["id"] = "RP-1" })
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	tests := []struct {
		name   string
		edit   func(map[string]any)
		object string
		reason string
	}{
		{
			name: "object clash",
			edit: func(doc map[string]any) {
				doc["id"] = "RP-2"
				section(doc, "snowflake")["database"] = "ZDB"
			},
			object: "ZDB",
			reason: "as request RP-1 does in execution RP-1",
		},
		{
			name: "placement change",
			edit: func(doc map[string]any) {
				doc["id"] = "RP-1"
				section(doc, "snowflake")["schema"] = "OTHER"
				section(doc, "aws")["region"] = "us-east-1"
			},
			object: "PLATFORM.OTHER",
			reason: "changes $.aws.region",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeRequest(t, tt.edit)
			req, err := readRequest(path)
			if err != nil {
				t.Fatal(err)
			}

			code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, path)
			assertUsage(t, "run", code, errOut, tt.reason)
			if sandboxHasObject(t, dir, tt.object) {
				t.Errorf("sandbox Snowflake has %s after the rejected run", tt.object)
			}

			code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, path)
			if code != exitInvalid || !strings.Contains(out, "a run would be rejected") {
				t.Errorf("plan: exit %d, want %d and a rejection\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			if sandboxHasObject(t, dir, tt.object) {
				t.Errorf("sandbox Snowflake has %s after the plan of a rejected run", tt.object)
			}

			rt, err := openRuntime(context.Background(), runtimeOptions{
				dir: dir, sandbox: true, hosts: requestHosts(req), instant: true, logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = (&serviceExecutions{rt: rt, sandbox: true, hosts: requestHosts(req)}).Start(context.Background(), req)
			rt.Close()
			var conflict *webhook.ConflictError
			if !errors.As(err, &conflict) {
				t.Errorf("webhook start: error = %v, want a ConflictError", err)
			}
			if sandboxHasObject(t, dir, tt.object) {
				t.Errorf("sandbox Snowflake has %s after the rejected webhook start", tt.object)
			}
		})
	}
}

// sandboxHasObject reports whether an account of the sandbox Snowflake
// world in the state directory dir has the database, or the schema, that
// object names as DATABASE or DATABASE.SCHEMA.
func sandboxHasObject(t *testing.T, dir, object string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sandbox", "snowflake", "snowflake.json"))
	if err != nil {
		t.Fatalf("read sandbox Snowflake world: %v", err)
	}
	var world struct {
		Accounts map[string]struct {
			Databases map[string]struct {
				Schemas map[string]json.RawMessage `json:"schemas"`
			} `json:"databases"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatalf("decode sandbox Snowflake world: %v", err)
	}
	database, schema, _ := strings.Cut(object, ".")
	for _, account := range world.Accounts {
		db, ok := account.Databases[database]
		if !ok {
			continue
		}
		if _, ok := db.Schemas[schema]; schema == "" || ok {
			return true
		}
	}
	return false
}
