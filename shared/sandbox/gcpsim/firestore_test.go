package gcpsim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

const (
	testRoot       = "projects/proj-one/databases/(default)/documents"
	testCollection = "repolink-waits"
)

func TestMain(m *testing.M) {
	// No test may reach the metadata server, even through a client that
	// looks up default credentials by mistake.
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:1")
	os.Exit(m.Run())
}

// startFirestore starts a simulator on dir and a Firestore client for it.
func startFirestore(t *testing.T, dir string, pageSize int) (*Server, *firestore.ProjectsDatabasesDocumentsService) {
	t.Helper()
	clock := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	sim, err := Start(context.Background(), Options{Dir: dir, Clock: clock, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	service, err := firestore.NewService(context.Background(),
		option.WithEndpoint(sim.URL()+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return sim, service.Projects.Databases.Documents
}

// rpcStatus returns the HTTP status and the google.rpc.Code name of an API
// error.
func rpcStatus(t *testing.T, err error) (int, string) {
	t.Helper()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("error %v is not a *googleapi.Error", err)
	}
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(gerr.Body), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", gerr.Body, err)
	}
	return gerr.Code, body.Error.Status
}

func stringValue(v string) firestore.Value { return firestore.Value{StringValue: v} }

// fieldsOf returns the string fields of a document.
func fieldsOf(d *firestore.Document) map[string]string {
	out := map[string]string{}
	for k, v := range d.Fields {
		out[k] = v.StringValue
	}
	return out
}

func TestFirestoreDocumentCalls(t *testing.T) {
	_, docs := startFirestore(t, "", 0)
	ctx := context.Background()
	name := testRoot + "/" + testCollection + "/wait-1"
	doc := &firestore.Document{Fields: map[string]firestore.Value{"token": stringValue("t-1"), "execution": stringValue("run-1")}}
	if _, err := docs.CreateDocument(testRoot, testCollection, doc).DocumentId("wait-1").Context(ctx).Do(); err != nil {
		t.Fatalf("create: %v", err)
	}

	tests := []struct {
		name       string
		call       func() (*firestore.Document, error)
		wantCode   int
		wantStatus string
		wantFields map[string]string
	}{
		{
			name: "create existing",
			call: func() (*firestore.Document, error) {
				return docs.CreateDocument(testRoot, testCollection, doc).DocumentId("wait-1").Context(ctx).Do()
			},
			wantCode: http.StatusConflict, wantStatus: "ALREADY_EXISTS",
		},
		{
			name: "create reserved id",
			call: func() (*firestore.Document, error) {
				return docs.CreateDocument(testRoot, testCollection, doc).DocumentId("__id__").Context(ctx).Do()
			},
			wantCode: http.StatusBadRequest, wantStatus: "INVALID_ARGUMENT",
		},
		{
			name:       "get",
			call:       func() (*firestore.Document, error) { return docs.Get(name).Context(ctx).Do() },
			wantFields: map[string]string{"token": "t-1", "execution": "run-1"},
		},
		{
			name:     "get missing",
			call:     func() (*firestore.Document, error) { return docs.Get(name + "-missing").Context(ctx).Do() },
			wantCode: http.StatusNotFound, wantStatus: "NOT_FOUND",
		},
		{
			name: "patch missing that must exist",
			call: func() (*firestore.Document, error) {
				return docs.Patch(name+"-missing", doc).CurrentDocumentExists(true).Context(ctx).Do()
			},
			wantCode: http.StatusNotFound, wantStatus: "NOT_FOUND",
		},
		{
			name: "patch existing that must not exist",
			call: func() (*firestore.Document, error) {
				return docs.Patch(name, doc).CurrentDocumentExists(false).Context(ctx).Do()
			},
			wantCode: http.StatusConflict, wantStatus: "ALREADY_EXISTS",
		},
		{
			name: "patch with update mask",
			call: func() (*firestore.Document, error) {
				update := &firestore.Document{Fields: map[string]firestore.Value{"host": stringValue("pypi.example.com")}}
				return docs.Patch(name, update).UpdateMaskFieldPaths("host", "execution").Context(ctx).Do()
			},
			wantFields: map[string]string{"token": "t-1", "host": "pypi.example.com"},
		},
		{
			name: "patch creates",
			call: func() (*firestore.Document, error) {
				return docs.Patch(name+"-new", doc).Context(ctx).Do()
			},
			wantFields: map[string]string{"token": "t-1", "execution": "run-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if tt.wantCode != 0 {
				if err == nil {
					t.Fatalf("call succeeded, want HTTP %d %s", tt.wantCode, tt.wantStatus)
				}
				code, status := rpcStatus(t, err)
				if code != tt.wantCode {
					t.Errorf("HTTP status = %d, want %d", code, tt.wantCode)
				}
				if status != tt.wantStatus {
					t.Errorf("status = %q, want %q", status, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFields, fieldsOf(got)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirestoreDeleteMissing(t *testing.T) {
	_, docs := startFirestore(t, "", 0)
	ctx := context.Background()
	name := testRoot + "/" + testCollection + "/wait-1"
	if _, err := docs.Patch(name, &firestore.Document{}).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		if _, err := docs.Delete(name).Context(ctx).Do(); err != nil {
			t.Errorf("delete %d: %v", i+1, err)
		}
	}
	_, err := docs.Delete(name).CurrentDocumentExists(true).Context(ctx).Do()
	if err == nil {
		t.Fatal("delete of a missing document that must exist succeeded")
	}
	if code, status := rpcStatus(t, err); code != http.StatusNotFound || status != "NOT_FOUND" {
		t.Errorf("delete that must exist = HTTP %d %s, want 404 NOT_FOUND", code, status)
	}
}

func TestFirestoreListPages(t *testing.T) {
	_, docs := startFirestore(t, "", 2)
	ctx := context.Background()
	ids := []string{"e", "a", "d", "b", "c"}
	for _, id := range ids {
		if _, err := docs.CreateDocument(testRoot, testCollection, &firestore.Document{}).DocumentId(id).Context(ctx).Do(); err != nil {
			t.Fatal(err)
		}
	}
	// Neither a document of another collection nor one of a subcollection
	// is listed.
	for _, name := range []string{testRoot + "/other/a", testRoot + "/" + testCollection + "/a/children/x"} {
		if _, err := docs.Patch(name, &firestore.Document{}).Context(ctx).Do(); err != nil {
			t.Fatal(err)
		}
	}

	var pages [][]string
	err := docs.List(testRoot, testCollection).PageSize(300).Pages(ctx, func(page *firestore.ListDocumentsResponse) error {
		var names []string
		for _, d := range page.Documents {
			names = append(names, d.Name[len(testRoot)+1:])
		}
		pages = append(pages, names)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := testCollection + "/"
	want := [][]string{{c + "a", c + "b"}, {c + "c", c + "d"}, {c + "e"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestFirestoreDocumentsPersist(t *testing.T) {
	dir := t.TempDir()
	sim, docs := startFirestore(t, dir, 0)
	ctx := context.Background()
	doc := &firestore.Document{Fields: map[string]firestore.Value{"token": stringValue("t-1")}}
	if _, err := docs.CreateDocument(testRoot, testCollection, doc).DocumentId("wait-1").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}

	_, docs = startFirestore(t, dir, 0)
	got, err := docs.Get(testRoot + "/" + testCollection + "/wait-1").Context(ctx).Do()
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"token": "t-1"}, fieldsOf(got)); diff != "" {
		t.Errorf("fields after restart (-want +got):\n%s", diff)
	}
	if got.CreateTime != "2026-03-01T12:00:00.000000Z" {
		t.Errorf("createTime = %q, want 2026-03-01T12:00:00.000000Z", got.CreateTime)
	}
}

func TestFirestoreFault(t *testing.T) {
	sim, docs := startFirestore(t, "", 0)
	sim.SetFault(func(method, collection string) Fault {
		if collection == "documents" && method == http.MethodPost {
			return Fault{Status: http.StatusConflict}
		}
		return Fault{}
	})

	_, err := docs.CreateDocument(testRoot, testCollection, &firestore.Document{}).DocumentId("wait-1").Context(context.Background()).Do()
	if err == nil {
		t.Fatal("create succeeded under an injected fault")
	}
	if code, status := rpcStatus(t, err); code != http.StatusConflict || status != "ABORTED" {
		t.Errorf("fault = HTTP %d %s, want 409 ABORTED", code, status)
	}
}

func TestFirestorePatchUpdateTime(t *testing.T) {
	// The clock of startFirestore is fixed, so the update times below
	// differ only because every write advances them.
	_, docs := startFirestore(t, "", 0)
	ctx := context.Background()
	name := testRoot + "/" + testCollection + "/places"
	first, err := docs.CreateDocument(testRoot, testCollection, &firestore.Document{
		Fields: map[string]firestore.Value{"holder": stringValue("run-1")},
	}).DocumentId("places").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}

	update := &firestore.Document{Fields: map[string]firestore.Value{"holder": stringValue("run-2")}}
	second, err := docs.Patch(name, update).CurrentDocumentUpdateTime(first.UpdateTime).Context(ctx).Do()
	if err != nil {
		t.Fatalf("patch at the current update time: %v", err)
	}
	if second.UpdateTime <= first.UpdateTime {
		t.Errorf("update time after patch = %s, want one after %s", second.UpdateTime, first.UpdateTime)
	}
	if second.CreateTime != first.CreateTime {
		t.Errorf("create time after patch = %s, want %s", second.CreateTime, first.CreateTime)
	}

	stale := &firestore.Document{Fields: map[string]firestore.Value{"holder": stringValue("run-3")}}
	_, err = docs.Patch(name, stale).CurrentDocumentUpdateTime(first.UpdateTime).Context(ctx).Do()
	if err == nil {
		t.Fatal("patch at a stale update time succeeded")
	}
	code, status := rpcStatus(t, err)
	if code != http.StatusBadRequest {
		t.Errorf("stale patch HTTP status = %d, want 400", code)
	}
	if status != "FAILED_PRECONDITION" {
		t.Errorf("stale patch status = %q, want FAILED_PRECONDITION", status)
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && !strings.Contains(gerr.Message, "does not match the required base version") {
		t.Errorf("stale patch message = %q, want the version mismatch", gerr.Message)
	}

	got, err := docs.Get(name).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"holder": "run-2"}, fieldsOf(got)); diff != "" {
		t.Errorf("fields after the stale patch (-want +got):\n%s", diff)
	}
	if got.UpdateTime != second.UpdateTime {
		t.Errorf("update time after the stale patch = %s, want %s", got.UpdateTime, second.UpdateTime)
	}
}

func TestFirestorePreconditionErrors(t *testing.T) {
	_, docs := startFirestore(t, "", 0)
	ctx := context.Background()
	name := testRoot + "/" + testCollection + "/places"
	created, err := docs.CreateDocument(testRoot, testCollection, &firestore.Document{}).DocumentId("places").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	doc := &firestore.Document{Fields: map[string]firestore.Value{"holder": stringValue("run-1")}}

	tests := []struct {
		name       string
		call       func() error
		wantCode   int
		wantStatus string
	}{
		{
			name: "patch missing at an update time",
			call: func() error {
				_, err := docs.Patch(name+"-missing", doc).CurrentDocumentUpdateTime(created.UpdateTime).Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "FAILED_PRECONDITION",
		},
		{
			name: "patch with both preconditions",
			call: func() error {
				_, err := docs.Patch(name, doc).CurrentDocumentExists(true).CurrentDocumentUpdateTime(created.UpdateTime).Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "INVALID_ARGUMENT",
		},
		{
			name: "patch at an unaligned update time",
			call: func() error {
				_, err := docs.Patch(name, doc).CurrentDocumentUpdateTime("2026-03-01T12:00:00.000000001Z").Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "INVALID_ARGUMENT",
		},
		{
			name: "patch at an invalid update time",
			call: func() error {
				_, err := docs.Patch(name, doc).CurrentDocumentUpdateTime("yesterday").Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "INVALID_ARGUMENT",
		},
		{
			name: "delete at a stale update time",
			call: func() error {
				_, err := docs.Delete(name).CurrentDocumentUpdateTime("2026-03-01T11:00:00.000000Z").Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "FAILED_PRECONDITION",
		},
		{
			name: "delete missing at an update time",
			call: func() error {
				_, err := docs.Delete(name + "-missing").CurrentDocumentUpdateTime(created.UpdateTime).Context(ctx).Do()
				return err
			},
			wantCode: http.StatusBadRequest, wantStatus: "FAILED_PRECONDITION",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatalf("call succeeded, want HTTP %d %s", tt.wantCode, tt.wantStatus)
			}
			code, status := rpcStatus(t, err)
			if code != tt.wantCode {
				t.Errorf("HTTP status = %d, want %d", code, tt.wantCode)
			}
			if status != tt.wantStatus {
				t.Errorf("status = %q, want %q", status, tt.wantStatus)
			}
		})
	}

	got, err := docs.Get(name).Context(ctx).Do()
	if err != nil {
		t.Fatalf("get after the rejected calls: %v", err)
	}
	if got.UpdateTime != created.UpdateTime {
		t.Errorf("update time after the rejected calls = %s, want %s", got.UpdateTime, created.UpdateTime)
	}
	if _, err := docs.Delete(name).CurrentDocumentUpdateTime(created.UpdateTime).Context(ctx).Do(); err != nil {
		t.Errorf("delete at the current update time: %v", err)
	}
	if _, err := docs.Get(name).Context(ctx).Do(); err == nil {
		t.Error("document still exists after the delete at its update time")
	}
}
