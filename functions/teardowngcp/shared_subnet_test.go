package teardowngcp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/repolink/repolink/functions/gcpserviceattachment"
	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	simProject   = "corp"
	simRegion    = "us-central1"
	simZone      = "us-central1-a"
	simNetwork   = "vpc"
	sharedSubnet = "snet-psc"
	// regionPrefix is the part of a regional Compute Engine path before
	// the collection.
	regionPrefix = "/compute/v1/projects/" + simProject + "/regions/" + simRegion + "/"
	// firewallsPath is the Compute Engine path of the project's firewall
	// rules, which are global.
	firewallsPath = "/compute/v1/projects/" + simProject + "/global/firewalls"
)

var sharedSubnetPath = "projects/" + simProject + "/regions/" + simRegion + "/subnetworks/" + sharedSubnet

// sharingRequests are two requests of the gcp-privatelink route that set
// the same gcp.psc_subnet. The first one provisioned creates the subnet.
var sharingRequests = []string{"DATA-101", "DATA-102"}

func sharingDocument(id string) workflow.Document {
	return workflow.Document{
		Request: request.Request{ID: id, Route: request.RouteGCPPrivateLink, GCP: &request.GCP{
			Project: simProject, Region: simRegion, Zone: simZone, Network: simNetwork, Subnet: "apps",
			PSCSubnet: sharedSubnet, PSCSubnetCIDR: "192.168.255.0/28",
		}},
		Execution: "exec-" + id,
	}
}

// gatedTransport sends the calls of one teardown to the sandbox. A call
// whose key has a gate waits until the gate closes or release closes, and
// every call closes the signal of its key once its response arrives, so
// that a test can order the calls of two concurrent teardowns. A key is
// the method and the path after the region, such as
// "GET serviceAttachments" for the list.
type gatedTransport struct {
	gates   map[string]<-chan struct{}
	release <-chan struct{}

	mu            sync.Mutex
	signals       map[string]chan struct{}
	fired         map[string]bool
	subnetDeletes []int
}

func newGatedTransport() *gatedTransport {
	return &gatedTransport{gates: map[string]<-chan struct{}{}, signals: map[string]chan struct{}{}, fired: map[string]bool{}}
}

// signal returns the channel that closes after the first call of key.
func (g *gatedTransport) signal(key string) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.signalLocked(key)
}

func (g *gatedTransport) signalLocked(key string) chan struct{} {
	ch, ok := g.signals[key]
	if !ok {
		ch = make(chan struct{})
		g.signals[key] = ch
	}
	return ch
}

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Method + " " + strings.TrimPrefix(req.URL.Path, regionPrefix)
	if gate := g.gates[key]; gate != nil {
		select {
		case <-gate:
		case <-g.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)

	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil && key == "DELETE subnetworks/"+sharedSubnet {
		g.subnetDeletes = append(g.subnetDeletes, resp.StatusCode)
	}
	if !g.fired[key] {
		g.fired[key] = true
		close(g.signalLocked(key))
	}
	return resp, err
}

// sharedSubnetSim is the sandbox's Compute Engine front end with the load
// balancers of sharingRequests, each published through a service
// attachment on the subnet sharedSubnet.
type sharedSubnetSim struct {
	server *gcpsim.Server
}

// startSharedSubnetSim provisions sharingRequests in order. With byHand
// the subnet exists before, as an administrator made it, and both
// requests adopt it.
func startSharedSubnetSim(t *testing.T, byHand bool) *sharedSubnetSim {
	t.Helper()
	s := newSharedSubnetSim(t, byHand)
	env := s.env(t, newGatedTransport())
	for _, id := range sharingRequests {
		s.provision(t, env, sharingDocument(id))
	}
	if !s.server.HasSubnetwork(sharedSubnetPath) {
		t.Fatalf("subnet %s missing after provisioning", sharedSubnetPath)
	}
	return s
}

