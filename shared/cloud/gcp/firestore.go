package gcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/workflow"
)

// DefaultFirestoreDatabase is the database ID that NewWaits uses when
// WaitsConfig names none.
const DefaultFirestoreDatabase = "(default)"

// listPageSize is the page size that List requests. Firestore may return
// fewer documents a page, and List follows nextPageToken either way.
const listPageSize = 300

// Fields of a wait document. The wait itself is stored as JSON in body, so
// a new field in workflow.Wait needs no change here. The other fields copy
// parts of it for reading in the console and for queries.
const (
	fieldToken     = "token"
	fieldExecution = "execution"
	fieldDeadline  = "deadline"
	fieldBody      = "body"
)

// collectionIDPattern matches the collection IDs that Firestore rejects or
// that would change the document path: a slash, a name made of dots only,
// or a name that starts and ends with two underscores.
var collectionIDPattern = regexp.MustCompile(`/|^\.{1,2}$|^__.*__$`)

// WaitsConfig names the Firestore collection that holds the waits.
type WaitsConfig struct {
	// Project is the Google Cloud project ID of the database. Required.
	Project string
	// Database is the Firestore database ID. Empty means
	// DefaultFirestoreDatabase.
	Database string
	// Collection is the ID of a top-level collection that holds only
	// waits. Required.
	Collection string
}

// Waits is the workflow.WaitRegistry on a Firestore collection, built on
// the REST client of google.golang.org/api/firestore/v1. Each wait is one
// document whose ID is the hex SHA-256 of the task token. A token such as
// a Workflows callback URL contains slashes, which a document ID cannot
// contain, and the hash keeps every ID within the 1,500-byte limit. A
// document contains the wait as it is, and workflow.Wait carries
// credential references, never credential values. Waits is safe for
// concurrent use.
type Waits struct {
	docs        *firestore.ProjectsDatabasesDocumentsService
	parent      string // projects/<project>/databases/<database>/documents
	collection  string
	callTimeout time.Duration
}

var _ workflow.WaitRegistry = (*Waits)(nil)

// NewWaits builds the Firestore client from the endpoint, client options
// and call timeout of opts. An empty opts.Endpoint means the Firestore
// production endpoint. An invalid cfg gives an InvalidRequest error that
// lists every problem.
func NewWaits(ctx context.Context, opts Options, cfg WaitsConfig) (*Waits, error) {
	docs, cfg, callTimeout, err := openDocuments(ctx, opts, cfg)
	if err != nil {
		return nil, err
	}
	return &Waits{
		docs:        docs,
		parent:      cfg.documentsRoot(),
		collection:  cfg.Collection,
		callTimeout: callTimeout,
	}, nil
}

// openDocuments fills in the default database of cfg, validates it and
// builds the documents client from opts. It returns cfg with its defaults
// and the call timeout, which is DefaultCallTimeout when opts sets none.
func openDocuments(ctx context.Context, opts Options, cfg WaitsConfig) (*firestore.ProjectsDatabasesDocumentsService, WaitsConfig, time.Duration, error) {
	if cfg.Database == "" {
		cfg.Database = DefaultFirestoreDatabase
	}
	if err := cfg.validate(); err != nil {
		return nil, cfg, 0, err
	}
	docs, err := newDocumentsService(ctx, opts)
	if err != nil {
		return nil, cfg, 0, err
	}
	callTimeout := opts.CallTimeout
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	return docs, cfg, callTimeout, nil
}

// newDocumentsService builds the Firestore documents client from the
// endpoint and client options of opts. An empty opts.Endpoint means the
// Firestore production endpoint.
func newDocumentsService(ctx context.Context, opts Options) (*firestore.ProjectsDatabasesDocumentsService, error) {
	clientOpts := append([]option.ClientOption(nil), opts.ClientOptions...)
	if opts.Endpoint != "" {
		// The client resolves paths such as v1/projects/... against the
		// endpoint, which therefore needs a trailing slash.
		clientOpts = append(clientOpts, option.WithEndpoint(strings.TrimRight(opts.Endpoint, "/")+"/"))
	}
	service, err := firestore.NewService(ctx, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("gcp: create Firestore client: %w", err)
	}
	return service.Projects.Databases.Documents, nil
}

// documentsRoot returns the resource name that document paths of the
// database start from: projects/<project>/databases/<database>/documents.
// It expects the Database default to be filled in.
func (c WaitsConfig) documentsRoot() string {
	return "projects/" + c.Project + "/databases/" + c.Database + "/documents"
}

func (c WaitsConfig) validate() error {
	var problems []string
	if c.Project == "" || strings.Contains(c.Project, "/") {
		problems = append(problems, fmt.Sprintf("project %q is not a project ID", c.Project))
	}
	if strings.Contains(c.Database, "/") {
		problems = append(problems, fmt.Sprintf("database %q is not a database ID", c.Database))
	}
	if c.Collection == "" || collectionIDPattern.MatchString(c.Collection) || len(c.Collection) > 1500 {
		problems = append(problems, fmt.Sprintf("collection %q is not a valid collection ID", c.Collection))
	}
	if len(problems) > 0 {
		return workflow.Invalid("gcp: firestore waits: %s", strings.Join(problems, "; "))
	}
	return nil
}

// documentID returns the document ID of the wait of token.
func documentID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Collection returns the resource name of the collection, such as
// projects/p/databases/(default)/documents/repolink-waits.
func (s *Waits) Collection() string { return s.parent + "/" + s.collection }

