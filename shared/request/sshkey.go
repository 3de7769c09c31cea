package request

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// minAzureRSAKeyBits is the minimum RSA modulus length that Azure accepts
// for a Linux VM's SSH public key.
const minAzureRSAKeyBits = 2048

// CheckAzureSSHPublicKey returns an error unless line is one OpenSSH public
// key line of a type that Azure accepts for a Linux VM: ssh-rsa of at least
// 2048 bits or ssh-ed25519 ("Supported SSH key formats" in Microsoft's
// "Create and manage SSH keys for authentication to a Linux VM in Azure").
// ECDSA, DSA, security key (sk-) and certificate types are rejected. The
// error never contains the key data, only its type and length.
//
// NOTE: Microsoft's pages mark ED25519 support for Linux VMs as preview, so
// an older API version or cloud may still reject ssh-ed25519.
func CheckAzureSSHPublicKey(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return errors.New("must be a single public key line; set it to the contents of one .pub file")
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return errors.New("is not an OpenSSH public key line; set it to the contents of a .pub file, such as ssh-ed25519 AAAA... user@host")
	}
	keyType := keyTypeForMessage(fields[0])
	if keyType == "" {
		return errors.New("must start with the key type, such as ssh-ed25519, without authorized_keys options; set it to the contents of a .pub file")
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return fmt.Errorf("has key data that is not valid base64 after the type %s; copy the whole line from the .pub file again", keyType)
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return fmt.Errorf("has key data that is not a valid SSH public key after the type %s; copy the whole line from the .pub file again", keyType)
	}
	if key.Type() != fields[0] {
		return fmt.Errorf("starts with the type %s, but its key data is a %s key; copy the line from the .pub file unchanged",
			keyType, key.Type())
	}

	switch key.Type() {
	case ssh.KeyAlgoED25519:
		return nil
	case ssh.KeyAlgoRSA:
		bits, ok := rsaKeyBits(key)
		if !ok {
			return errors.New("is an ssh-rsa key whose length cannot be read; copy the line from the .pub file again")
		}
		if bits < minAzureRSAKeyBits {
			return fmt.Errorf("is a %d-bit ssh-rsa key; Azure accepts RSA keys of at least %d bits, so create one with ssh-keygen -t rsa -b 4096 or use an ssh-ed25519 key",
				bits, minAzureRSAKeyBits)
		}
		return nil
	default:
		return fmt.Errorf("has the key type %s; Azure accepts only ssh-rsa keys of at least %d bits and ssh-ed25519 keys, so create one with ssh-keygen -t ed25519",
			key.Type(), minAzureRSAKeyBits)
	}
}

// rsaKeyBits returns the modulus length of an ssh-rsa public key.
func rsaKeyBits(key ssh.PublicKey) (int, bool) {
	cryptoKey, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0, false
	}
	rsaKey, ok := cryptoKey.CryptoPublicKey().(*rsa.PublicKey)
	if !ok || rsaKey.N == nil {
		return 0, false
	}
	return rsaKey.N.BitLen(), true
}

// keyTypeForMessage returns field when it looks like an SSH key type, such
// as ssh-rsa or sk-ssh-ed25519@openssh.com, and "" otherwise. Only a field
// that passes goes into an error message, so that a line with its fields
// out of order puts no key data there.
func keyTypeForMessage(field string) string {
	if len(field) > 40 || !strings.Contains(field, "-") {
		return ""
	}
	if strings.ContainsFunc(field, func(r rune) bool { return !isPortableUsernameRune(r) && r != '@' }) {
		return ""
	}
	return field
}
