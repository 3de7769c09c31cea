package azureproxyvm

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkLogin returns a Conflict when the proxy VM's administrator or SSH
// public keys differ from azure.admin_username and azure.ssh_public_key.
// The Compute API does not update osProfile.adminUsername after the VM is
// created and rejects a change of its SSH public keys, so the VM has to be
// rebuilt. A key is shown by its SHA-256 fingerprint, as ssh-keygen -l
// prints it. execution is the running provision execution, which
// repolink teardown accepts, as for proxyvm.CheckSettings.
func checkLogin(vm *cloud.AzureVM, az *request.Azure, execution string) error {
	fix := workflow.ReplaceFix("Azure does not change the login settings of a VM", execution)

	// An empty administrator means that the response had no OS profile,
	// so there is nothing to compare.
	if vm.AdminUsername != "" && vm.AdminUsername != az.AdminUsername {
		return workflow.Errorf(workflow.ErrConflict, "proxy VM %s has the administrator %s, but $.azure.admin_username is %s; %s",
			vm.ID, vm.AdminUsername, az.AdminUsername, fix)
	}

	var want []string
	if az.SSHPublicKey != "" {
		want = []string{az.SSHPublicKey}
	}
	if sameKeys(vm.SSHPublicKeys, want) {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict, "proxy VM %s accepts %s for %s, but the request has %s in $.azure.ssh_public_key; %s",
		vm.ID, describeKeys(vm.SSHPublicKeys), az.AdminUsername, describeKeys(want), fix)
}

// sameKeys reports whether two lists of OpenSSH public key lines name the
// same keys. A key's comment does not count, because sshd ignores it.
func sameKeys(a, b []string) bool {
	normalize := func(keys []string) []string {
		out := make([]string, 0, len(keys))
		for _, key := range keys {
			out = append(out, keyMaterial(key))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(normalize(a), normalize(b))
}

// keyMaterial returns the key type and the base64 key of an OpenSSH public
// key line, without its comment.
func keyMaterial(line string) string {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return strings.TrimSpace(line)
	}
	return fields[0] + " " + fields[1]
}

// describeKeys names public keys by their fingerprints.
func describeKeys(keys []string) string {
	if len(keys) == 0 {
		return "no SSH public key"
	}
	prints := make([]string, 0, len(keys))
	for _, key := range keys {
		prints = append(prints, fingerprint(key))
	}
	return "the SSH public key " + strings.Join(prints, ", ")
}

// fingerprint returns the OpenSSH SHA-256 fingerprint of a public key line,
// SHA256: followed by the unpadded base64 digest of the decoded key. A line
// whose key is not base64 is shown by its type and the first characters of
// its key.
func fingerprint(line string) string {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "(not an OpenSSH public key line)"
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return fields[0] + " " + shorten(fields[1])
	}
	sum := sha256.Sum256(blob)
	return fields[0] + " SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func shorten(s string) string {
	const keep = 16
	if len(s) <= keep {
		return s
	}
	return s[:keep] + "..."
}
