// Package functions_test checks the messages of the module as a whole.
package functions_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// bareField matches a request field written without the "$." of a JSON
// path, such as aws.instance_type in "Set aws.instance_type".
var bareField = regexp.MustCompile(`(^|[^$.\w/-])((aws|azure|gcp|repository|snowflake|egress|notify)\.[a-z][a-z_]*)`)

// notFields are literals that bareField matches but that name no request
// field: state file names and the EventBridge source of Step Functions.
var notFields = map[string]bool{
	"aws.json":          true,
	"azure.json":        true,
	"gcp.json":          true,
	"snowflake.json":    true,
	"snowflake.journal": true,
	"notify.db":         true,
	"aws.states":        true,
}

// TestMessagesNameFieldsAsPaths scans the string literals of every non-test
// Go file of the repository for a request field written without "$.". Those
// files build the messages of steps, preflight, request validation,
// notifications and the command line, which all write $.block.field.
func TestMessagesNameFieldsAsPaths(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || (strings.HasPrefix(name, ".") && name != "..") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			checkLiterals(t, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkLiterals reports each string literal of the Go file at path, other
// than a struct tag, that names a request field without "$.".
func checkLiterals(t *testing.T, path string) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[*ast.BasicLit]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if field, ok := n.(*ast.Field); ok && field.Tag != nil {
			tags[field.Tag] = true
		}
		return true
	})
	ast.Inspect(file, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || tags[lit] {
			return true
		}
		text, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		for _, m := range bareField.FindAllStringSubmatch(text, -1) {
			if !notFields[m[2]] {
				t.Errorf("%s: %q names %s; write it as $.%s", fset.Position(lit.Pos()), text, m[2], m[2])
			}
		}
		return true
	})
}
