package repoindex

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// version is a PEP 440 version. Local labels ("+abc") are kept but do not
// take part in ordering.
type version struct {
	epoch   int
	release []int
	preKind int // 0 none, 1 a, 2 b, 3 rc
	preNum  int
	post    int // -1 when absent
	dev     int // -1 when absent
	local   string
}

var versionPattern = regexp.MustCompile(`^v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
	`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

func parseVersion(s string) (version, error) {
	m := versionPattern.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return version{}, fmt.Errorf("invalid version %q", s)
	}
	v := version{post: -1, dev: -1, local: m[10]}
	if m[1] != "" {
		v.epoch = atoi(m[1])
	}
	for _, part := range strings.Split(m[2], ".") {
		v.release = append(v.release, atoi(part))
	}
	switch m[3] {
	case "a", "alpha":
		v.preKind = 1
	case "b", "beta":
		v.preKind = 2
	case "c", "rc", "pre", "preview":
		v.preKind = 3
	}
	v.preNum = atoi(m[4])
	switch {
	case m[5] != "":
		v.post = atoi(m[5])
	case m[6] != "":
		v.post = atoi(m[7])
	}
	if m[8] != "" {
		v.dev = atoi(m[9])
	}
	return v, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (v version) isPrerelease() bool {
	return v.preKind != 0 || v.dev >= 0
}

// compare orders versions by PEP 440: 1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1.
func (v version) compare(o version) int {
	if c := cmp.Compare(v.epoch, o.epoch); c != 0 {
		return c
	}
	n := max(len(v.release), len(o.release))
	for i := range n {
		if c := cmp.Compare(at(v.release, i), at(o.release, i)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(v.preKey(), o.preKey()); c != 0 {
		return c
	}
	if c := cmp.Compare(v.post, o.post); c != 0 {
		return c
	}
	return cmp.Compare(v.devKey(), o.devKey())
}

// preKey sorts a development release without pre or post part before every
// pre-release, and a final release after them.
func (v version) preKey() int {
	switch {
	case v.preKind == 0 && v.post < 0 && v.dev >= 0:
		return -1
	case v.preKind == 0:
		return 1 << 30
	}
	return v.preKind<<20 + v.preNum
}

func (v version) devKey() int {
	if v.dev < 0 {
		return 1 << 30
	}
	return v.dev
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// specifier is one version clause such as ">=2.0" or "==1.4.*".
type specifier struct {
	op       string
	version  version
	raw      string // the version text, for "===" and error messages
	wildcard bool   // "==X.*" or "!=X.*"
}

var specifierPattern = regexp.MustCompile(`^(~=|===|==|!=|<=|>=|<|>)\s*(\S+)$`)

// CheckSpecifiers returns the error that the version clauses s, such as
// ">=2.31,<3", get when preflight matches the index's files against them,
// or nil.
func CheckSpecifiers(s string) error {
	_, err := parseSpecifiers(s)
	return err
}

func parseSpecifiers(s string) ([]specifier, error) {
	var out []specifier
	for _, clause := range strings.Split(s, ",") {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		m := specifierPattern.FindStringSubmatch(clause)
		if m == nil {
			return nil, fmt.Errorf("invalid version specifier %q", clause)
		}
		sp := specifier{op: m[1], raw: m[2]}
		text := m[2]
		if sp.op == "==" || sp.op == "!=" {
			text, sp.wildcard = strings.CutSuffix(text, ".*")
		}
		if sp.op != "===" {
			v, err := parseVersion(text)
			if err != nil {
				return nil, fmt.Errorf("version specifier %q: %w", clause, err)
			}
			if sp.op == "~=" && len(v.release) < 2 {
				return nil, fmt.Errorf("version specifier %q: ~= needs at least two release numbers", clause)
			}
			sp.version = v
		}
		out = append(out, sp)
	}
	return out, nil
}

// matches reports whether v satisfies the clause. raw is the version as
// the file spells it, compared as text by "===".
//
// NOTE: the exclusive comparisons are plain ordering, so "<2.0" admits
// 2.0rc1 and ">1.0" admits 1.0.post1, which PEP 440 excludes.
func (sp specifier) matches(v version, raw string) bool {
	switch sp.op {
	case "===":
		return strings.EqualFold(raw, sp.raw)
	case "==":
		if sp.wildcard {
			return sp.prefixMatches(v)
		}
		return v.compare(sp.version) == 0
	case "!=":
		if sp.wildcard {
			return !sp.prefixMatches(v)
		}
		return v.compare(sp.version) != 0
	case "<=":
		return v.compare(sp.version) <= 0
	case ">=":
		return v.compare(sp.version) >= 0
	case "<":
		return v.compare(sp.version) < 0
	case ">":
		return v.compare(sp.version) > 0
	case "~=":
		prefix := specifier{version: version{epoch: sp.version.epoch,
			release: sp.version.release[:len(sp.version.release)-1]}}
		return v.compare(sp.version) >= 0 && prefix.prefixMatches(v)
	}
	return false
}

// prefixMatches reports whether v's epoch and release start with the
// clause's release numbers.
func (sp specifier) prefixMatches(v version) bool {
	if v.epoch != sp.version.epoch {
		return false
	}
	for i, n := range sp.version.release {
		if at(v.release, i) != n {
			return false
		}
	}
	return true
}

// allowsPrerelease reports whether a clause names a pre-release, which
// PEP 440 takes as permission to select pre-releases.
func allowsPrerelease(specs []specifier) bool {
	return slices.ContainsFunc(specs, func(sp specifier) bool {
		return sp.op != "!=" && sp.version.isPrerelease()
	})
}

// requirement is a parsed requirement line: a name, optional extras and
// specifiers. Environment markers are dropped.
type requirement struct {
	name  string // normalised
	specs []specifier
	text  string
}

var requirementPattern = regexp.MustCompile(
	`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$`)

// parseRequirement parses "name", "name==1.0" or "name[extra] (>=1,<2)".
//
// NOTE: an environment marker after ";" is not evaluated; the requirement
// applies as if the marker were true.
func parseRequirement(s string) (requirement, error) {
	text := strings.TrimSpace(s)
	spec, _, _ := strings.Cut(text, ";")
	m := requirementPattern.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return requirement{}, fmt.Errorf("invalid requirement %q", s)
	}
	clauses := strings.TrimSpace(m[2])
	if strings.HasPrefix(clauses, "(") && strings.HasSuffix(clauses, ")") {
		clauses = clauses[1 : len(clauses)-1]
	}
	if strings.HasPrefix(clauses, "@") {
		return requirement{}, fmt.Errorf("requirement %q: direct URL references are not supported", s)
	}
	specs, err := parseSpecifiers(clauses)
	if err != nil {
		return requirement{}, fmt.Errorf("requirement %q: %w", s, err)
	}
	return requirement{name: NormalizeName(m[1]), specs: specs, text: text}, nil
}
