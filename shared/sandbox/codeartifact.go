package sandbox

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// codeArtifactSlots is how many tokens of one CodeArtifact domain the index
// accepts at a time. AWS accepts every token until it expires, so the token
// in a SECRET stays valid after a later run or a renewal gets another one.
// The sandbox keeps the latest few instead of tracking expiries.
const codeArtifactSlots = 4

// codeArtifactTokens makes the sandbox index accept the CodeArtifact tokens
// that the AWS front end returns, on the repository endpoint host of their
// domain.
type codeArtifactTokens struct {
	sb *Sandbox

	mu    sync.Mutex
	count map[string]int
}

// issued adds a token as a credential with the user aws for the
// repository endpoint host of the domain, replacing the oldest of the
// domain's codeArtifactSlots tokens.
func (c *codeArtifactTokens) issued(region, domain, owner, token string, _ time.Time) {
	host := codeArtifactHost(strings.ToLower(region), domain, owner)
	c.mu.Lock()
	slot := c.count[host] % codeArtifactSlots
	c.count[host]++
	c.mu.Unlock()
	name := fmt.Sprintf("codeartifact token %d", slot)
	if err := c.sb.Index.SetCredential(host, name, "aws", token); err != nil {
		c.sb.logger.Warn("add CodeArtifact token to the index failed", "host", host, "error", err)
	}
}

// codeArtifactHost returns the repository endpoint host of a domain,
// <domain>-<owner>.d.codeartifact.<region>.<DNS suffix>, where the DNS
// suffix is that of the region's partition, such as amazonaws.com.cn for
// cn-north-1. A region outside every partition gets amazonaws.com.
func codeArtifactHost(region, domain, owner string) string {
	suffix := "amazonaws.com"
	if partition, ok := request.AWSPartitionOf(region); ok {
		suffix = partition.DNSSuffix
	}
	return fmt.Sprintf("%s-%s.d.codeartifact.%s.%s", domain, owner, region, suffix)
}
