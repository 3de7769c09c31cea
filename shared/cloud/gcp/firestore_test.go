package gcp

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

const waitsCollection = "repolink-waits"

// waitsPath is the URL path of the collection's list and createDocument
// calls.
const waitsPath = "/v1/projects/" + project + "/databases/(default)/documents/" + waitsCollection

func TestMain(m *testing.M) {
	// No test may reach the metadata server, even through a client that
	// looks up default credentials by mistake.
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:1")
	os.Exit(m.Run())
}

// startWaitsSim starts a simulator that keeps its world in dir, or in
// memory when dir is empty, and returns pages of at most pageSize
// documents.
func startWaitsSim(t *testing.T, dir string, pageSize int) *gcpsim.Server {
	t.Helper()
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{Dir: dir, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// newTestWaits returns a store on the simulator whose requests rec
// records.
func newTestWaits(t *testing.T, sim *gcpsim.Server, rec *recorder) *Waits {
	t.Helper()
	waits, err := NewWaits(context.Background(), Options{
		Endpoint:      sim.URL(),
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: rec})},
		CallTimeout:   5 * time.Second,
	}, WaitsConfig{Project: project, Collection: waitsCollection})
	if err != nil {
		t.Fatal(err)
	}
	return waits
}

// testWait returns a wait for token with a deadline hours after a fixed
// time.
func testWait(token string, hours int) workflow.Wait {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return workflow.Wait{
		Token:     token,
		Execution: "run-" + token[:min(len(token), 8)],
		Snowflake: request.Snowflake{Account: "myorg-analytics", User: "REPOLINK", PrivateKeyRef: "gcp-secretmanager:projects/p/secrets/key"},
		ServiceID: "projects/proj-one/regions/us-central1/serviceAttachments/repolink",
		Host:      "pypi.corp.example.com",
		Cloud:     "gcp",
		Deadline:  created.Add(time.Duration(hours) * time.Hour),
		CreatedAt: created,
	}
}

func TestWaitsPutTwice(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	rec := &recorder{}
	waits := newTestWaits(t, sim, rec)
	ctx := context.Background()
	first := testWait("https://workflowexecutions.googleapis.com/v1/projects/p/callbacks/abc", 192)
	second := first
	second.Deadline = first.Deadline.Add(time.Hour)

	for _, w := range []workflow.Wait{first, second} {
		if err := waits.Put(ctx, w); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}

	got, err := waits.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]workflow.Wait{first}, got); diff != "" {
		t.Errorf("List after two puts (-want +got):\n%s", diff)
	}
	creates := rec.find(http.MethodPost, waitsPath)
	if len(creates) != 2 {
		t.Fatalf("createDocument calls = %d, want 2", len(creates))
	}
	wantQuery := "documentId=" + documentID(first.Token)
	if !strings.Contains(creates[0].Query, wantQuery) {
		t.Errorf("createDocument query = %q, want it to contain %q", creates[0].Query, wantQuery)
	}
}

