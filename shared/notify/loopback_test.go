package notify

import "testing"

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST:8080", true},
		{"127.0.0.1", true},
		{"127.0.0.1:8080", true},
		{"127.1.2.3:80", true},
		{"::1", true},
		{"[::1]", true},
		{"[::1]:8080", true},
		{"", false},
		{"attacker.example", false},
		{"attacker.example:8080", false},
		{"localhost.attacker.example", false},
		{"127.0.0.1.attacker.example:8080", false},
		{"10.0.0.1:8080", false},
		{"[::2]:8080", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %t, want %t", tt.host, got, tt.want)
		}
	}
}

func TestSandboxSkips(t *testing.T) {
	tests := []struct {
		url      string
		wantHost string
		want     bool
	}{
		{"http://127.0.0.1:9000/hook", "127.0.0.1:9000", false},
		{"http://localhost/hook", "localhost", false},
		{"http://[::1]:9000/hook", "[::1]:9000", false},
		{"https://hooks.example.com/repolink?token=abc", "hooks.example.com", true},
		{"https://hooks.example.com:8443/", "hooks.example.com:8443", true},
		{"http://10.0.0.1/", "10.0.0.1", true},
		// The notifier skips a URL without a host as invalid, not for
		// its host.
		{"/relative/path", "", false},
		{"http://%zz/", "", false},
	}
	for _, tt := range tests {
		host, skipped := SandboxSkips(tt.url)
		if skipped != tt.want {
			t.Errorf("SandboxSkips(%q) skipped = %t, want %t", tt.url, skipped, tt.want)
		}
		if host != tt.wantHost {
			t.Errorf("SandboxSkips(%q) host = %q, want %q", tt.url, host, tt.wantHost)
		}
	}
}
