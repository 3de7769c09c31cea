package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// MaxMappingSize is the largest mapping file accepted, in bytes. The
// mapping's request part goes into every request, which is at most
// request.MaxSize bytes, and the rest is a few short payload paths.
const MaxMappingSize = request.MaxSize

// MappingError lists every invalid part of a mapping file with its JSON
// path. Paths under $.request are request fields, and a key of fields is
// written as $.fields['repository.name'].
type MappingError struct {
	Fields []request.FieldError
}

func (e *MappingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid mapping: %d error(s)", len(e.Fields))
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Message)
	}
	return b.String()
}

// ParseMapping decodes a mapping file's content and checks it: the shape
// of every part, the request paths that fields map to, the request part's
// fields and credential references, and the authentication. A
// *MappingError lists every problem.
func ParseMapping(data []byte) (Mapping, error) {
	generic, err := request.DecodeJSONText(data)
	if err != nil {
		return Mapping{}, &MappingError{Fields: []request.FieldError{{Path: "$", Message: err.Error()}}}
	}
	top, ok := generic.(map[string]any)
	if !ok {
		return Mapping{}, &MappingError{Fields: []request.FieldError{{Path: "$", Message: "must be a JSON object"}}}
	}

	// Decode what the shape check left, so that one pass reports the
	// shape problems together with the others.
	problems := checkMappingShape(top)
	cleaned, err := json.Marshal(top)
	if err != nil {
		return Mapping{}, fmt.Errorf("encode the checked mapping: %w", err)
	}
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(cleaned))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		problems = append(problems, request.FieldError{Path: "$", Message: err.Error()})
		return Mapping{}, &MappingError{Fields: problems}
	}

	var invalid *MappingError
	if err := m.check(); errors.As(err, &invalid) {
		problems = append(problems, invalid.Fields...)
	}
	if len(problems) > 0 {
		return Mapping{}, &MappingError{Fields: problems}
	}
	return m, nil
}

// checkMappingShape reports unknown keys and wrong JSON types in the
// decoded mapping file, and removes them from top.
func checkMappingShape(top map[string]any) []request.FieldError {
	var problems []request.FieldError
	shape := map[string]reflect.Type{
		"auth":               reflect.TypeFor[AuthConfig](),
		"ticket_id":          reflect.TypeFor[string](),
		"event":              reflect.TypeFor[string](),
		"events":             reflect.TypeFor[[]string](),
		"delivery_id_header": reflect.TypeFor[string](),
		"request":            reflect.TypeFor[request.Request](),
	}
	for _, key := range sortedKeys(top) {
		path := "$." + key
		var found []request.FieldError
		switch typ, known := shape[key]; {
		case known:
			found = request.CheckShape(path, top[key], typ)
		case key == "when":
			found = checkTextMap(path, top[key])
		case key == "fields":
			found = checkFieldsShape(top[key])
		default:
			names := append(sortedKeys(shape), "fields", "when")
			sort.Strings(names)
			found = []request.FieldError{{Path: path, Message: "unknown field; remove it or use one of: " + strings.Join(names, ", ")}}
		}
		// The checks remove invalid values inside the value, but not the
		// value itself when it is of the wrong type.
		if len(found) > 0 && found[0].Path == path {
			delete(top, key)
		}
		problems = append(problems, found...)
	}
	return problems
}

// checkTextMap checks an object whose values are all strings, such as
// when, and removes the values that are not.
func checkTextMap(path string, value any) []request.FieldError {
	obj, ok := value.(map[string]any)
	if !ok {
		return []request.FieldError{{Path: path, Message: "must be an object of payload paths and texts"}}
	}
	var problems []request.FieldError
	for _, key := range sortedKeys(obj) {
		if _, ok := obj[key].(string); !ok {
			problems = append(problems, request.FieldError{Path: keyPath(path, key), Message: "must be a string"})
			delete(obj, key)
		}
	}
	return problems
}

// checkFieldsShape checks that every value of fields is a payload path or
// an object with from and split, and removes the other values.
func checkFieldsShape(value any) []request.FieldError {
	obj, ok := value.(map[string]any)
	if !ok {
		return []request.FieldError{{Path: "$.fields", Message: "must be an object of request paths and payload paths"}}
	}
	var problems []request.FieldError
	for _, target := range sortedKeys(obj) {
		path := keyPath("$.fields", target)
		switch field := obj[target].(type) {
		case string:
		case map[string]any:
			problems = append(problems, request.CheckShape(path, field, reflect.TypeFor[Field]())...)
		default:
			problems = append(problems, request.FieldError{Path: path,
				Message: `must be a payload path, such as "issue.key", or an object such as {"from": "issue.fields.labels", "split": ","}`})
			delete(obj, target)
		}
	}
	return problems
}