func TestWaitsDocumentFields(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	waits := newTestWaits(t, sim, &recorder{})
	ctx := context.Background()
	w := testWait("token-1", 24)
	if err := waits.Put(ctx, w); err != nil {
		t.Fatal(err)
	}

	service, err := firestore.NewService(ctx, option.WithEndpoint(sim.URL()+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := service.Projects.Databases.Documents.Get(waits.Collection() + "/" + documentID(w.Token)).Context(ctx).Do()
	if err != nil {
		t.Fatalf("get the wait document: %v", err)
	}
	names := slices.Sorted(maps.Keys(doc.Fields))
	if diff := cmp.Diff([]string{"body", "deadline", "execution", "token"}, names); diff != "" {
		t.Errorf("document fields (-want +got):\n%s", diff)
	}
	if got := doc.Fields["deadline"].TimestampValue; got != "2026-03-02T12:00:00Z" {
		t.Errorf("deadline = %q, want 2026-03-02T12:00:00Z", got)
	}
	if got := doc.Fields["token"].StringValue; got != w.Token {
		t.Errorf("token = %q, want %q", got, w.Token)
	}
}

func TestWaitsListPages(t *testing.T) {
	sim := startWaitsSim(t, "", 2)
	rec := &recorder{}
	waits := newTestWaits(t, sim, rec)
	ctx := context.Background()
	// Tokens with slashes, and one longer than the 1,500-byte limit of a
	// document ID.
	tokens := []string{
		"https://workflowexecutions.googleapis.com/v1/projects/p/locations/l/workflows/w/executions/e/callbacks/1",
		"AQCEAAAAKgAAAAMAAAAAAAAAAf+/=" + strings.Repeat("x", 2000),
		"token-3", "token/4", "token-5",
	}
	var want []workflow.Wait
	for i, token := range tokens {
		w := testWait(token, 10-i)
		if err := waits.Put(ctx, w); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		want = append([]workflow.Wait{w}, want...)
	}

	got, err := waits.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List, earliest deadline first (-want +got):\n%s", diff)
	}
	lists := rec.find(http.MethodGet, waitsPath)
	if len(lists) != 3 {
		t.Fatalf("documents.list calls = %d, want 3 pages of at most 2", len(lists))
	}
	for i, call := range lists {
		if hasToken := strings.Contains(call.Query, "pageToken="); hasToken != (i > 0) {
			t.Errorf("list call %d query %q: pageToken present = %v, want %v", i, call.Query, hasToken, i > 0)
		}
	}
}

func TestWaitsDeleteTwice(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	waits := newTestWaits(t, sim, &recorder{})
	ctx := context.Background()
	keep, drop := testWait("token-keep", 2), testWait("token-drop", 1)
	for _, w := range []workflow.Wait{keep, drop} {
		if err := waits.Put(ctx, w); err != nil {
			t.Fatal(err)
		}
	}

	for i := range 2 {
		if err := waits.Delete(ctx, drop.Token); err != nil {
			t.Errorf("Delete %d: %v", i+1, err)
		}
	}
	got, err := waits.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]workflow.Wait{keep}, got); diff != "" {
		t.Errorf("List after delete (-want +got):\n%s", diff)
	}
}

func TestWaitsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sim := startWaitsSim(t, dir, 0)
	w := testWait("token-1", 5)
	if err := newTestWaits(t, sim, &recorder{}).Put(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}

	restarted := startWaitsSim(t, dir, 0)
	got, err := newTestWaits(t, restarted, &recorder{}).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]workflow.Wait{w}, got); diff != "" {
		t.Errorf("List after restart (-want +got):\n%s", diff)
	}
}