// newSharedSubnetSim starts the sandbox with the network and, with byHand,
// the subnet, and provisions nothing.
func newSharedSubnetSim(t *testing.T, byHand bool) *sharedSubnetSim {
	t.Helper()
	server, err := gcpsim.Start(t.Context(), gcpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if err := server.EnsureNetwork(simProject, simNetwork); err != nil {
		t.Fatal(err)
	}
	if err := server.EnsureSubnetwork(simProject, simRegion, "apps", simNetwork, "10.0.0.0/24", "PRIVATE"); err != nil {
		t.Fatal(err)
	}
	if byHand {
		if err := server.EnsureSubnetwork(simProject, simRegion, sharedSubnet, simNetwork, "192.168.255.0/28", cloud.GCPPurposePSC); err != nil {
			t.Fatal(err)
		}
	}
	return &sharedSubnetSim{server: server}
}

// env returns the step environment whose Google Cloud adapter is the real
// Compute Engine client, sending through transport to the sandbox.
func (s *sharedSubnetSim) env(t *testing.T, transport http.RoundTripper) *workflow.Env {
	t.Helper()
	provider, err := gcp.New(t.Context(), gcp.Options{
		Endpoint:      s.server.URL(),
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: transport})},
		CallTimeout:   5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { provider.Close() })
	return &workflow.Env{
		GCP: func(_ context.Context, project string) (cloud.GCPNetwork, error) {
			return provider.Network(project), nil
		},
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return privateLinkConfig{}, nil
		},
	}
}

// provision builds the request's load balancer and runs the service
// attachment step, which creates the subnet when it is absent.
func (s *sharedSubnetSim) provision(t *testing.T, env *workflow.Env, doc workflow.Document) {
	t.Helper()
	doc = s.buildLoadBalancer(t, env, doc)
	if _, err := gcpserviceattachment.Run(t.Context(), env, doc); err != nil {
		t.Fatalf("service attachment step of %s: %v", doc.Request.ID, err)
	}
}

// buildLoadBalancer creates the request's load balancer and returns the
// document that the service attachment step takes.
func (s *sharedSubnetSim) buildLoadBalancer(t *testing.T, env *workflow.Env, doc workflow.Document) workflow.Document {
	t.Helper()
	ctx := t.Context()
	req := doc.Request
	names := gcproute.NamesFor(req)
	network, err := env.GCP(ctx, simProject)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := network.CreateHealthCheck(ctx, cloud.GCPHealthCheckSpec{Name: names.HealthCheck, RequestID: req.ID, Region: simRegion, Port: 443})
	if err != nil {
		t.Fatalf("create health check of %s: %v", req.ID, err)
	}
	group, err := network.CreateInstanceGroup(ctx, cloud.GCPInstanceGroupSpec{Name: names.InstanceGroup, RequestID: req.ID, Zone: simZone, Network: simNetwork})
	if err != nil {
		t.Fatalf("create instance group of %s: %v", req.ID, err)
	}
	bs, err := network.CreateBackendService(ctx, cloud.GCPBackendServiceSpec{
		Name: names.BackendService, RequestID: req.ID, Region: simRegion, Network: simNetwork, HealthCheck: hc.Path, Group: group.Path,
	})
	if err != nil {
		t.Fatalf("create backend service of %s: %v", req.ID, err)
	}
	fr, err := network.CreateForwardingRule(ctx, cloud.GCPForwardingRuleSpec{
		Name: names.ForwardingRule, RequestID: req.ID, Region: simRegion, BackendService: bs.Path, Network: simNetwork, Subnetwork: "apps", Port: 443,
	})
	if err != nil {
		t.Fatalf("create forwarding rule of %s: %v", req.ID, err)
	}

	doc.Resources.LoadBalancer = &workflow.LoadBalancer{Result: workflow.Result{ID: fr.Path}}
	return doc
}

// teardownSteps are the Compute Engine teardown steps in the order of
// teardown.asl.json.
var teardownSteps = []struct {
	name string
	run  func(context.Context, *workflow.Env, workflow.Document) (Output, error)
}{
	{"connections", Connections},
	{"service attachment", ServiceAttachment},
	{"forwarding rule", ForwardingRule},
	{"backend service", BackendService},
	{"health check", HealthCheck},
	{"instance group", InstanceGroup},
	{"proxy VM", ProxyVM},
	{"firewall rules", FirewallRules},
	{"PSC subnet", PSCSubnet},
}

