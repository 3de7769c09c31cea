package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox"
)

func TestRunUsageListsTimingFlags(t *testing.T) {
	code, _, stderr := runCLI(t, "run", "--help")
	if code != exitOK {
		t.Fatalf("run --help exited %d", code)
	}
	for _, want := range []string{
		"-sandbox-clock-scale float\n",
		"from 1 to 8760;",
		"(default 1)",
		"-sandbox-endpoint-delay duration\n",
		"at most 30 days (default: the delay of --sandbox-latency, 1s for default, 0s for none, 5m30s for realistic",
		"-sandbox-latency string",
		`(default "default")`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("run --help lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRunTimingFlagsInvalid(t *testing.T) {
	req := writeRequest(t, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"scale without sandbox", []string{"--sandbox-clock-scale", "10"}, "repolink: --sandbox-clock-scale only works with --sandbox"},
		{"endpoint delay without sandbox", []string{"--sandbox-endpoint-delay", "1h"}, "repolink: --sandbox-endpoint-delay only works with --sandbox"},
		{"realistic without sandbox", []string{"--sandbox-latency", "realistic"}, "repolink: --sandbox-latency realistic only works with --sandbox"},
		{"scale below one", []string{"--sandbox", "--sandbox-clock-scale", "0.5"}, "--sandbox-clock-scale must be a number from 1 to 8760, not 0.5"},
		{"negative endpoint delay", []string{"--sandbox", "--sandbox-endpoint-delay", "-1s"}, "must not be negative"},
		{"unknown latency", []string{"--sandbox", "--sandbox-latency", "slow"}, "must be default, none or realistic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--state-dir", t.TempDir()}, tt.args...)
			code, _, stderr := runCLI(t, append(args, req)...)
			if code != exitInvalid {
				t.Errorf("exit status %d, want %d", code, exitInvalid)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
		})
	}
}

// TestClockScaleOutOfRange checks that run rejects a clock scale that is
// not a number, infinite, or larger than the sandbox handles, before it
// writes anything to the state directory.
func TestClockScaleOutOfRange(t *testing.T) {
	req := writeRequest(t, nil)
	for _, scale := range []string{"NaN", "Inf", "+Inf", "-Inf", "8761", "1e9", "1e12"} {
		t.Run(scale, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			// An accepted huge scale can hang the run, so it is cancelled.
			code, _, stderr := runCLIWithin(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-clock-scale", scale, req)
			if code != exitInvalid {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", code, exitInvalid, stderr)
			}
			if want := "--sandbox-clock-scale must be a number from 1 to 8760, not "; !strings.Contains(stderr, want) {
				t.Errorf("stderr %q does not contain %q", stderr, want)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("run created the state directory %s (stat error %v)", dir, err)
			}
		})
	}
}

func TestClockScaleRangeEnds(t *testing.T) {
	for _, scale := range []float64{1, 8760} {
		if err := checkClockScale(scale); err != nil {
			t.Errorf("checkClockScale(%g) = %v, want nil", scale, err)
		}
	}
}

// TestClockScaleRecordOutOfRange checks that a state directory whose
// recorded clock scale is larger than the sandbox handles, as an earlier
// version could write, is rejected rather than run on that clock.
func TestClockScaleRecordOutOfRange(t *testing.T) {
	dir := t.TempDir()
	record := `{"scale": 1e9, "start": "2026-01-02T03:04:05Z"}`
	if err := os.WriteFile(filepath.Join(dir, clockFile), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readClockFile(dir)
	var usage *usageError
	if !errors.As(err, &usage) {
		t.Fatalf("readClockFile error = %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "is not a valid sandbox clock record") {
		t.Errorf("error %q does not name the invalid record", err)
	}
}

func TestSandboxTimingOptions(t *testing.T) {
	tests := []struct {
		name       string
		latency    string
		args       []string
		wantDelays sandbox.Delays
		wantScale  float64
	}{
		{"default", "default", nil, sandbox.DefaultDelays, 0},
		{"none", "none", nil, sandbox.Delays{}, 0},
		{"realistic scaled", "realistic", []string{"--sandbox-clock-scale", "60"}, *sandbox.RealisticDelays, 60},
		{
			"endpoint delay overrides the profile", "none", []string{"--sandbox-endpoint-delay", "1h"},
			sandbox.Delays{EndpointCreated: time.Hour}, 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			timing := addSandboxTimingFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var opts runtimeOptions
			if err := timing.options(tt.latency, true, &opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantDelays, *opts.delays); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
			var scale float64
			if opts.clock != nil {
				scale = opts.clock.Factor()
			}
			if scale != tt.wantScale {
				t.Errorf("clock scale %g, want %g", scale, tt.wantScale)
			}
		})
	}
}

func TestRunRealisticOnScaledClock(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping a sandbox run in short mode")
	}
	dir := t.TempDir()
	req := writeRequest(t, nil)
	code, stdout, stderr := runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "realistic",
		"--sandbox-clock-scale", "600", "--poll-interval", "1m", req)
	if code != exitOK {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	eng, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	exec, err := eng.Describe(context.Background(), "DATA-4711")
	if err != nil {
		t.Fatal(err)
	}
	// The run waits for the instance, the load balancer, the connection
	// and the endpoint one after the other, on the sandbox clock.
	d := sandbox.RealisticDelays
	critical := d.InstanceRunning + d.LoadBalancerActive + d.ConnectionAvailable + d.EndpointCreated
	if took := exec.StoppedAt.Sub(exec.StartedAt); took < critical {
		t.Errorf("execution took %s on the sandbox clock, less than the critical path %s", took, critical)
	}
}

func TestSandboxLatencyValues(t *testing.T) {
	for _, cmd := range []string{"run", "up", "redrive", "teardown"} {
		args := []string{cmd, "--sandbox", "--sandbox-latency", "slow", "--state-dir", t.TempDir()}
		if cmd != "up" {
			args = append(args, "X")
		}
		code, _, stderr := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%s --sandbox-latency slow: exit code %d, want 2", cmd, code)
		}
		want := `--sandbox-latency must be default or none, not "slow"`
		if cmd == "run" {
			want = `--sandbox-latency must be default, none or realistic, not "slow"`
		}
		if !strings.Contains(stderr, want) {
			t.Errorf("%s --sandbox-latency slow: stderr does not contain %q:\n%s", cmd, want, stderr)
		}
	}
	_, _, stderr := runCLI(t, "up", "--sandbox-latency", "realistic", "--state-dir", t.TempDir())
	if !strings.Contains(stderr, "only run accepts realistic") {
		t.Errorf("up --sandbox-latency realistic: stderr does not say that only run accepts it:\n%s", stderr)
	}
	_, _, help := runCLI(t, "run", "-h")
	if !strings.Contains(help, "or realistic") {
		t.Errorf("run -h does not list the realistic latency:\n%s", help)
	}
	if err := checkLatency("realistic", false); err == nil {
		t.Error("checkLatency(realistic) outside run = nil, want an error")
	}
	if err := checkLatency("realistic", true); err != nil {
		t.Errorf("checkLatency(realistic) for run = %v, want nil", err)
	}
}