func TestWaitsErrors(t *testing.T) {
	tests := []struct {
		name   string
		method string
		fault  gcpsim.Fault
		call   func(context.Context, *Waits) error
		// wantName is the ASL error name; empty means no error.
		wantName string
	}{
		{
			name: "put aborted", method: http.MethodPost, fault: gcpsim.Fault{Status: http.StatusConflict},
			call: putOne, wantName: workflow.ErrTransient,
		},
		{
			name: "put already exists", method: http.MethodPost, fault: gcpsim.Fault{Status: http.StatusConflict, Reason: "ALREADY_EXISTS"},
			call: putOne,
		},
		{
			name: "put throttled", method: http.MethodPost, fault: gcpsim.Fault{Status: http.StatusTooManyRequests},
			call: putOne, wantName: workflow.ErrThrottled,
		},
		{
			name: "put denied", method: http.MethodPost, fault: gcpsim.Fault{Status: http.StatusForbidden},
			call: putOne, wantName: workflow.ErrPermissionDenied,
		},
		{
			name: "list unavailable", method: http.MethodGet, fault: gcpsim.Fault{Status: http.StatusServiceUnavailable},
			call: func(ctx context.Context, w *Waits) error { _, err := w.List(ctx); return err }, wantName: workflow.ErrTransient,
		},
		{
			name: "delete without database", method: http.MethodDelete, fault: gcpsim.Fault{Status: http.StatusNotFound},
			call: func(ctx context.Context, w *Waits) error { return w.Delete(ctx, "token-1") }, wantName: workflow.ErrInvalidRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startWaitsSim(t, "", 0)
			sim.SetFault(func(method, collection string) gcpsim.Fault {
				if method == tt.method && collection == "documents" {
					return tt.fault
				}
				return gcpsim.Fault{}
			})
			waits := newTestWaits(t, sim, &recorder{})
			// The deadline bounds the test should a client retry.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			err := tt.call(ctx, waits)
			if tt.wantName == "" {
				if err != nil {
					t.Fatalf("error = %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tt.wantName)
			}
			if got := workflow.NameOf(err); got != tt.wantName {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.wantName, err)
			}
			var gerr *googleapi.Error
			if !errors.As(err, &gerr) {
				t.Errorf("error %v does not wrap the *googleapi.Error", err)
			}
			if !strings.Contains(err.Error(), waits.Collection()) {
				t.Errorf("error %q does not name the collection %s", err, waits.Collection())
			}
		})
	}
}

func putOne(ctx context.Context, w *Waits) error { return w.Put(ctx, testWait("token-1", 1)) }

func TestWaitsPutEmptyToken(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	rec := &recorder{}
	err := newTestWaits(t, sim, rec).Put(context.Background(), workflow.Wait{Execution: "run-1"})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want InvalidRequest (error %v)", got, err)
	}
	if n := len(rec.find(http.MethodPost, waitsPath)); n != 0 {
		t.Errorf("createDocument calls = %d, want 0", n)
	}
}

func TestNewWaitsConfig(t *testing.T) {
	tests := []struct {
		name           string
		config         WaitsConfig
		wantCollection string
		wantErr        string
	}{
		{
			name:           "default database",
			config:         WaitsConfig{Project: "proj-one", Collection: "waits"},
			wantCollection: "projects/proj-one/databases/(default)/documents/waits",
		},
		{
			name:           "named database",
			config:         WaitsConfig{Project: "proj-one", Database: "repolink", Collection: "waits"},
			wantCollection: "projects/proj-one/databases/repolink/documents/waits",
		},
		{name: "no project", config: WaitsConfig{Collection: "waits"}, wantErr: `project ""`},
		{name: "no collection", config: WaitsConfig{Project: "proj-one"}, wantErr: `collection ""`},
		{name: "nested collection", config: WaitsConfig{Project: "proj-one", Collection: "a/b/c"}, wantErr: `collection "a/b/c"`},
		{name: "reserved collection", config: WaitsConfig{Project: "proj-one", Collection: "__waits__"}, wantErr: `collection "__waits__"`},
		{name: "database path", config: WaitsConfig{Project: "proj-one", Database: "a/b", Collection: "waits"}, wantErr: `database "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waits, err := NewWaits(context.Background(), Options{
				Endpoint:      "http://127.0.0.1:1",
				ClientOptions: []option.ClientOption{option.WithoutAuthentication()},
			}, tt.config)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewWaits error = %v, want one containing %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := waits.Collection(); got != tt.wantCollection {
				t.Errorf("Collection() = %q, want %q", got, tt.wantCollection)
			}
		})
	}
}

func TestDocumentIDIsSafe(t *testing.T) {
	for _, token := range []string{"", "a/b", strings.Repeat("é", 1000), "__x__", ".."} {
		id := documentID(token)
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("documentID(%.20q) = %q, want 64 lowercase hex digits", token, id)
		}
	}
	if documentID("a") == documentID("b") {
		t.Errorf("documentID gives %q for two tokens", documentID("a"))
	}
}
