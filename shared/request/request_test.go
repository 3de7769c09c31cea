package request

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validJSON() string {
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		panic(err)
	}
	return string(data)
}

func TestParseExample(t *testing.T) {
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if req.ID != "DATA-4711" {
		t.Errorf("ID = %q, want DATA-4711", req.ID)
	}
	if req.AWS.Listener != "tcp" || req.AWS.Proxy != "nginx" || req.AWS.InstanceType != DefaultInstanceType {
		t.Errorf("AWS defaults not applied: %+v", req.AWS)
	}
	if req.Repository.RuntimeVersion != DefaultRuntimeVersion {
		t.Errorf("RuntimeVersion = %q, want %q", req.Repository.RuntimeVersion, DefaultRuntimeVersion)
	}
}

func TestParseNotifyURL(t *testing.T) {
	for _, url := range []string{"https://tickets.example.com/hook", "http://127.0.0.1:8099/hook", "http://[::1]:8099/hook", "http://localhost:18999/n"} {
		doc := strings.Replace(validJSON(), `"route"`, `"notify": {"url": "`+url+`"}, "route"`, 1)
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("notify.url %s: %v", url, err)
		}
	}
}

func TestParseNotifyURLMessages(t *testing.T) {
	tests := []struct {
		url, message string
	}{
		{"http://tickets.example.com/hook", `http:// is accepted only for a loopback host, not "tickets.example.com"`},
		{"ftp://x", `scheme "ftp" is not accepted`},
		{"tickets.example.com/hook", "is not a URL"},
		{"https://bob:hunter2-literal@tickets.example.com/hook", "contains credentials"},
		{"http://127.0.0.1:0/", `has the invalid port "0"; use a number from 1 to 65535, or leave the port out for the default port of http://`},
		{"https://tickets.example.com:0/hook", `has the invalid port "0"; use a number from 1 to 65535, or leave the port out for the default port of https://`},
		{"http://localhost:70000/n", `has the invalid port "70000"`},
		{"http://[::1]:/n", `has the invalid port ""`},
		{"https://tickets.example.com:0443/hook", `has the port "0443" with leading zeros; write it as 443`},
	}
	for _, tt := range tests {
		doc := strings.Replace(validJSON(), `"route"`, `"notify": {"url": "`+tt.url+`"}, "route"`, 1)
		_, err := Parse([]byte(doc))
		var invalid *ValidationError
		if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
			t.Errorf("notify.url %s: error = %v, want one field error", tt.url, err)
			continue
		}
		got := invalid.Fields[0]
		if got.Path != "$.notify.url" {
			t.Errorf("notify.url %s: path = %q", tt.url, got.Path)
		}
		if !strings.Contains(got.Message, tt.message) {
			t.Errorf("notify.url %s: message %q does not contain %q", tt.url, got.Message, tt.message)
		}
		if strings.Contains(got.Message, "port") {
			continue
		}
		if tt.message != "contains credentials" && !strings.Contains(got.Message, "in sandbox mode http:// to a loopback host") {
			t.Errorf("notify.url %s: message %q does not say what sandbox mode accepts", tt.url, got.Message)
		}
	}
}

