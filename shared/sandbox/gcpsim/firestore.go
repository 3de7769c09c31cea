package gcpsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// firestorePattern matches a Firestore REST path and captures the database
// name (projects/p/databases/d) and the document path after /documents.
var firestorePattern = regexp.MustCompile(`^/v1/(projects/[^/]+/databases/[^/]+)/documents(/.*)?$`)

// documentIDPattern matches the document IDs that Firestore rejects: a
// name made of dots only, or one that starts and ends with two underscores.
var documentIDPattern = regexp.MustCompile(`^\.{1,2}$|^__.*__$`)

// maxDocumentIDBytes is Firestore's limit on the length of a document ID.
const maxDocumentIDBytes = 1500

// Document is a Firestore document. Fields is the document's "fields"
// object in its REST JSON form (a map of field name to Value), stored as
// the client sent it.
type Document struct {
	Fields     json.RawMessage `json:"fields"`
	CreateTime time.Time       `json:"create_time"`
	UpdateTime time.Time       `json:"update_time"`
}

// firestoreError is an error response in the shape that the Firestore REST
// API sends: the HTTP status and the google.rpc.Code name in "status".
type firestoreError struct {
	status  int
	code    string
	message string
}

func (e *firestoreError) Error() string { return e.code + ": " + e.message }

func writeFirestoreError(w http.ResponseWriter, e *firestoreError) {
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"code":    e.status,
		"message": e.message,
		"status":  e.code,
	}})
}

