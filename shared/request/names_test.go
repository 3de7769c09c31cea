package request

import (
	"errors"
	"strings"
	"testing"
)

// validateOne validates the aws-privatelink example after edit and
// returns its only field error.
func validateOne(t *testing.T, edit func(*Request)) FieldError {
	t.Helper()
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	edit(&req)
	var verr *ValidationError
	if !errors.As(req.Validate(), &verr) {
		t.Fatal("Validate accepted the request")
	}
	if len(verr.Fields) != 1 {
		t.Fatalf("field errors = %+v, want one", verr.Fields)
	}
	return verr.Fields[0]
}

func TestValidateRejectsBlankListEntries(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Request)
		path string
		want string
	}{
		{"space role", func(r *Request) { r.Repository.GrantToRoles = []string{"DATA_SCIENCE", " "} },
			"$.repository.grant_to_roles[1]", `" " is empty or only whitespace`},
		{"empty role", func(r *Request) { r.Repository.GrantToRoles = []string{""} },
			"$.repository.grant_to_roles[0]", `"" is empty or only whitespace`},
		{"tab role", func(r *Request) { r.Repository.GrantToRoles = []string{"\t"} },
			"$.repository.grant_to_roles[0]", "is empty or only whitespace"},
		{"no-break space role", func(r *Request) { r.Repository.GrantToRoles = []string{"\u00a0"} },
			"$.repository.grant_to_roles[0]", "is empty or only whitespace"},
		{"space snowflake role", func(r *Request) { r.Snowflake.Role = "  " },
			"$.snowflake.role", "is empty or only whitespace"},
		{"space warehouse", func(r *Request) { r.Snowflake.Warehouse = " " },
			"$.snowflake.warehouse", "is empty or only whitespace"},
		{"padded role", func(r *Request) { r.Repository.GrantToRoles = []string{" DATA_SCIENCE"} },
			"$.repository.grant_to_roles[0]", `would make it another object than "DATA_SCIENCE"`},
		{"padded database", func(r *Request) { r.Snowflake.Database = "PLATFORM " },
			"$.snowflake.database", "has leading or trailing whitespace"},
		{"space package", func(r *Request) { r.Repository.Packages = []string{"requests", " "} },
			"$.repository.packages[1]", "does not start with a project name"},
		{"space subnet", func(r *Request) { r.AWS.SubnetIDs = append(r.AWS.SubnetIDs, " ") },
			"$.aws.subnet_ids[2]", "is not a subnet ID"},
		{"space security group", func(r *Request) { r.AWS.SecurityGroupIDs = []string{" "} },
			"$.aws.security_group_ids[0]", "is not a security group ID"},
		{"space prefix", func(r *Request) { r.Repository.ExtraAllowedPrefixes = []string{" "} },
			"$.repository.extra_allowed_prefixes[0]", "must be an https:// URL"},
		{"prefix with trailing space", func(r *Request) { r.Repository.ExtraAllowedPrefixes = []string{"https://cdn.corp.example.com/ "} },
			"$.repository.extra_allowed_prefixes[0]", "contains a space"},
		{"index url with trailing space", func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com/simple/ " },
			"$.repository.index_url", "contains a space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := validateOne(t, tt.edit)
			if field.Path != tt.path {
				t.Errorf("path = %q, want %q", field.Path, tt.path)
			}
			if !strings.Contains(field.Message, tt.want) {
				t.Errorf("message %q does not contain %q", field.Message, tt.want)
			}
		})
	}
}

