package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func TestAssetContainsOnlyArchBootstrap(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"bootstrap":                  "flat bootstrap\n",
		"amd64/bootstrap":            "amd64 bootstrap\n",
		lambdaArch + "/bootstrap":    string(standInBootstrap),
		lambdaArch + "/build.log":    "not for the zip\n",
		lambdaArch + "/sub/leftover": "not for the zip\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fullConfig()
	cfg.AssetDir = dir
	r := synth(t, "asset-layout", cfg)

	outdir := *awscdk.Stage_Of(r.stack.Stack).AssetOutdir()
	staged, err := filepath.Glob(filepath.Join(outdir, "asset.*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(staged) != 1 {
		t.Fatalf("staged assets %q, want one", staged)
	}
	var names []string
	err = filepath.WalkDir(staged[0], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(staged[0], path)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"bootstrap"}) {
		t.Errorf("asset files = %q, want only bootstrap", names)
	}
	data, err := os.ReadFile(filepath.Join(staged[0], "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, standInBootstrap) {
		t.Errorf("asset bootstrap = %q, want the %s one", data, lambdaArch)
	}
	if len(r.stack.Warnings) != 0 {
		t.Errorf("stack has warnings %q, want none", r.stack.Warnings)
	}
}

// The Makefile's synth target must build the bootstrap that the stack
// packages, with the same command as make lambda.
func TestMakeSynthBuildsLambdaBootstrap(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dryRun := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("make", append([]string{"--no-print-directory", "-n", "-C", ".."}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	buildLine := func(out string) string {
		t.Helper()
		out = strings.ReplaceAll(out, "\\\n", " ")
		for line := range strings.Lines(out) {
			if strings.Contains(line, " build ") && strings.Contains(line, "./functions/lambda") {
				return strings.Join(strings.Fields(line), " ")
			}
		}
		t.Fatalf("no go build of ./functions/lambda in:\n%s", out)
		return ""
	}

	synthBuild := buildLine(dryRun("synth"))
	lambdaBuild := buildLine(dryRun("lambda", "LAMBDA_ARCHS="+lambdaArch))
	if synthBuild != lambdaBuild {
		t.Errorf("make synth builds with\n  %s\nbut make lambda with\n  %s", synthBuild, lambdaBuild)
	}
	for _, want := range []string{
		"CGO_ENABLED=0",
		"GOARCH=" + lambdaArch,
		"-tags lambda.norpc,minicore_disabled",
		"-trimpath",
		`-ldflags "-s -w"`,
		"-o bin/lambda/" + lambdaArch + "/bootstrap",
	} {
		if !strings.Contains(synthBuild, want) {
			t.Errorf("make synth build %q lacks %s", synthBuild, want)
		}
	}
}
