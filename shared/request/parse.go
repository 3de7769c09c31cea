package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// MaxSize is the largest request document accepted, in bytes.
const MaxSize = 64 << 10

// Parse decodes a request from JSON or YAML, applies defaults and validates
// it. A *ValidationError lists every bad field; the returned request is only
// usable when the error is nil.
func Parse(data []byte) (Request, error) {
	return parse(data, (*Request).validate, false)
}

// ParseJSON is Parse for a request that arrives as JSON, such as the body
// of a webhook delivery or a member of an API input. It accepts no YAML,
// and its messages speak of JSON alone.
func ParseJSON(data []byte) (Request, error) {
	return parse(data, (*Request).validate, true)
}

// parse decodes and checks a request as Parse does, with validate in
// place of Validate. With jsonOnly, data must be JSON.
func parse(data []byte, validate func(*Request, *validator) error, jsonOnly bool) (Request, error) {
	var req Request
	if len(data) > MaxSize {
		return req, &ValidationError{Fields: []FieldError{{Path: "$", Message: fmt.Sprintf("request is %d bytes; the limit is %d", len(data), MaxSize)}}}
	}
	doc, err := toJSON(data, jsonOnly)
	if err != nil {
		return req, &ValidationError{Fields: []FieldError{{Path: "$", Message: err.Error()}}}
	}

	generic, err := DecodeJSON(doc)
	if err != nil {
		return req, &ValidationError{Fields: []FieldError{{Path: "$", Message: "invalid JSON: " + err.Error() + syntaxPosition(data, doc, err)}}}
	}
	// A document that is not an object, such as a line of text that YAML
	// reads as a string, has no fields to check.
	if _, ok := generic.(map[string]any); !ok {
		return req, &ValidationError{Fields: []FieldError{{Path: "$", Message: notObjectMessage(generic, jsonOnly)}}}
	}
	fields := duplicateKeys(doc)
	checkShape("$", generic, reflect.TypeFor[Request](), &fields)
	fields = append(fields, zeroEgressPort(generic)...)

	// Decode and validate what checkShape left, so that one pass reports
	// the shape errors together with every other invalid field.
	cleaned, err := json.Marshal(generic)
	if err == nil {
		err = json.Unmarshal(cleaned, &req)
	}
	if err != nil {
		fields = append(fields, decodeError(err))
		return req, &ValidationError{Fields: fields}
	}
	req.ApplyDefaults()

	// The validator learns which fields the shape checks reported, so it
	// skips the checks that depend on their values. A field that was
	// dropped here holds its default, which is not what the author wrote.
	v := &validator{}
	for _, field := range fields {
		v.markReported(field.Path)
	}
	var invalid *ValidationError
	if err := validate(&req, v); errors.As(err, &invalid) {
		// Errors inside a block that does not belong to the route add
		// nothing to the fix, which is to remove the block.
		fields = append(dropCovered(fields, v.misplaced), dropCovered(invalid.Fields, fields)...)
	} else if err != nil {
		return req, err
	}
	if len(fields) > 0 {
		return req, &ValidationError{Fields: fields}
	}
	return req, nil
}

// WithJSONSyntaxError returns err, the error of Parse or ParseForTeardown
// for data, with a YAML syntax error replaced by the JSON syntax error of
// data. A reader of a file named *.json calls it, because Parse reads text
// that does not start with "{" as YAML, and the author of a JSON file needs
// to see where the JSON is broken. Other errors are returned unchanged.
func WithJSONSyntaxError(data []byte, err error) error {
	var invalid *ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
		return err
	}
	if field := invalid.Fields[0]; field.Path != "$" || !strings.HasPrefix(field.Message, invalidYAML) {
		return err
	}
	doc, jsonErr := toJSON(data, true)
	if jsonErr != nil {
		// The messages of toJSON's own errors, such as invalid UTF-8,
		// start with "invalid JSON" already.
		return &ValidationError{Fields: []FieldError{{Path: "$", Message: jsonErr.Error()}}}
	}
	if _, jsonErr = DecodeJSON(doc); jsonErr == nil {
		return err
	}
	return &ValidationError{Fields: []FieldError{{Path: "$", Message: "invalid JSON: " + jsonErr.Error() + syntaxPosition(data, doc, jsonErr)}}}
}