func TestParseYAML(t *testing.T) {
	yamlDoc := `
id: DATA-1
route: aws-privatelink
snowflake:
  account: myorg-analytics
  user: SVC
  password_ref: env:SF_PASSWORD
  database: DB
  schema: SC
repository:
  name: corp_pypi
  index_url: https://pypi.corp.example.com/simple/
  auth: {type: token, token_ref: "file:/run/secrets/token"}
  packages: [requests]
aws:
  region: eu-west-1
  vpc_id: vpc-0abc
  subnet_ids: [subnet-01]
  upstream: pypi.corp.example.com:443
`
	req, err := Parse([]byte(yamlDoc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if req.Repository.Auth.TokenRef != "file:/run/secrets/token" {
		t.Errorf("TokenRef = %q", req.Repository.Auth.TokenRef)
	}
}

func TestParseYAMLStrict(t *testing.T) {
	base := "id: DATA-1\nroute: aws-privatelink\nsnowflake:\n  account: myorg-analytics\n  user: SVC\n" +
		"  password_ref: env:SF_PASSWORD\n  database: DB\n  schema: SC\n" +
		"repository:\n  name: corp_pypi\n  index_url: https://pypi.corp.example.com/simple/\n" +
		"  auth: {type: token, token_ref: \"file:/run/secrets/token\"}\n  packages: [requests]\n" +
		"aws:\n  region: eu-west-1\n  vpc_id: vpc-0abc\n  subnet_ids: [subnet-01]\n  upstream: pypi.corp.example.com:443\n"
	tests := []struct {
		name string
		doc  string
		// want is part of the error message, or "" for a valid request.
		want string
	}{
		{"one document", base, ""},
		{"leading marker", "---\n" + base, ""},
		{"empty trailing document", base + "---\n", ""},
		{"top-level key twice", base + "id: DATA-2\n", `key "id" appears more than once in the same mapping; keep one`},
		{"nested key twice", strings.Replace(base, "  user: SVC\n", "  user: SVC\n  user: OTHER\n", 1), `key "user" appears more than once`},
		{"second document", base + "---\n" + base, "more than one document; remove the --- line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse error = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff("$", verr.Fields[0].Path); diff != "" {
				t.Errorf("field path (-want +got):\n%s", diff)
			}
			if !strings.Contains(verr.Fields[0].Message, tt.want) {
				t.Errorf("message %q does not contain %q", verr.Fields[0].Message, tt.want)
			}
		})
	}
}

func TestParseReportsEveryField(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		paths   []string
		message string
	}{
		{
			name:  "unknown field",
			edit:  func(s string) string { return strings.Replace(s, `"route"`, `"colour": "red", "route"`, 1) },
			paths: []string{"$.colour"},
		},
		{
			name: "literal password",
			edit: func(s string) string {
				return strings.Replace(s, `"username"`, `"password": "hunter2-literal", "username"`, 1)
			},
			paths:   []string{"$.repository.auth.password"},
			message: "literal credentials are not accepted",
		},
		{
			name: "credentials in index url",
			edit: func(s string) string {
				return strings.Replace(s, "https://pypi.corp.example.com/simple/", "https://bob:hunter2-literal@pypi.corp.example.com/simple/", 1)
			},
			paths:   []string{"$.repository.index_url"},
			message: "contains credentials",
		},
		{
			name:  "http index url",
			edit:  func(s string) string { return strings.Replace(s, "https://pypi.corp", "http://pypi.corp", 1) },
			paths: []string{"$.repository.index_url"},
		},
		{
			name: "http notify url beyond loopback",
			edit: func(s string) string {
				return strings.Replace(s, `"route"`, `"notify": {"url": "http://tickets.example.com/hook"}, "route"`, 1)
			},
			paths: []string{"$.notify.url"},
		},
		{
			name: "many bad fields at once",
			edit: func(s string) string {
				s = strings.Replace(s, `"us-west-2"`, `"Oregon"`, 1)
				s = strings.Replace(s, `"vpc-0a1b2c3d4e5f60718"`, `"my-vpc"`, 1)
				s = strings.Replace(s, `"myorg-analytics"`, `"https://myorg.snowflakecomputing.com"`, 1)
				return strings.Replace(s, `"corp-utils==2.3.1"`, `"corp utils"`, 1)
			},
			paths: []string{"$.snowflake.account", "$.repository.packages[1]", "$.aws.region", "$.aws.vpc_id"},
		},
		{
			name: "literal value in a ref",
			edit: func(s string) string {
				return strings.Replace(s, `"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`, `"hunter2-literal"`, 1)
			},
			paths: []string{"$.repository.auth.password_ref"},
		},
		{
			name: "requirement with marker",
			edit: func(s string) string {
				return strings.Replace(s, `"corp-utils==2.3.1"`, `"pywin32>=306; sys_platform == 'win32'"`, 1)
			},
			paths:   []string{"$.repository.packages[1]"},
			message: "each one of ==, !=, <, <=, >, >=, ~= or ===",
		},
		{
			name:    "tls listener",
			edit:    func(s string) string { return strings.Replace(s, `"upstream"`, `"listener": "tls", "upstream"`, 1) },
			paths:   []string{"$.aws.listener"},
			message: "tcp",
		},
		{
			name:  "wrong type",
			edit:  func(s string) string { return strings.Replace(s, `"procedures": true`, `"procedures": "yes"`, 1) },
			paths: []string{"$.repository.procedures"},
		},
		{
			name: "username with type token",
			edit: func(s string) string {
				s = strings.Replace(s, `"type": "password"`, `"type": "token"`, 1)
				return strings.Replace(s, `"password_ref"`, `"token_ref"`, 1)
			},
			paths:   []string{"$.repository.auth.username"},
			message: "is for type password; remove it or set type to password",
		},
		{
			name: "upstream with scheme",
			edit: func(s string) string {
				return strings.Replace(s, `"pypi.corp.example.com:443"`, `"https://pypi.corp.example.com"`, 1)
			},
			paths: []string{"$.aws.upstream"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.edit(validJSON())))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			var got []string
			for _, f := range invalid.Fields {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if tt.message != "" && !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
			if strings.Contains(err.Error(), "hunter2-literal") {
				t.Errorf("error echoes a credential: %q", err)
			}
		})
	}
}

