package workflow

import "testing"

func TestAddCommandFlags(t *testing.T) {
	const flags = " --sandbox --state-dir /var/lib/repolink"
	tests := []struct {
		name, message, flags, want string
	}{
		{"teardown", "proxy VM i-1 forwards to a:443; run 'repolink teardown DATA-1' and run the request again", flags,
			"proxy VM i-1 forwards to a:443; run 'repolink teardown --sandbox --state-dir /var/lib/repolink DATA-1' and run the request again"},
		{"two commands", "run 'repolink teardown DATA-1', then 'repolink run REQUEST'", " --sandbox",
			"run 'repolink teardown --sandbox DATA-1', then 'repolink run --sandbox REQUEST'"},
		{"command without argument", "see 'repolink status'", " --sandbox", "see 'repolink status --sandbox'"},
		{"flags already there", "run 'repolink teardown --sandbox DATA-1'", flags, "run 'repolink teardown --sandbox DATA-1'"},
		{"no flags", "run 'repolink teardown DATA-1'", "", "run 'repolink teardown DATA-1'"},
		{"unquoted", "run repolink teardown on the execution that built it", flags,
			"run repolink teardown on the execution that built it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddCommandFlags(tt.message, tt.flags); got != tt.want {
				t.Errorf("AddCommandFlags = %q, want %q", got, tt.want)
			}
		})
	}
}