// DecodeJSONText decodes data, the text of one JSON value such as a
// mapping file, as DecodeJSON does. It first reads data as Parse reads a
// JSON request. So it drops a leading UTF-8 byte order mark and the
// surrounding white space, and rejects empty text, UTF-16, UTF-32 and
// invalid UTF-8.
// A syntax error names its line, column and likely mistake, and wraps the
// *json.SyntaxError.
func DecodeJSONText(data []byte) (any, error) {
	doc, err := trimText(data)
	if err != nil {
		return nil, err
	}
	if len(doc) == 0 {
		return nil, errors.New("invalid JSON: the text is empty")
	}
	if err := checkUTF8(data, doc); err != nil {
		return nil, err
	}
	value, err := DecodeJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w%s", err, syntaxPosition(data, doc, err))
	}
	return value, nil
}

// syntaxPosition returns " at line L, column C" for err, a JSON syntax
// error in doc, followed by the hint of syntaxHint, so that the author of
// a long request file can find and fix it.
// Lines and columns count from 1 in data, without its byte order mark,
// and columns count characters. It returns "" for another error, and when
// doc is not the text of data but JSON converted from YAML.
func syntaxPosition(data, doc []byte, err error) string {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) || syntax.Offset < 1 {
		return ""
	}
	text := bytes.TrimPrefix(data, byteOrderMark)
	start := bytes.Index(text, doc)
	if start < 0 {
		return ""
	}
	// Offset counts the bytes read up to and including the invalid one,
	// and at the end of the document it counts every byte, so the position
	// is right after the last one.
	end := start + int(syntax.Offset) - 1
	if syntax.Error() == unexpectedEnd {
		end = start + int(syntax.Offset)
	}
	before := text[:min(end, len(text))]
	line := bytes.Count(before, []byte("\n")) + 1
	column := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf(" at line %d, column %d", line, column) + syntaxHint(syntax.Error())
}

// unexpectedEnd is the message of encoding/json for a document that ends
// before its top-level value is complete.
const unexpectedEnd = "unexpected end of JSON input"

// syntaxHints pairs the end of an encoding/json syntax error message with
// the likely mistake, checked in order.
var syntaxHints = []struct{ suffix, hint string }{
	{unexpectedEnd, "the document ends early: a closing } or ] is probably missing at the end of the file, or a string has no closing quote"},
	{"after top-level value", "the document continues after its closing }: remove the text from here on, such as a } too many"},
	{"after object key:value pair", "a comma is probably missing before this"},
	{"after array element", "a comma is probably missing before this"},
	{"looking for beginning of object key string", "keys need double quotes, and JSON allows no comma after the last field of an object"},
	{"after object key", "a colon is missing between the key and its value"},
	{"looking for beginning of value", "a value is missing or is not JSON, such as after a comma after the last list item, or a word or string without double quotes"},
	{"in string literal", "a string contains a control character, such as a tab or line break; write it as \\t or \\n"},
	{"in string escape code", "a backslash inside a string must be written as \\\\ unless it starts an escape such as \\n"},
}

// syntaxHint returns "; " and the likely mistake behind a JSON syntax
// error message, or "" when there is no hint for it.
func syntaxHint(message string) string {
	for _, h := range syntaxHints {
		if strings.HasSuffix(message, h.suffix) {
			return "; " + h.hint
		}
	}
	return ""
}

// DecodeJSON decodes doc, one JSON value, as json.Unmarshal decodes it into
// an any: into maps, slices, strings, float64, bools and nil. A number
// beyond the range of float64, such as 1e400, on which json.Unmarshal
// fails without naming where it is, decodes to a value that CheckShape and
// CheckTypes report at its path as of the wrong type.
func DecodeJSON(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var value any
	err := dec.Decode(&value)
	if err == nil {
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			return convertNumbers(value), nil
		}
	}
	// A Decoder reports a truncated document as io.ErrUnexpectedEOF and
	// text after the value without an offset, but json.Unmarshal returns
	// a *json.SyntaxError with the offset for both.
	var raw json.RawMessage
	if syntaxErr := json.Unmarshal(doc, &raw); syntaxErr != nil {
		return nil, syntaxErr
	}
	if err == nil {
		err = errors.New("invalid character after the top-level value")
	}
	return nil, err
}