func TestParseReportsShapeWithOtherErrors(t *testing.T) {
	literalRefs := func(s string) string {
		s = strings.Replace(s, `"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"`, `"hunter2-literal"`, 1)
		s = strings.Replace(s, `"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key"`, `"hunter2-literal"`, 1)
		return strings.Replace(s, "https://pypi.corp.example.com/simple/", "https://bob:hunter2-literal@pypi.corp.example.com/simple/", 1)
	}
	otherPaths := []string{"$.snowflake.private_key_ref", "$.repository.index_url", "$.repository.auth.password_ref"}
	tests := []struct {
		name string
		// base is the example that edit changes, the AWS PrivateLink one
		// when empty.
		base  string
		edit  func(string) string
		paths []string
	}{
		{
			name:  "other errors alone",
			edit:  literalRefs,
			paths: otherPaths,
		},
		{
			name: "unknown top-level field",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `"route"`, `"bogus": 1, "route"`, 1)
			},
			paths: append([]string{"$.bogus"}, otherPaths...),
		},
		{
			name: "literal password field",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `"username"`, `"password": "hunter2-literal", "username"`, 1)
			},
			paths: append([]string{"$.repository.auth.password"}, otherPaths...),
		},
		{
			name: "wrong type",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `"procedures": true`, `"procedures": "yes"`, 1)
			},
			paths: append([]string{"$.repository.procedures"}, otherPaths...),
		},
		{
			name: "wrong type not reported as missing",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `["requests", "corp-utils==2.3.1"]`, `"requests"`, 1)
			},
			paths: append([]string{"$.repository.packages"}, otherPaths...),
		},
		{
			name: "repeated key",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `"id": "DATA-4711",`, `"id": "DATA-4711", "id": "OTHER-1",`, 1)
			},
			paths: append([]string{"$.id"}, otherPaths...),
		},
		{
			name: "fractional port",
			base: "../../examples/egress-ip.json",
			edit: func(s string) string {
				return strings.Replace(literalRefs(s), `"port": 443`, `"port": 443.5`, 1)
			},
			paths: []string{"$.egress.port", "$.snowflake.private_key_ref"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := validJSON()
			if tt.base != "" {
				data, err := os.ReadFile(tt.base)
				if err != nil {
					t.Fatal(err)
				}
				doc = string(data)
			}
			_, err := Parse([]byte(tt.edit(doc)))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			var got []string
			for _, f := range invalid.Fields {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "hunter2-literal") {
				t.Errorf("error echoes a credential: %q", err)
			}
		})
	}
}

