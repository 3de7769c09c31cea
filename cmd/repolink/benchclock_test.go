package main

import (
	"context"
	"flag"
	"io"
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
		{"scale below one", []string{"--sandbox", "--sandbox-clock-scale", "0.5"}, "must be 1 or more"},
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
