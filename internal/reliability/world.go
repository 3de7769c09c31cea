package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// world is the sandbox world of one state directory, read from the files
// that the sandbox's AWS and Snowflake persist.
type world struct {
	aws       awssim.World
	snowflake sfsim.World
	// awsSecrets are the values of the Secrets Manager secrets by ARN,
	// opened from their sealed form.
	awsSecrets map[string]string
}

// readWorld reads the world files under stateDir/sandbox, and for the
// Snowflake world the journal of a sandbox that was killed. A missing file
// reads as an empty world, since a run killed early may not have written it.
func readWorld(stateDir string) (world, error) {
	var w world
	path := filepath.Join(stateDir, "sandbox", "aws", "aws.json")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return w, fmt.Errorf("read sandbox world: %w", err)
	default:
		if err := json.Unmarshal(data, &w.aws); err != nil {
			return w, fmt.Errorf("decode sandbox world %s: %w", path, err)
		}
	}

	snowflake, err := sfsim.ReadWorld(filepath.Join(stateDir, "sandbox", "snowflake"))
	if err != nil {
		return w, err
	}
	w.snowflake = *snowflake

	secrets, err := openSecrets(filepath.Join(stateDir, "sandbox", "aws"), w.aws.Secrets)
	if err != nil {
		return w, err
	}
	w.awsSecrets = secrets
	return w, nil
}

// openSecrets returns the values of the Secrets Manager secrets, which the
// world in dir keeps sealed, or in clear when an earlier version saved it.
func openSecrets(dir string, secrets map[string]*awssim.Secret) (map[string]string, error) {
	out := map[string]string{}
	var sealer *worldfile.Sealer
	for arn, secret := range secrets {
		if secret.ClearValue != "" {
			out[arn] = secret.ClearValue
		}
		if secret.Value == "" {
			continue
		}
		if sealer == nil {
			var err error
			if sealer, err = worldfile.ReadSealer(dir); err != nil {
				return nil, fmt.Errorf("open sandbox Secrets Manager values: %w", err)
			}
		}
		value, err := sealer.Open(secret.Value)
		if err != nil {
			return nil, fmt.Errorf("open the value of sandbox secret %s: %w", secret.Name, err)
		}
		out[arn] = value
	}
	return out, nil
}

// privateLinkCounts returns how many of each resource that the
// aws-privatelink route creates the world holds. Terminated instances count
// too: a duplicate that was cleaned up is still a duplicate.
func (w world) privateLinkCounts() map[string]int {
	counts := map[string]int{
		"ec2 instances":         len(w.aws.Instances),
		"target groups":         len(w.aws.TargetGroups),
		"load balancers":        len(w.aws.LoadBalancers),
		"listeners":             len(w.aws.Listeners),
		"endpoint services":     len(w.aws.EndpointServices),
		"endpoint connections":  len(w.aws.Connections),
		"snowflake endpoints":   0,
		"snowflake secrets":     0,
		"api integrations":      0,
		"artifact repositories": 0,
	}
	for _, a := range w.snowflake.Accounts {
		counts["snowflake endpoints"] += len(a.Endpoints)
		counts["api integrations"] += len(a.Integrations)
		for _, db := range a.Databases {
			for _, schema := range db.Schemas {
				counts["snowflake secrets"] += len(schema.Secrets)
				counts["artifact repositories"] += len(schema.Repositories)
			}
		}
	}
	return counts
}

// duplicateGrants returns grants that the account holds more than once.
func (w world) duplicateGrants() []string {
	var dups []string
	for name, a := range w.snowflake.Accounts {
		seen := map[string]int{}
		for _, g := range a.Grants {
			seen[g.Privilege+" on "+g.ObjectType+" "+g.ObjectName+" to "+g.Role]++
		}
		for grant, n := range seen {
			if n > 1 {
				dups = append(dups, fmt.Sprintf("%s: %s %d times", name, grant, n))
			}
		}
	}
	sort.Strings(dups)
	return dups
}

// checkOneOfEach returns a problem for every aws-privatelink resource that
// the world does not hold exactly once, and for every duplicated grant.
func (w world) checkOneOfEach() []string {
	counts := w.privateLinkCounts()
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []string
	for _, name := range names {
		if n := counts[name]; n != 1 {
			problems = append(problems, fmt.Sprintf("world holds %d %s, want exactly 1", n, name))
		}
	}
	for _, d := range w.duplicateGrants() {
		problems = append(problems, "duplicate grant "+d)
	}
	return problems
}

// secretValues returns the values of the sandbox's Secrets Manager, which
// are the passwords, tokens and keys that nothing else may keep.
func (w world) secretValues() map[string]string {
	return w.awsSecrets
}
