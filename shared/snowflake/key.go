package snowflake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// Object identifiers of PKCS #5 v2.1 (RFC 8018) and the ciphers OpenSSL uses
// with it.
var (
	oidPBES2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACWithSHA1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC    = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC    = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC    = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC   = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivation pkix.AlgorithmIdentifier
	Encryption    pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// ParsePrivateKey parses an RSA private key from PEM: PKCS #8 ("PRIVATE
// KEY"), PKCS #1 ("RSA PRIVATE KEY") or PKCS #8 encrypted with PBES2
// ("ENCRYPTED PRIVATE KEY", PBKDF2 with AES-CBC or 3DES-CBC, as
// `openssl pkcs8 -topk8 -v2 aes256` writes it). The passphrase is used only
// for encrypted keys. Errors never contain key material or the passphrase.
func ParsePrivateKey(pemBytes, passphrase []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found; expected a PEM file that starts with -----BEGIN PRIVATE KEY-----")
	}

	switch block.Type {
	case "PRIVATE KEY":
		return parsePKCS8(block.Bytes)
	case "RSA PRIVATE KEY":
		if _, encrypted := block.Headers["Proc-Type"]; encrypted {
			return nil, errors.New("parse private key: legacy PEM encryption (Proc-Type header) is not supported; convert the key with `openssl pkcs8 -topk8 -v2 aes256`")
		}
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("parse private key: invalid PKCS #1 RSA key")
		}
		return key, nil
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return nil, errors.New("parse private key: key is encrypted and no passphrase was given")
		}
		der, err := decryptPKCS8(block.Bytes, passphrase)
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			return nil, errors.New("parse private key: decrypted data is not a PKCS #8 key; check the passphrase")
		}
		return parsePKCS8(der)
	default:
		return nil, fmt.Errorf("parse private key: unsupported PEM block type %q; expected PRIVATE KEY, RSA PRIVATE KEY or ENCRYPTED PRIVATE KEY", block.Type)
	}
}

func parsePKCS8(der []byte) (*rsa.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("parse private key: invalid PKCS #8 key")
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: key type %T is not RSA; Snowflake key-pair login needs an RSA key", key)
	}
	return rsaKey, nil
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo (RFC 5958) that uses
// PBES2 with PBKDF2 and returns the inner PKCS #8 DER.
func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, errors.New("invalid encrypted PKCS #8 structure")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encryption scheme %s is not supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`", info.Algorithm.Algorithm)
	}

	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("invalid PBES2 parameters")
	}
	if params.KeyDerivation.Algorithm.Equal(oidScrypt) {
		return nil, errors.New("scrypt key derivation is not supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`")
	}
	if !params.KeyDerivation.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("key derivation %s is not supported", params.KeyDerivation.Algorithm)
	}

	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivation.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("invalid PBKDF2 parameters")
	}
	prf, err := prfHash(kdf.PRF.Algorithm)
	if err != nil {
		return nil, err
	}

	newCipher, keyLen, err := blockCipher(params.Encryption.Algorithm)
	if err != nil {
		return nil, err
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Encryption.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("invalid cipher parameters")
	}

	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	if len(iv) != block.BlockSize() || len(info.Data) == 0 || len(info.Data)%block.BlockSize() != 0 {
		return nil, errors.New("invalid encrypted data length")
	}

	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	plain, ok := trimPKCS7(plain, block.BlockSize())
	if !ok {
		return nil, errors.New("decrypt key: wrong passphrase or corrupt key")
	}
	return plain, nil
}

func prfHash(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0, oid.Equal(oidHMACWithSHA1):
		return sha1.New, nil
	case oid.Equal(oidHMACSHA224):
		return sha256.New224, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("PBKDF2 pseudo-random function %s is not supported", oid)
}

func blockCipher(oid asn1.ObjectIdentifier) (func([]byte) (cipher.Block, error), int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return aes.NewCipher, 16, nil
	case oid.Equal(oidAES192CBC):
		return aes.NewCipher, 24, nil
	case oid.Equal(oidAES256CBC):
		return aes.NewCipher, 32, nil
	case oid.Equal(oidDESEDE3CBC):
		return des.NewTripleDESCipher, 24, nil
	}
	return nil, 0, fmt.Errorf("cipher %s is not supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`", oid)
}

// trimPKCS7 removes PKCS #7 padding. A wrong passphrase almost always leaves
// invalid padding, which is how it is detected.
func trimPKCS7(data []byte, blockSize int) ([]byte, bool) {
	n := int(data[len(data)-1])
	if n == 0 || n > blockSize || n > len(data) {
		return nil, false
	}
	for _, b := range data[len(data)-n:] {
		if int(b) != n {
			return nil, false
		}
	}
	return data[:len(data)-n], true
}
