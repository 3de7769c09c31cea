package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// minNeedle is the shortest form of a secret that the scan looks for.
// Shorter fragments would match ordinary text.
const minNeedle = 8

// exemptFiles are files of the sandbox, matched against paths relative to a
// state directory, that the scan skips. The world files of the sandbox's
// clouds are scanned, because they keep secret values only sealed.
var exemptFiles = []struct{ pattern, reason string }{
	{"sandbox/ca/ca.key", "the sandbox index's own CA key, which no repolink code reads"},
}

// worldFiles are the world files of the sandbox's clouds, matched against
// paths relative to a state directory.
var worldFiles = []string{
	"sandbox/aws/aws.json",
	"sandbox/snowflake/snowflake.json",
	"sandbox/snowflake/snowflake.journal",
	"sandbox/azure/azure.json",
	"sandbox/gcp/gcp.json",
}

// secretSet collects the secrets that the scan looks for. Labels name a
// secret in findings; the values never leave the set.
type secretSet struct {
	mu     sync.Mutex
	values map[string]string // value to label
}

func newSecretSet() *secretSet {
	return &secretSet{values: map[string]string{}}
}

// add registers a secret under a label such as "webhook secret".
func (s *secretSet) add(label, value string) {
	if len(value) < minNeedle {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[value]; !ok {
		s.values[value] = label
	}
}

// addWorld registers the values of a world's Secrets Manager: the index
// password or token and the Snowflake private key.
func (s *secretSet) addWorld(w world) {
	for name, value := range w.secretValues() {
		s.add("Secrets Manager secret "+name, value)
	}
}

func (s *secretSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.values)
}

// needle is one form of a secret as it could appear in a file.
type needle struct {
	label string // the secret's label and the form, such as "(base64)"
	text  []byte
}