// outOfRangeNumber is a JSON number that float64 cannot hold.
type outOfRangeNumber struct{}

// convertNumbers replaces each json.Number in value with its float64, or
// with outOfRangeNumber when it is beyond the range of float64.
func convertNumbers(value any) any {
	switch v := value.(type) {
	case json.Number:
		n, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return outOfRangeNumber{}
		}
		return n
	case map[string]any:
		for key, item := range v {
			v[key] = convertNumbers(item)
		}
	case []any:
		for i, item := range v {
			v[i] = convertNumbers(item)
		}
	}
	return value
}

// notObjectMessage returns the error message for a document whose top
// level is value, a decoded JSON value other than an object. With
// jsonOnly, the message leaves YAML out.
func notObjectMessage(value any, jsonOnly bool) string {
	kind := "null"
	switch value.(type) {
	case string:
		kind = "a string"
	case float64, outOfRangeNumber:
		kind = "a number"
	case bool:
		kind = "true or false"
	case []any:
		kind = "an array"
	}
	object := "a JSON object or YAML mapping"
	if jsonOnly {
		object = "a JSON object"
	}
	return "must be " + object + ` of request fields, such as {"id": "DATA-4711", "route": "public", ...}; the document is ` + kind
}

// decodeError converts an error of decoding the checked document into a
// Request to a field error. The type error of encoding/json names Go
// types, such as "request.Request", which mean nothing to the author of a
// request, so the message names the JSON value instead. checkShape removes
// the values of the wrong type first, so this is a fallback.
func decodeError(err error) FieldError {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return FieldError{Path: "$", Message: "invalid request: " + err.Error()}
	}
	path := "$"
	if typeErr.Field != "" {
		path += "." + typeErr.Field
	}
	return FieldError{Path: path, Message: "is a JSON " + typeErr.Value + ", which this field does not accept"}
}

// dropCovered returns the errors of fields whose path is neither a path
// in reported nor inside one. Validate saw no value or only the last of
// repeated values at a reported path, so its errors there, such as
// "missing", would mislead.
func dropCovered(fields, reported []FieldError) []FieldError {
	var out []FieldError
	for _, f := range fields {
		covered := slices.ContainsFunc(reported, func(r FieldError) bool {
			return f.Path == r.Path || strings.HasPrefix(f.Path, r.Path+".") || strings.HasPrefix(f.Path, r.Path+"[")
		})
		if !covered {
			out = append(out, f)
		}
	}
	return out
}

// invalidYAML starts the message of a YAML syntax error.
const invalidYAML = "invalid YAML: "

// byteOrderMark is the UTF-8 encoding of U+FEFF, which some editors
// write at the start of a file.
var byteOrderMark = []byte("\xef\xbb\xbf")

// otherEncodings are the byte order marks of the UTF-16 and UTF-32
// encodings, longest first, because the UTF-32LE mark starts with the
// UTF-16LE one.
var otherEncodings = []struct {
	name string
	mark []byte
}{
	{"UTF-32BE", []byte("\x00\x00\xfe\xff")},
	{"UTF-32LE", []byte("\xff\xfe\x00\x00")},
	{"UTF-16BE", []byte("\xfe\xff")},
	{"UTF-16LE", []byte("\xff\xfe")},
}

// CheckByteOrderMark returns an error when data starts with the byte order
// mark of UTF-16 or UTF-32, such as a file that an editor saved as
// "Unicode". Requests and mappings must be UTF-8, because the JSON and YAML
// decoders would misread such text.
func CheckByteOrderMark(data []byte) error {
	for _, encoding := range otherEncodings {
		if bytes.HasPrefix(data, encoding.mark) {
			return fmt.Errorf("the text is %s (it starts with the %s byte order mark), but it must be UTF-8; save or send it as UTF-8", encoding.name, encoding.name)
		}
	}
	return nil
}

