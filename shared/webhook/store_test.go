package webhook

import (
	"os/exec"
	"strings"
	"testing"
)

// The Lambda bootstrap imports this package for signatures and responses,
// and keeps deliveries in DynamoDB. SQLite belongs in sqlitestore, so that
// the bootstrap does not link it.
func TestPackageDoesNotLinkSQLite(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "sqlite") {
			t.Errorf("shared/webhook depends on %s; keep SQLite code in shared/webhook/sqlitestore", pkg)
		}
	}
}
