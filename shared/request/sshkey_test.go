package request

import (
	"strings"
	"testing"
)

const (
	ed25519Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu repolink-example"
	rsa2048Key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBHKFBFA/d8rD1Q+Kuc78MV08VmNoH/RrVpT46H7Kxq6FcoP9syAlYFWqvuk6SRYtV1SDWAH42ZqYPWQ0mqjmHDN9prJPa3OfKbOrA4rw6CcVs6nkffheAAP+JM850EjiFRYXfoBluPXJHHT3ajlVZ4MRGtj/7uuIMbE9Lkm7tpklWKFzbo/A5iVbjhVlwlm+/HlnTXu1DCqhd8vNitdyq2Z5dk/eK6UAdhom/MN5S3u7ZliKMYRig7GGhTauOTU7VtM+hbuGfV4qCftrEuU0WH9CoqE8unJqpCpndMoaFEDZtnzUtpZ8F+r2crqHgz2nbbjlQBQzeQ2tm5DcIrR7h rsa2048"
	rsa1024Key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDMErobuusESLBD/mAr9iYWKPPJElpV0MLHIr+7TRpin3O1/AIY5brpIA5WgFyz2aTx9Q0x+QIijnrFMRJhTEfRBXFNfq0KPnGy/KSq84IUMkyWfq3aV+mRlC4R/YOkm8bCm3PRuhhADm2oUhhdBAdOiPqCsLHJ+Z7Sn698iFK5Ow== rsa1024"
	ecdsaKey   = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBES+WjzKuDXRcfYGO3rxSywmSsXwyC160PjbJcWryuPlg10IvTJq7cpJgZpAtulJ3j9a93TVjZby0y3ImIhgKoE= ecdsa"
)

func TestValidateAcceptsAzureSSHKey(t *testing.T) {
	for _, key := range []string{ed25519Key, rsa2048Key, strings.Fields(ed25519Key)[0] + " " + strings.Fields(ed25519Key)[1]} {
		if fields := azureFieldErrors(t, func(a *Azure) { a.SSHPublicKey = key }); len(fields) != 0 {
			t.Errorf("ssh_public_key %.20s...: field errors = %+v, want none", key, fields)
		}
	}
}

func TestValidateRejectsAzureSSHKey(t *testing.T) {
	ed25519Data := strings.Fields(ed25519Key)[1]
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"not base64", "ssh-ed25519 notbase64!!", "has key data that is not valid base64 after the type ssh-ed25519"},
		{"type mismatch", "ssh-rsa " + ed25519Data, "starts with the type ssh-rsa, but its key data is a ssh-ed25519 key"},
		{"short rsa", rsa1024Key, "is a 1024-bit ssh-rsa key; Azure accepts RSA keys of at least 2048 bits"},
		{"ecdsa", ecdsaKey, "has the key type ecdsa-sha2-nistp256; Azure accepts only ssh-rsa"},
		{"key data only", ed25519Data, "is not an OpenSSH public key line"},
		{"options", `command="true" ` + ed25519Key, "without authorized_keys options"},
		{"two keys", ed25519Key + "\n" + rsa2048Key, "must be a single public key line"},
		{"truncated", "ssh-ed25519 " + ed25519Data[:40], "is not a valid SSH public key after the type ssh-ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := azureFieldErrors(t, func(a *Azure) { a.SSHPublicKey = tt.key })
			if len(fields) != 1 {
				t.Fatalf("field errors = %+v, want one", fields)
			}
			if fields[0].Path != "$.azure.ssh_public_key" {
				t.Errorf("path = %q, want $.azure.ssh_public_key", fields[0].Path)
			}
			if !strings.Contains(fields[0].Message, tt.want) {
				t.Errorf("message %q does not contain %q", fields[0].Message, tt.want)
			}
			for _, part := range strings.Fields(tt.key) {
				if strings.HasPrefix(part, "AAAA") && strings.Contains(fields[0].Message, part[:12]) {
					t.Errorf("message %q contains the key data", fields[0].Message)
				}
			}
		})
	}
}
