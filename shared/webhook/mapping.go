package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// Mapping turns a ticket system's webhook payload into a request. It is read
// from a JSON file; examples/ has one for Jira and one for ServiceNow.
type Mapping struct {
	// Auth is the authentication of the ticket system's deliveries.
	Auth AuthConfig `json:"auth"`
	// TicketID is the payload path of the ticket key, such as issue.key.
	// It becomes the request ID.
	TicketID string `json:"ticket_id"`
	// Event is the payload path of the event name, such as webhookEvent.
	Event string `json:"event,omitempty"`
	// Events lists the event names that start a run. Other events get a
	// 200 response and start nothing. Absent means every event, and an
	// empty list is rejected.
	Events []string `json:"events,omitempty"`
	// When lists payload paths and the text each must equal, such as the
	// ticket status that approves the request; other deliveries are
	// ignored.
	When map[string]string `json:"when,omitempty"`
	// DeliveryIDHeader names the header that identifies a delivery across
	// redeliveries, such as X-Atlassian-Webhook-Identifier. It is logged
	// and recorded.
	DeliveryIDHeader string `json:"delivery_id_header,omitempty"`
	// Request is the part of the request that every ticket shares, such as
	// the route, the Snowflake service user and the network.
	Request map[string]any `json:"request"`
	// Fields maps request paths (snowflake.account) to payload paths.
	Fields map[string]Field `json:"fields"`
}

// Field is the payload location of one request field.
type Field struct {
	// From is the payload path, with "." between keys and array indexes,
	// such as issue.fields.customfield_10204 or issue.fields.labels.0.
	From string `json:"from"`
	// Split, when set, turns a text value into a list, such as the
	// packages entered as "requests, corp-utils==2.3.1". With ",", a piece
	// that starts with a version operator stays with the requirement
	// before it, so "requests>=2.31,<3, corp-utils" has two items.
	Split string `json:"split,omitempty"`
}

// UnmarshalJSON accepts a bare payload path as well as an object.
func (f *Field) UnmarshalJSON(data []byte) error {
	var path string
	if err := json.Unmarshal(data, &path); err == nil {
		f.From = path
		return nil
	}
	type plain Field
	return json.Unmarshal(data, (*plain)(f))
}

