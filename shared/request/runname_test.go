package request

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// runNumbers are the run numbers that the run name tests derive names for.
var runNumbers = []int{1, 2, 9, 10, 99, 100, 1000, 1 << 30}

func TestRunNameFitsForLongIDs(t *testing.T) {
	seen := map[string]string{}
	for length := 1; length <= 200; length++ {
		id := strings.Repeat("A", length)
		provision := ExecutionName(id)
		for _, n := range runNumbers {
			name := RunName(provision, n)
			if count := utf8.RuneCountInString(name); count > MaxNameLength {
				t.Errorf("RunName(ExecutionName(%d As), %d) = %q has %d characters", length, n, name, count)
			}
			if other, ok := seen[name]; ok {
				t.Errorf("run %d of %d As and %s share the name %q", n, length, other, name)
			}
			seen[name] = fmt.Sprintf("run %d of %d As", n, length)

			teardown := RunName(TeardownBase(name), n)
			if count := utf8.RuneCountInString(teardown); count > MaxNameLength {
				t.Errorf("teardown run %d of %q is %q with %d characters", n, name, teardown, count)
			}
			if !IsTeardownName(teardown) {
				t.Errorf("teardown run %d of %q is %q, which IsTeardownName does not match", n, name, teardown)
			}
			if IsTeardownName(name) {
				t.Errorf("provision run %q matches IsTeardownName", name)
			}
		}
	}
}

func TestRunNameKeepsNamesThatFit(t *testing.T) {
	tests := []struct {
		base string
		n    int
		want string
	}{
		{"DATA-4711", 1, "DATA-4711"},
		{"DATA-4711", 2, "DATA-4711-r2"},
		{"DATA-4711-teardown", 1, "DATA-4711-teardown"},
		{"DATA-4711-r3-teardown", 12, "DATA-4711-r3-teardown-r12"},
		{strings.Repeat("A", 77), 9, strings.Repeat("A", 77) + "-r9"},
		{strings.Repeat("A", 71) + "-teardown", 1, strings.Repeat("A", 71) + "-teardown"},
	}
	for _, tt := range tests {
		if got := RunName(tt.base, tt.n); got != tt.want {
			t.Errorf("RunName(%q, %d) = %q, want %q", tt.base, tt.n, got, tt.want)
		}
	}
}

func TestRunNameShortensStably(t *testing.T) {
	long := strings.Repeat("A", 72)
	first := RunName(TeardownBase(long), 1)
	if first != RunName(TeardownBase(long), 1) {
		t.Errorf("RunName returns another name on the second call")
	}
	if !strings.HasPrefix(first, strings.Repeat("A", 40)) {
		t.Errorf("shortened name %q does not start with the provision name", first)
	}
	other := RunName(TeardownBase(strings.Repeat("A", 71)+"B"), 1)
	if first == other {
		t.Errorf("provision names that differ in their last character share the teardown name %q", first)
	}
	wide := RunName(TeardownBase(strings.Repeat("é", 80)), 3)
	if !utf8.ValidString(wide) || utf8.RuneCountInString(wide) > MaxNameLength {
		t.Errorf("teardown name of a non-ASCII provision name is %q", wide)
	}
}

func TestRunNumberOfDerivedNames(t *testing.T) {
	for _, base := range []string{"DATA-4711", strings.Repeat("A", 72), TeardownBase(strings.Repeat("B", 80))} {
		for _, n := range runNumbers {
			if got := RunNumber(base, RunName(base, n)); got != n {
				t.Errorf("RunNumber(%q, RunName(base, %d)) = %d", base, n, got)
			}
		}
	}
	others := []struct{ base, name string }{
		{"DATA-4711", "DATA-47"},
		{"DATA-4711", "DATA-4711-r1"},
		{"DATA-4711", "DATA-4711-r02"},
		{"DATA-4711", "DATA-4711-r+2"},
		{"DATA-4711", "DATA-4711-rx"},
		{"DATA-4711", "DATA-4711-r2-r3"},
		{strings.Repeat("A", 72), strings.Repeat("A", 72) + "-r200000000"},
	}
	for _, tt := range others {
		if got := RunNumber(tt.base, tt.name); got != 0 {
			t.Errorf("RunNumber(%q, %q) = %d, want 0", tt.base, tt.name, got)
		}
	}
}