// teardown runs the steps for the request and returns the output of the
// subnet step.
func teardown(ctx context.Context, env *workflow.Env, id string) (Output, error) {
	var out Output
	for _, step := range teardownSteps {
		var err error
		if out, err = step.run(ctx, env, sharingDocument(id)); err != nil {
			return Output{}, &stepFailure{step: step.name, request: id, err: err}
		}
	}
	return out, nil
}

type stepFailure struct {
	step, request string
	err           error
}

func (f *stepFailure) Error() string { return f.step + " step of " + f.request + ": " + f.err.Error() }
func (f *stepFailure) Unwrap() error { return f.err }

func attachmentPath(id string) string {
	return gcproute.ServiceAttachmentPath(sharingDocument(id).Request.GCP, gcproute.NamesFor(request.Request{ID: id}))
}

func TestSharedPSCSubnetTeardownInSequence(t *testing.T) {
	cases := []struct {
		name   string
		order  []string
		byHand bool
		// wantActions are the outputs of the subnet step, in order.
		wantActions []string
		wantGone    bool
	}{
		{"creator first", []string{"DATA-101", "DATA-102"}, false, []string{workflow.Kept, workflow.Deleted}, true},
		{"creator last", []string{"DATA-102", "DATA-101"}, false, []string{workflow.Kept, workflow.Deleted}, true},
		{"made by hand", []string{"DATA-101", "DATA-102"}, true, []string{workflow.Skipped, workflow.Skipped}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSharedSubnetSim(t, tc.byHand)
			env := s.env(t, newGatedTransport())

			first, err := teardown(t.Context(), env, tc.order[0])
			if err != nil {
				t.Fatal(err)
			}
			if first.Action != tc.wantActions[0] {
				t.Errorf("first teardown: subnet %q (%s), want %q", first.Action, first.Reason, tc.wantActions[0])
			}
			if first.Action == workflow.Kept && !strings.Contains(first.Reason, attachmentPath(tc.order[1])) {
				t.Errorf("first teardown: reason %q does not name %s", first.Reason, attachmentPath(tc.order[1]))
			}
			if !s.server.HasSubnetwork(sharedSubnetPath) {
				t.Fatalf("first teardown deleted the subnet that %s still uses", tc.order[1])
			}

			second, err := teardown(t.Context(), env, tc.order[1])
			if err != nil {
				t.Fatal(err)
			}
			if second.Action != tc.wantActions[1] {
				t.Errorf("second teardown: subnet %q (%s), want %q", second.Action, second.Reason, tc.wantActions[1])
			}
			if gone := !s.server.HasSubnetwork(sharedSubnetPath); gone != tc.wantGone {
				t.Errorf("subnet gone after both teardowns = %v, want %v", gone, tc.wantGone)
			}

			// A teardown run again finds nothing left to delete.
			for _, id := range tc.order {
				again, err := teardown(t.Context(), env, id)
				if err != nil {
					t.Fatalf("repeated teardown of %s: %v", id, err)
				}
				if again.Action != workflow.Skipped {
					t.Errorf("repeated teardown of %s: subnet %q, want %q", id, again.Action, workflow.Skipped)
				}
			}
			if gone := !s.server.HasSubnetwork(sharedSubnetPath); gone != tc.wantGone {
				t.Errorf("subnet gone after the repeated teardowns = %v, want %v", gone, tc.wantGone)
			}
		})
	}
}