// toJSON accepts JSON as it is and, unless jsonOnly, converts YAML to
// JSON. A leading UTF-8 byte order mark is dropped, and a UTF-16 or
// UTF-32 one is rejected.
func toJSON(data []byte, jsonOnly bool) ([]byte, error) {
	trimmed, err := trimText(data)
	if err != nil {
		return nil, err
	}
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("request is empty")
	}
	if trimmed[0] == '{' || jsonOnly {
		if err := checkUTF8(data, trimmed); err != nil {
			return nil, err
		}
		return trimmed, nil
	}
	if err := checkOneDocument(trimmed); err != nil {
		return nil, err
	}
	// The strict conversion rejects a key repeated in one mapping, which the
	// plain one resolves by keeping the last value.
	doc, err := yaml.YAMLToJSONStrict(trimmed)
	if err != nil {
		return nil, fmt.Errorf(invalidYAML+"%s", repeatedKeyPattern.ReplaceAllString(err.Error(), repeatedKeyMessage))
	}
	return doc, nil
}

// trimText returns data without a leading UTF-8 byte order mark and
// without the white space around it. It rejects a UTF-16 or UTF-32 byte
// order mark.
func trimText(data []byte) ([]byte, error) {
	if err := CheckByteOrderMark(data); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(bytes.TrimPrefix(data, byteOrderMark)), nil
}

// checkUTF8 returns an error that names the offset in data of the first
// invalid byte when doc, the JSON text in data, is not valid UTF-8.
// encoding/json replaces each invalid byte with U+FFFD, so an ID such as
// "DATA-\xff" would run as another request than the file's.
func checkUTF8(data, doc []byte) error {
	if utf8.Valid(doc) {
		return nil
	}
	return fmt.Errorf("invalid JSON: the text is not valid UTF-8 at byte %d; save the file as UTF-8", invalidUTF8Offset(data))
}

// invalidUTF8Offset returns the offset in data of the first byte that
// does not start a valid UTF-8 sequence, or len(data) when there is none.
func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// repeatedKeyPattern matches the go.yaml.in/yaml/v2 error for a repeated
// key, which repeatedKeyMessage rewords to say what to change.
var repeatedKeyPattern = regexp.MustCompile(`key (".*") already set in map`)

const repeatedKeyMessage = `key $1 appears more than once in the same mapping; keep one`

// checkOneDocument returns an error when the YAML stream contains a second
// document that is not empty, which the conversion to JSON would drop.
func checkOneDocument(data []byte) error {
	dec := yamlv2.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf(invalidYAML+"%w", err)
		}
		if n > 1 && doc != nil {
			return errors.New(invalidYAML + "the file contains more than one document; remove the --- line and everything after it, or put each request in a file of its own")
		}
	}
}

// duplicateKeys reports every object key that appears twice in the same
// object. encoding/json keeps the last value, so a document such as
// {"id":"A","id":"B"} would otherwise run as B without a word. doc must be
// valid JSON.
func duplicateKeys(doc []byte) []FieldError {
	var fields []FieldError
	dec := json.NewDecoder(bytes.NewReader(doc))
	// Numbers stay text, so that one beyond the range of float64 does not
	// end the walk.
	dec.UseNumber()
	var walk func(path string)
	walk = func(path string) {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return
				}
				name, _ := key.(string)
				child := path + "." + name
				if seen[name] {
					fields = append(fields, FieldError{Path: child, Message: "appears more than once in the same object; keep one"})
				}
				seen[name] = true
				walk(child)
			}
			dec.Token() // the closing brace
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i))
			}
			dec.Token() // the closing bracket
		}
	}
	walk("$")
	return fields
}

// CheckShape reports the unknown fields and wrong JSON types of value, a
// JSON document decoded into maps, slices, float64 and the other
// encoding/json types, against typ, the Go type that will hold it. Paths
// start with path. It removes each reported value from its object, or
// sets it to null in its array, so that the rest decodes into typ. Values
// are never echoed, and a field named like a credential, such as
// "password", gets a message that names the reference field to use.
func CheckShape(path string, value any, typ reflect.Type) []FieldError {
	var fields []FieldError
	checkShape(path, value, typ, &fields)
	return fields
}

// CheckTypes is CheckShape without the unknown fields: it passes over an
// object key that typ has no field for, as encoding/json does, and
// reports only the values of the wrong JSON type.
func CheckTypes(path string, value any, typ reflect.Type) []FieldError {
	var fields []FieldError
	shape{fields: &fields, ignoreUnknown: true}.check(path, value, typ)
	return fields
}

// credentialKeys are field names that would carry a credential in clear text.
var credentialKeys = map[string]string{
	"password":    "password_ref",
	"token":       "token_ref",
	"private_key": "private_key_ref",
	"secret":      "password_ref or token_ref",
	"passphrase":  "private_key_passphrase_ref",
	"api_key":     "token_ref",
}

