// Package targetgroup creates the TCP target group with an explicit TCP
// health check and registers the proxy VM in it, or the repository itself
// when the request has no proxy.
package targetgroup

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the target group with the proxy registered.
type Output = workflow.TargetGroup

// Run finds or creates the target group and registers the proxy instance,
// or with proxy none the repository's IP address, in a group of type ip.
// Health is checked by the load balancer step, since a target group that no
// listener uses reports its targets as unused.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	target, err := targetFor(in)
	if err != nil {
		return Output{}, err
	}
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}

	tg, err := network.FindTargetGroup(ctx, names.TargetGroup)
	if err != nil {
		return Output{}, fmt.Errorf("find target group %s: %w", names.TargetGroup, err)
	}
	if tg == nil {
		if err := awszones.CheckVPC(ctx, network, *req.AWS, in.Execution); err != nil {
			return Output{}, err
		}
		created, err := network.CreateTargetGroup(ctx, cloud.TargetGroupSpec{
			Name:       names.TargetGroup,
			RequestID:  req.ID,
			VPCID:      req.AWS.VPCID,
			Port:       target.port,
			TargetType: target.kind,
			Tags:       map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, fmt.Errorf("create target group %s: %w", names.TargetGroup, err)
		}
		tg = &created
	}
	if tg.HealthCheckProtocol != "" && !strings.EqualFold(tg.HealthCheckProtocol, "TCP") {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"target group %s checks health over %s, which fails against a TLS passthrough port; delete it so that a TCP-checked one is created",
			tg.ARN, tg.HealthCheckProtocol)
	}
	if tg.TargetType != "" && !strings.EqualFold(tg.TargetType, target.kind) {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"target group %s has targets of type %s, but $.aws.proxy %s needs type %s; delete it so that one of the right type is created",
			tg.ARN, tg.TargetType, req.AWS.Proxy, target.kind)
	}
	if err := checkProxyProtocol(ctx, network, tg.ARN); err != nil {
		return Output{}, err
	}

	changed, err := reconcileTargets(ctx, network, tg, target)
	if err != nil {
		return Output{}, err
	}
	action := workflow.ActionFor(tg.Tags, in.Execution)
	if changed && action == workflow.Adopted {
		action = workflow.Updated
	}
	return Output{Result: workflow.Result{Action: action, ID: tg.ARN}}, nil
}

// attrProxyProtocol is on when its value is "true". The load balancer then
// sends a PROXY protocol v2 header before the client's bytes. Neither the
// nginx stream proxy, which reads the server name from the TLS ClientHello,
// nor a repository registered directly accepts that header.
const attrProxyProtocol = "proxy_protocol_v2.enabled"

// checkProxyProtocol returns a Conflict when the target group has PROXY
// protocol v2 turned on, because TLS passthrough needs the client's bytes
// unchanged. A new group has it off.
func checkProxyProtocol(ctx context.Context, network cloud.AWSNetwork, arn string) error {
	attrs, err := network.TargetGroupAttributes(ctx, arn)
	if err != nil {
		return fmt.Errorf("read attributes of target group %s: %w", arn, err)
	}
	if strings.EqualFold(attrs[attrProxyProtocol], "true") {
		return workflow.Errorf(workflow.ErrConflict,
			"target group %s has %s=true, so the load balancer sends a PROXY protocol header that breaks TLS passthrough; set it to false, or delete the group so that one without it is created, then redrive",
			arn, attrProxyProtocol)
	}
	return nil
}

// reconcileTargets registers target and deregisters the target that an
// earlier run recorded in the group's repolink:target tag, when the request
// no longer names it. It then records target in the tag. Targets that the
// tag does not name were registered by someone else and stay. It reports
// whether it registered or deregistered a target.
//
// A group without the tag, such as one that a version before the tag made,
// has no record to tell repolink's targets from others. When such a group
// has targets besides the requested one, reconcileTargets records the
// requested target and returns a Conflict that names the other targets, so
// that a person decides which of them go.
func reconcileTargets(ctx context.Context, network cloud.AWSNetwork, tg *cloud.TargetGroup, want target) (bool, error) {
	health, err := network.TargetHealth(ctx, tg.ARN)
	if err != nil {
		return false, fmt.Errorf("read the targets of target group %s: %w", tg.ARN, err)
	}
	wantKey := want.key()
	recorded, hasRecord := tg.Tags[cloud.TagTarget]

	changed := false
	if !Registered(health, wantKey) {
		if err := network.RegisterTarget(ctx, tg.ARN, want.id, want.port); err != nil {
			return false, fmt.Errorf("register %s in target group %s: %w", wantKey, tg.ARN, err)
		}
		changed = true
	}
	if hasRecord && recorded != wantKey && Registered(health, recorded) {
		id, port, err := splitKey(recorded)
		if err != nil {
			return false, workflow.Errorf(workflow.ErrConflict,
				"target group %s has the tag %s=%q, which is not ID:port; correct or remove the tag and run again", tg.ARN, cloud.TagTarget, recorded)
		}
		if err := network.DeregisterTarget(ctx, tg.ARN, id, port); err != nil {
			return false, fmt.Errorf("deregister %s, which the request no longer names, from target group %s: %w", recorded, tg.ARN, err)
		}
		changed = true
	}
	if recorded != wantKey {
		if err := network.TagTargetGroup(ctx, tg.ARN, map[string]string{cloud.TagTarget: wantKey}); err != nil {
			return false, fmt.Errorf("record target %s on target group %s: %w", wantKey, tg.ARN, err)
		}
	}
	if !hasRecord {
		if others := Unrecorded(health, wantKey, ""); len(others) > 0 {
			return false, workflow.Errorf(workflow.ErrConflict,
				"target group %s also routes to %s, and has no %s tag to tell whether repolink registered them; "+
					"deregister those that should no longer receive traffic and run again, because the next run keeps the others",
				tg.ARN, strings.Join(others, ", "), cloud.TagTarget)
		}
	}
	return changed, nil
}

