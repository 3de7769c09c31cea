package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/request"
)

// editMapping returns the Jira example mapping with every old text replaced
// by its new text, and fails when one is not found.
func editMapping(t *testing.T, replace ...string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(doc, replace[i]) {
			t.Fatalf("example mapping has no %s", replace[i])
		}
		doc = strings.Replace(doc, replace[i], replace[i+1], 1)
	}
	return []byte(doc)
}

// mappingProblems parses a mapping and returns its problems by path.
func mappingProblems(t *testing.T, data []byte) map[string]string {
	t.Helper()
	_, err := ParseMapping(data)
	if err == nil {
		return nil
	}
	var invalid *MappingError
	if !errors.As(err, &invalid) {
		t.Fatalf("ParseMapping error = %v, want *MappingError", err)
	}
	got := map[string]string{}
	for _, f := range invalid.Fields {
		got[f.Path] = f.Message
	}
	return got
}

func TestParseMappingRejects(t *testing.T) {
	tests := []struct {
		name    string
		replace []string
		path    string
		message []string
	}{
		{
			name:    "unknown top-level key",
			replace: []string{`"ticket_id"`, `"bogus": 1, "ticket_id"`},
			path:    "$.bogus",
			message: []string{"unknown field", "ticket_id"},
		},
		{
			name:    "unknown request path in fields",
			replace: []string{`"repository.name":`, `"repository.nme":`},
			path:    "$.fields['repository.nme']",
			message: []string{"repository.nme is not a request field", `repository has no field "nme"`, "index_url"},
		},
		{
			name:    "unknown top-level request path",
			replace: []string{`"aws.upstream":`, `"awss.upstream":`},
			path:    "$.fields['awss.upstream']",
			message: []string{`the request has no field "awss"`},
		},
		{
			name:    "credential reference from a ticket field",
			replace: []string{`"repository.name":`, `"repository.auth.password_ref":`},
			path:    "$.fields['repository.auth.password_ref']",
			message: []string{"is a credential reference", "set it in request instead"},
		},
		{
			name:    "Snowflake key reference from a ticket field",
			replace: []string{`"repository.name":`, `"snowflake.private_key_ref":`},
			path:    "$.fields['snowflake.private_key_ref']",
			message: []string{"is a credential reference"},
		},
		{
			name:    "path below a value",
			replace: []string{`"repository.name":`, `"repository.name.first":`},
			path:    "$.fields['repository.name.first']",
			message: []string{"repository.name holds a value"},
		},
		{
			name:    "object as target",
			replace: []string{`"repository.name":`, `"repository.auth":`},
			path:    "$.fields['repository.auth']",
			message: []string{"is an object of the request", "repository.auth.password_ref"},
		},
		{
			name:    "split on a text field",
			replace: []string{`"repository.name": "issue.fields.customfield_10204"`, `"repository.name": {"from": "issue.fields.customfield_10204", "split": ","}`},
			path:    "$.fields['repository.name'].split",
			message: []string{"only for list fields"},
		},
		{
			name:    "id in fields",
			replace: []string{`"repository.name":`, `"id":`},
			path:    "$.fields['id']",
			message: []string{"comes from ticket_id"},
		},
		{
			name:    "id in request part",
			replace: []string{`"route": "aws-privatelink"`, `"id": "DATA-1", "route": "aws-privatelink"`},
			path:    "$.request.id",
			message: []string{"comes from ticket_id"},
		},
		{
			name:    "literal password in request part",
			replace: []string{`"username": "svc-snowflake",`, `"username": "svc-snowflake", "password": "hunter2-literal",`},
			path:    "$.request.repository.auth.password",
			message: []string{"literal credentials are not accepted", "password_ref"},
		},
		{
			name:    "literal value in a reference",
			replace: []string{`"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`, `"password_ref": "hunter2-literal"`},
			path:    "$.request.repository.auth.password_ref",
			message: []string{"must be a credential reference"},
		},
		{
			name:    "reference without remainder",
			replace: []string{`"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`, `"password_ref": "env:"`},
			path:    "$.request.repository.auth.password_ref",
			message: []string{"is env: without a variable name"},
		},
		{
			name:    "unknown request field",
			replace: []string{`"default_for": "schema"`, `"default_for": "schema", "colour": "red"`},
			path:    "$.request.repository.colour",
			message: []string{"unknown field"},
		},
		{
			name:    "field of wrong type",
			replace: []string{`"aws.upstream": "issue.fields.customfield_10208"`, `"aws.upstream": 7`},
			path:    "$.fields['aws.upstream']",
			message: []string{"must be a payload path"},
		},
		{
			name:    "unknown key of a field",
			replace: []string{`{"from": "issue.fields.customfield_10206", "split": ","}`, `{"from": "issue.fields.customfield_10206", "spilt": ","}`},
			path:    "$.fields['repository.packages'].spilt",
			message: []string{"unknown field"},
		},
		{
			name:    "empty events",
			replace: []string{`"events": ["jira:issue_created", "jira:issue_updated"],`, `"events": [],`},
			path:    "$.events",
			message: []string{"is an empty list", "every event", "jira:issue_created"},
		},
		{
			name:    "blank event name",
			replace: []string{`"events": ["jira:issue_created", "jira:issue_updated"],`, `"events": ["jira:issue_created", " "],`},
			path:    "$.events[1]",
			message: []string{"is empty or only whitespace"},
		},
		{
			name:    "events without event path",
			replace: []string{`"event": "webhookEvent",`, ``},
			path:    "$.event",
			message: []string{"missing", "webhookEvent"},
		},
		{
			name:    "empty when",
			replace: []string{`"when": {"issue.fields.status.name": "Approved"},`, `"when": {},`},
			path:    "$.when",
			message: []string{"is an empty object", "remove when"},
		},
		{
			name:    "missing ticket_id",
			replace: []string{`"ticket_id": "issue.key",`, ``},
			path:    "$.ticket_id",
			message: []string{"missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mappingProblems(t, editMapping(t, tt.replace...))
			message, ok := got[tt.path]
			if !ok {
				t.Fatalf("problems %v have none at %s", got, tt.path)
			}
			for _, part := range tt.message {
				if !strings.Contains(message, part) {
					t.Errorf("message %q does not contain %q", message, part)
				}
			}
			for path, message := range got {
				if strings.Contains(message, "hunter2-literal") {
					t.Errorf("message at %s echoes a credential: %q", path, message)
				}
			}
		})
	}
}