func TestExecutionName(t *testing.T) {
	tests := []struct {
		id   string
		want string
	}{
		{"DATA-4711", "DATA-4711"},
		{"data_4711.v2", "data_4711.v2"},
		{"DATA 4711: add repo", "DATA-4711-add-repo-"},
		{strings.Repeat("A", 100), strings.Repeat("A", 63) + "-"},
	}
	for _, tt := range tests {
		got := ExecutionName(tt.id)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("ExecutionName(%q) = %q, want prefix %q", tt.id, got, tt.want)
		}
		if len(got) > maxBaseName {
			t.Errorf("ExecutionName(%q) has %d characters, more than %d", tt.id, len(got), maxBaseName)
		}
	}
	if ExecutionName("A/B") == ExecutionName("A:B") {
		t.Error("different IDs share an execution name")
	}
	if got := RunName("DATA-4711", 2); got != "DATA-4711-r2" {
		t.Errorf("RunName = %q, want DATA-4711-r2", got)
	}
}

func TestParseDuplicateKeys(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"top-level id twice", func(doc string) string {
			return strings.Replace(doc, `"id": "DATA-4711",`, `"id": "DATA-4711", "id": "OTHER-1",`, 1)
		}, []string{"$.id"}},
		{"nested key twice", func(doc string) string {
			return strings.Replace(doc, `"region":`, `"region": "us-east-1", "region":`, 1)
		}, []string{"$.aws.region"}},
		{"same key in two objects", func(doc string) string { return doc }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.edit(validJSON())))
			var got []string
			var verr *ValidationError
			if errors.As(err, &verr) {
				for _, f := range verr.Fields {
					got = append(got, f.Path)
				}
			} else if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTopLevelNotObject(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind string
	}{
		{"plain text", "not json", "a string"},
		{"quoted string", `"DATA-4711"`, "a string"},
		{"array", `[1, 2]`, "an array"},
		{"YAML list", "- id: DATA-4711\n", "an array"},
		{"number", "42", "a number"},
		{"boolean", "true", "true or false"},
		{"null", "null", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse error = %v, want a *ValidationError", err)
			}
			if len(verr.Fields) != 1 {
				t.Fatalf("got %d field errors, want 1:\n%v", len(verr.Fields), verr)
			}
			if got := verr.Fields[0].Path; got != "$" {
				t.Errorf("path = %q, want $", got)
			}
			message := verr.Fields[0].Message
			if !strings.Contains(message, "must be a JSON object or YAML mapping") {
				t.Errorf("message %q does not say what the document must be", message)
			}
			if !strings.HasSuffix(message, "the document is "+tt.kind) {
				t.Errorf("message %q does not end with the document is %s", message, tt.kind)
			}
		})
	}
}

func TestDecodeErrorNamesNoGoType(t *testing.T) {
	var req Request
	err := json.Unmarshal([]byte(`{"aws": {"subnet_ids": "subnet-01"}}`), &req)
	if err == nil {
		t.Fatal("decoding a string into subnet_ids succeeded, want a type error")
	}

	got := decodeError(err)
	want := FieldError{Path: "$.aws.subnet_ids", Message: "is a JSON string, which this field does not accept"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field error (-want +got):\n%s", diff)
	}
}