func documentNotFound(name string) *firestoreError {
	return &firestoreError{http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Document %q not found.", name)}
}

func documentExists(name string) *firestoreError {
	return &firestoreError{http.StatusConflict, "ALREADY_EXISTS", "Document already exists: " + name}
}

func invalidArgument(format string, args ...any) *firestoreError {
	return &firestoreError{http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf(format, args...)}
}

// rpcCodes maps the HTTP status of an injected fault to the google.rpc.Code
// name that Firestore sends with it.
var rpcCodes = map[int]string{
	http.StatusBadRequest:          "INVALID_ARGUMENT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "PERMISSION_DENIED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusConflict:            "ABORTED",
	http.StatusTooManyRequests:     "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError: "INTERNAL",
	http.StatusServiceUnavailable:  "UNAVAILABLE",
	http.StatusGatewayTimeout:      "DEADLINE_EXCEEDED",
}

// documentCall is one parsed Firestore documents request.
type documentCall struct {
	method string
	// root is projects/p/databases/d/documents.
	root string
	// segments are the path after root. An odd count names a collection
	// and an even count a document.
	segments []string
	query    url.Values
	body     []byte
}

// name returns the full resource name of the called document or
// collection.
func (c documentCall) name() string {
	return strings.Join(append([]string{c.root}, c.segments...), "/")
}

// isFirestorePath reports whether path is a Firestore documents call.
func isFirestorePath(path string) bool { return firestorePattern.MatchString(path) }

// serveFirestore serves the Firestore documents calls get, list,
// createDocument, patch and delete. Every database of every project exists
// and starts empty.
func (s *Server) serveFirestore(w http.ResponseWriter, r *http.Request, body []byte) {
	m := firestorePattern.FindStringSubmatch(r.URL.Path)
	c := documentCall{method: r.Method, root: m[1] + "/documents", query: r.URL.Query(), body: body}
	if rest := strings.Trim(m[2], "/"); rest != "" {
		c.segments = strings.Split(rest, "/")
	}

	if fault := s.fault.Load(); fault != nil {
		if f := fault(r.Method, "documents"); f.Status != 0 {
			e := &firestoreError{f.Status, f.Reason, "injected fault for " + r.Method + " documents"}
			if e.code == "" {
				e.code = rpcCodes[f.Status]
			}
			if e.code == "" {
				e.code = "UNKNOWN"
			}
			s.logDocumentCall(c, e)
			writeFirestoreError(w, e)
			return
		}
	}

	out, err := s.routeDocuments(c)
	s.logDocumentCall(c, err)
	if err != nil {
		writeFirestoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) routeDocuments(c documentCall) (any, *firestoreError) {
	collection := len(c.segments)%2 == 1
	switch {
	case collection && c.method == http.MethodGet:
		return s.listDocuments(c)
	case collection && c.method == http.MethodPost:
		return s.createDocument(c)
	case !collection && len(c.segments) > 0 && c.method == http.MethodGet:
		return s.getDocument(c)
	case !collection && len(c.segments) > 0 && c.method == http.MethodPatch:
		return s.patchDocument(c)
	case !collection && len(c.segments) > 0 && c.method == http.MethodDelete:
		return s.deleteDocument(c)
	}
	return nil, &firestoreError{http.StatusNotFound, "NOT_FOUND",
		fmt.Sprintf("%s %s is not served by the sandbox Firestore", c.method, c.name())}
}

func (s *Server) logDocumentCall(c documentCall, err *firestoreError) {
	attrs := []any{"method", c.method, "name", c.name()}
	switch {
	case err == nil:
		s.log.Debug("gcpsim firestore call", attrs...)
	case err.status >= 500:
		s.log.Warn("gcpsim firestore call failed", append(attrs, "error", err)...)
	default:
		s.log.Info("gcpsim firestore call rejected", append(attrs, "error", err)...)
	}
}

// renderDocument returns the REST JSON form of the document called name.
func renderDocument(name string, d *Document) map[string]any {
	return map[string]any{
		"name":       name,
		"fields":     d.Fields,
		"createTime": firestoreTime(d.CreateTime),
		"updateTime": firestoreTime(d.UpdateTime),
	}
}

// firestoreTime formats t as Firestore does: RFC 3339 in UTC with
// microseconds.
func firestoreTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// decodeFields returns the "fields" object of a Document request body, or
// {} when the body sets none.
func decodeFields(body []byte) (json.RawMessage, *firestoreError) {
	if len(body) == 0 {
		return json.RawMessage(`{}`), nil
	}
	var doc struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, invalidArgument("Invalid JSON payload received: %v", err)
	}
	if doc.Fields == nil {
		doc.Fields = map[string]json.RawMessage{}
	}
	fields, err := json.Marshal(doc.Fields)
	if err != nil {
		return nil, invalidArgument("encode fields: %v", err)
	}
	return fields, nil
}

// documentPrecondition is the currentDocument precondition of a patch or
// delete call. Firestore accepts at most one of its two fields.
type documentPrecondition struct {
	// exists requires that the document exists (true) or is missing
	// (false). Nil sets no such condition.
	exists *bool
	// updateTime requires that the document exists and was last written
	// at this time. Nil sets no such condition.
	updateTime *time.Time
}

// parsePrecondition reads the currentDocument.exists and
// currentDocument.updateTime query parameters of a call.
func parsePrecondition(c documentCall) (documentPrecondition, *firestoreError) {
	var p documentPrecondition
	if raw := c.query.Get("currentDocument.exists"); raw != "" {
		exists, err := strconv.ParseBool(raw)
		if err != nil {
			return p, invalidArgument("Invalid value at 'current_document.exists' (TYPE_BOOL), %q", raw)
		}
		p.exists = &exists
	}
	if raw := c.query.Get("currentDocument.updateTime"); raw != "" {
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return p, invalidArgument("Invalid value at 'current_document.update_time' (type.googleapis.com/google.protobuf.Timestamp), %q", raw)
		}
		if !t.Equal(t.Truncate(time.Microsecond)) {
			return p, invalidArgument("current_document.update_time %q is not microsecond aligned", raw)
		}
		p.updateTime = &t
	}
	if p.exists != nil && p.updateTime != nil {
		return p, invalidArgument("current_document sets both exists and update_time, which are mutually exclusive")
	}
	return p, nil
}

