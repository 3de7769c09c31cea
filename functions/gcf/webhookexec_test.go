package gcf

import "testing"

func TestStatusOfStateMapping(t *testing.T) {
	cases := []struct {
		state  string
		status string
		open   bool
	}{
		{"ACTIVE", "RUNNING", true},
		{"QUEUED", "RUNNING", true},
		{"SUCCEEDED", "SUCCEEDED", false},
		{"FAILED", "FAILED", false},
		{"CANCELLED", "ABORTED", false},
		{"UNAVAILABLE", "UNAVAILABLE", false},
		{"STATE_UNSPECIFIED", "STATE_UNSPECIFIED", false},
	}
	for _, c := range cases {
		if got := statusOfState(c.state); got != c.status {
			t.Errorf("statusOfState(%q) = %q, expected %q", c.state, got, c.status)
		}
		if got := isOpenState(c.state); got != c.open {
			t.Errorf("isOpenState(%q) = %v, expected %v", c.state, got, c.open)
		}
	}
}