// Put stores a wait with createDocument. Storing the same token again keeps
// the first wait and returns nil, like a retried registration expects.
func (s *Waits) Put(ctx context.Context, w workflow.Wait) error {
	if w.Token == "" {
		return workflow.Invalid("gcp: firestore store wait of %s: the task token is empty", w.Execution)
	}
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode wait of %s: %w", w.Execution, err)
	}
	doc := &firestore.Document{Fields: map[string]firestore.Value{
		fieldToken:     stringValue(w.Token),
		fieldExecution: stringValue(w.Execution),
		fieldDeadline:  {TimestampValue: w.Deadline.UTC().Format(time.RFC3339Nano)},
		fieldBody:      stringValue(string(body)),
	}}

	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	_, err = s.docs.CreateDocument(s.parent, s.collection, doc).
		DocumentId(documentID(w.Token)).
		Context(ctx).
		Do()
	if rpcCode(err) == "ALREADY_EXISTS" {
		return nil
	}
	if err != nil {
		return s.classify(err, "store wait of %s", w.Execution)
	}
	return nil
}

// stringValue returns a string Value that is sent even when empty, because
// a Value with no field set is not a valid Firestore value.
func stringValue(v string) firestore.Value {
	return firestore.Value{StringValue: v, ForceSendFields: []string{"StringValue"}}
}

// List returns every stored wait, earliest deadline first, and reads every
// page of the collection. It includes waits past their deadline, because
// the poller fails those.
func (s *Waits) List(ctx context.Context) ([]workflow.Wait, error) {
	var waits []workflow.Wait
	token := ""
	for {
		page, err := s.listPage(ctx, token)
		if err != nil {
			return nil, s.classify(err, "list waits")
		}
		for _, doc := range page.Documents {
			w, err := decodeWait(doc)
			if err != nil {
				return nil, err
			}
			waits = append(waits, w)
		}
		if page.NextPageToken == "" {
			break
		}
		token = page.NextPageToken
	}
	sort.SliceStable(waits, func(i, j int) bool {
		if !waits[i].Deadline.Equal(waits[j].Deadline) {
			return waits[i].Deadline.Before(waits[j].Deadline)
		}
		return waits[i].Token < waits[j].Token
	})
	return waits, nil
}

func (s *Waits) listPage(ctx context.Context, token string) (*firestore.ListDocumentsResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	call := s.docs.List(s.parent, s.collection).PageSize(listPageSize).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

func decodeWait(doc *firestore.Document) (workflow.Wait, error) {
	var w workflow.Wait
	body, ok := doc.Fields[fieldBody]
	if !ok {
		return w, fmt.Errorf("gcp: firestore decode wait %s: the document has no %s field", doc.Name, fieldBody)
	}
	if err := json.Unmarshal([]byte(body.StringValue), &w); err != nil {
		return w, fmt.Errorf("gcp: firestore decode wait %s: %w", doc.Name, err)
	}
	return w, nil
}

// Delete removes the wait of token. Deleting a token that is not stored
// returns nil, because Firestore deletes a missing document without an
// error when the call sets no precondition. A 404 therefore means that the
// database is missing, and it is returned.
func (s *Waits) Delete(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	_, err := s.docs.Delete(s.Collection() + "/" + documentID(token)).Context(ctx).Do()
	if err != nil {
		return s.classify(err, "delete wait")
	}
	return nil
}

// rpcCode returns the google.rpc.Code name, such as "ALREADY_EXISTS", of a
// Firestore error, read from the "status" field of the error body. The
// HTTP status alone does not tell the codes apart, because Firestore sends
// 409 for both ALREADY_EXISTS and ABORTED. It returns "" for other errors.
func rpcCode(err error) string {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return ""
	}
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(gerr.Body), &body) != nil {
		return ""
	}
	return body.Error.Status
}

// classify names the waits collection in a Firestore error, as
// classifyFirestore describes.
func (s *Waits) classify(err error, format string, args ...any) error {
	return classifyFirestore(err, s.Collection(), format, args...)
}

// classifyFirestore wraps a Firestore error with a "gcp: firestore"
// message that names the operation and the collection or document, and
// gives it the ASL error name that Retry and Catch match on. An error it
// cannot name stays unnamed.
func classifyFirestore(err error, resource, format string, args ...any) error {
	op := fmt.Sprintf("gcp: firestore %s in %s", fmt.Sprintf(format, args...), resource)
	name := firestoreErrorName(err)
	if name == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	text := err.Error()
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		text = strings.TrimSpace(fmt.Sprintf("HTTP %d %s: %s", gerr.Code, rpcCode(err), gerr.Message))
	}
	return &stepError{named: &workflow.Error{Name: name, Message: op + ": " + text}, cause: err}
}

// firestoreErrorName returns the ASL error name of a Firestore client
// error, or "". A missing database or collection, a denied permission and
// an invalid request are terminal, and the rest can pass on a retry. A
// denied permission gets its own name because its fix is an IAM grant.
func firestoreErrorName(err error) string {
	switch rpcCode(err) {
	case "ABORTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED":
		return workflow.ErrTransient
	case "RESOURCE_EXHAUSTED":
		return workflow.ErrThrottled
	case "PERMISSION_DENIED":
		return workflow.ErrPermissionDenied
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND", "UNAUTHENTICATED":
		return workflow.ErrInvalidRequest
	}
	switch code := httpCode(err); {
	case code == http.StatusTooManyRequests:
		return workflow.ErrThrottled
	case code == http.StatusConflict, code >= 500:
		return workflow.ErrTransient
	case code == http.StatusForbidden:
		return workflow.ErrPermissionDenied
	case code >= 400:
		return workflow.ErrInvalidRequest
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return workflow.ErrTransient
	}
	return ""
}
