package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpRejectsWeakServiceSecrets(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		token  string
		args   []string
		want   []string
	}{
		{name: "blank webhook secret", secret: " ", args: []string{"--sandbox"},
			want: []string{envWebhookSecret + " is empty or only whitespace", "openssl rand -hex 32"}},
		{name: "short webhook secret", secret: "x", args: []string{"--sandbox"},
			want: []string{envWebhookSecret + " is 1 bytes, shorter than the 16 bytes", "openssl rand -hex 32"}},
		{name: "short webhook secret reference", secret: testWebhookSecret, args: []string{"--sandbox", "--webhook-secret-ref", "env:REPOLINK_TEST_SHORT_SECRET"},
			want: []string{"--webhook-secret-ref env:REPOLINK_TEST_SHORT_SECRET references is 15 bytes", "openssl rand -hex 32"}},
		{name: "short API token", secret: testWebhookSecret, token: "x",
			want: []string{envAPIToken + " is 1 bytes, shorter than the 16 bytes", "openssl rand -hex 32"}},
		{name: "short API token in sandbox", secret: testWebhookSecret, token: "short-token", args: []string{"--sandbox"},
			want: []string{envAPIToken + " is 11 bytes"}},
		{name: "blank API token", secret: testWebhookSecret, token: "   ",
			want: []string{envAPIToken + " is empty or only whitespace"}},
	}
	// An address in use makes up exit, rather than serve, should it
	// accept the secret.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envWebhookSecret, tt.secret)
			t.Setenv(envAPIToken, tt.token)
			t.Setenv("REPOLINK_TEST_SHORT_SECRET", "fifteen-bytes-x")
			dir := filepath.Join(t.TempDir(), "state")
			args := append([]string{"up", "--listen", busy.Addr().String(), "--state-dir", dir}, tt.args...)

			code, _, errOut := runCLI(t, args...)

			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not contain %q", errOut, want)
				}
			}
			for _, secret := range []string{"fifteen-bytes-x", "short-token"} {
				if strings.Contains(errOut, secret) {
					t.Errorf("stderr %q contains the secret", errOut)
				}
			}
			if _, err := os.Stat(dir); err == nil {
				t.Error("up created the state directory")
			}
		})
	}
}

func TestCheckServiceSecretAcceptsSixteenBytes(t *testing.T) {
	if err := checkServiceSecret(envWebhookSecret, strings.Repeat("a", minServiceSecretBytes)); err != nil {
		t.Errorf("checkServiceSecret: %v", err)
	}
}

func TestNotifyingCommandsRejectWeakSecret(t *testing.T) {
	recv := newNotifyReceiver(t, http.StatusNoContent)
	req := writeRequest(t, func(doc map[string]any) {
		doc["notify"] = map[string]any{"url": recv.URL + "/h"}
	})
	secrets := []struct {
		name  string
		value string
		want  string
	}{
		{name: "short", value: "x", want: envWebhookSecret + " is 1 bytes, shorter than the 16 bytes"},
		{name: "blank", value: "   ", want: envWebhookSecret + " is empty or only whitespace"},
	}
	commands := [][]string{
		{"run", "--sandbox", "--sandbox-latency", "none", req},
		{"redrive", "--sandbox", "--sandbox-latency", "none", "DATA-4711"},
		{"teardown", "--sandbox", "--sandbox-latency", "none", "DATA-4711"},
		{"notify", "DATA-4711"},
	}
	for _, secret := range secrets {
		for _, command := range commands {
			t.Run(command[0]+" "+secret.name, func(t *testing.T) {
				t.Setenv(envWebhookSecret, secret.value)
				args := append([]string{command[0], "--state-dir", t.TempDir()}, command[1:]...)

				code, out, errOut := runCLI(t, args...)

				if code != exitInvalid {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
				}
				if !strings.Contains(errOut, secret.want) {
					t.Errorf("stderr lacks %q:\n%s", secret.want, errOut)
				}
				if strings.Contains(out, "execution DATA-4711") {
					t.Errorf("the command started the execution:\n%s", out)
				}
			})
		}
	}
	if got, _ := recv.received(); len(got) != 0 {
		t.Errorf("receiver got %d notifications signed with a weak secret, want none", len(got))
	}
}