func TestSharedPSCSubnetTeardownConcurrent(t *testing.T) {
	creator, other := sharingRequests[0], sharingRequests[1]
	list := "GET serviceAttachments"
	listRules := "GET " + firewallsPath
	deleteSubnet := "DELETE subnetworks/" + sharedSubnet
	deleteAttachment := func(id string) string {
		return "DELETE serviceAttachments/" + gcproute.NamesFor(request.Request{ID: id}).ServiceAttachment
	}
	deleteNATRule := func(id string) string {
		return "DELETE " + firewallsPath + "/" + gcproute.NamesFor(request.Request{ID: id}).NATFirewall
	}

	cases := []struct {
		name string
		// order sets the gates of the creator's and the other request's
		// transport.
		order       func(creatorCalls, otherCalls *gatedTransport)
		wantActions map[string]string
		// wantDeleteCalls counts the deletes of the subnet sent by both.
		wantDeleteCalls int
	}{
		{
			// The creator lists the attachments while the other request's
			// attachment still exists, so only the other teardown can
			// delete the subnet.
			name: "creator lists first",
			order: func(c, o *gatedTransport) {
				o.gates[deleteAttachment(other)] = c.signal(list)
			},
			wantActions:     map[string]string{creator: workflow.Kept, other: workflow.Deleted},
			wantDeleteCalls: 1,
		},
		{
			// Both list after both attachments and both NAT firewall rules
			// are gone, and both send the delete of the subnet, which only
			// one of them finds.
			name: "both delete",
			order: func(c, o *gatedTransport) {
				c.gates[list] = o.signal(deleteNATRule(other))
				o.gates[list] = c.signal(deleteNATRule(creator))
				c.gates[deleteSubnet] = o.signal(listRules)
				o.gates[deleteSubnet] = c.signal(listRules)
			},
			wantActions:     map[string]string{creator: workflow.Deleted, other: workflow.Deleted},
			wantDeleteCalls: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSharedSubnetSim(t, false)
			transports := map[string]*gatedTransport{creator: newGatedTransport(), other: newGatedTransport()}
			tc.order(transports[creator], transports[other])
			// A teardown that ends without the call that the other one
			// waits for opens the other's gates, so that the test fails
			// instead of hanging.
			finished := map[string]chan struct{}{creator: make(chan struct{}), other: make(chan struct{})}
			transports[creator].release = finished[other]
			transports[other].release = finished[creator]

			outputs := map[string]Output{}
			errs := map[string]error{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, id := range sharingRequests {
				env := s.env(t, transports[id])
				wg.Go(func() {
					defer close(finished[id])
					out, err := teardown(t.Context(), env, id)
					mu.Lock()
					outputs[id], errs[id] = out, err
					mu.Unlock()
				})
			}
			wg.Wait()

			for _, id := range sharingRequests {
				if errs[id] != nil {
					t.Errorf("teardown of %s: %v", id, errs[id])
				}
				if got := outputs[id].Action; got != tc.wantActions[id] {
					t.Errorf("teardown of %s: subnet %q (%s), want %q", id, got, outputs[id].Reason, tc.wantActions[id])
				}
			}
			if s.server.HasSubnetwork(sharedSubnetPath) {
				t.Errorf("subnet %s still exists after both teardowns", sharedSubnetPath)
			}
			calls, succeeded := 0, 0
			for _, tr := range transports {
				calls += len(tr.subnetDeletes)
				for _, status := range tr.subnetDeletes {
					if status == http.StatusOK {
						succeeded++
					}
				}
			}
			if calls != tc.wantDeleteCalls {
				t.Errorf("sent %d deletes of the subnet, want %d", calls, tc.wantDeleteCalls)
			}
			if succeeded != 1 {
				t.Errorf("subnet deleted %d times, want once", succeeded)
			}
		})
	}
}

// privateLinkConfig is a Snowflake connection that returns the output of
// SYSTEM$GET_PRIVATELINK_CONFIG to every query.
type privateLinkConfig struct{}

func (privateLinkConfig) Exec(context.Context, string) error { return nil }

func (privateLinkConfig) Query(context.Context, string) ([]snowflake.Row, error) {
	return []snowflake.Row{{"config": `{"privatelink-gcp-service-attachment":"projects/sf-psc/regions/us-central1/serviceAttachments/sf"}`}}, nil
}