// checkFields checks that every key of fields names a request field that
// holds a value, and that split is used only for list fields.
func (m *Mapping) checkFields() []request.FieldError {
	var problems []request.FieldError
	for _, target := range sortedKeys(m.Fields) {
		path := keyPath("$.fields", target)
		if target == "id" {
			problems = append(problems, request.FieldError{Path: path, Message: "is not allowed; the request ID comes from ticket_id"})
			continue
		}
		typ, problem := requestFieldType(target)
		if problem != "" {
			problems = append(problems, request.FieldError{Path: path, Message: problem})
			continue
		}
		if request.IsCredentialRefPath("$." + target) {
			problems = append(problems, request.FieldError{Path: path,
				Message: "is a credential reference, and a ticket must not choose one, because its editor could then send any stored secret to a host of their choice; set it in request instead"})
			continue
		}
		if m.Fields[target].Split != "" && typ.Kind() != reflect.Slice {
			problems = append(problems, request.FieldError{Path: path + ".split",
				Message: fmt.Sprintf("is only for list fields, and %s is not a list; remove split", target)})
		}
	}
	return problems
}

// requestFieldType returns the Go type of the request field at a dotted
// path such as repository.name, or a message that explains why the path
// names no field that holds a value.
func requestFieldType(target string) (reflect.Type, string) {
	typ := reflect.TypeFor[request.Request]()
	walked := ""
	for _, key := range strings.Split(target, ".") {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return nil, fmt.Sprintf("%s is not a request field, because %s holds a value, not an object", target, walked)
		}
		names := jsonFieldNames(typ)
		field, ok := names[key]
		if !ok {
			within := "the request"
			if walked != "" {
				within = walked
			}
			return nil, fmt.Sprintf("%s is not a request field: %s has no field %q; use one of: %s",
				target, within, key, strings.Join(sortedKeys(names), ", "))
		}
		typ = field.Type
		walked = strings.TrimPrefix(walked+"."+key, ".")
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() == reflect.Struct {
		names := sortedKeys(jsonFieldNames(typ))
		return nil, fmt.Sprintf("%s is an object of the request; map each of its fields instead, such as %s.%s", target, target, names[0])
	}
	return typ, ""
}

// jsonFieldNames returns the fields of a struct type by their JSON names.
func jsonFieldNames(typ reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range typ.NumField() {
		field := typ.Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = field
		}
	}
	return fields
}

// checkSharedRequest checks the part of the request that the mapping
// sets for every ticket: it must not set the ID, which comes from the
// ticket, and every credential field must contain a reference, not a
// literal credential. The rest is checked with each delivery, once the
// ticket's fields complete the request.
func (m *Mapping) checkSharedRequest() []request.FieldError {
	var problems []request.FieldError
	if _, ok := m.Request["id"]; ok {
		problems = append(problems, request.FieldError{Path: "$.request.id", Message: "is not allowed; the request ID comes from ticket_id"})
	}
	shared, err := m.SharedRequest()
	if err != nil {
		return append(problems, request.FieldError{Path: "$.request", Message: err.Error()})
	}
	for _, ref := range shared.CredentialRefs() {
		if problem := request.RefSchemeProblem(ref.Ref); problem != "" {
			problems = append(problems, request.FieldError{Path: "$.request" + strings.TrimPrefix(ref.Path, "$"),
				Message: problem})
		}
	}
	return problems
}

// SharedRequest returns the request part of the mapping, which every
// ticket's request starts from, without the fields that tickets fill in.
// Its paths are those of a request, without the $.request prefix of the
// mapping file.
func (m *Mapping) SharedRequest() (request.Request, error) {
	var shared request.Request
	data, err := json.Marshal(m.Request)
	if err != nil {
		return shared, fmt.Errorf("encode the request part: %w", err)
	}
	if err := json.Unmarshal(data, &shared); err != nil {
		return shared, fmt.Errorf("decode the request part: %w", err)
	}
	return shared, nil
}

// keyPath returns the path of an object key that may contain dots.
func keyPath(path, key string) string {
	return path + "['" + key + "']"
}