func TestParseMappingReportsEveryProblem(t *testing.T) {
	got := mappingProblems(t, editMapping(t,
		`"ticket_id"`, `"bogus": 1, "ticket_id"`,
		`"repository.name":`, `"repository.nme":`,
		`"username": "svc-snowflake",`, `"username": "svc-snowflake", "password": "hunter2-literal",`,
	))
	for _, path := range []string{"$.bogus", "$.fields['repository.nme']", "$.request.repository.auth.password"} {
		if _, ok := got[path]; !ok {
			t.Errorf("problems %v have none at %s", got, path)
		}
	}
	if len(got) != 3 {
		t.Errorf("problems = %v, want 3", got)
	}
}

func TestParseMappingAcceptsExamples(t *testing.T) {
	for _, name := range []string{"jira", "servicenow"} {
		data, err := os.ReadFile("../../examples/" + name + "-mapping.json")
		if err != nil {
			t.Fatal(err)
		}
		if got := mappingProblems(t, data); got != nil {
			t.Errorf("%s: problems %v", name, got)
		}
	}
}

func TestReadMappingRejectsEmptyEvents(t *testing.T) {
	for _, name := range []string{"jira", "servicenow"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile("../../examples/" + name + "-mapping.json")
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			doc["events"] = []any{}
			delete(doc, "when")
			edited, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name+"-mapping.json")
			if err := os.WriteFile(path, edited, 0o600); err != nil {
				t.Fatal(err)
			}

			_, err = ReadMapping(path)
			if err == nil {
				t.Fatal("ReadMapping accepted an empty events list")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), "$.events: is an empty list") {
				t.Errorf("error %q does not name $.events", err)
			}
		})
	}
}

