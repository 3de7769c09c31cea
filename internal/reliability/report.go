package reliability

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// result is the outcome of one case.
type result struct {
	suite  string
	name   string
	ok     bool
	took   time.Duration
	detail string
}

// report prints each result as it comes in and keeps the tally. It is
// safe for concurrent use.
type report struct {
	out io.Writer

	mu      sync.Mutex
	results []result
}

func newReport(out io.Writer) *report {
	return &report{out: out}
}

func (r *report) pass(suite, name string, took time.Duration, detail string) {
	r.add(result{suite: suite, name: name, ok: true, took: took, detail: detail})
}

func (r *report) fail(suite, name string, took time.Duration, detail string) {
	r.add(result{suite: suite, name: name, ok: false, took: took, detail: detail})
}

// check records a pass when problems is empty and a failure listing them
// otherwise.
func (r *report) check(suite, name string, took time.Duration, detail string, problems []string) {
	if len(problems) == 0 {
		r.pass(suite, name, took, detail)
		return
	}
	text := strings.Join(problems, "\n")
	if detail != "" {
		text = detail + "\n" + text
	}
	r.fail(suite, name, took, text)
}

// add prints a result: PASS or FAIL, the suite, the case, the time it took
// and the detail, whose further lines are indented.
func (r *report) add(res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)

	verdict := "PASS"
	if !res.ok {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("%s  %-8s %-44s", verdict, res.suite, res.name)
	if res.took >= 50*time.Millisecond {
		line += fmt.Sprintf(" %6s", res.took.Round(100*time.Millisecond))
	}
	first, rest, _ := strings.Cut(res.detail, "\n")
	if first != "" {
		line += "  " + first
	}
	fmt.Fprintln(r.out, strings.TrimRight(line, " "))
	for _, l := range strings.Split(rest, "\n") {
		if l != "" {
			fmt.Fprintln(r.out, "      "+l)
		}
	}
}

// note prints a line that is not a result, such as a case that does not
// apply.
func (r *report) note(suite, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, "NOTE  %-8s %s\n", suite, text)
}

func (r *report) tally() (passed, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.results {
		if res.ok {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

func (r *report) suiteTally(suite string) (passed, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.results {
		switch {
		case res.suite != suite:
		case res.ok:
			passed++
		default:
			failed++
		}
	}
	return passed, failed
}