// CheckDeleted returns a Conflict when the target group arn, which the
// target_group step returned earlier in the execution, no longer exists
// under name, such as after a teardown between a failed run and its redrive.
// Waiting does not bring it back, because later steps keep using arn. It
// returns nil when the group still exists with arn, so that the caller
// keeps its own error, such as a NotReady while a new group becomes
// visible.
func CheckDeleted(ctx context.Context, network cloud.AWSNetwork, name, arn string) error {
	tg, err := network.FindTargetGroup(ctx, name)
	if err != nil || (tg != nil && tg.ARN == arn) {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict,
		"target group %s, which the target_group step of this execution returned, no longer exists, such as after a teardown; "+
			"a redrive keeps using it, so start a new run of the request, whose target_group step creates the group again", arn)
}

// Registered reports whether health lists the target with key ID:port.
func Registered(health []cloud.TargetHealth, key string) bool {
	for _, h := range health {
		if targetKey(h.ID, h.Port) == key {
			return true
		}
	}
	return false
}

// Unrecorded returns the targets of health, as ID:port, other than want and
// recorded, leaving out targets that are draining after a deregistration.
func Unrecorded(health []cloud.TargetHealth, want, recorded string) []string {
	var others []string
	for _, h := range health {
		key := targetKey(h.ID, h.Port)
		if key == want || key == recorded || strings.EqualFold(h.State, "draining") {
			continue
		}
		others = append(others, key)
	}
	return others
}

func targetKey(id string, port int) string { return id + ":" + strconv.Itoa(port) }

// splitKey parses an ID:port key. The ID is an instance ID or an IPv4
// address, so the last colon separates the port.
func splitKey(key string) (string, int, error) {
	i := strings.LastIndex(key, ":")
	if i <= 0 {
		return "", 0, fmt.Errorf("no port in %q", key)
	}
	port, err := strconv.Atoi(key[i+1:])
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q", key)
	}
	return key[:i], port, nil
}

// target is the endpoint that the load balancer forwards to.
type target struct {
	kind string // instance or ip
	id   string
	port int
}

// key returns the target as ID:port, the form of the repolink:target tag.
func (t target) key() string { return targetKey(t.id, t.port) }

// RequestedTarget returns, as ID:port, the target that a run registers for req:
// the proxy instance instanceID, or with proxy none the repository's
// address. Plan uses it to compare with the registered targets.
func RequestedTarget(req request.Request, instanceID string) (string, error) {
	vm := &workflow.ProxyVM{Result: workflow.Result{ID: instanceID}}
	t, err := targetFor(workflow.Document{Request: req, Resources: workflow.Resources{ProxyVM: vm}})
	if err != nil {
		return "", err
	}
	return t.key(), nil
}

// targetFor returns the proxy instance on the proxy port, or with proxy none
// the repository's address on the port of aws.upstream, or on the proxy port
// when aws.upstream is absent.
func targetFor(in workflow.Document) (target, error) {
	req := in.Request
	if !proxyvm.Direct(req) {
		vm := in.Resources.ProxyVM
		if vm == nil || vm.ID == "" {
			return target{}, workflow.Invalid("target group needs the proxy VM; run the proxy_vm step first")
		}
		return target{kind: "instance", id: vm.ID, port: proxyvm.ProxyPort}, nil
	}
	if req.AWS.TargetAddress == "" {
		return target{}, workflow.Invalid("$.aws.proxy none needs $.aws.target_address, the repository's private IPv4 address")
	}
	if req.AWS.Upstream == "" {
		return target{kind: "ip", id: req.AWS.TargetAddress, port: proxyvm.ProxyPort}, nil
	}
	_, portText, err := net.SplitHostPort(req.AWS.Upstream)
	port, convErr := strconv.Atoi(portText)
	if err != nil || convErr != nil || port < 1 || port > 65535 {
		return target{}, workflow.Invalid("$.aws.upstream %q has no valid port; use host:port, such as pypi.corp.example.com:443, or leave it out for port 443", req.AWS.Upstream)
	}
	return target{kind: "ip", id: req.AWS.TargetAddress, port: port}, nil
}
