package request

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
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

// MaxNameLength is the maximum length of a Step Functions execution name,
// in characters. The local engine enforces the same limit.
const MaxNameLength = 80

// teardownTail is the ending that TeardownBase adds to the name of a
// provision execution.
const teardownTail = "-teardown"

// TeardownBase returns the base name, for RunName, of the teardown runs of
// the provision execution named provisioned.
func TeardownBase(provisioned string) string {
	return provisioned + teardownTail
}

// RunName returns the execution name of the n-th run of base: base for the
// first run, then base-r2, base-r3 and so on. A closed execution name cannot
// be reused on Step Functions, so a rerun gets a new name. When that name
// would be longer than MaxNameLength, base is cut short and followed by a
// hash of the whole base, so that the name stays unique and the same on
// every call. A teardown base keeps its -teardown ending, which
// IsTeardownName matches. A name that fits is left unchanged, so the
// executions of earlier runs are still found under their names.
func RunName(base string, n int) string {
	tail := ""
	if n > 1 {
		tail = fmt.Sprintf("-r%d", n)
	}
	if stem, ok := strings.CutSuffix(base, teardownTail); ok && stem != "" {
		return fitName(stem, teardownTail+tail)
	}
	return fitName(base, tail)
}

// RunNumber returns n when name is RunName(base, n), and 0 when name is no
// run of base.
func RunNumber(base, name string) int {
	if name == RunName(base, 1) {
		return 1
	}
	i := strings.LastIndex(name, "-r")
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(name[i+len("-r"):])
	if err != nil || n < 2 || RunName(base, n) != name {
		return 0
	}
	return n
}

// fitName returns stem followed by tail. When that is longer than
// MaxNameLength characters, it cuts stem short and adds a hash of stem
// before tail.
func fitName(stem, tail string) string {
	if utf8.RuneCountInString(stem)+utf8.RuneCountInString(tail) <= MaxNameLength {
		return stem + tail
	}
	sum := sha256.Sum256([]byte(stem))
	hash := hex.EncodeToString(sum[:])[:8]
	keep := max(MaxNameLength-utf8.RuneCountInString(tail)-len(hash)-1, 0)
	cut := strings.TrimRight(string([]rune(stem)[:keep]), "-")
	if cut == "" {
		return hash + tail
	}
	return cut + "-" + hash + tail
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
