package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestUsageStateDirExceptions checks the top-level usage's sentence on
// --state-dir: every command takes the flag except those it names.
func TestUsageStateDirExceptions(t *testing.T) {
	sentence := regexp.MustCompile(`Every command (?:but ([a-z, ]+) )?takes --state-dir`).
		FindStringSubmatch(strings.Join(strings.Fields(usage), " "))
	if sentence == nil {
		t.Fatal("the usage does not say which commands take --state-dir")
	}
	except := strings.FieldsFunc(strings.ReplaceAll(sentence[1], " and ", ","), func(r rune) bool { return r == ',' || r == ' ' })

	for command := range usageCommands(t) {
		t.Run(command, func(t *testing.T) {
			_, _, help := runCLI(t, append(strings.Fields(command), "--help")...)
			takes := strings.Contains(help, "\n  -state-dir") || strings.Contains(help, "[--state-dir DIR]")
			if excepted := slices.Contains(except, command); takes == excepted {
				t.Errorf("help lists --state-dir: %v; the usage names %s as a command without it: %v\n%s", takes, command, excepted, help)
			}
		})
	}
}