func TestValidateRejectsTerminalCharacters(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *Request)
		path  string
		fault string
	}{
		{"escape in id", func(r *Request) { r.ID = "DATA-1\u001b[2J" }, "$.id", "U+001B"},
		{"bell in id", func(r *Request) { r.ID = "DATA-1\u0007" }, "$.id", "U+0007"},
		{"delete in id", func(r *Request) { r.ID = "DATA-1\u007f" }, "$.id", "U+007F"},
		{"C1 control in id", func(r *Request) { r.ID = "DATA-1\u009b" }, "$.id", "U+009B"},
		{"newline in id", func(r *Request) { r.ID = "DATA-1\nDATA-2" }, "$.id", "U+000A"},
		{"right-to-left override in id", func(r *Request) { r.ID = "DATA-\u202e1174" }, "$.id", "U+202E"},
		{"isolate in id", func(r *Request) { r.ID = "DATA-\u20661" }, "$.id", "U+2066"},
		{"escape in user", func(r *Request) { r.Snowflake.User = "SVC\u001b]0;x\u0007" }, "$.snowflake.user", "U+001B"},
		{"escape in database", func(r *Request) { r.Snowflake.Database = "DB\u001b" }, "$.snowflake.database", "U+001B"},
		{"override in role", func(r *Request) { r.Snowflake.Role = "R\u202a" }, "$.snowflake.role", "U+202A"},
		{"bell in grant role", func(r *Request) { r.Repository.GrantToRoles = []string{"R\u0007"} }, "$.repository.grant_to_roles[0]", "U+0007"},
		{"escape in index user", func(r *Request) { r.Repository.Auth.Username = "u\u001b" }, "$.repository.auth.username", "U+001B"},
		{"C1 control in image", func(r *Request) { r.AWS.ImageID = "ami-1\u0085" }, "$.aws.image_id", "U+0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(validJSON()))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.edit(&req)

			var verr *ValidationError
			if !errors.As(req.Validate(), &verr) {
				t.Fatal("Validate accepted the value")
			}
			var paths []string
			for _, f := range verr.Fields {
				paths = append(paths, f.Path)
			}
			if diff := cmp.Diff([]string{tt.path}, paths); diff != "" {
				t.Errorf("field paths (-want +got):\n%s", diff)
			}
			if !strings.Contains(verr.Fields[0].Message, tt.fault) {
				t.Errorf("message %q does not name %s", verr.Fields[0].Message, tt.fault)
			}
		})
	}
}

