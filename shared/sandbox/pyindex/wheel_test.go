package pyindex

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestBuildWheelIsDeterministic(t *testing.T) {
	for _, d := range Catalogue() {
		first, err := buildWheel(d)
		if err != nil {
			t.Fatalf("build %s %s: %v", d.Project, d.Version, err)
		}
		second, err := buildWheel(d)
		if err != nil {
			t.Fatalf("build %s %s again: %v", d.Project, d.Version, err)
		}
		if first.SHA256 != second.SHA256 {
			t.Errorf("%s: sha256 %s then %s, want equal", first.Filename, first.SHA256, second.SHA256)
		}
	}
}

func TestBuildWheelRecordMatchesEntries(t *testing.T) {
	for _, d := range Catalogue() {
		w, err := buildWheel(d)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(w.Filename, func(t *testing.T) {
			zr, err := zip.NewReader(bytes.NewReader(w.Data), int64(len(w.Data)))
			if err != nil {
				t.Fatalf("open wheel: %v", err)
			}

			bodies := map[string]string{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				bodies[f.Name] = string(b)
			}

			infoDir := fmt.Sprintf("%s-%s.dist-info/", wheelDistName(d.Project), d.Version)
			record, ok := bodies[infoDir+"RECORD"]
			if !ok {
				t.Fatalf("no %sRECORD in %v", infoDir, keys(bodies))
			}
			if !strings.Contains(bodies[infoDir+"METADATA"], "Name: "+d.Project+"\n") {
				t.Errorf("METADATA lacks Name: %s", d.Project)
			}
			if !strings.Contains(bodies[infoDir+"WHEEL"], "Tag: "+d.Tag+"\n") {
				t.Errorf("WHEEL lacks Tag: %s", d.Tag)
			}

			listed := 0
			for _, line := range strings.Split(strings.TrimSpace(record), "\n") {
				parts := strings.Split(line, ",")
				if parts[0] == infoDir+"RECORD" {
					continue
				}
				listed++
				sum := sha256.Sum256([]byte(bodies[parts[0]]))
				want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
				if parts[1] != want {
					t.Errorf("RECORD hash of %s = %s, want %s", parts[0], parts[1], want)
				}
			}
			if listed != len(bodies)-1 {
				t.Errorf("RECORD lists %d entries, want %d", listed, len(bodies)-1)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"requests":                  "requests",
		"My_Package":                "my-package",
		"zope.interface":            "zope-interface",
		"Foo__-.Bar":                "foo-bar",
		"snowflake-snowpark-python": "snowflake-snowpark-python",
	}
	for in, want := range tests {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
