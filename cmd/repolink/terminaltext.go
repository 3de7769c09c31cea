package main

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// terminalText returns s with every control character and every invalid
// UTF-8 byte written as a Go escape such as \n, \x1b or \u009b. Text from
// executions, remote services and requests goes through it before the CLI
// prints it, so that a cause cannot move the cursor, clear the screen,
// recolor the output or start a line that looks like the CLI's own.
func terminalText(s string) string {
	return escapeControl(s, false)
}

// terminalLines is terminalText for a message whose line breaks the CLI
// writes itself, such as an error message: it keeps each '\n'.
func terminalLines(s string) string {
	return escapeControl(s, true)
}

// escapedText is text that is already safe for a terminal, which printText
// writes as it is.
type escapedText string

// terminalBlock is terminalLines for a value that may span lines, such as
// the cause of a failed preflight, printed after a label at column. Each
// line after the first starts with column spaces, so that it lines up
// under the first and no line of the value can pass for a field that the
// CLI prints at the start of a line.
func terminalBlock(s string, column int) escapedText {
	lines := strings.Split(terminalLines(s), "\n")
	indent := strings.Repeat(" ", column)
	for i := 1; i < len(lines); i++ {
		lines[i] = indent + lines[i]
	}
	return escapedText(strings.Join(lines, "\n"))
}

func escapeControl(s string, keepNewline bool) string {
	if isPlainText(s, keepNewline) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewline:
			b.WriteByte('\n')
		case unicode.IsControl(r):
			// QuoteRune writes \n, \t, \x1b or \u0085 between quotes.
			quoted := strconv.QuoteRune(r)
			b.WriteString(quoted[1 : len(quoted)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlainText reports whether s is valid UTF-8 without control
// characters, apart from '\n' when keepNewline is set.
func isPlainText(s string, keepNewline bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(r == '\n' && keepNewline)) {
			return false
		}
	}
	return true
}

// printText is fmt.Fprintf for text output that shows values from
// executions, remote services or requests. Every argument of a string
// kind or of type error goes through terminalText, except escapedText.
// format, the CLI's own text with its line breaks, is written as it is.
func printText(w io.Writer, format string, args ...any) {
	safe := make([]any, len(args))
	for i, arg := range args {
		safe[i] = terminalArg(arg)
	}
	fmt.Fprintf(w, format, safe...)
}

func terminalArg(arg any) any {
	if text, ok := arg.(escapedText); ok {
		return string(text)
	}
	if err, ok := arg.(error); ok {
		return terminalText(err.Error())
	}
	if arg == nil {
		return arg
	}
	if v := reflect.ValueOf(arg); v.Kind() == reflect.String {
		return terminalText(v.String())
	}
	return arg
}