func TestValidateAcceptsPrintableNames(t *testing.T) {
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.ID = "DATA-4711 café ÄÖÜ 日本"
	req.Snowflake.User = "SVC_ÜSER"
	if err := req.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidateTeardownLikeID(t *testing.T) {
	tests := []struct {
		id       string
		rejected bool
	}{
		{"DATA-4711-teardown", true},
		{"DATA-4711-teardown-r2", true},
		{"DATA-4711-teardown-r13", true},
		{"DATA-4711-teardown-r10", true},
		// RunName never gives a run the suffix -r0, -r1 or a leading zero.
		{"DATA-4711-teardown-r0", false},
		{"DATA-4711-teardown-r1", false},
		{"DATA-4711-teardown-r02", false},
		{"teardown", false},
		{"DATA-4711-teardowns", false},
		{"DATA-4711-teardown-x", false},
		{"DATA-4711-TEARDOWN", false},
		{"teardown-DATA-4711", false},
		{"DATA-4711-r2", false},
		// The space makes the execution name end in a hash of the ID.
		{"DATA-4711 teardown", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			req, err := Parse([]byte(validJSON()))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			req.ID = tt.id

			err = req.Validate()
			if !tt.rejected {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if len(verr.Fields) != 1 {
				t.Fatalf("field errors = %v, want one", verr.Fields)
			}
			if verr.Fields[0].Path != "$.id" {
				t.Errorf("path = %q, want $.id", verr.Fields[0].Path)
			}
			if !strings.Contains(verr.Fields[0].Message, "use an ID without that ending") {
				t.Errorf("message %q does not say what to change", verr.Fields[0].Message)
			}
			if !strings.Contains(verr.Fields[0].Message, "-teardown-rN with N of 2 or more") {
				t.Errorf("message %q does not state which endings are rejected", verr.Fields[0].Message)
			}
		})
	}
}

func TestValidateRejectsRoleListedTwice(t *testing.T) {
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.Repository.GrantToRoles = []string{"DATA_SCIENCE", "ANALYST", "data_science", `"data_science"`}
	var verr *ValidationError
	if !errors.As(req.Validate(), &verr) {
		t.Fatal("Validate accepted DATA_SCIENCE and data_science, one role twice")
	}
	if len(verr.Fields) != 1 || verr.Fields[0].Path != "$.repository.grant_to_roles[2]" {
		t.Fatalf("errors = %+v, want one at $.repository.grant_to_roles[2]", verr.Fields)
	}
	for _, want := range []string{"DATA_SCIENCE again", "$.repository.grant_to_roles[0]"} {
		if !strings.Contains(verr.Fields[0].Message, want) {
			t.Errorf("message %q does not contain %q", verr.Fields[0].Message, want)
		}
	}
}

func TestValidateRejectsAmbiguousValues(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Request)
		path   string
		want   string
		unwant string
	}{
		{name: "port above 65535", edit: func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com:99999/simple/" },
			path: "$.repository.index_url", want: `has the invalid port "99999"; use a number from 1 to 65535`},
		{name: "port 0", edit: func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com:0/simple/" },
			path: "$.repository.index_url", want: `has the invalid port "0"`},
		{name: "empty port", edit: func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com:/simple/" },
			path: "$.repository.index_url", want: `has the invalid port ""`},
		{name: "colon in user name", edit: func(r *Request) { r.Repository.Auth.Username = "svc-snowflake:tok3n-value" },
			path: "$.repository.auth.username", want: "contains ':', which HTTP basic authentication cannot carry", unwant: "tok3n-value"},
		{name: "leading space in id", edit: func(r *Request) { r.ID = " T-1" },
			path: "$.id", want: `" T-1" has leading or trailing whitespace, which would make it another request than "T-1"; remove the whitespace`},
		{name: "spaces around id", edit: func(r *Request) { r.ID = " T-1 " },
			path: "$.id", want: "has leading or trailing whitespace"},
		{name: "no-break space after id", edit: func(r *Request) { r.ID = "T-1\u00a0" },
			path: "$.id", want: "has leading or trailing whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(validJSON()))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.edit(&req)
			var verr *ValidationError
			if !errors.As(req.Validate(), &verr) {
				t.Fatal("Validate accepted the request")
			}
			if len(verr.Fields) != 1 {
				t.Fatalf("field errors = %+v, want one", verr.Fields)
			}
			if verr.Fields[0].Path != tt.path {
				t.Errorf("path = %q, want %q", verr.Fields[0].Path, tt.path)
			}
			if !strings.Contains(verr.Fields[0].Message, tt.want) {
				t.Errorf("message %q does not contain %q", verr.Fields[0].Message, tt.want)
			}
			if tt.unwant != "" && strings.Contains(verr.Error(), tt.unwant) {
				t.Errorf("error %q echoes %q", verr.Error(), tt.unwant)
			}
		})
	}
}

