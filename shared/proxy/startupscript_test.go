package proxy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStartupScriptRoundTrip(t *testing.T) {
	for _, tc := range goldenCases {
		script, err := StartupScriptDebian(tc.config)
		if err != nil {
			t.Fatalf("%s: StartupScriptDebian: %v", tc.name, err)
		}
		got, err := ParseUserData(script)
		if err != nil {
			t.Fatalf("%s: ParseUserData: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.config.WithDefaults(), got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestStartupScriptWritesRenderedConfig(t *testing.T) {
	for _, tc := range goldenCases {
		script, err := StartupScriptDebian(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		conf, err := RenderNginx(tc.config.WithDefaults())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"#!/bin/bash\n",
			"apt-get install -y -q docker.io",
			"<<'" + heredocEnd + "'\n" + conf + heredocEnd + "\n",
			"nginx -t",
			"--restart always --network host",
		} {
			if !strings.Contains(script, want) {
				t.Errorf("%s: startup script lacks %q", tc.name, want)
			}
		}
	}
}

func TestStartupScriptIsValidBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("skipping: bash not found: %v", err)
	}
	for _, tc := range goldenCases {
		script, err := StartupScriptDebian(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(t.Context(), bash, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", tc.name, err, out)
		}
	}
}

func TestStartupScriptRejectsInvalidConfig(t *testing.T) {
	if _, err := StartupScriptDebian(Config{Hosts: []string{"repo.example.com"}}); err == nil {
		t.Error("StartupScriptDebian accepted a config without an upstream")
	}
}
