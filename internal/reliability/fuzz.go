package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// fuzzTargets are the fuzz functions that make reliability runs, with their
// packages.
var fuzzTargets = []struct{ name, pkg string }{
	{"FuzzParse", "./shared/request"},
	{"FuzzRender", "./shared/snowflake"},
	{"FuzzRenderedLiterals", "./shared/sandbox/sfsim"},
	{"FuzzDefine", "./shared/engine"},
	{"FuzzParsePath", "./shared/engine"},
	{"FuzzJSONFastPaths", "./shared/engine"},
}

// fuzzMinimizeTime bounds the minimization of each new interesting input.
// The default of 60 s lets one kilobyte-sized ASL input use up a 30 s run
// without a single new execution being counted.
const fuzzMinimizeTime = "2s"

// fuzzBuildAllowance is the time each target gets on top of FuzzTime for
// building the instrumented test binary.
const fuzzBuildAllowance = 90 * time.Second

var fuzzExecs = regexp.MustCompile(`execs: (\d+)`)

// fuzzWarmUp bounds the warm-up run of one fuzz target.
const fuzzWarmUp = 5 * time.Minute

// buildFuzzTargets runs each fuzz target once, outside the fuzz suite's
// budget, so that the Go build cache holds its instrumented packages.
// Building them on a cold cache can take longer than fuzzBuildAllowance
// on a busy machine. A failed warm-up is left for the suite to report.
func buildFuzzTargets(ctx context.Context, s *session) {
	fmt.Fprintf(s.cfg.Out, "\nbuilding %d fuzz targets\n", len(fuzzTargets))
	for _, t := range fuzzTargets {
		targetCtx, cancel := context.WithTimeout(ctx, fuzzWarmUp)
		s.runChild(targetCtx, "fuzz-build-"+t.name, childEnv("GOPROXY=off"), s.cfg.Go,
			"test", "-run=^$", "-fuzz=^"+t.name+"$", "-fuzztime=1x", t.pkg)
		cancel()
	}
}

// runFuzz runs each fuzz target for FuzzTime with go test -fuzz. The Go
// toolchain reads the module cache only: GOPROXY=off keeps it off the
// network. A target that failed with only the coordinator's deadline error
// and wrote no failing input runs once more (see deadlineOnly).
func runFuzz(ctx context.Context, s *session) {
	for _, t := range fuzzTargets {
		name := t.name + " " + strings.TrimPrefix(t.pkg, "./")
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteFuzz, name, 0, reason)
			continue
		}
		corpus := filepath.Join(s.cfg.Root, t.pkg, "testdata", "fuzz", t.name)
		before := countFiles(corpus)
		res := s.fuzzTarget(ctx, t.name, t.pkg)
		output := res.stdout + res.stderr
		retried := false
		if (res.err != nil || res.code != 0) && deadlineOnly(output) && countFiles(corpus) == before && budgetLeft(ctx) == "" {
			res = s.fuzzTarget(ctx, t.name, t.pkg)
			output = res.stdout + res.stderr
			retried = true
		}

		detail := "no executions counted"
		if m := fuzzExecs.FindAllStringSubmatch(output, -1); len(m) > 0 {
			detail = m[len(m)-1][1] + " executions"
		}
		if retried {
			detail += ", on a second run after the first ended with only the coordinator's deadline error"
		}
		var problems []string
		if res.err != nil || res.code != 0 {
			problems = append(problems, "go test -fuzz failed: "+res.describe())
			if countFiles(corpus) > 0 {
				problems = append(problems, fmt.Sprintf("failing inputs are kept in %s", corpus))
			}
		}
		s.report.check(SuiteFuzz, name, res.took, detail, problems)
	}
}

// fuzzTarget runs one fuzz target for FuzzTime.
func (s *session) fuzzTarget(ctx context.Context, target, pkg string) childResult {
	targetCtx, cancel := context.WithTimeout(ctx, s.cfg.FuzzTime+fuzzBuildAllowance)
	defer cancel()
	return s.runChild(targetCtx, "fuzz-"+target, childEnv("GOPROXY=off"), s.cfg.Go,
		"test", "-run=^$", "-fuzz=^"+target+"$", "-fuzztime="+s.cfg.FuzzTime.String(),
		"-fuzzminimizetime="+fuzzMinimizeTime, pkg)
}

// deadlineOnly reports whether go test -fuzz output shows a target that
// failed with "context deadline exceeded" alone and wrote no failing input.
// The Go 1.26 fuzz coordinator can report its own -fuzztime deadline that
// way when a worker is slow to stop, so the failure is not the target's.
func deadlineOnly(output string) bool {
	return strings.Contains(output, "\n    context deadline exceeded\n") &&
		!strings.Contains(output, "Failing input written")
}

// countFiles returns the number of files in dir, 0 when it is missing.
func countFiles(dir string) int {
	entries, _ := os.ReadDir(dir)
	return len(entries)
}
