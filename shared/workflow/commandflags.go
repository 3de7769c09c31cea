package workflow

import (
	"regexp"
	"strings"
)

// suggestedCommand matches the start of a repolink command that an error
// message quotes, such as 'repolink teardown DATA-4711', up to the
// subcommand.
var suggestedCommand = regexp.MustCompile(`'repolink [a-z]+`)

// AddCommandFlags returns message with flags, such as " --sandbox
// --state-dir DIR", inserted after the subcommand of each repolink command
// quoted in single quotes. Steps suggest commands without the flags of the
// process that runs them, and the CLI and the notifier add the flags that
// their own next-step advice carries. A quoted command that already starts
// with a flag is left as it is.
func AddCommandFlags(message, flags string) string {
	if flags == "" {
		return message
	}
	var b strings.Builder
	last := 0
	for _, match := range suggestedCommand.FindAllStringIndex(message, -1) {
		end := match[1]
		b.WriteString(message[last:end])
		last = end
		if strings.HasPrefix(message[end:], " --") {
			continue
		}
		b.WriteString(flags)
	}
	b.WriteString(message[last:])
	return b.String()
}
