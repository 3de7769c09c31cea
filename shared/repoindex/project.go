package repoindex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
)

// Project is the file list of one project page.
type Project struct {
	// Name is the normalised project name.
	Name string
	// URL is the page URL after redirects. Relative file links were
	// resolved against it.
	URL   string
	Files []File
}

// File is one distribution file listed on a project page.
type File struct {
	Filename string
	// URL is the absolute download URL without the hash fragment.
	URL string
	// SHA256 is the hex digest from the link, or "" when the page gives
	// none.
	SHA256 string
	// Version is taken from the filename. It is "" when the filename does
	// not parse.
	Version        string
	RequiresPython string
	Yanked         bool
}

// Project fetches /simple/<normalised name>/ and parses whichever of the
// JSON and HTML forms the index returns.
func (c *Client) Project(ctx context.Context, name string) (Project, error) {
	index, err := c.indexURL()
	if err != nil {
		return Project{}, err
	}
	normalized := NormalizeName(strings.TrimSpace(name))
	if normalized == "" || strings.ContainsAny(normalized, "/?#% ") {
		return Project{}, fmt.Errorf("invalid project name %q", name)
	}
	page := index.JoinPath(normalized + "/")
	// JoinPath drops the trailing slash that the simple API needs.
	if !strings.HasSuffix(page.Path, "/") {
		page.Path += "/"
	}

	resp, err := get(ctx, c.httpClient(index), page, acceptHeader)
	if err != nil {
		return Project{}, fmt.Errorf("fetch project %s: %w", normalized, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageSize+1))
	if err != nil {
		return Project{}, fmt.Errorf("read project page %s: %w", redact(resp.Request.URL), err)
	}
	if len(body) > maxPageSize {
		return Project{}, fmt.Errorf("project page %s is larger than %d bytes", redact(resp.Request.URL), maxPageSize)
	}

	pageURL := resp.Request.URL
	files, err := parsePage(resp.Header.Get("Content-Type"), body, pageURL)
	if err != nil {
		return Project{}, fmt.Errorf("parse project page %s: %w", redact(pageURL), err)
	}
	for i := range files {
		files[i].Version = versionFromFilename(files[i].Filename, normalized)
	}
	return Project{Name: normalized, URL: redact(pageURL), Files: files}, nil
}

// parsePage parses a project page by its media type.
func parsePage(contentType string, body []byte, pageURL *url.URL) ([]File, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("invalid Content-Type %q: %w", contentType, err)
	}
	switch mediaType {
	case "application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json":
		return parseJSON(body, pageURL)
	case "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html", "text/html":
		return parseHTML(body, pageURL)
	}
	return nil, fmt.Errorf("unexpected Content-Type %q", mediaType)
}

func parseJSON(body []byte, pageURL *url.URL) ([]File, error) {
	var page struct {
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
			// Yanked is false, true or a reason string.
			Yanked json.RawMessage `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}

	files := make([]File, 0, len(page.Files))
	for _, f := range page.Files {
		u, err := pageURL.Parse(f.URL)
		if err != nil {
			return nil, fmt.Errorf("file %s: invalid URL: %w", f.Filename, err)
		}
		u.Fragment, u.RawFragment = "", ""
		yanked := len(f.Yanked) > 0 && !bytes.Equal(f.Yanked, []byte("false")) &&
			!bytes.Equal(f.Yanked, []byte("null"))
		files = append(files, File{
			Filename:       f.Filename,
			URL:            u.String(),
			SHA256:         strings.ToLower(f.Hashes["sha256"]),
			RequiresPython: f.RequiresPython,
			Yanked:         yanked,
		})
	}
	return files, nil
}

// parseHTML reads the anchors of a PEP 503 page. A <base href> element
// changes the URL that links are resolved against.
func parseHTML(body []byte, pageURL *url.URL) ([]File, error) {
	base := pageURL
	var files []File
	z := html.NewTokenizer(bytes.NewReader(body))

	var current *File
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("parse HTML: %w", err)
			}
			return files, nil

		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "base":
				if href, ok := attr(tok, "href"); ok {
					u, err := pageURL.Parse(href)
					if err != nil {
						return nil, fmt.Errorf("invalid base href %q: %w", href, err)
					}
					base = u
				}
			case "a":
				f, err := anchorFile(tok, base)
				if err != nil {
					return nil, err
				}
				if f != nil {
					files = append(files, *f)
					current = &files[len(files)-1]
					text.Reset()
				}
			}

		case html.TextToken:
			if current != nil {
				text.Write(z.Text())
			}

		case html.EndTagToken:
			if tok := z.Token(); tok.Data == "a" && current != nil {
				if name := strings.TrimSpace(text.String()); name != "" {
					current.Filename = name
				}
				current = nil
			}
		}
	}
}

// anchorFile returns the file an <a> element links to, or nil for an
// anchor without href. The filename defaults to the last path segment and
// is replaced by the anchor text when the element closes.
func anchorFile(tok html.Token, base *url.URL) (*File, error) {
	href, ok := attr(tok, "href")
	if !ok {
		return nil, nil
	}
	u, err := base.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("invalid file href %q: %w", href, err)
	}

	var sum string
	if name, value, ok := strings.Cut(u.Fragment, "="); ok && strings.EqualFold(name, "sha256") {
		sum = strings.ToLower(value)
	}
	u.Fragment, u.RawFragment = "", ""

	requiresPython, _ := attr(tok, "data-requires-python")
	_, yanked := attr(tok, "data-yanked")
	return &File{
		Filename:       path.Base(u.Path),
		URL:            u.String(),
		SHA256:         sum,
		RequiresPython: requiresPython,
		Yanked:         yanked,
	}, nil
}

func attr(tok html.Token, key string) (string, bool) {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// versionFromFilename returns the version part of a wheel or sdist
// filename, or "" when the name does not start with the project.
func versionFromFilename(filename, normalized string) string {
	if w, ok := parseWheelName(filename); ok {
		return w.version
	}
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".zip", ".tgz"} {
		stem, ok := strings.CutSuffix(filename, ext)
		if !ok {
			continue
		}
		// The project part of an sdist name may itself contain "-", so
		// the version is whatever follows the last one.
		i := strings.LastIndex(stem, "-")
		if i <= 0 || NormalizeName(stem[:i]) != normalized {
			return ""
		}
		return stem[i+1:]
	}
	return ""
}

// wheelName is the parsed filename of a wheel:
// {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
type wheelName struct {
	distribution, version, python, abi, platform string
}

func parseWheelName(filename string) (wheelName, bool) {
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return wheelName{}, false
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return wheelName{}, false
	}
	n := len(parts)
	return wheelName{
		distribution: parts[0],
		version:      parts[1],
		python:       parts[n-3],
		abi:          parts[n-2],
		platform:     parts[n-1],
	}, true
}

// purePython3 reports whether a wheel installs on any Python 3 platform:
// abi "none", platform "any" and a python tag such as py3 or py2.py3.
func (w wheelName) purePython3() bool {
	if w.abi != "none" || w.platform != "any" {
		return false
	}
	for _, tag := range strings.Split(w.python, ".") {
		if tag == "py3" {
			return true
		}
	}
	return false
}
