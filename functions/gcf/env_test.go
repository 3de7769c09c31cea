package gcf

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// The requester of an execution is not the operator, so a request must not
// read the function instance's environment or files.
func TestLocalRefsRejected(t *testing.T) {
	const value = "local-secret-value"
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", value)
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{}, stores{})
	ctx := context.Background()

	for _, ref := range []string{"env:REPOLINK_TEST_INDEX_PASSWORD", "file:" + file} {
		got, err := a.env().Secrets.Resolve(ctx, ref)
		if err == nil {
			t.Errorf("Resolve(%s) succeeded", ref)
		}
		if got != "" {
			t.Errorf("Resolve(%s) returned a value", ref)
		}
		if err != nil && !strings.Contains(err.Error(), "gcp-secretmanager:") {
			t.Errorf("Resolve(%s) error %q does not say to use gcp-secretmanager:", ref, err)
		}
	}

	_, err := a.snowflake.Config(ctx, request.Snowflake{Account: "myorg-analytics", User: "U", PasswordRef: "env:REPOLINK_TEST_INDEX_PASSWORD"})
	if err == nil || !strings.Contains(err.Error(), "snowflake.password_ref") {
		t.Errorf("Config with an env: password: error %v, want one naming snowflake.password_ref", err)
	}
	if err != nil && strings.Contains(err.Error(), value) {
		t.Errorf("error %q contains the secret value", err)
	}
}

func TestPreflightStepRejectsEnvRef(t *testing.T) {
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", "local-secret-value")
	var doc workflow.Document
	if err := json.Unmarshal(connectionInput(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Request.Repository.Auth = request.Auth{Type: "password", Username: "u", PasswordRef: "env:REPOLINK_TEST_INDEX_PASSWORD"}
	// Without the check, the step would send the value to the index. The
	// request check rejects loopback index hosts, so the index has a name,
	// and name lookups fail without leaving the machine, so that a step
	// that got past the check would fail to connect.
	blockNameLookups(t)
	doc.Request.Repository.IndexURL = "https://pypi.corp.example.com/simple/"
	doc.Request.Route = request.RoutePublic
	doc.Request.AWS = nil
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(registered["preflight"])
	t.Cleanup(server.Close)

	status, body := post(t, server.URL, input)
	if status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400 (body %s)", status, body)
	}
	var failure Failure
	if err := json.Unmarshal(body, &failure); err != nil {
		t.Fatalf("body %s is not a failure: %v", body, err)
	}
	if failure.Error != workflow.ErrInvalidRequest {
		t.Errorf("error = %s, want %s", failure.Error, workflow.ErrInvalidRequest)
	}
	if !strings.Contains(failure.Cause, "repository.auth.password_ref") || !strings.Contains(failure.Cause, "not allowed") {
		t.Errorf("cause %q does not name the field and the rejection", failure.Cause)
	}
	if strings.Contains(string(body), "local-secret-value") {
		t.Errorf("response %s contains the secret value", body)
	}
}

// blockNameLookups makes every DNS lookup of the process fail without a
// query until the test ends. Names in /etc/hosts still resolve.
func blockNameLookups(t *testing.T) {
	t.Helper()
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("name lookups are blocked in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
}
