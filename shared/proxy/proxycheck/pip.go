package proxycheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pipDownload holds what one pip download through the proxy needs.
type pipDownload struct {
	// Command runs pip, such as ["python3", "-m", "pip"].
	Command []string
	// IndexURL is the simple index URL on the proxy's listen port.
	IndexURL string
	// CAFile is the PEM file of the CA that pip must trust.
	CAFile string
	// Username and Password go into a netrc file that only this pip
	// process reads.
	Username, Password string
	// Requirement is the one requirement to download, such as
	// "requests==2.32.3".
	Requirement string
	// Dir receives the netrc file and the download directory.
	Dir string
}

// run downloads the requirement without dependencies and returns the path
// of the downloaded file. pip reads no configuration file and no PIP_*,
// netrc or proxy variable from the environment, so the local proxy is the
// only index it contacts and the netrc file written here its only source of
// credentials.
func (p pipDownload) run(ctx context.Context) (string, error) {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return "", fmt.Errorf("create pip directory: %w", err)
	}
	netrc := filepath.Join(p.Dir, "netrc")
	host := strings.Split(strings.TrimPrefix(p.IndexURL, "https://"), "/")[0]
	host = strings.Split(host, ":")[0]
	entry := fmt.Sprintf("machine %s\n  login %s\n  password %s\n", host, p.Username, p.Password)
	if err := os.WriteFile(netrc, []byte(entry), 0o600); err != nil {
		return "", fmt.Errorf("write netrc: %w", err)
	}
	downloads := filepath.Join(p.Dir, "downloads")
	if err := os.MkdirAll(downloads, 0o755); err != nil {
		return "", fmt.Errorf("create download directory: %w", err)
	}

	args := append(p.Command[1:len(p.Command):len(p.Command)],
		"download", "--no-deps", "--no-cache-dir", "--no-input", "--disable-pip-version-check",
		"-d", downloads, "--index-url", p.IndexURL, p.Requirement)
	cmd := exec.CommandContext(ctx, p.Command[0], args...)
	cmd.Env = append(cleanEnv(os.Environ()),
		"PIP_CONFIG_FILE="+os.DevNull,
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_KEYRING_PROVIDER=disabled",
		"REQUESTS_CA_BUNDLE="+p.CAFile,
		"NETRC="+netrc,
		"NO_PROXY=*",
	)
	// pip prints URLs without credentials, because the credentials come
	// from the netrc file.
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s download: %w: %s", strings.Join(p.Command, " "), err, lastLines(string(out), 4))
	}

	entries, err := os.ReadDir(downloads)
	if err != nil {
		return "", fmt.Errorf("read download directory: %w", err)
	}
	if len(entries) != 1 {
		return "", fmt.Errorf("pip left %d files in the download directory, want 1", len(entries))
	}
	return filepath.Join(downloads, entries[0].Name()), nil
}

// cleanEnv drops the variables that would point pip at another index, a
// configuration file, a proxy or other credentials.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		switch {
		case strings.HasPrefix(upper, "PIP_"),
			strings.HasSuffix(upper, "_PROXY"),
			upper == "NETRC", upper == "REQUESTS_CA_BUNDLE",
			upper == "CURL_CA_BUNDLE", upper == "SSL_CERT_FILE", upper == "SSL_CERT_DIR":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// fileSHA256 returns the hex sha256 digest of a file.
func fileSHA256(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