func TestValidateRejectsBlankQuotedNames(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Request)
		path string
		want string
	}{
		{"blank quoted schema", func(r *Request) { r.Snowflake.Schema = `"  "` },
			"$.snowflake.schema", "only whitespace between the quotes"},
		{"empty quotes schema", func(r *Request) { r.Snowflake.Schema = `""` },
			"$.snowflake.schema", "nothing between the quotes"},
		{"blank quoted database", func(r *Request) { r.Snowflake.Database = `" "` },
			"$.snowflake.database", "only whitespace between the quotes"},
		{"tab quoted warehouse", func(r *Request) { r.Snowflake.Warehouse = "\"\t\"" },
			"$.snowflake.warehouse", "only whitespace between the quotes"},
		{"empty quotes role", func(r *Request) { r.Snowflake.Role = `""` },
			"$.snowflake.role", "nothing between the quotes"},
		{"blank quoted grant role", func(r *Request) { r.Repository.GrantToRoles = []string{"DATA_SCIENCE", `"   "`} },
			"$.repository.grant_to_roles[1]", "only whitespace between the quotes"},
		{"padded quoted schema", func(r *Request) { r.Snowflake.Schema = `" PACKAGES"` },
			"$.snowflake.schema", `another object than "PACKAGES"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := validateOne(t, tt.edit)
			if field.Path != tt.path {
				t.Errorf("path = %q, want %q", field.Path, tt.path)
			}
			if !strings.Contains(field.Message, tt.want) {
				t.Errorf("message %q does not contain %q", field.Message, tt.want)
			}
		})
	}
}

func TestValidateAcceptsQuotedNames(t *testing.T) {
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.Snowflake.Schema = `"Packages Two"`
	req.Snowflake.Role = `"a""b"`
	req.Repository.GrantToRoles = []string{`"data_science"`}
	if err := req.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidateRejectsBlankTargetTag(t *testing.T) {
	doc := exampleJSON(t, "egress-ip.json")
	doc = strings.Replace(doc, `"cloud": "aws",
    "region": "us-west-2",
    "security_group_id": "sg-0a1b2c3d4e5f60718",`, `"cloud": "gcp", "project": "corp-network", "network": "vpc-one", "target_tags": ["pypi", " "],`, 1)
	got := fieldErrors(t, doc)
	if message := got["$.egress.target_tags[1]"]; !strings.Contains(message, `" " is not a network tag`) {
		t.Errorf("errors = %v, want one at $.egress.target_tags[1]", got)
	}
	if len(got) != 1 {
		t.Errorf("errors = %v, want only $.egress.target_tags[1]", got)
	}
}

func TestValidateRequiresTargetTags(t *testing.T) {
	for name, tags := range map[string]string{"absent": "", "empty": `"target_tags": [],`} {
		t.Run(name, func(t *testing.T) {
			doc := exampleJSON(t, "egress-ip.json")
			doc = strings.Replace(doc, `"cloud": "aws",
    "region": "us-west-2",
    "security_group_id": "sg-0a1b2c3d4e5f60718",`, `"cloud": "gcp", "project": "corp-network", "network": "vpc-one", `+tags, 1)
			got := fieldErrors(t, doc)
			if message := got["$.egress.target_tags"]; !strings.Contains(message, "set the network tags of the repository's VMs") {
				t.Errorf("errors = %v, want one at $.egress.target_tags", got)
			}
			if len(got) != 1 {
				t.Errorf("errors = %v, want only $.egress.target_tags", got)
			}
		})
	}
}

func TestValidateRejectsInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Request)
		path  string
		fault string
	}{
		{"zero width space in id", func(r *Request) { r.ID = "Z-1\u200b" }, "$.id", "U+200B"},
		{"byte order mark in id", func(r *Request) { r.ID = "Z-1\ufeff" }, "$.id", "U+FEFF"},
		{"byte order mark before id", func(r *Request) { r.ID = "\ufeffZ-1" }, "$.id", "U+FEFF"},
		{"no-break space inside id", func(r *Request) { r.ID = "Z\u00a0-1" }, "$.id", "U+00A0"},
		{"ideographic space inside id", func(r *Request) { r.ID = "Z\u3000-1" }, "$.id", "U+3000"},
		{"soft hyphen in id", func(r *Request) { r.ID = "Z-\u00ad1" }, "$.id", "U+00AD"},
		{"word joiner in id", func(r *Request) { r.ID = "Z-\u20601" }, "$.id", "U+2060"},
		{"zero width joiner in role", func(r *Request) { r.Repository.GrantToRoles = []string{"DATA\u200dSCIENCE"} }, "$.repository.grant_to_roles[0]", "U+200D"},
		{"no-break space in database", func(r *Request) { r.Snowflake.Database = "MY\u00a0DB" }, "$.snowflake.database", "U+00A0"},
		{"byte order mark in schema", func(r *Request) { r.Snowflake.Schema = "\ufeffPACKAGES" }, "$.snowflake.schema", "U+FEFF"},
		{"zero width space in warehouse", func(r *Request) { r.Snowflake.Warehouse = "WH\u200b" }, "$.snowflake.warehouse", "U+200B"},
		{"narrow no-break space in role", func(r *Request) { r.Snowflake.Role = "SYS\u202fADMIN" }, "$.snowflake.role", "U+202F"},
		{"zero width space in user", func(r *Request) { r.Snowflake.User = "SVC\u200b" }, "$.snowflake.user", "U+200B"},
		{"zero width space in repository name", func(r *Request) { r.Repository.Name = "corp\u200bpypi" }, "$.repository.name", "letters, digits, _ and $"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := validateOne(t, tt.edit)
			if field.Path != tt.path {
				t.Errorf("path = %q, want %q", field.Path, tt.path)
			}
			if !strings.Contains(field.Message, tt.fault) {
				t.Errorf("message %q does not name %s", field.Message, tt.fault)
			}
		})
	}
}

func TestInvisibleIDMessageGivesReason(t *testing.T) {
	field := validateOne(t, func(r *Request) { r.ID = "Z-1\u200b" })
	for _, want := range []string{"invisible format character U+200B", "another request than the one shown", "use the ticket key"} {
		if !strings.Contains(field.Message, want) {
			t.Errorf("message %q does not contain %q", field.Message, want)
		}
	}
}

func TestValidateAcceptsVisibleNames(t *testing.T) {
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.ID = "DATA 4711 café 日本"
	req.Snowflake.Database = "MY DB"
	req.Snowflake.Role = "Data Science"
	req.Repository.GrantToRoles = []string{"ANALYST", "Ärzte Team"}
	if err := req.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidateGCPTargetTags(t *testing.T) {
	tests := []struct {
		name    string
		example string
		from    string
		to      string
		path    string
		want    string
	}{
		{"proxy none without tags", "gcp-privatelink-no-proxy.json", `"target_tags": [
      "pypi"
    ]`, `"target_tags": []`, "$.gcp.target_tags", "with proxy none set the network tags of the repository's VM"},
		{"proxy none with an invalid tag", "gcp-privatelink-no-proxy.json", `"pypi"`, `"PyPI"`, "$.gcp.target_tags[0]", `"PyPI" is not a network tag`},
		{"proxy nginx with tags", "gcp-privatelink.json", `"upstream":`, `"target_tags": ["pypi"], "upstream":`, "$.gcp.target_tags", "is only used with proxy none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := exampleJSON(t, tt.example)
			if !strings.Contains(doc, tt.from) {
				t.Fatalf("example %s does not contain %q", tt.example, tt.from)
			}
			got := fieldErrors(t, strings.Replace(doc, tt.from, tt.to, 1))
			if message := got[tt.path]; !strings.Contains(message, tt.want) {
				t.Errorf("errors = %v, want %q at %s", got, tt.want, tt.path)
			}
			if len(got) != 1 {
				t.Errorf("errors = %v, want only %s", got, tt.path)
			}
		})
	}
}
