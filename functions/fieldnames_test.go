// Package functions_test checks the messages of the step functions as a
// whole.
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

// unconverted are files whose messages still name fields without "$.".
//
// TODO: write these fields as $.notify.url and $.repository.auth too.
var unconverted = map[string]bool{
	"gcf/credentialnotices.go":             true,
	"lambda/internal/notifier/notifier.go": true,
}

// TestMessagesNameFieldsAsPaths scans the string literals of the step
// functions and of shared/workflow, which build the messages of failed
// steps, for a request field written without "$.", so that every message
// names a field the same way as $.block.field.
func TestMessagesNameFieldsAsPaths(t *testing.T) {
	for _, root := range []string{".", "../shared/workflow"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if unconverted[filepath.ToSlash(path)] {
				return nil
			}
			checkLiterals(t, path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
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
		if m := bareField.FindStringSubmatch(text); m != nil {
			t.Errorf("%s: %q names %s; write it as $.%s", fset.Position(lit.Pos()), text, m[2], m[2])
		}
		return true
	})
}