func TestValidateAcceptsIndexPortsAndIDs(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Request)
	}{
		{name: "port 443", edit: func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com:443/simple/" }},
		{name: "no port", edit: func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com/simple/" }},
		{name: "space inside id", edit: func(r *Request) { r.ID = "DATA 4711" }},
		{name: "user name with dot and at", edit: func(r *Request) { r.Repository.Auth.Username = "svc.snowflake@corp.example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(validJSON()))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.edit(&req)
			if err := req.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestServiceCredentialFixes(t *testing.T) {
	_, err := ParseJSON([]byte(`{"id": "DATA-1", "repository": {"auth": {"type": "token", "token": "x"}}}`))
	command := fieldErrorsOf(t, err)["$.repository.auth.token"]
	if !strings.Contains(command, "a reference such as env:NAME or aws-secretsmanager:ARN") {
		t.Errorf("command message %q does not suggest env:NAME", command)
	}

	service := fieldErrorsOf(t, WithServiceCredentialFixes(err))["$.repository.auth.token"]
	if want := "give token_ref a reference such as " + awsSecretRefExample; !strings.Contains(service, want) {
		t.Errorf("service message %q does not contain %q", service, want)
	}
	if strings.Contains(service, "env:NAME") {
		t.Errorf("service message %q suggests env:NAME", service)
	}
	if again := fieldErrorsOf(t, err)["$.repository.auth.token"]; again != command {
		t.Errorf("WithServiceCredentialFixes changed the original error to %q", again)
	}
}

// fieldErrorsOf returns the field errors of a *ValidationError by path.
func fieldErrorsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("error = %v, want *ValidationError", err)
	}
	got := map[string]string{}
	for _, f := range invalid.Fields {
		got[f.Path] = f.Message
	}
	return got
}

func TestNumberForStringHint(t *testing.T) {
	yaml := "id: DATA-1\nroute: public\nrepository:\n  name: public_pypi\n  runtime_version: 3.10\n"
	want := `quote the version, such as runtime_version: "3.10", because an unquoted 3.10 is the number 3.1`
	if message := fieldErrors(t, yaml)["$.repository.runtime_version"]; !strings.Contains(message, want) {
		t.Errorf("runtime_version: message %q does not contain %q", message, want)
	}

	doc := strings.Replace(exampleJSON(t, "public.json"), `"name": "public_pypi"`, `"name": 12`, 1)
	if message := fieldErrors(t, doc)["$.repository.name"]; message != "must be a string, not a number; put the value in quotes" {
		t.Errorf("name: message %q, want the hint to quote the value", message)
	}
}

func TestTypeErrorHints(t *testing.T) {
	const yamlBase = "id: DATA-1\nroute: public\nrepository:\n  name: public_pypi\n"
	tests := []struct {
		name string
		doc  string
		path string
		want string
	}{
		{"yaml no for choice", yamlBase + "  default_for: no\n", "$.repository.default_for",
			`must be one of none, account, database or schema, not false, because YAML reads unquoted yes, no, on and off as true or false; write default_for: none`},
		{"yaml on in list", yamlBase + "  grant_to_roles: [on]\n", "$.repository.grant_to_roles[0]",
			`put the value in quotes, such as "no", because YAML reads unquoted yes, no, on, off, true and false as true or false`},
		{"json string for packages", strings.Replace(exampleJSON(t, "aws-privatelink.json"),
			`"packages": ["requests", "corp-utils==2.3.1"]`, `"packages": "requests"`, 1), "$.repository.packages",
			`must be an array; put the value in a list, such as ["requests"], even when it has one item`},
		{"yaml string for roles", yamlBase + "  grant_to_roles: DATA_SCIENCE\n", "$.repository.grant_to_roles",
			`put the value in a list, such as ["DATA_SCIENCE"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message, ok := fieldErrors(t, tt.doc)[tt.path]
			if !ok {
				t.Fatalf("no error at %s: %v", tt.path, fieldErrors(t, tt.doc))
			}
			if !strings.Contains(message, tt.want) {
				t.Errorf("%s: message %q does not contain %q", tt.path, message, tt.want)
			}
		})
	}
}

func TestWithJSONSyntaxError(t *testing.T) {
	_, err := Parse([]byte("[\n"))
	got := fieldErrorsOf(t, WithJSONSyntaxError([]byte("[\n"), err))["$"]
	if !strings.HasPrefix(got, "invalid JSON: ") {
		t.Errorf("message = %q, want one starting with \"invalid JSON: \"", got)
	}

	notObject := []byte("not json\n")
	_, err = Parse(notObject)
	want := fieldErrorsOf(t, err)["$"]
	if got := fieldErrorsOf(t, WithJSONSyntaxError(notObject, err))["$"]; got != want {
		t.Errorf("message for a document that YAML reads = %q, want it unchanged: %q", got, want)
	}
}

func TestValidateRejectsQuotedRoleListedTwice(t *testing.T) {
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.Repository.GrantToRoles = []string{"DATA_SCIENCE", `"DATA_SCIENCE"`, `"Data-Science"`, "Data-Science"}
	var verr *ValidationError
	if !errors.As(req.Validate(), &verr) {
		t.Fatal("Validate accepted DATA_SCIENCE and \"DATA_SCIENCE\", one role twice")
	}
	var paths []string
	for _, f := range verr.Fields {
		paths = append(paths, f.Path)
	}
	want := []string{"$.repository.grant_to_roles[1]", "$.repository.grant_to_roles[3]"}
	if !slices.Equal(paths, want) {
		t.Fatalf("error paths = %q, want %q", paths, want)
	}
}
