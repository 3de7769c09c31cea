package plan

import "testing"

// TestCountedMatchesSummarize checks that Counted accepts exactly the states
// that Summarize counts, so that callers filtering with Counted agree with
// the summary.
func TestCountedMatchesSummarize(t *testing.T) {
	for _, state := range []string{Adopt, Update, Create, Run, Conflict, Skip, Unknown, Unchecked, "other"} {
		report := Report{Items: []Item{{Step: "step", State: state}}}
		summarized := report.Summarize() != Summary{}
		if got := Counted(state); got != summarized {
			t.Errorf("Counted(%q) = %v, want %v to match Summarize", state, got, summarized)
		}
	}
}

// TestSummarizeCountsEachState checks each field of a summary against items
// of every state, including the ones it does not count.
func TestSummarizeCountsEachState(t *testing.T) {
	var items []Item
	for state, n := range map[string]int{Create: 1, Update: 2, Adopt: 3, Conflict: 4, Unknown: 5, Unchecked: 8, Run: 6, Skip: 7} {
		for range n {
			items = append(items, Item{State: state})
		}
	}

	got := Report{Items: items}.Summarize()
	want := Summary{Create: 1, Update: 2, Adopt: 3, Conflict: 4, Unknown: 5, Unchecked: 8}
	if got != want {
		t.Errorf("Summarize() = %+v, want %+v", got, want)
	}
}