func TestParseMappingRejectsUTF16(t *testing.T) {
	got := mappingProblems(t, []byte("\xff\xfe{\x00}\x00"))
	if message := got["$"]; !strings.Contains(message, "UTF-16LE") || !strings.Contains(message, "as UTF-8") {
		t.Errorf("problems = %v, want one at $ that names UTF-16LE and UTF-8", got)
	}
}

// TestParseMappingByteOrderMark checks that a mapping saved as UTF-8 with
// a byte order mark parses, as a request file with one does.
func TestParseMappingByteOrderMark(t *testing.T) {
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseMapping(append([]byte("\xef\xbb\xbf"), data...)); err != nil {
		t.Errorf("ParseMapping error = %v, want nil", err)
	}
}

func TestParseMappingRejectsInvalidUTF8(t *testing.T) {
	got := mappingProblems(t, editMapping(t, `"issue.key"`, "\"issue.\xffkey\""))["$"]
	if want := "not valid UTF-8"; !strings.Contains(got, want) {
		t.Errorf("message = %q, want one containing %q", got, want)
	}
}

// TestParseMappingSyntaxErrorPosition checks that a mapping that ends
// early gets the position right after its last character, whatever white
// space follows it, as a request file does, because the missing } or ]
// belongs there.
func TestParseMappingSyntaxErrorPosition(t *testing.T) {
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	truncated := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(data)), "}"))
	lines := strings.Split(truncated, "\n")
	want := fmt.Sprintf("at line %d, column %d;", len(lines), utf8.RuneCountInString(lines[len(lines)-1])+1)
	tests := map[string]string{
		"no line break":   truncated,
		"line break":      truncated + "\n",
		"blank lines":     truncated + "\n\n  \n",
		"byte order mark": "\xef\xbb\xbf" + truncated + "\r\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			got := mappingProblems(t, []byte(text))["$"]
			if !strings.Contains(got, want) {
				t.Errorf("message = %q, want one containing %q", got, want)
			}
			if hint := "a closing } or ] is probably missing"; !strings.Contains(got, hint) {
				t.Errorf("message = %q, want the hint %q", got, hint)
			}
		})
	}
}

func TestParseMappingRejectsEmpty(t *testing.T) {
	got := mappingProblems(t, []byte("\xef\xbb\xbf \n"))["$"]
	if want := "the text is empty"; !strings.Contains(got, want) {
		t.Errorf("message = %q, want one containing %q", got, want)
	}
}

func TestReadMappingStopsAtSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mapping.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file of 200 MB: reading it whole would take that much
	// memory.
	const size = 200 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, err = ReadMapping(path)
	var tooLarge *request.TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("ReadMapping error = %v, want *request.TooLargeError", err)
	}
	if tooLarge.Size != size || tooLarge.Limit != MaxMappingSize {
		t.Errorf("error = %+v, want size %d and limit %d", tooLarge, size, MaxMappingSize)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestMappingRejectsCommaAfterProjectName(t *testing.T) {
	src := exampleSource(t, "jira", nil)
	_, err := src.Mapping.Map(payload(t, "jira-issue-updated.json", `"requests, corp-utils==2.3.1"`, `"requests,>=2.31"`))
	var invalid *request.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
		t.Fatalf("Map error = %v, want one field error", err)
	}
	got := invalid.Fields[0]
	if got.Path != "$.repository.packages[0]" {
		t.Errorf("path = %q, want $.repository.packages[0]", got.Path)
	}
	if !strings.Contains(got.Message, "comma right after the project name requests") {
		t.Errorf("message = %q, want it to name the misplaced comma", got.Message)
	}
	if !strings.HasSuffix(got.Message, "(mapped from ticket field issue.fields.customfield_10206)") {
		t.Errorf("message = %q, want it to name the ticket field", got.Message)
	}
}