// checkShape walks a decoded JSON value against the Go type that will hold
// it, reporting unknown fields and wrong JSON types with their paths. It
// removes each reported value from its object or sets it to null in its
// array, so that the rest decodes into typ. It returns false when value
// itself has the wrong type. Values are never echoed, since a misplaced one
// may be a credential.
func checkShape(path string, value any, typ reflect.Type, fields *[]FieldError) bool {
	return shape{fields: fields}.check(path, value, typ)
}

// shape is one walk of checkShape or CheckTypes.
type shape struct {
	fields *[]FieldError
	// ignoreUnknown passes over object keys that the Go type has no field
	// for, in place of reporting and removing them.
	ignoreUnknown bool
}

// checkNumbers reports each number beyond the range of float64 in value,
// a value that CheckTypes does not check against a type.
func (s shape) checkNumbers(path string, value any) {
	switch v := value.(type) {
	case outOfRangeNumber:
		*s.fields = append(*s.fields, FieldError{Path: path, Message: "must be a number between -1.8e308 and 1.8e308"})
	case map[string]any:
		for key, item := range v {
			s.checkNumbers(path+"."+key, item)
		}
	case []any:
		for i, item := range v {
			s.checkNumbers(fmt.Sprintf("%s[%d]", path, i), item)
		}
	}
}

// timeType is decoded by encoding/json from an RFC 3339 string, through
// its UnmarshalJSON method, although its kind is a struct.
var timeType = reflect.TypeFor[time.Time]()

func (s shape) check(path string, value any, typ reflect.Type) bool {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if value == nil {
		return true
	}
	fail := func(message string) bool {
		*s.fields = append(*s.fields, FieldError{Path: path, Message: message})
		return false
	}
	if typ == timeType {
		text, ok := value.(string)
		if _, err := time.Parse(time.RFC3339, text); !ok || err != nil {
			return fail("must be a time in RFC 3339 format, such as 2026-01-02T15:04:05Z")
		}
		return true
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := value.(map[string]any)
		if !ok {
			return fail("must be an object")
		}
		known := jsonFields(typ)
		keys := make([]string, 0, len(obj))
		for key := range obj {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			field, ok := known[key]
			if !ok && s.ignoreUnknown {
				s.checkNumbers(path+"."+key, obj[key])
				continue
			}
			if !ok {
				*s.fields = append(*s.fields, FieldError{Path: path + "." + key, Message: unknownFieldMessage(key, known)})
				delete(obj, key)
				continue
			}
			if !s.check(path+"."+key, obj[key], field.Type) {
				delete(obj, key)
			}
		}
	case reflect.Slice:
		items, ok := value.([]any)
		if !ok {
			return fail(notArrayMessage(path, value))
		}
		for i, item := range items {
			if !s.check(fmt.Sprintf("%s[%d]", path, i), item, typ.Elem()) {
				items[i] = nil
			}
		}
	case reflect.String:
		if _, ok := value.(string); !ok {
			return fail(notStringMessage(path, value))
		}
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			return fail("must be true or false")
		}
	case reflect.Int, reflect.Int64:
		// 2^53 bounds the integers that a float64 holds exactly.
		n, ok := value.(float64)
		if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return fail("must be a whole number")
		}
	case reflect.Float64:
		if _, ok := value.(outOfRangeNumber); ok {
			return fail("must be a number between -1.8e308 and 1.8e308")
		}
		if _, ok := value.(float64); !ok {
			return fail("must be a number")
		}
	default:
		if _, ok := value.(outOfRangeNumber); ok {
			return fail("must be a number between -1.8e308 and 1.8e308")
		}
	}
	return true
}

