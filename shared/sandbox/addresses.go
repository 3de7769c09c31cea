package sandbox

import (
	"crypto/x509"
	"errors"

	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

// Addresses are the endpoints of a running sandbox, so that a process can
// use a sandbox that another process runs.
type Addresses struct {
	AWS           string `json:"aws"`
	Azure         string `json:"azure"`
	GCP           string `json:"gcp"`
	SnowflakeHost string `json:"snowflake_host"`
	SnowflakePort int    `json:"snowflake_port"`
	// Index is the host:port of the package index.
	Index string `json:"index"`
	// CA is the PEM certificate of the sandbox CA, which signs the index
	// and the HTTPS front ends.
	CA string `json:"ca"`
	// Hosts are the repository hosts that the index certificate covers.
	Hosts []string `json:"hosts"`
}

// Addresses returns the endpoints of the sandbox.
func (sb *Sandbox) Addresses() Addresses {
	return Addresses{
		AWS:           sb.AWSURL(),
		Azure:         sb.AzureURL(),
		GCP:           sb.GCPURL(),
		SnowflakeHost: sb.SnowflakeHost(),
		SnowflakePort: sb.SnowflakePort(),
		Index:         sb.Index.Addr(),
		CA:            string(sb.Index.CA().CertPEM()),
		Hosts:         sb.Index.Hosts(),
	}
}

// Roots returns a pool that trusts the sandbox CA.
func (a Addresses) Roots() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(a.CA)) {
		return nil, errors.New("sandbox addresses hold no CA certificate")
	}
	return pool, nil
}

// KeyVaultURL maps the vault URL of an azure-keyvault: reference to the
// sandbox vault of the same name, as Sandbox.KeyVaultURL does.
func (a Addresses) KeyVaultURL(vaultURL string) string {
	return azuresim.VaultURLAt(a.Azure, keyVaultName(vaultURL))
}
