package pyindex

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Dist is one release of a project in the catalogue, built as one wheel.
type Dist struct {
	// Project is the project name as its metadata spells it.
	Project string
	Version string
	// Module is the top-level import package inside the wheel.
	Module string
	// Tag is the wheel compatibility tag, such as "py3-none-any".
	Tag            string
	RequiresPython string
	// Requires are Requires-Dist lines of the METADATA file.
	Requires []string
}

// Catalogue returns the releases every index serves. Callers may change the
// returned slice: it is a fresh copy.
func Catalogue() []Dist {
	return []Dist{
		{Project: "requests", Version: "2.31.0", Module: "requests", Tag: "py3-none-any",
			RequiresPython: ">=3.7", Requires: []string{"urllib3 (<3,>=1.21.1)"}},
		{Project: "requests", Version: "2.32.3", Module: "requests", Tag: "py3-none-any",
			RequiresPython: ">=3.8", Requires: []string{"urllib3 (<3,>=1.21.1)"}},
		{Project: "urllib3", Version: "1.26.18", Module: "urllib3", Tag: "py2.py3-none-any"},
		{Project: "urllib3", Version: "2.2.2", Module: "urllib3", Tag: "py3-none-any",
			RequiresPython: ">=3.8"},
		{Project: "cloudpickle", Version: "3.0.0", Module: "cloudpickle", Tag: "py3-none-any",
			RequiresPython: ">=3.8"},
		{Project: "snowflake-snowpark-python", Version: "1.25.0", Module: "snowflake/snowpark",
			Tag: "py3-none-any", RequiresPython: ">=3.8,<3.12",
			Requires: []string{"cloudpickle (>=1.6.0)"}},
		{Project: "corp-utils", Version: "2.3.1", Module: "corp_utils", Tag: "py3-none-any"},
		// A release with only a platform wheel, so that clients which need a
		// pure-Python wheel find no match.
		{Project: "numpy-lite", Version: "1.0.0", Module: "numpy_lite",
			Tag: "cp311-cp311-manylinux_2_17_x86_64"},
	}
}

// wheelFile is a built wheel and its digest.
type wheelFile struct {
	Dist     Dist
	Filename string
	SHA256   string
	Data     []byte
}

// wheelTime is the modification time of every zip entry, so that the bytes
// and hashes of a wheel do not change between runs.
var wheelTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// normalize returns the PEP 503 normalised form of a project name.
func normalize(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// wheelDistName returns the distribution part of a wheel filename: the
// normalised name with "-" replaced by "_", as the binary distribution
// format requires.
func wheelDistName(project string) string {
	return strings.ReplaceAll(normalize(project), "-", "_")
}

// buildWheel returns a wheel with a module, METADATA, WHEEL and a RECORD
// that lists the sha256 and size of every other entry.
func buildWheel(d Dist) (wheelFile, error) {
	distName := wheelDistName(d.Project)
	filename := fmt.Sprintf("%s-%s-%s.whl", distName, d.Version, d.Tag)
	infoDir := fmt.Sprintf("%s-%s.dist-info", distName, d.Version)

	entries := []struct{ name, body string }{
		{d.Module + "/__init__.py", fmt.Sprintf("__version__ = %q\n", d.Version)},
		{infoDir + "/METADATA", metadata(d)},
		{infoDir + "/WHEEL", fmt.Sprintf(
			"Wheel-Version: 1.0\nGenerator: repolink-sandbox\nRoot-Is-Purelib: %t\nTag: %s\n",
			strings.HasSuffix(d.Tag, "-none-any"), d.Tag)},
	}

	var record strings.Builder
	for _, e := range entries {
		sum := sha256.Sum256([]byte(e.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n",
			e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.body))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", infoDir)
	entries = append(entries, struct{ name, body string }{infoDir + "/RECORD", record.String()})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: wheelTime})
		if err != nil {
			return wheelFile{}, fmt.Errorf("build wheel %s: %w", filename, err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			return wheelFile{}, fmt.Errorf("build wheel %s: %w", filename, err)
		}
	}
	if err := zw.Close(); err != nil {
		return wheelFile{}, fmt.Errorf("build wheel %s: %w", filename, err)
	}

	sum := sha256.Sum256(buf.Bytes())
	return wheelFile{
		Dist:     d,
		Filename: filename,
		SHA256:   hex.EncodeToString(sum[:]),
		Data:     buf.Bytes(),
	}, nil
}

func metadata(d Dist) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", d.Project, d.Version)
	fmt.Fprintf(&b, "Summary: Sandbox stand-in for %s\n", d.Project)
	if d.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", d.RequiresPython)
	}
	for _, r := range d.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	return b.String()
}
