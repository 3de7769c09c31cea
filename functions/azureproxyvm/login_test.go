package azureproxyvm

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	// oldKey is the example key of the request files.
	oldKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu repolink-example"
	// newKey is a generated public key. ssh-keygen -l prints newKeyPrint
	// for it.
	newKey      = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHRX2sYCF66M7c1ylSfOVPuVi89UPxq8X9Ej2jzzr3X rotated"
	newKeyPrint = "SHA256:gpAmU1/SUTG67vlf3Q5S2mcSk9awtYRXNgtV4oW6v20"
)

// runTwice creates the proxy VM for first and then runs the step again for
// a copy of first that edit changes.
func runTwice(t *testing.T, first request.Request, edit func(*request.Azure)) (Output, error) {
	t.Helper()
	fake := &network{}
	env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
	if _, err := Run(t.Context(), env, workflow.Document{Request: first, Execution: "exec-1"}); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	second := first
	az := *first.Azure
	edit(&az)
	second.Azure = &az
	return Run(t.Context(), env, workflow.Document{Request: second, Execution: "exec-2"})
}

func TestRunChangedLoginConflicts(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		edit  func(*request.Azure)
		wants []string
	}{
		{
			name:  "admin username",
			key:   oldKey,
			edit:  func(a *request.Azure) { a.AdminUsername = "ops" },
			wants: []string{"has the administrator repolink", "azure.admin_username is ops"},
		},
		{
			name:  "rotated key",
			key:   oldKey,
			edit:  func(a *request.Azure) { a.SSHPublicKey = newKey },
			wants: []string{"accepts the SSH public key ssh-ed25519 SHA256:", "the request has the SSH public key ssh-ed25519 " + newKeyPrint + " in $.azure.ssh_public_key"},
		},
		{
			name:  "key removed",
			key:   oldKey,
			edit:  func(a *request.Azure) { a.SSHPublicKey = "" },
			wants: []string{"accepts the SSH public key ssh-ed25519 SHA256:", "the request has no SSH public key in $.azure.ssh_public_key"},
		},
		{
			name:  "key added",
			edit:  func(a *request.Azure) { a.SSHPublicKey = newKey },
			wants: []string{"accepts no SSH public key for repolink", newKeyPrint},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := azureRequest("nginx")
			req.Azure.SSHPublicKey = tt.key
			_, err := runTwice(t, req, tt.edit)
			if got := workflow.NameOf(err); got != workflow.ErrConflict {
				t.Fatalf("error name = %q (%v), want Conflict", got, err)
			}
			for _, want := range append(tt.wants, "run 'repolink teardown exec-2'") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "AAAAC3NzaC1lZDI1NTE5") {
				t.Errorf("error %q contains a whole public key, want its fingerprint", err)
			}
		})
	}
}

func TestRunKeyCommentChangeAdopts(t *testing.T) {
	req := azureRequest("nginx")
	req.Azure.SSHPublicKey = oldKey
	out, err := runTwice(t, req, func(a *request.Azure) {
		a.SSHPublicKey = strings.TrimSuffix(oldKey, "repolink-example") + "renamed"
	})
	if err != nil {
		t.Fatalf("Run with a new key comment: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want adopted", out.Action)
	}
}

func TestFingerprintMatchesSSHKeygen(t *testing.T) {
	if got, want := fingerprint(newKey), "ssh-ed25519 "+newKeyPrint; got != want {
		t.Errorf("fingerprint = %q, want %q", got, want)
	}
}
