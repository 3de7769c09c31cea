package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/reservations/backoff"
	"github.com/repolink/repolink/shared/workflow"
)

// writeAttempts is how many times update reads and writes a document
// before it gives up, when another writer changes the document between the
// read and the write every time.
const writeAttempts = 8

// errDocumentChanged reports that another writer changed, created or
// deleted a document after it was read.
var errDocumentChanged = errors.New("the document changed after it was read")

// subcollections is the Firestore client for the subcollections of one
// document of the waits collection. That document is never written, so
// listing the waits does not return it. CredentialExpiries and
// EndpointReservations embed it for their reads and conditional writes.
type subcollections struct {
	docs *firestore.ProjectsDatabasesDocumentsService
	// parent is the resource name of the never-written document, the
	// parent of the subcollections.
	parent      string
	callTimeout time.Duration
	// pause waits between the attempts of a conditional write. Nil means
	// backoff.Pause.
	pause func(ctx context.Context, attempt int) error
}

// openSubcollections builds the Firestore client from opts, as NewWaits
// does, for the subcollections of the document parentID of the waits
// collection of cfg. An invalid cfg gives an InvalidRequest error that
// lists every problem.
func openSubcollections(ctx context.Context, opts Options, cfg WaitsConfig, parentID string) (subcollections, error) {
	docs, cfg, callTimeout, err := openDocuments(ctx, opts, cfg)
	if err != nil {
		return subcollections{}, err
	}
	return subcollections{
		docs:        docs,
		parent:      cfg.documentsRoot() + "/" + cfg.Collection + "/" + parentID,
		callTimeout: callTimeout,
	}, nil
}

// get returns the document called name, or nil when it does not exist.
func (s *subcollections) get(ctx context.Context, name string) (*firestore.Document, error) {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	doc, err := s.docs.Get(name).Context(ctx).Do()
	if rpcCode(err) == "NOT_FOUND" {
		// A missing database also gives NOT_FOUND, which a later
		// CreateDocument call of write returns.
		return nil, nil
	}
	return doc, err
}

// listAll passes every document of the subcollection collectionID to
// decode, page by page. plural names the documents in errors, such as
// "credential expiries".
func (s *subcollections) listAll(ctx context.Context, collectionID, plural string, decode func(*firestore.Document) error) error {
	collection := s.parent + "/" + collectionID
	token := ""
	for {
		page, err := s.listPage(ctx, collectionID, token)
		if err != nil {
			return classifyFirestore(err, collection, "list %s", plural)
		}
		for _, doc := range page.Documents {
			if err := decode(doc); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
}

// listBodies decodes the body of every document of the subcollection
// collectionID into a T, in the order of the pages. plural names the
// documents in list errors and singular in decode errors.
func listBodies[T any](ctx context.Context, s *subcollections, collectionID, plural, singular string) ([]T, error) {
	var list []T
	err := s.listAll(ctx, collectionID, plural, func(doc *firestore.Document) error {
		var v T
		if err := decodeBody(doc, &v, singular); err != nil {
			return err
		}
		list = append(list, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// decodeBody decodes the JSON in the body field of doc into v. noun names
// the document in errors.
func decodeBody(doc *firestore.Document, v any, noun string) error {
	body, ok := doc.Fields[fieldBody]
	if !ok {
		return fmt.Errorf("gcp: firestore decode %s %s: the document has no %s field", noun, doc.Name, fieldBody)
	}
	if err := json.Unmarshal([]byte(body.StringValue), v); err != nil {
		return fmt.Errorf("gcp: firestore decode %s %s: %w", noun, doc.Name, err)
	}
	return nil
}

// put writes doc as the document called name. The patch has no
// precondition, so it creates the document or replaces all its fields.
func (s *subcollections) put(ctx context.Context, name string, doc *firestore.Document) error {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	_, err := s.docs.Patch(name, doc).Context(ctx).Do()
	return err
}

// remove deletes the document called name without a precondition, which
// succeeds when the document does not exist.
func (s *subcollections) remove(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	_, err := s.docs.Delete(name).Context(ctx).Do()
	return err
}

func (s *subcollections) listPage(ctx context.Context, collectionID, token string) (*firestore.ListDocumentsResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	call := s.docs.List(s.parent, collectionID).PageSize(listPageSize).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

// update reads the document key of the subcollection collectionID, passes
// it, or nil when it does not exist, to change, and writes what change
// returns when it reports a write: the new document, or nil to delete it.
// The write succeeds only while the document is as it was read. After a
// conflicting write by another caller it pauses, reads again and calls
// change again, up to writeAttempts times. op names the operation in
// errors.
func (s *subcollections) update(ctx context.Context, collectionID, key, op string,
	change func(doc *firestore.Document) (*firestore.Document, bool, error)) error {
	id := documentID(key)
	name := s.parent + "/" + collectionID + "/" + id
	for attempt := 1; ; attempt++ {
		doc, err := s.get(ctx, name)
		if err != nil {
			return classifyFirestore(err, name, "%s: read the document", op)
		}
		next, write, err := change(doc)
		if err != nil || !write {
			return err
		}
		err = s.write(ctx, collectionID, id, doc, next)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errDocumentChanged) {
			return classifyFirestore(err, name, "%s: write the document", op)
		}
		if attempt >= writeAttempts {
			return workflow.Errorf(workflow.ErrTransient,
				"gcp: firestore %s in %s: other writers changed the document in each of %d attempts, so retry",
				op, name, writeAttempts)
		}
		if err := s.pauseBeforeRetry(ctx, attempt); err != nil {
			return fmt.Errorf("gcp: firestore %s in %s: %w", op, name, err)
		}
	}
}

// write stores next as the document id of the subcollection collectionID,
// or deletes it when next is nil, on the condition that it is still base.
// When base is nil, it creates the document, which fails with
// ALREADY_EXISTS when another caller created it first. Otherwise it writes
// with the precondition that the update time is still that of base, which
// fails with FAILED_PRECONDITION (HTTP 400) when another caller wrote it
// since. Both failures return errDocumentChanged.
func (s *subcollections) write(ctx context.Context, collectionID, id string, base, next *firestore.Document) error {
	name := s.parent + "/" + collectionID + "/" + id
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout)
	defer cancel()
	var err error
	switch {
	case base == nil && next != nil:
		_, err = s.docs.CreateDocument(s.parent, collectionID, next).DocumentId(id).Context(ctx).Do()
		if rpcCode(err) == "ALREADY_EXISTS" {
			return errDocumentChanged
		}
		return err
	case base == nil:
		return nil
	case next == nil:
		_, err = s.docs.Delete(name).CurrentDocumentUpdateTime(base.UpdateTime).Context(ctx).Do()
	default:
		_, err = s.docs.Patch(name, next).CurrentDocumentUpdateTime(base.UpdateTime).Context(ctx).Do()
	}
	switch rpcCode(err) {
	case "FAILED_PRECONDITION", "NOT_FOUND", "ABORTED":
		// NOT_FOUND: the document was deleted since it was read. ABORTED:
		// Firestore stopped the write because of contention.
		return errDocumentChanged
	}
	return err
}

// pauseBeforeRetry waits after the failed attempt of a conditional write,
// with s.pause, or backoff.Pause when s.pause is nil.
func (s *subcollections) pauseBeforeRetry(ctx context.Context, attempt int) error {
	if s.pause == nil {
		return backoff.Pause(ctx, attempt)
	}
	return s.pause(ctx, attempt)
}
