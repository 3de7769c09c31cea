package request

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeRequestTable returns the rows of the README's request table, the
// table under "## The request" whose header is "| field | meaning |", as
// field cell and meaning cell.
func readmeRequestTable(t *testing.T) [][2]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## The request\n")
	if !ok {
		t.Fatal("README.md has no section ## The request")
	}
	_, table, ok := strings.Cut(section, "| field | meaning |\n|---|---|\n")
	if !ok {
		t.Fatal("the request section of README.md has no | field | meaning | table")
	}
	var rows [][2]string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") {
			break
		}
		cells := strings.SplitN(strings.Trim(line, "| "), " | ", 2)
		if len(cells) != 2 {
			t.Fatalf("request table row %q has no meaning cell", line)
		}
		rows = append(rows, [2]string{cells[0], cells[1]})
	}
	return rows
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeFieldPaths returns the request fields that the field cells of the
// README's request table name. A name that starts with "." belongs to the
// object of the full name before it, so "`aws.proxy`, `.target_address`"
// names aws.proxy and aws.target_address.
func readmeFieldPaths(t *testing.T) []string {
	var paths []string
	for _, row := range readmeRequestTable(t) {
		parent := ""
		for _, match := range backticked.FindAllStringSubmatch(row[0], -1) {
			name := match[1]
			if strings.HasPrefix(name, ".") {
				name = parent + name
			} else if i := strings.LastIndexByte(name, '.'); i >= 0 {
				parent = name[:i]
			}
			paths = append(paths, name)
		}
	}
	return paths
}

// requestFieldPaths returns the JSON path of every field of typ that is
// not an object, such as repository.auth.username, in declaration order.
func requestFieldPaths(typ reflect.Type, prefix string) []string {
	var paths []string
	for field := range typ.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := prefix + name
		inner := field.Type
		if inner.Kind() == reflect.Pointer {
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Struct {
			paths = append(paths, requestFieldPaths(inner, path+".")...)
			continue
		}
		paths = append(paths, path)
	}
	return paths
}

// TestReadmeListsEveryRequestField checks that the README's request table
// names every request field, itself or through an object that contains it,
// such as repository.auth for repository.auth.username.
func TestReadmeListsEveryRequestField(t *testing.T) {
	documented := readmeFieldPaths(t)
	// private_key_passphrase_ref is named in the meaning cell of the
	// snowflake.private_key_ref row.
	documented = append(documented, "snowflake.private_key_passphrase_ref")
	for _, path := range requestFieldPaths(reflect.TypeFor[Request](), "") {
		covered := slices.ContainsFunc(documented, func(d string) bool {
			return d == path || strings.HasPrefix(path, d+".")
		})
		if !covered {
			t.Errorf("the README's request table does not list %s", path)
		}
	}
}

// TestReadmeRequestTableValues checks that the rows of runtime_version and
// aws.listener list exactly the values that Validate accepts.
func TestReadmeRequestTableValues(t *testing.T) {
	rows := map[string]string{}
	for _, row := range readmeRequestTable(t) {
		rows[row[0]] = row[1]
	}

	runtime, ok := rows["`repository.runtime_version`"]
	if !ok {
		t.Fatal("the README's request table has no row for repository.runtime_version")
	}
	var listed []string
	for _, match := range backticked.FindAllStringSubmatch(runtime, -1) {
		listed = append(listed, match[1])
	}
	var accepted []string
	for version := range runtimeVersions {
		accepted = append(accepted, version)
	}
	slices.Sort(listed)
	slices.Sort(accepted)
	if !slices.Equal(listed, accepted) {
		t.Errorf("runtime_version row lists %v, Validate accepts %v", listed, accepted)
	}
	if want := "`" + DefaultRuntimeVersion + "` (default)"; !strings.Contains(runtime, want) {
		t.Errorf("runtime_version row %q does not contain %q", runtime, want)
	}

	listener, ok := rows["`aws.listener`"]
	if !ok {
		t.Fatal("the README's request table has no row for aws.listener")
	}
	if !strings.Contains(listener, "only `tcp`, the default") {
		t.Errorf("aws.listener row %q does not say that tcp is the only value and the default", listener)
	}
	for _, value := range []string{"tcp", "TCP"} {
		r := AWS{Listener: value}
		v := &validator{}
		v.aws(&r)
		for _, f := range v.fields {
			if f.Path == "$.aws.listener" {
				t.Errorf("listener %q rejected: %s", value, f.Message)
			}
		}
	}
	var defaults Request
	defaults.AWS = &AWS{}
	defaults.ApplyDefaults()
	if defaults.AWS.Listener != "tcp" {
		t.Errorf("default listener %q, want tcp", defaults.AWS.Listener)
	}
}
