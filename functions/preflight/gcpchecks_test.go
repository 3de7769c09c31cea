package preflight

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/api/option"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/shared/cloud"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

// startGCP starts the sandbox GCP front end with the example request's
// network and its proxy subnet 10.20.0.0/24, and returns an environment
// whose GCP adapter reaches it.
func startGCP(t *testing.T) (*workflow.Env, *gcpsim.Server) {
	t.Helper()
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	provider, err := gcpadapter.New(context.Background(), gcpadapter.Options{
		Endpoint: sim.URL(), ClientOptions: []option.ClientOption{option.WithoutAuthentication()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { provider.Close() })
	if err := sim.EnsureNetwork("corp-packages-prod", "vpc-packages"); err != nil {
		t.Fatal(err)
	}
	if err := sim.EnsureSubnetwork("corp-packages-prod", "us-central1", "snet-proxy", "vpc-packages", "10.20.0.0/24", "PRIVATE"); err != nil {
		t.Fatal(err)
	}
	env := &workflow.Env{GCP: func(_ context.Context, project string) (cloud.GCPNetwork, error) {
		return provider.Network(project), nil
	}}
	return env, sim
}

func TestCheckPSCSubnetPasses(t *testing.T) {
	env, _ := startGCP(t)
	if err := checkPSCSubnet(t.Context(), env, gcpsandbox.ExampleRequest(t)); err != nil {
		t.Errorf("checkPSCSubnet with a free range = %v, want nil", err)
	}
}

func TestCheckPSCSubnetRejects(t *testing.T) {
	tests := []struct {
		name   string
		subnet func(*gcpsim.Server) error
		cidr   string
		want   []string
	}{
		{
			name: "existing subnet with another range",
			subnet: func(sim *gcpsim.Server) error {
				return sim.EnsureSubnetwork("corp-packages-prod", "us-central1", "snet-psc-nat", "vpc-packages", "192.168.250.0/28", cloud.GCPPurposePSC)
			},
			want: []string{"$.gcp.psc_subnet_cidr is 192.168.255.0/28", "has the range 192.168.250.0/28",
				"set $.gcp.psc_subnet_cidr to 192.168.250.0/28"},
		},
		{
			name: "existing subnet for VMs",
			subnet: func(sim *gcpsim.Server) error {
				return sim.EnsureSubnetwork("corp-packages-prod", "us-central1", "snet-psc-nat", "vpc-packages", "192.168.255.0/28", "PRIVATE")
			},
			want: []string{"$.gcp.psc_subnet projects/corp-packages-prod/regions/us-central1/subnetworks/snet-psc-nat has purpose PRIVATE"},
		},
		{
			name: "range overlaps another subnet",
			cidr: "10.20.0.16/28",
			want: []string{"$.gcp.psc_subnet_cidr 10.20.0.16/28 overlaps the range 10.20.0.0/24",
				"projects/corp-packages-prod/regions/us-central1/subnetworks/snet-proxy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, sim := startGCP(t)
			if tt.subnet != nil {
				if err := tt.subnet(sim); err != nil {
					t.Fatal(err)
				}
			}
			req := gcpsandbox.ExampleRequest(t)
			if tt.cidr != "" {
				req.GCP.PSCSubnetCIDR = tt.cidr
			}
			err := checkPSCSubnet(t.Context(), env, req)
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("checkPSCSubnet = %v, want InvalidRequest", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
				t.Errorf("preflight error %q advises a teardown, but preflight builds nothing", err)
			}
		})
	}
}
