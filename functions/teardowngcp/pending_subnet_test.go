package teardowngcp

import (
	"testing"

	"github.com/repolink/repolink/functions/gcpserviceattachment"
	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// serviceAttachmentResult is the output and error of one run of the
// service attachment step.
type serviceAttachmentResult struct {
	out gcpserviceattachment.Output
	err error
}

// startServiceAttachmentStep runs the service attachment step of the
// request in the background, through transport.
func (s *sharedSubnetSim) startServiceAttachmentStep(t *testing.T, doc workflow.Document, transport *gatedTransport) <-chan serviceAttachmentResult {
	t.Helper()
	env := s.env(t, transport)
	done := make(chan serviceAttachmentResult, 1)
	go func() {
		out, err := gcpserviceattachment.Run(t.Context(), env, doc)
		done <- serviceAttachmentResult{out, err}
	}()
	return done
}

// TestSharedPSCSubnetTeardownDuringProvision tears down the request that
// created the subnet while the other request runs its service attachment
// step, which has selected the subnet and has not created its attachment
// yet.
func TestSharedPSCSubnetTeardownDuringProvision(t *testing.T) {
	creator, other := sharingRequests[0], sharingRequests[1]
	otherNames := gcproute.NamesFor(request.Request{ID: other})
	insertAttachment := "POST serviceAttachments"

	s := newSharedSubnetSim(t, false)
	s.provision(t, s.env(t, newGatedTransport()), sharingDocument(creator))
	doc := s.buildLoadBalancer(t, s.env(t, newGatedTransport()), sharingDocument(other))

	// The step looks up its attachment after it selected the subnet and
	// created its NAT firewall rule, and then waits before the insert
	// until the teardown is over.
	transport := newGatedTransport()
	teardownDone := make(chan struct{})
	transport.gates[insertAttachment] = teardownDone
	lookedUp := transport.signal("GET serviceAttachments/" + otherNames.ServiceAttachment)
	step := s.startServiceAttachmentStep(t, doc, transport)
	select {
	case <-lookedUp:
	case result := <-step:
		t.Fatalf("service attachment step of %s ended before its insert: %v", other, result.err)
	}

	out, err := teardown(t.Context(), s.env(t, newGatedTransport()), creator)
	close(teardownDone)
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != workflow.Kept {
		t.Errorf("teardown of %s: subnet %q (%s), want %q", creator, out.Action, out.Reason, workflow.Kept)
	}
	if !s.server.HasSubnetwork(sharedSubnetPath) {
		t.Errorf("teardown of %s deleted the subnet that %s selected", creator, other)
	}

	result := <-step
	if result.err != nil {
		t.Fatalf("service attachment step of %s: %v", other, result.err)
	}
	last, err := teardown(t.Context(), s.env(t, newGatedTransport()), other)
	if err != nil {
		t.Fatal(err)
	}
	if last.Action != workflow.Deleted {
		t.Errorf("teardown of %s: subnet %q (%s), want %q", other, last.Action, last.Reason, workflow.Deleted)
	}
}

// TestSharedPSCSubnetDeletedBeforeMark tears down the request that created
// the subnet after the other request's service attachment step selected
// the subnet and before it created its NAT firewall rule, which is what
// marks it as a user. The step then returns NotReady, and its retry
// creates the subnet again.
func TestSharedPSCSubnetDeletedBeforeMark(t *testing.T) {
	creator, other := sharingRequests[0], sharingRequests[1]
	otherNames := gcproute.NamesFor(request.Request{ID: other})
	insertRule := "POST " + firewallsPath

	s := newSharedSubnetSim(t, false)
	s.provision(t, s.env(t, newGatedTransport()), sharingDocument(creator))
	doc := s.buildLoadBalancer(t, s.env(t, newGatedTransport()), sharingDocument(other))

	transport := newGatedTransport()
	teardownDone := make(chan struct{})
	transport.gates[insertRule] = teardownDone
	lookedUp := transport.signal("GET " + firewallsPath + "/" + otherNames.NATFirewall)
	step := s.startServiceAttachmentStep(t, doc, transport)
	select {
	case <-lookedUp:
	case result := <-step:
		t.Fatalf("service attachment step of %s ended before its firewall rule: %v", other, result.err)
	}

	out, err := teardown(t.Context(), s.env(t, newGatedTransport()), creator)
	close(teardownDone)
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != workflow.Deleted {
		t.Fatalf("teardown of %s: subnet %q (%s), want %q", creator, out.Action, out.Reason, workflow.Deleted)
	}

	result := <-step
	if got := workflow.NameOf(result.err); got != workflow.ErrNotReady {
		t.Fatalf("service attachment step of %s after the subnet was deleted = %v, want NotReady", other, result.err)
	}
	retry := <-s.startServiceAttachmentStep(t, doc, newGatedTransport())
	if retry.err != nil {
		t.Fatalf("retried service attachment step of %s: %v", other, retry.err)
	}
	if retry.out.Action != workflow.Created {
		t.Errorf("retried service attachment step of %s: action %q, want %q", other, retry.out.Action, workflow.Created)
	}
	if !s.server.HasSubnetwork(sharedSubnetPath) {
		t.Errorf("subnet %s missing after the retried step", sharedSubnetPath)
	}

	last, err := teardown(t.Context(), s.env(t, newGatedTransport()), other)
	if err != nil {
		t.Fatal(err)
	}
	if last.Action != workflow.Deleted {
		t.Errorf("teardown of %s: subnet %q (%s), want %q", other, last.Action, last.Reason, workflow.Deleted)
	}
}
