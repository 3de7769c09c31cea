package request

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// maxBaseName leaves room for a run suffix such as "-r12" within the 80
// characters that Step Functions allows for an execution name.
const maxBaseName = 72

// ExecutionName returns the execution name for a request ID: the ID itself
// when it is short and uses only letters, digits, '-', '_' and '.', or else
// a cleaned form followed by a short hash of the original, so that two IDs
// never share a name.
func ExecutionName(id string) string {
	var b strings.Builder
	changed := false
	lastDash := false
	for _, r := range id {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		if ok {
			b.WriteRune(r)
			lastDash = r == '-'
			continue
		}
		changed = true
		if !lastDash {
			b.WriteByte('-')
			lastDash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name != b.String() {
		changed = true
	}
	if !changed && len(name) <= maxBaseName && name != "" {
		return name
	}
	sum := sha256.Sum256([]byte(id))
	suffix := hex.EncodeToString(sum[:])[:8]
	if len(name) > maxBaseName-len(suffix)-1 {
		name = strings.TrimRight(name[:maxBaseName-len(suffix)-1], "-")
	}
	if name == "" {
		return "req-" + suffix
	}
	return name + "-" + suffix
}

// RunName returns the execution name of the n-th run of a request, where
// the first run has no suffix. A closed execution name cannot be reused on
// Step Functions, so a rerun gets a new name.
func RunName(base string, n int) string {
	if n <= 1 {
		return base
	}
	return fmt.Sprintf("%s-r%d", base, n)
}

// teardownNamePattern matches the end of a teardown run's execution name:
// the provision execution's name followed by -teardown and, from the
// second run on, the run suffix of RunName: -r and a number of 2 or more
// without leading zeros. -teardown-r0 and -teardown-r1 never name a
// teardown run, so they do not match.
var teardownNamePattern = regexp.MustCompile(`-teardown(-r([2-9]|[1-9][0-9]+))?$`)

// IsTeardownName reports whether name has the form of a teardown run's
// execution name, such as DATA-4711-teardown or DATA-4711-teardown-r2.
func IsTeardownName(name string) bool {
	return teardownNamePattern.MatchString(name)
}
