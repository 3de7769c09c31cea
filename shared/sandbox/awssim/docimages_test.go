package awssim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ssmReference matches a resolve:ssm: image reference with a public
// parameter, as the docs write it.
var ssmReference = regexp.MustCompile(`resolve:ssm:(/aws/service/[A-Za-z0-9/._-]+)`)

// TestDocsImageParametersServed checks that the sandbox serves every
// resolve:ssm: parameter that README.md and docs/*.md show, with an image
// of the architecture that the parameter's path names, so that each
// example passes preflight in the sandbox.
func TestDocsImageParametersServed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "..", "README.md"))
	found := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, match := range ssmReference.FindAllStringSubmatch(string(data), -1) {
			found++
			parameter := strings.TrimRight(match[1], ".")
			checkParameterServed(t, file, parameter)
		}
	}
	if found == 0 {
		t.Fatal("the docs show no resolve:ssm: parameter, so the pattern no longer matches them")
	}
}

// checkParameterServed checks that GetParameters returns parameter with
// a catalogue image whose architecture matches the path.
func checkParameterServed(t *testing.T, file, parameter string) {
	t.Helper()
	body, _ := json.Marshal(map[string][]string{"Names": {parameter}})
	out, apiErr := getParameters("us-west-2", "GetParameters", body)
	if apiErr != nil {
		t.Fatalf("GetParameters %s: %v", parameter, apiErr)
	}
	encoded, _ := json.Marshal(out)
	var got struct {
		Parameters []struct{ Value string }
	}
	if err := json.Unmarshal(encoded, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Parameters) != 1 {
		t.Errorf("%s shows %s, which the sandbox does not serve", file, parameter)
		return
	}
	image, err := findImage(got.Parameters[0].Value)
	if err != nil {
		t.Fatalf("parameter %s names image %s, which the catalogue lacks: %v", parameter, got.Parameters[0].Value, err)
	}
	want := "x86_64"
	if strings.Contains(parameter, "arm64") {
		want = "arm64"
	}
	if image.Architecture != want {
		t.Errorf("parameter %s has image %s of architecture %s, want %s", parameter, image.ID, image.Architecture, want)
	}
}