// notStringMessage returns the message for a value that is not a string.
// An unquoted version such as 3.10 is a number in YAML and JSON, and a
// number drops trailing zeros, so the message requests quotes. YAML 1.1,
// which the conversion to JSON follows, reads unquoted yes, no, on and off
// as booleans, so the message for a boolean requests quotes too, except in
// a field with a fixed set of values, where it names a value to write.
func notStringMessage(path string, value any) string {
	if b, ok := value.(bool); ok {
		if values := choiceValues(path); values != nil {
			return notChoiceMessage(path, values, b)
		}
		return `must be a string, not true or false; put the value in quotes, such as "no", ` +
			"because YAML reads unquoted yes, no, on, off, true and false as true or false"
	}
	if _, ok := value.(float64); !ok {
		return "must be a string"
	}
	if strings.HasSuffix(path, ".runtime_version") {
		return `must be a string, not a number; quote the version, such as runtime_version: "3.10", because an unquoted 3.10 is the number 3.1`
	}
	return "must be a string, not a number; put the value in quotes"
}

// arrayExamples are example values of array fields, by field name, for
// the message on a single value where an array belongs.
var arrayExamples = map[string]string{
	"packages":               `["requests"]`,
	"grant_to_roles":         `["DATA_SCIENCE"]`,
	"extra_allowed_prefixes": `["https://files.corp.example.com/packages/"]`,
	"subnet_ids":             `["subnet-0123456789abcdef0"]`,
	"security_group_ids":     `["sg-0123456789abcdef0"]`,
	"target_tags":            `["pypi"]`,
}

// notArrayMessage returns the message for a value that is not an array.
// A single string or number where a list belongs gets the hint to put it
// in one, with an example for the field. The value itself is not echoed.
func notArrayMessage(path string, value any) string {
	switch value.(type) {
	case string, float64, bool:
	default:
		return "must be an array"
	}
	example := `["VALUE"]`
	if i := strings.LastIndex(path, "."); i >= 0 {
		if e, ok := arrayExamples[path[i+1:]]; ok {
			example = e
		}
	}
	return "must be an array; put the value in a list, such as " + example + ", even when it has one item"
}

func unknownFieldMessage(key string, known map[string]reflect.StructField) string {
	if ref, ok := credentialKeys[strings.ToLower(key)]; ok {
		return literalCredentialMessage(ref, commandRefExamples)
	}
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Strings(names)
	return "unknown field; remove it or use one of: " + strings.Join(names, ", ")
}

// Examples of credential references in the message for a literal
// credential. repolink up reads an env: or file: reference only when
// --allow-local-refs lists it, so a service suggests secret stores.
const (
	commandRefExamples = "env:NAME or aws-secretsmanager:ARN"
	serviceRefExamples = awsSecretRefExample + ", " + keyVaultRefExample + " or " + gcpSecretRefExample +
		"; repolink up reads env: and file: references only where --allow-local-refs lists them"
)

// literalCredentialMessage returns the message for a literal credential
// whose reference belongs in the field ref, with examples of references.
func literalCredentialMessage(ref, examples string) string {
	return fmt.Sprintf("literal credentials are not accepted; put the credential in a secret store and give %s a reference such as %s", ref, examples)
}

// WithServiceCredentialFixes returns err with the message of each literal
// credential in a *ValidationError suggesting secret-store references in
// place of env:NAME, for a request sent to repolink up. Other errors are
// returned unchanged.
func WithServiceCredentialFixes(err error) error {
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		return err
	}
	fields := make([]FieldError, len(invalid.Fields))
	for i, field := range invalid.Fields {
		fields[i] = field
		// A caller may have added to the message, such as the ticket
		// field that a mapped request came from, so the rest is kept.
		for _, ref := range credentialKeys {
			if rest, ok := strings.CutPrefix(field.Message, literalCredentialMessage(ref, commandRefExamples)); ok {
				fields[i].Message = literalCredentialMessage(ref, serviceRefExamples) + rest
				break
			}
		}
	}
	return &ValidationError{Fields: fields}
}

// jsonFields returns the fields of the struct type typ by JSON name. The
// fields of an embedded struct without a JSON name count as fields of typ,
// as encoding/json decodes them, unless typ has a field of the same name.
func jsonFields(typ reflect.Type) map[string]reflect.StructField {
	fields := make(map[string]reflect.StructField, typ.NumField())
	var embedded []reflect.StructField
	for i := range typ.NumField() {
		field := typ.Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" && field.Anonymous && field.Type.Kind() == reflect.Struct {
			embedded = append(embedded, field)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		fields[name] = field
	}
	for _, field := range embedded {
		for name, inner := range jsonFields(field.Type) {
			if _, ok := fields[name]; !ok {
				fields[name] = inner
			}
		}
	}
	return fields
}