// needles returns every form of every secret: as it is, escaped for JSON
// and URLs, in base64, and, for a PEM key, each base64 line of its body.
func (s *secretSet) needles() []needle {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []needle
	seen := map[string]bool{}
	addForm := func(label, form, text string) {
		if len(text) < minNeedle || seen[text] {
			return
		}
		seen[text] = true
		out = append(out, needle{label: label + " (" + form + ")", text: []byte(text)})
	}
	for value, label := range s.values {
		addForm(label, "as is", value)
		if quoted, err := json.Marshal(value); err == nil {
			addForm(label, "JSON-escaped", string(quoted[1:len(quoted)-1]))
		}
		addForm(label, "URL query-escaped", url.QueryEscape(value))
		addForm(label, "URL path-escaped", url.PathEscape(value))
		addForm(label, "base64", base64.StdEncoding.EncodeToString([]byte(value)))
		if strings.Contains(value, "-----BEGIN") {
			for _, line := range strings.Split(value, "\n") {
				line = strings.TrimSpace(line)
				if !strings.HasPrefix(line, "-----") && len(line) >= 32 {
					addForm(label, "a line of the PEM body", line)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out
}

// scanCategory groups scanned files for the report.
type scanCategory struct {
	name  string
	files int
	// findings name the file and the secret form, never the value.
	findings []string
}

// worldFileOf returns the world file whose temporary copy rel is, or rel.
// A simulator writes its world to name.N.tmp and renames it over name, so
// a process killed in between leaves a copy of the same state.
func worldFileOf(rel string) string {
	stem, ok := strings.CutSuffix(rel, ".tmp")
	if !ok {
		return rel
	}
	dot := strings.LastIndexByte(stem, '.')
	if dot < 0 || strings.Trim(stem[dot+1:], "0123456789") != "" {
		return rel
	}
	return stem[:dot]
}

// categoryOf returns the category of a file under the work directory, or
// "" for an exempt file.
func categoryOf(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	// State directories are <suite>/<case>/...
	if len(parts) > 2 {
		inState := worldFileOf(strings.Join(parts[2:], "/"))
		for _, e := range exemptFiles {
			if ok, _ := filepath.Match(e.pattern, inState); ok {
				return ""
			}
		}
		if slices.Contains(worldFiles, inState) {
			return "sandbox world files"
		}
	}
	base := parts[len(parts)-1]
	switch {
	case parts[0] == "logs":
		return "logs and error messages"
	case parts[0] == "documents":
		return "state documents and history"
	case parts[0] == "notifications":
		return "notifications"
	case strings.Contains(base, ".db"):
		return "SQLite files"
	case strings.HasSuffix(base, ".log"):
		return "logs and error messages"
	}
	return "other files"
}

// runSecretScan looks for every collected secret in every file the other
// suites left in the work directory, except the files in exemptFiles.
func runSecretScan(ctx context.Context, s *session) {
	start := time.Now()
	if s.secrets.len() == 0 {
		s.report.fail(SuiteSecrets, "secrets collected", 0,
			"no sandbox secret was collected, so there is nothing to look for; run the scan together with the other suites")
		return
	}
	needles := s.secrets.needles()
	m := newMatcher(needles)
	categories := map[string]*scanCategory{}
	exempt := 0
	err := filepath.WalkDir(s.cfg.Work, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(s.cfg.Work, path)
		cat := categoryOf(rel)
		if cat == "" {
			exempt++
			return nil
		}
		c := categories[cat]
		if c == nil {
			c = &scanCategory{name: cat}
			categories[cat] = c
		}
		c.files++
		found, err := m.scanFile(ctx, path)
		if err != nil {
			return err
		}
		for _, n := range found {
			c.findings = append(c.findings, fmt.Sprintf("%s contains %s", rel, n.label))
		}
		return nil
	})
	if err != nil {
		s.report.fail(SuiteSecrets, "scan", time.Since(start), "walk the work directory: "+err.Error())
	}

	names := make([]string, 0, len(categories))
	for name := range categories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := categories[name]
		detail := fmt.Sprintf("%d files, %d forms of %d secrets", c.files, len(needles), s.secrets.len())
		s.report.check(SuiteSecrets, name, time.Since(start), detail, limitLines(c.findings, 20))
	}
	s.report.note(SuiteSecrets, fmt.Sprintf("%d files not scanned, as these patterns exempt them:", exempt))
	for _, e := range exemptFiles {
		s.report.note(SuiteSecrets, fmt.Sprintf("  <state dir>/%s: %s", e.pattern, e.reason))
	}
}

// matcher finds many needles in one pass over a file. Every needle is at
// least minNeedle (8) bytes long, so the matcher looks up each position of
// the file by its next 8 bytes. A bit set rules out nearly every position,
// and a map from 8-byte prefixes to needles checks the rest.
type matcher struct {
	needles  []needle
	byPrefix map[uint64][]int
	filter   []uint64
	maxLen   int
}

const (
	filterBits = 20
	// scanChunk is how much of a file the matcher reads at a time.
	scanChunk = 4 << 20
)

func newMatcher(needles []needle) *matcher {
	m := &matcher{needles: needles, byPrefix: map[uint64][]int{}, filter: make([]uint64, 1<<filterBits/64)}
	for i, n := range needles {
		key := binary.LittleEndian.Uint64(n.text)
		m.byPrefix[key] = append(m.byPrefix[key], i)
		h := filterHash(key)
		m.filter[h/64] |= 1 << (h % 64)
		m.maxLen = max(m.maxLen, len(n.text))
	}
	return m
}

func filterHash(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> (64 - filterBits)
}

// find adds the index of every needle that occurs in data to found.
func (m *matcher) find(data []byte, found map[int]bool) {
	for i := 0; i+minNeedle <= len(data); i++ {
		key := binary.LittleEndian.Uint64(data[i:])
		h := filterHash(key)
		if m.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, idx := range m.byPrefix[key] {
			if bytes.HasPrefix(data[i:], m.needles[idx].text) {
				found[idx] = true
			}
		}
	}
}

// scanFile returns the needles that occur in the file. It reads the file in
// chunks that overlap by the longest needle, so that no match is split.
func (m *matcher) scanFile(ctx context.Context, path string) ([]needle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer f.Close()
	found := map[int]bool{}
	buf := make([]byte, scanChunk+m.maxLen)
	carry := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := io.ReadFull(f, buf[carry:])
		data := buf[:carry+n]
		m.find(data, found)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", path, err)
		}
		// Keep the tail that a needle could still start in.
		keep := min(m.maxLen-1, len(data))
		copy(buf, data[len(data)-keep:])
		carry = keep
	}
	out := make([]needle, 0, len(found))
	for idx := range found {
		out = append(out, m.needles[idx])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out, nil
}

// limitLines returns at most n lines and a count of the rest.
func limitLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("and %d more", len(lines)-n))
}
