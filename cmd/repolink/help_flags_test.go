package main

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

// helpCommands are the command lines whose --help the flag test reads, one
// for each command that parses flags.
var helpCommands = [][]string{
	{"run"}, {"up"}, {"plan"}, {"preflight"}, {"list"}, {"status"}, {"history"},
	{"redrive"}, {"stop"}, {"notify"}, {"send-task-success"}, {"send-task-failure"},
	{"send-task-heartbeat"}, {"teardown"}, {"invoke"}, {"sandbox", "reset"}, {"version"},
}

// TestHelpListsEveryFlag checks that the help of each command lists every
// flag that the command registers, with its default when the default is
// not the zero value of its type.
func TestHelpListsEveryFlag(t *testing.T) {
	for command := range usageCommands(t) {
		if !slices.ContainsFunc(helpCommands, func(c []string) bool { return strings.Join(c, " ") == command }) {
			t.Errorf("the usage lists %q, which helpCommands lacks", command)
		}
	}
	for _, command := range helpCommands {
		t.Run(strings.Join(command, " "), func(t *testing.T) {
			var sets []*flag.FlagSet
			flagSetCreated = func(fs *flag.FlagSet) { sets = append(sets, fs) }
			t.Cleanup(func() { flagSetCreated = nil })

			code, _, help := runCLI(t, append(command, "--help")...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, help)
			}
			if len(sets) == 0 {
				t.Fatal("the command created no flag set")
			}
			for _, fs := range sets {
				fs.VisitAll(func(f *flag.Flag) {
					line := helpLine(help, f.Name)
					if line == "" {
						t.Errorf("help lists no -%s:\n%s", f.Name, help)
						return
					}
					if !isZeroDefault(f) && !strings.Contains(line, "(default ") {
						t.Errorf("help of -%s does not show its default %q:\n%s", f.Name, f.DefValue, line)
					}
				})
			}
		})
	}
}

// helpLine returns the help text of the flag name, from its "  -name" line
// up to the next flag, or "" when the help does not list it.
func helpLine(help, name string) string {
	start := strings.Index(help, "\n  -"+name+"\n")
	if start < 0 {
		start = strings.Index(help, "\n  -"+name+" ")
	}
	if start < 0 {
		return ""
	}
	rest := help[start+1:]
	if end := strings.Index(rest[1:], "\n  -"); end >= 0 {
		return rest[:end+1]
	}
	return rest
}

// isZeroDefault reports whether the default of f is the zero value of its
// type, which the flag package leaves out of the help.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
		return true
	}
	return false
}
