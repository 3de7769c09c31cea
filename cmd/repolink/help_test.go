package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// usageCommands returns the commands of the top-level usage with the flags
// that their lines show, such as "sandbox reset" with --state-dir.
func usageCommands(t *testing.T) map[string][]string {
	t.Helper()
	commands := map[string][]string{}
	line := regexp.MustCompile(`^  repolink ([a-z-]+(?: reset)?)(.*)$`)
	for _, text := range strings.Split(usage, "\n") {
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		commands[m[1]] = regexp.MustCompile(`--[a-z-]+`).FindAllString(m[2], -1)
	}
	if len(commands) == 0 {
		t.Fatal("the usage lists no commands")
	}
	return commands
}

func TestCommandHelpMatchesUsage(t *testing.T) {
	sentence := regexp.MustCompile(`\(default \.repolink\); ([a-z, ]+) take --output json`).
		FindStringSubmatch(strings.Join(strings.Fields(usage), " "))
	if sentence == nil {
		t.Fatal("the usage does not say which commands take --output json")
	}
	withOutput := strings.FieldsFunc(strings.ReplaceAll(sentence[1], " and ", ","), func(r rune) bool { return r == ',' || r == ' ' })

	for command, flags := range usageCommands(t) {
		if command == "version" {
			continue
		}
		t.Run(command, func(t *testing.T) {
			args := append(strings.Fields(command), "--help")
			code, _, help := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", code, help)
			}
			if !strings.HasPrefix(help, "Usage: repolink "+command) {
				t.Errorf("help does not start with the usage of %s:\n%s", command, help)
			}
			for _, flag := range flags {
				if !strings.Contains(help, "\n  -"+strings.TrimPrefix(flag, "--")) {
					t.Errorf("the top-level usage shows %s for %s, but its help lists no such flag:\n%s", flag, command, help)
				}
			}
			hasOutput := strings.Contains(help, "\n  -output string")
			if listed := slices.Contains(withOutput, command); hasOutput != listed {
				t.Errorf("help lists -output: %v; the usage says that %s takes --output json: %v", hasOutput, command, listed)
			}
		})
	}
}

func TestUpHelpNamesEnvironment(t *testing.T) {
	_, _, help := runCLI(t, "up", "--help")
	for _, want := range []string{envWebhookSecret, envAPIToken + "       the bearer token of the operations API", "outside sandbox mode"} {
		if !strings.Contains(help, want) {
			t.Errorf("up --help lacks %q:\n%s", want, help)
		}
	}
}

func TestUndefinedFlagPrintedOnce(t *testing.T) {
	for _, args := range [][]string{
		{"redrive", "--output", "json", "DATA-1"},
		{"list", "--bogus"},
		{"send-task-heartbeat", "T1", "--state-dir"},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want none", out)
			}
			first, rest, found := strings.Cut(errOut, "\n")
			if !found || !strings.HasPrefix(first, "repolink: flag ") {
				t.Fatalf("stderr does not start with the flag error:\n%s", errOut)
			}
			if !strings.HasPrefix(rest, "Usage: repolink "+args[0]) {
				t.Errorf("the flag error is not followed by the usage of %s:\n%s", args[0], errOut)
			}
			if n := strings.Count(errOut, strings.TrimPrefix(first, "repolink: ")); n != 1 {
				t.Errorf("stderr has the flag error %d times, want once:\n%s", n, errOut)
			}
		})
	}
}
