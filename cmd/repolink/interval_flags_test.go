package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntervalFlagsOutOfRange(t *testing.T) {
	req := writeRequest(t, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"run negative poll", []string{"run", "--sandbox", "--poll-interval", "-1s", req}, "--poll-interval must be from 1s to 1h0m0s, not -1s"},
		{"run zero poll", []string{"run", "--sandbox", "--poll-interval", "0", req}, "--poll-interval must be from 1s to 1h0m0s, not 0s"},
		{"run poll too long", []string{"run", "--poll-interval", "2h", req}, "--poll-interval must be from 1s to 1h0m0s, not 2h0m0s"},
		{"run endpoint delay too long", []string{"run", "--sandbox", "--sandbox-endpoint-delay", "721h", req}, "--sandbox-endpoint-delay must be 720h0m0s at most"},
		{"redrive negative poll", []string{"redrive", "--sandbox", "--poll-interval", "-1s", "some-execution"}, "--poll-interval must be from 1s to 1h0m0s, not -1s"},
		{"redrive poll too short", []string{"redrive", "--poll-interval", "10ms", "some-execution"}, "--poll-interval must be from 1s to 1h0m0s, not 10ms"},
		{"up negative poll", []string{"up", "--sandbox", "--poll-interval", "-1s"}, "--poll-interval must be from 1s to 1h0m0s, not -1s"},
		{"up zero notify", []string{"up", "--sandbox", "--notify-interval", "0s"}, "--notify-interval must be from 1s to 1h0m0s, not 0s"},
		{"up notify too long", []string{"up", "--notify-interval", "48h"}, "--notify-interval must be from 1s to 1h0m0s, not 48h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			args := append([]string{tt.args[0], "--state-dir", dir}, tt.args[1:]...)
			code, _, stderr := runCLI(t, args...)
			if code != exitInvalid {
				t.Errorf("exit status %d, want %d", code, exitInvalid)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("state directory exists after the rejected command (stat: %v)", err)
			}
		})
	}
}

func TestIntervalFlagsInRangeAccepted(t *testing.T) {
	for _, value := range []string{"1s", "1m", "1h"} {
		if _, err := parseUpFlags([]string{"--state-dir", t.TempDir(), "--poll-interval", value, "--notify-interval", value}, &strings.Builder{}); err != nil {
			t.Errorf("up --poll-interval %s --notify-interval %s: %v", value, value, err)
		}
	}
}