// check returns the error that Firestore sends when the document called
// name, or nil for a missing document, fails the precondition.
func (p documentPrecondition) check(name string, d *Document) *firestoreError {
	switch {
	case p.exists != nil && *p.exists && d == nil:
		return &firestoreError{http.StatusNotFound, "NOT_FOUND", "No document to update: " + name}
	case p.exists != nil && !*p.exists && d != nil:
		return documentExists(name)
	case p.updateTime != nil:
		// Firestore reports versions as microseconds since the epoch.
		// NOTE: Firestore reports a missing document as version 0 when a
		// transaction requires it to be missing. That it does the same
		// here is unverified.
		var stored int64
		if d != nil {
			stored = d.UpdateTime.UnixMicro()
		}
		if required := p.updateTime.UnixMicro(); d == nil || stored != required {
			return &firestoreError{http.StatusBadRequest, "FAILED_PRECONDITION",
				fmt.Sprintf("the stored version (%d) does not match the required base version (%d)", stored, required)}
		}
	}
	return nil
}

// nextUpdateTime returns the update time of a write to a document last
// written at previous, or of a new document when previous is zero. It is
// after previous even when the clock is fixed, as in tests, so that an
// updateTime precondition never matches a later version.
//
// NOTE: under a fixed clock, a document that is deleted and created again
// can get the update time of its earlier version.
func (s *Server) nextUpdateTime(previous time.Time) time.Time {
	now := s.now().Truncate(time.Microsecond)
	previous = previous.Truncate(time.Microsecond)
	if !now.After(previous) {
		now = previous.Add(time.Microsecond)
	}
	return now
}

func (s *Server) getDocument(c documentCall) (any, *firestoreError) {
	name := c.name()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.world.Documents[name]
	if !ok {
		return nil, documentNotFound(name)
	}
	return renderDocument(name, d), nil
}

func (s *Server) createDocument(c documentCall) (any, *firestoreError) {
	id := c.query.Get("documentId")
	if id == "" {
		id = newDocumentID()
	}
	if strings.Contains(id, "/") || len(id) > maxDocumentIDBytes || documentIDPattern.MatchString(id) {
		return nil, invalidArgument("Document ID %q is invalid", id)
	}
	fields, ferr := decodeFields(c.body)
	if ferr != nil {
		return nil, ferr
	}
	name := c.name() + "/" + id

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.world.Documents[name]; ok {
		return nil, documentExists(name)
	}
	now := s.nextUpdateTime(time.Time{})
	d := &Document{Fields: fields, CreateTime: now, UpdateTime: now}
	s.world.Documents[name] = d
	if err := s.commitDocuments(); err != nil {
		delete(s.world.Documents, name)
		return nil, err
	}
	return renderDocument(name, d), nil
}

// patchDocument writes the document, creating it when absent, unless it
// fails the call's precondition. Without updateMask.fieldPaths it replaces
// every field. With it, it sets the named top-level fields from the body
// and removes those that the body lacks.
func (s *Server) patchDocument(c documentCall) (any, *firestoreError) {
	pre, ferr := parsePrecondition(c)
	if ferr != nil {
		return nil, ferr
	}
	fields, ferr := decodeFields(c.body)
	if ferr != nil {
		return nil, ferr
	}
	mask := c.query["updateMask.fieldPaths"]
	for _, path := range mask {
		if strings.ContainsAny(path, ".`") {
			return nil, invalidArgument("the sandbox Firestore serves top-level update mask paths only, not %q", path)
		}
	}
	name := c.name()

	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.world.Documents[name]
	if err := pre.check(name, old); err != nil {
		return nil, err
	}
	var previous time.Time
	if found {
		previous = old.UpdateTime
	}
	now := s.nextUpdateTime(previous)
	d := &Document{Fields: fields, CreateTime: now, UpdateTime: now}
	if found {
		d.CreateTime = old.CreateTime
		if len(mask) > 0 {
			merged, ferr := mergeFields(old.Fields, fields, mask)
			if ferr != nil {
				return nil, ferr
			}
			d.Fields = merged
		}
	}
	s.world.Documents[name] = d
	if err := s.commitDocuments(); err != nil {
		s.restoreDocument(name, old)
		return nil, err
	}
	return renderDocument(name, d), nil
}

