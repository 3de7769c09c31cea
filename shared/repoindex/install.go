package repoindex

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxWheelSize bounds one download, which is held in memory to be hashed
// and opened.
const maxWheelSize = 256 << 20

// Installed is a wheel that was downloaded, hash-checked and opened.
type Installed struct {
	// Name and Version come from the wheel's METADATA.
	Name     string
	Version  string
	Filename string
	// SHA256 is the hex digest of the downloaded bytes.
	SHA256 string
	// URL is the file link from the project page, without query.
	URL string
	// FinalURL is the download URL after redirects, without query, so that
	// callers can check its host against the allowed prefixes.
	FinalURL string
	// Requires are the Requires-Dist lines of METADATA. Install does not
	// follow them.
	Requires []string
}

// Install resolves each requirement ("name", "name==1.0", "name>=1,<2") to
// the newest pure-Python 3 wheel that satisfies it, downloads it, checks
// its sha256 against the link and reads its METADATA. It stops at the
// first requirement that fails and returns what was installed before it.
//
// Dependencies are not resolved; Installed.Requires lists them.
func (c *Client) Install(ctx context.Context, requirements []string) ([]Installed, error) {
	index, err := c.indexURL()
	if err != nil {
		return nil, err
	}
	hc := c.httpClient(index)

	var out []Installed
	for _, line := range requirements {
		req, err := parseRequirement(line)
		if err != nil {
			return out, err
		}
		project, err := c.Project(ctx, req.name)
		if err != nil {
			return out, fmt.Errorf("install %s: %w", req.text, err)
		}
		file, err := selectWheel(project, req)
		if err != nil {
			return out, fmt.Errorf("install %s: %w", req.text, err)
		}
		inst, err := download(ctx, hc, index, file)
		if err != nil {
			return out, fmt.Errorf("install %s: %w", req.text, err)
		}
		if NormalizeName(inst.Name) != req.name {
			return out, fmt.Errorf("install %s: %s names project %q: %w",
				req.text, file.Filename, inst.Name, ErrMetadataMismatch)
		}
		out = append(out, inst)
	}
	return out, nil
}

// selectWheel returns the newest pure-Python 3 wheel that satisfies req.
// Yanked files count only for an exact "==" pin, and pre-releases only when
// a clause names one or nothing else matches.
func selectWheel(p Project, req requirement) (File, error) {
	exactPin := len(req.specs) == 1 && req.specs[0].op == "==" && !req.specs[0].wildcard

	type candidate struct {
		file    File
		version version
	}
	var final, pre []candidate
	compatible := 0
	for _, f := range p.Files {
		w, ok := parseWheelName(f.Filename)
		if !ok || !w.purePython3() {
			continue
		}
		compatible++
		v, err := parseVersion(f.Version)
		if err != nil || (f.Yanked && !exactPin) {
			continue
		}
		if !satisfies(req.specs, v, f.Version) {
			continue
		}
		if v.isPrerelease() {
			pre = append(pre, candidate{f, v})
			continue
		}
		final = append(final, candidate{f, v})
	}

	pool := final
	if allowsPrerelease(req.specs) || len(final) == 0 {
		pool = append(pool, pre...)
	}
	if len(pool) == 0 {
		return File{}, noWheelError(p, req, exactPin, compatible)
	}

	best := pool[0]
	for _, c := range pool[1:] {
		if c.version.compare(best.version) > 0 {
			best = c
		}
	}
	return best.file, nil
}

// noWheelError returns an ErrNoVersion error when no file of p, such as a
// platform wheel or an sdist, has a version that satisfies req, and an
// ErrNoMatch error otherwise. Yanked files count only when yankedAllowed.
func noWheelError(p Project, req requirement, yankedAllowed bool, compatible int) error {
	yanked := false
	for _, f := range p.Files {
		v, err := parseVersion(f.Version)
		if err != nil || !satisfies(req.specs, v, f.Version) {
			continue
		}
		if !f.Yanked || yankedAllowed {
			return fmt.Errorf("%w: %d of %d files of %s are pure-Python 3 wheels, none satisfies %q",
				ErrNoMatch, compatible, len(p.Files), p.Name, req.text)
		}
		yanked = true
	}
	err := fmt.Errorf("%w: no file of %s has a version that satisfies %q", ErrNoVersion, p.Name, req.text)
	if yanked {
		err = fmt.Errorf("%w, except yanked files, which count only for a pin with ==", err)
	}
	return err
}

