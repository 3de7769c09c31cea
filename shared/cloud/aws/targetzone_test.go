package aws

import (
	"testing"

	"github.com/repolink/repolink/shared/cloud"
)

// TestRegisterTargetOutsideVPC registers an address outside the sandbox
// VPC's block, which ELBv2 accepts only in zone all, and one inside it,
// which ELBv2 rejects in zone all.
func TestRegisterTargetOutsideVPC(t *testing.T) {
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	ctx := t.Context()
	tg, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "ip-tg", RequestID: "R1", VPCID: "vpc-0abc", Port: 8443, TargetType: "ip"})
	if err != nil {
		t.Fatal(err)
	}
	for _, address := range []string{"172.16.5.5", "10.0.1.25"} {
		if err := p.RegisterTarget(ctx, tg.ARN, address, 8443); err != nil {
			t.Errorf("RegisterTarget %s: %v", address, err)
		}
	}
	health, err := p.TargetHealth(ctx, tg.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(health) != 2 {
		t.Errorf("targets = %+v, want 172.16.5.5 and 10.0.1.25", health)
	}
	if err := p.DeregisterTarget(ctx, tg.ARN, "172.16.5.5", 8443); err != nil {
		t.Errorf("DeregisterTarget 172.16.5.5: %v", err)
	}
}