// ReadMapping reads and checks a mapping file. It reads at most
// MaxMappingSize bytes. Its error names the file, and for an invalid
// mapping it wraps a *MappingError that lists every problem with its path.
func ReadMapping(path string) (Mapping, error) {
	data, err := request.ReadFileLimited(path, MaxMappingSize)
	var tooLarge *request.TooLargeError
	if errors.As(err, &tooLarge) {
		return Mapping{}, fmt.Errorf("mapping %w, so shorten it: its request part must fit in a request", err)
	}
	if err != nil {
		return Mapping{}, fmt.Errorf("read mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// check returns a *MappingError listing every problem of a decoded
// mapping, or nil.
func (m *Mapping) check() error {
	problems := m.checkRequired()
	problems = append(problems, m.checkSelection()...)
	problems = append(problems, m.checkFields()...)
	problems = append(problems, m.checkSharedRequest()...)
	if len(problems) > 0 {
		return &MappingError{Fields: problems}
	}
	return nil
}

// checkRequired reports the missing parts of a decoded mapping and invalid
// authentication.
func (m *Mapping) checkRequired() []request.FieldError {
	var problems []request.FieldError
	if m.TicketID == "" {
		problems = append(problems, request.FieldError{Path: "$.ticket_id", Message: "missing; set it to the payload path of the ticket key, such as issue.key"})
	}
	if len(m.Fields) == 0 && len(m.Request) == 0 {
		problems = append(problems, request.FieldError{Path: "$", Message: "request and fields are both empty; nothing maps to a request"})
	}
	for _, target := range sortedKeys(m.Fields) {
		if m.Fields[target].From == "" {
			problems = append(problems, request.FieldError{Path: keyPath("$.fields", target), Message: "has no payload path; set it, such as issue.fields.customfield_10201"})
		}
	}
	if err := m.Auth.check(); err != nil {
		problems = append(problems, request.FieldError{Path: "$.auth", Message: err.Error()})
	}
	return problems
}

// checkSelection reports an events list or when object that would not
// select deliveries as its author meant. An empty one would start a run on
// every event, such as a deleted ticket, and events without event would
// match no delivery.
func (m *Mapping) checkSelection() []request.FieldError {
	var problems []request.FieldError
	if m.Events != nil && len(m.Events) == 0 {
		problems = append(problems, request.FieldError{Path: "$.events",
			Message: `is an empty list, which would start a run on every event, such as a deleted ticket; list the events that start a run, such as ["jira:issue_created", "jira:issue_updated"]`})
	}
	for i, event := range m.Events {
		if strings.TrimSpace(event) == "" {
			problems = append(problems, request.FieldError{Path: fmt.Sprintf("$.events[%d]", i),
				Message: "is empty or only whitespace; set an event name, such as jira:issue_updated, or remove the entry"})
		}
	}
	if len(m.Events) > 0 && m.Event == "" {
		problems = append(problems, request.FieldError{Path: "$.event",
			Message: "missing; events needs the payload path of the event name, such as webhookEvent, because without it no delivery matches events"})
	}
	if m.When != nil && len(m.When) == 0 {
		problems = append(problems, request.FieldError{Path: "$.when",
			Message: `is an empty object, which would start a run for every ticket; list payload paths and the text each must equal, such as {"issue.fields.status.name": "Approved"}, or remove when`})
	}
	return problems
}

// Ticket is a payload mapped to a request.
type Ticket struct {
	ID      string
	Event   string
	Request request.Request
	// Ignored, when set, is the reason that the delivery starts nothing.
	Ignored string
}

// Map reads a payload. A payload that the mapping ignores returns a Ticket
// with Ignored set; a payload that maps to an invalid request returns a
// *request.ValidationError whose messages name the ticket fields.
func (m *Mapping) Map(payload []byte) (Ticket, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return Ticket{}, fieldError("$", "payload must be a JSON object: "+err.Error())
	}
	if _, ok := doc.(map[string]any); !ok {
		return Ticket{}, fieldError("$", "payload must be a JSON object")
	}

	var t Ticket
	if m.Event != "" {
		t.Event, _ = lookupText(doc, m.Event)
	}
	if len(m.Events) > 0 && !slices.Contains(m.Events, t.Event) {
		t.Ignored = fmt.Sprintf("event %q is not one of %s", t.Event, strings.Join(m.Events, ", "))
		return t, nil
	}
	for _, path := range sortedKeys(m.When) {
		got, _ := lookupText(doc, path)
		if got != m.When[path] {
			t.Ignored = fmt.Sprintf("ticket field %s is %q, not %q", path, got, m.When[path])
			return t, nil
		}
	}

	id, _ := lookupText(doc, m.TicketID)
	if id == "" {
		return t, fieldError("$.id", fmt.Sprintf("ticket field %s is missing or empty", m.TicketID))
	}
	t.ID = id
	req, err := m.build(doc, id)
	if err != nil {
		return t, err
	}
	t.Request = req
	return t, nil
}

// build fills a copy of the shared request part with the ticket's fields and
// parses the result.
func (m *Mapping) build(doc any, id string) (request.Request, error) {
	out := deepCopy(m.Request).(map[string]any)
	out["id"] = id
	var fields []request.FieldError
	for _, target := range sortedKeys(m.Fields) {
		field := m.Fields[target]
		value, err := field.value(doc)
		if err != nil {
			fields = append(fields, request.FieldError{Path: "$." + target, Message: err.Error()})
			continue
		}
		setPath(out, strings.Split(target, "."), value)
	}
	if len(fields) > 0 {
		return request.Request{}, &request.ValidationError{Fields: fields}
	}

	data, err := json.Marshal(out)
	if err != nil {
		return request.Request{}, fieldError("$", "encode mapped request: "+err.Error())
	}
	if len(data) > request.MaxSize {
		return request.Request{}, m.tooLarge(out, len(data))
	}
	req, err := request.ParseJSON(data)
	if invalid, ok := err.(*request.ValidationError); ok {
		for i, f := range invalid.Fields {
			if field, ok := m.Fields[mappedTarget(f.Path)]; ok {
				invalid.Fields[i].Message += " (mapped from ticket field " + field.From + ")"
			}
		}
	}
	return req, err
}

// mappedTarget returns the request path of a validation error path in the
// form of a Fields key, without the leading $. and without a trailing list
// index, so that $.repository.packages[1] returns repository.packages.
func mappedTarget(path string) string {
	target := strings.TrimPrefix(path, "$.")
	if i := strings.IndexByte(target, '['); i >= 0 {
		target = target[:i]
	}
	return target
}

// tooLarge returns the error of a mapped request of size bytes, above
// request.MaxSize. It names the mapped field with the largest value,
// because a ticket field, not the mapping file, makes a request grow. It
// names $ when the mapping maps no field.
func (m *Mapping) tooLarge(mapped map[string]any, size int) error {
	path, largest := "", 0
	for _, target := range sortedKeys(m.Fields) {
		found, _ := lookup(mapped, target)
		value, err := json.Marshal(found)
		if err == nil && len(value) > largest {
			path, largest = target, len(value)
		}
	}
	if path == "" {
		return fieldError("$", fmt.Sprintf("the mapped request is %d bytes; the limit is %d", size, request.MaxSize))
	}
	return fieldError("$."+path, fmt.Sprintf("is %d bytes (mapped from ticket field %s), which makes the mapped request %d bytes; the limit is %d, so shorten the ticket field",
		largest, m.Fields[path].From, size, request.MaxSize))
}

func (f Field) value(doc any) (any, error) {
	v, ok := lookup(doc, f.From)
	if !ok || v == nil || v == "" {
		return nil, fmt.Errorf("ticket field %s is missing or empty", f.From)
	}
	// A list that maps to no items is rejected like an empty text, because
	// an empty list means something of its own in a request. An empty
	// grant_to_roles, for one, revokes the grants of earlier runs.
	switch x := v.(type) {
	case string:
		if f.Split == "" {
			return x, nil
		}
		items := splitList(x, f.Split)
		if len(items) == 0 {
			return nil, fmt.Errorf("ticket field %s is missing or empty: its value has only whitespace and the separator %q; list one item or more", f.From, f.Split)
		}
		return items, nil
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("ticket field %s is missing or empty: it is an empty list; list one item or more", f.From)
		}
		return x, nil
	case json.Number, bool:
		return x, nil
	default:
		return nil, fmt.Errorf("ticket field %s is an object; map a text property of it, such as %s.value", f.From, f.From)
	}
}

// splitList splits text at sep and trims the pieces, dropping empty ones.
// A comma also separates the version clauses of one requirement
// (requests>=2.31,<3) and its extras (requests[socks,security]). So with
// sep "," a piece joins the piece before it when it starts a PEP 440
// version clause (one of < > = ! ~) or when the extras bracket of the piece
// before it is still open.
func splitList(text, sep string) []any {
	var items []any
	for _, part := range strings.Split(text, sep) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if sep == "," && len(items) > 0 {
			previous := items[len(items)-1].(string)
			clause := strings.ContainsRune("<>=!~", rune(part[0]))
			openExtras := strings.Count(previous, "[") > strings.Count(previous, "]")
			if clause || openExtras {
				items[len(items)-1] = previous + "," + part
				continue
			}
		}
		items = append(items, part)
	}
	return items
}

// lookup follows a dotted path through objects and arrays.
func lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, key := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[key]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// lookupText returns a text or number value at path.
func lookupText(doc any, path string) (string, bool) {
	v, ok := lookup(doc, path)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func setPath(doc map[string]any, keys []string, value any) {
	for _, key := range keys[:len(keys)-1] {
		next, ok := doc[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[key] = next
		}
		doc = next
	}
	doc[keys[len(keys)-1]] = value
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, child := range x {
			out[k] = deepCopy(child)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, child := range x {
			out[i] = deepCopy(child)
		}
		return out
	}
	return v
}

func fieldError(path, message string) *request.ValidationError {
	return &request.ValidationError{Fields: []request.FieldError{{Path: path, Message: message}}}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