// mergeFields returns old with the fields that mask names taken from
// update, or removed when update lacks them.
func mergeFields(old, update json.RawMessage, mask []string) (json.RawMessage, *firestoreError) {
	var merged, updates map[string]json.RawMessage
	if err := json.Unmarshal(old, &merged); err != nil || merged == nil {
		merged = map[string]json.RawMessage{}
	}
	if err := json.Unmarshal(update, &updates); err != nil {
		return nil, invalidArgument("decode fields: %v", err)
	}
	for _, path := range mask {
		if v, ok := updates[path]; ok {
			merged[path] = v
		} else {
			delete(merged, path)
		}
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return nil, invalidArgument("encode fields: %v", err)
	}
	return out, nil
}

// deleteDocument removes the document. Deleting a missing document
// succeeds, as in Firestore, unless the call requires that it exists or
// names its update time.
func (s *Server) deleteDocument(c documentCall) (any, *firestoreError) {
	pre, ferr := parsePrecondition(c)
	if ferr != nil {
		return nil, ferr
	}
	if pre.exists != nil && !*pre.exists {
		return nil, invalidArgument("the sandbox Firestore does not serve currentDocument.exists=false in documents.delete")
	}
	name := c.name()

	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.world.Documents[name]
	switch {
	case pre.exists != nil && !found:
		return nil, documentNotFound(name)
	case pre.updateTime != nil:
		if err := pre.check(name, old); err != nil {
			return nil, err
		}
	case !found:
		return map[string]any{}, nil
	}
	delete(s.world.Documents, name)
	if err := s.commitDocuments(); err != nil {
		s.restoreDocument(name, old)
		return nil, err
	}
	return map[string]any{}, nil
}

// listDocuments returns one page of the collection's documents in name
// order. A page holds at most Options.PageSize documents, however large the
// pageSize parameter, as Firestore may return fewer documents than requested.
func (s *Server) listDocuments(c documentCall) (any, *firestoreError) {
	for _, param := range []string{"orderBy", "readTime", "transaction"} {
		if c.query.Get(param) != "" {
			return nil, invalidArgument("the sandbox Firestore does not serve %s in documents.list", param)
		}
	}
	size := s.opts.PageSize
	if raw := c.query.Get("pageSize"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return nil, invalidArgument("Invalid value at 'page_size' (TYPE_INT32), %q", raw)
		}
		if n > 0 {
			size = min(size, n)
		}
	}
	start := ""
	if token := c.query.Get("pageToken"); token != "" {
		decoded, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, invalidArgument("Invalid page token %q", token)
		}
		start = string(decoded)
	}
	prefix := c.name() + "/"

	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.world.Documents {
		id, ok := strings.CutPrefix(name, prefix)
		if ok && !strings.Contains(id, "/") && name >= start {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := map[string]any{}
	docs := make([]map[string]any, 0, min(size, len(names)))
	for _, name := range names[:min(size, len(names))] {
		docs = append(docs, renderDocument(name, s.world.Documents[name]))
	}
	if len(docs) > 0 {
		out["documents"] = docs
	}
	if len(names) > size {
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte(names[size]))
	}
	return out, nil
}

// commitDocuments persists the world and returns the failure in
// Firestore's shape. Callers hold s.mu.
func (s *Server) commitDocuments() *firestoreError {
	if err := s.commit(); err != nil {
		return &firestoreError{http.StatusInternalServerError, "INTERNAL", err.message}
	}
	return nil
}

// restoreDocument puts back the document that a failed commit replaced or
// removed. A nil old means the document did not exist. Callers hold s.mu.
func (s *Server) restoreDocument(name string, old *Document) {
	if old == nil {
		delete(s.world.Documents, name)
		return
	}
	s.world.Documents[name] = old
}

// newDocumentID returns a random 20-character ID, the form that Firestore
// assigns when createDocument names no documentId.
func newDocumentID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	buf := make([]byte, 20)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}
