//go:build unix

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// treeDigest returns, for each entry under root, its kind, mode and a
// digest of its content, so a test can see any write or removal there.
func treeDigest(t *testing.T, root string) map[string]string {
	t.Helper()
	digest := map[string]string{}
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		value := info.Mode().String()
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			value += " " + hex.EncodeToString(sum[:])
		}
		digest[path] = value
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", root, err)
	}
	return digest
}

// linkStateSubdir moves the directory name of the state directory dir
// outside it and puts a symbolic link to it in its place. It returns the
// link's path and the directory's new path.
func linkStateSubdir(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	link := filepath.Join(dir, name)
	outside := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.Rename(link, outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	return link, outside
}

// TestStateDirLinkRejectedByEveryCommand links a directory of the sandbox
// world out of the state directory after a run. Every command that opens
// the state directory must then exit with status 2, name the link and
// leave the linked directory as it was.
func TestStateDirLinkRejectedByEveryCommand(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	request := filepath.Join("..", "..", "examples", "aws-privatelink.json")
	dir := filepath.Join(t.TempDir(), "state")
	code, out, errOut := runCLITimed(t, 60*time.Second, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, request)
	if code != exitOK {
		t.Fatalf("run: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	input := filepath.Join(t.TempDir(), "input.json")
	data, err := os.ReadFile(request)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, []byte(`{"request": `+string(data)+`, "resources": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	// The destructive commands come last, so that without the check each
	// command still finds the state that the run left.
	commands := [][]string{
		{"list", "--state-dir", dir},
		{"status", "--state-dir", dir, "DATA-4711"},
		{"history", "--state-dir", dir, "DATA-4711"},
		{"notify", "--state-dir", dir, "DATA-4711"},
		{"send-task-heartbeat", "--state-dir", dir, "AAAA"},
		{"send-task-success", "--state-dir", dir, "AAAA", "--output-json", "{}"},
		{"send-task-failure", "--state-dir", dir, "AAAA", "--error", "Rejected"},
		{"plan", "--sandbox", "--state-dir", dir, request},
		{"preflight", "--sandbox", "--state-dir", dir, request},
		{"invoke", "--sandbox", "--state-dir", dir, "--input", input, "preflight"},
		{"stop", "--state-dir", dir, "DATA-4711"},
		{"redrive", "--sandbox", "--state-dir", dir, "DATA-4711"},
		{"teardown", "--sandbox", "--state-dir", dir, "DATA-4711"},
		{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, request},
		{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir},
		{"sandbox", "reset", "--state-dir", dir},
	}
	for _, linked := range []string{filepath.Join("sandbox", "vms"), filepath.Join("sandbox", "snowflake")} {
		t.Run(filepath.Base(linked), func(t *testing.T) {
			link, outside := linkStateSubdir(t, dir, linked)
			defer func() {
				// Put the directory back for the next link.
				if err := os.Remove(link); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(outside, link); err != nil {
					t.Fatal(err)
				}
			}()
			before := treeDigest(t, outside)
			for _, args := range commands {
				name := args[0]
				if name == "sandbox" {
					name = "sandbox reset"
				}
				code, _, errOut := runCLITimed(t, 60*time.Second, args...)
				if code != exitInvalid {
					t.Errorf("%s: exit %d, want %d; stderr: %s", name, code, exitInvalid, errOut)
				}
				if want := link + " is a symbolic link"; !strings.Contains(errOut, want) {
					t.Errorf("%s: stderr %q does not contain %q", name, errOut, want)
				}
				after := treeDigest(t, outside)
				for path, value := range before {
					if after[path] != value {
						t.Errorf("%s changed %s outside the state directory: %q, was %q", name, path, after[path], value)
					}
				}
				for path := range after {
					if _, ok := before[path]; !ok {
						t.Errorf("%s created %s outside the state directory", name, path)
					}
				}
			}
		})
	}
}

// TestStateLinksBehindLinkedStateDir checks a state directory that is
// itself a symbolic link: the link is allowed, and the links in the
// directory it points to are found.
func TestStateLinksBehindLinkedStateDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sandbox", "vms"), 0o700); err != nil {
		t.Fatal(err)
	}
	stateLink := filepath.Join(t.TempDir(), "state")
	if err := os.Symlink(dir, stateLink); err != nil {
		t.Fatal(err)
	}
	if err := checkStateLinks(stateLink); err != nil {
		t.Fatalf("state directory without links inside: %v", err)
	}

	linkStateSubdir(t, dir, filepath.Join("sandbox", "vms"))
	code, _, errOut := runCLI(t, "list", "--state-dir", stateLink)
	if code != exitInvalid {
		t.Errorf("list: exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if want := filepath.Join(stateLink, "sandbox", "vms") + " is a symbolic link"; !strings.Contains(errOut, want) {
		t.Errorf("list: stderr %q does not contain %q", errOut, want)
	}
}
