package reliability

import (
	"context"
	"fmt"
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
// network.
func runFuzz(ctx context.Context, s *session) {
	for _, t := range fuzzTargets {
		name := t.name + " " + strings.TrimPrefix(t.pkg, "./")
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteFuzz, name, 0, reason)
			continue
		}
		targetCtx, cancel := context.WithTimeout(ctx, s.cfg.FuzzTime+fuzzBuildAllowance)
		res := s.runChild(targetCtx, "fuzz-"+t.name, childEnv("GOPROXY=off"), s.cfg.Go,
			"test", "-run=^$", "-fuzz=^"+t.name+"$", "-fuzztime="+s.cfg.FuzzTime.String(),
			"-fuzzminimizetime="+fuzzMinimizeTime, t.pkg)
		cancel()

		output := res.stdout + res.stderr
		detail := "no executions counted"
		if m := fuzzExecs.FindAllStringSubmatch(output, -1); len(m) > 0 {
			detail = m[len(m)-1][1] + " executions"
		}
		var problems []string
		if res.err != nil || res.code != 0 {
			problems = append(problems, "go test -fuzz failed: "+res.describe())
			if crashers, _ := filepath.Glob(filepath.Join(s.cfg.Root, t.pkg, "testdata", "fuzz", t.name, "*")); len(crashers) > 0 {
				problems = append(problems, fmt.Sprintf("failing inputs are kept in %s", filepath.Dir(crashers[0])))
			}
		}
		s.report.check(SuiteFuzz, name, res.took, detail, problems)
	}
}
