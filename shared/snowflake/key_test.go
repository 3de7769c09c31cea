package snowflake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPassphrase = "test-passphrase"

func readKeyFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParsePrivateKey(t *testing.T) {
	want, err := ParsePrivateKey(readKeyFile(t, "pkcs8.pem"), nil)
	if err != nil {
		t.Fatalf("parse reference key: %v", err)
	}

	tests := []struct {
		name       string
		file       string
		passphrase string
		wantErr    string
	}{
		{name: "pkcs8", file: "pkcs8.pem"},
		{name: "pkcs8 ignores passphrase", file: "pkcs8.pem", passphrase: "unused"},
		{name: "pkcs1", file: "pkcs1.pem"},
		{name: "encrypted aes256 sha256", file: "pkcs8-aes256.pem", passphrase: testPassphrase},
		{name: "encrypted aes128 sha1", file: "pkcs8-aes128-sha1.pem", passphrase: testPassphrase},
		{name: "encrypted des3", file: "pkcs8-des3.pem", passphrase: testPassphrase},
		{name: "encrypted without passphrase", file: "pkcs8-aes256.pem", wantErr: "no passphrase"},
		{name: "encrypted wrong passphrase", file: "pkcs8-aes256.pem", passphrase: "nope-1234", wantErr: "passphrase"},
		{name: "scrypt", file: "pkcs8-scrypt.pem", passphrase: testPassphrase, wantErr: "scrypt"},
		{name: "legacy encrypted pkcs1", file: "pkcs1-legacy-encrypted.pem", passphrase: testPassphrase, wantErr: "legacy PEM encryption"},
		{name: "ec key", file: "ec.pem", wantErr: "not RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readKeyFile(t, tt.file)
			key, err := ParsePrivateKey(data, []byte(tt.passphrase))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParsePrivateKey succeeded, want error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				assertNoKeyMaterial(t, err.Error(), data, tt.passphrase)
				return
			}
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !key.Equal(want) {
				t.Error("parsed key differs from the reference key")
			}
		})
	}
}

func TestParsePrivateKeyNotPEM(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"base64 without armor", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
		{"corrupt pkcs8", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey([]byte(tt.in), nil)
			if err == nil {
				t.Fatal("ParsePrivateKey succeeded on invalid input")
			}
			assertNoKeyMaterial(t, err.Error(), []byte(tt.in), "")
		})
	}
}

// assertNoKeyMaterial fails when msg contains the passphrase or any base64
// line of the PEM input.
func assertNoKeyMaterial(t *testing.T, msg string, pemData []byte, passphrase string) {
	t.Helper()
	if passphrase != "" && strings.Contains(msg, passphrase) {
		t.Error("error message contains the passphrase")
	}
	for _, line := range strings.Split(string(pemData), "\n") {
		if len(line) >= 8 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
			t.Error("error message contains key material")
		}
	}
}
