package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// Names are the deterministic names of everything a request builds, so that
// every step can find what an earlier run created.
type Names struct {
	// Cloud side.
	ProxyVM      string
	TargetGroup  string
	LoadBalancer string
	ClientToken  string

	// Snowflake side; identifiers before quoting.
	Secret      string
	Integration string
	Repository  string
	Function    string
	Procedure   string
}

// NamesFor derives the names for a request.
func NamesFor(req request.Request) Names {
	sum := sha256.Sum256([]byte(req.ID))
	hash := hex.EncodeToString(sum[:])[:8]
	// Load balancer and target group names allow 32 characters of letters,
	// digits and hyphens.
	short := "rl-" + ShortID(req.ID, 32-len("rl-")-len("-tg-")-len(hash)) + "-"
	repo := req.Repository.Name
	return Names{
		ProxyVM:      "repolink-" + ShortID(req.ID, 200) + "-proxy",
		TargetGroup:  short + "tg-" + hash,
		LoadBalancer: short + "lb-" + hash,
		ClientToken:  "repolink-" + hash,
		Secret:       repo + "_SECRET",
		Integration:  repo + "_INTEGRATION",
		Repository:   repo,
		Function:     "REPOLINK_VERIFY_" + strings.ToUpper(hash),
		Procedure:    "REPOLINK_VERIFY_PROC_" + strings.ToUpper(hash),
	}
}

// ShortID keeps the letters and digits of id, lower-cased, joined by single
// hyphens and cut to max characters, for resource names. An ID with none of
// them gives "req".
func ShortID(id string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	if s == "" {
		s = "req"
	}
	return s
}