func satisfies(specs []specifier, v version, raw string) bool {
	for _, sp := range specs {
		if !sp.matches(v, raw) {
			return false
		}
	}
	return true
}

// download fetches a wheel, checks its digest and reads its METADATA.
func download(ctx context.Context, hc *http.Client, index *url.URL, f File) (Installed, error) {
	link, err := url.Parse(f.URL)
	if err != nil {
		return Installed{}, fmt.Errorf("file %s: invalid URL: %w", f.Filename, err)
	}
	if index.Scheme == "https" && link.Scheme != "https" {
		return Installed{}, fmt.Errorf("file %s: link %s is not https", f.Filename, redact(link))
	}
	w, ok := parseWheelName(f.Filename)
	if !ok {
		return Installed{}, fmt.Errorf("file %s: invalid wheel filename", f.Filename)
	}

	resp, err := get(ctx, hc, link, "")
	if err != nil {
		return Installed{}, fmt.Errorf("download %s: %w", f.Filename, err)
	}
	defer resp.Body.Close()
	finalURL := redact(resp.Request.URL)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWheelSize+1))
	if err != nil {
		return Installed{}, fmt.Errorf("download %s from %s: %w", f.Filename, finalURL, err)
	}
	if len(data) > maxWheelSize {
		return Installed{}, fmt.Errorf("download %s: larger than %d bytes", f.Filename, maxWheelSize)
	}

	sum := digest(data)
	if f.SHA256 != "" && sum != f.SHA256 {
		return Installed{}, fmt.Errorf("%s: link gives sha256 %s, download from %s has %s: %w",
			f.Filename, f.SHA256, finalURL, sum, ErrHashMismatch)
	}

	name, ver, requires, err := readMetadata(data, w)
	if err != nil {
		return Installed{}, fmt.Errorf("%s: %w", f.Filename, err)
	}
	if !sameVersion(ver, w.version) {
		return Installed{}, fmt.Errorf("%s: METADATA gives version %q: %w", f.Filename, ver, ErrMetadataMismatch)
	}
	return Installed{
		Name:     name,
		Version:  ver,
		Filename: f.Filename,
		SHA256:   sum,
		URL:      redact(link),
		FinalURL: finalURL,
		Requires: requires,
	}, nil
}

func sameVersion(a, b string) bool {
	va, errA := parseVersion(a)
	vb, errB := parseVersion(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return va.compare(vb) == 0 && va.local == vb.local
}

// readMetadata returns the Name, Version and Requires-Dist headers of the
// METADATA file in the wheel's .dist-info directory.
func readMetadata(data []byte, w wheelName) (name, ver string, requires []string, err error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", "", nil, fmt.Errorf("open wheel: %w", err)
	}

	want := w.distribution + "-" + w.version + ".dist-info/METADATA"
	var meta *zip.File
	for _, zf := range zr.File {
		dir, base, ok := strings.Cut(zf.Name, "/")
		if !ok || base != "METADATA" || !strings.HasSuffix(dir, ".dist-info") {
			continue
		}
		if meta == nil || strings.EqualFold(zf.Name, want) {
			meta = zf
		}
	}
	if meta == nil {
		return "", "", nil, fmt.Errorf("wheel has no .dist-info/METADATA")
	}

	rc, err := meta.Open()
	if err != nil {
		return "", "", nil, fmt.Errorf("open %s: %w", meta.Name, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil {
		return "", "", nil, fmt.Errorf("read %s: %w", meta.Name, err)
	}

	headers := parseHeaders(body)
	name, ver = first(headers["name"]), first(headers["version"])
	if name == "" || ver == "" {
		return "", "", nil, fmt.Errorf("%s lacks Name or Version", meta.Name)
	}
	return name, ver, headers["requires-dist"], nil
}

// parseHeaders reads the email-style header block of a METADATA file, up
// to the first blank line. Keys are lower-cased, and continuation lines are
// joined to the previous value.
func parseHeaders(body []byte) map[string][]string {
	headers := map[string][]string{}
	var lastKey string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && lastKey != "" {
			vals := headers[lastKey]
			vals[len(vals)-1] += "\n" + strings.TrimSpace(line)
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		lastKey = strings.ToLower(strings.TrimSpace(key))
		headers[lastKey] = append(headers[lastKey], strings.TrimSpace(value))
	}
	return headers
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
