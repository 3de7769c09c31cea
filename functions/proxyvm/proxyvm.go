// Package proxyvm launches the proxy VM that runs the TLS-passthrough nginx
// stream proxy in front of the package index, or adopts the one that exists.
package proxyvm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the launched or adopted instance.
type Output = workflow.ProxyVM

// ProxyPort is the port that the proxy listens on and the load balancer
// forwards to.
const ProxyPort = 443

// HealthPort is the proxy's plain HTTP health port.
const HealthPort = 8080

// SkipReason is the reason that a proxy VM step reports when the request
// sets proxy to none, and so gets no proxy VM.
const SkipReason = `proxy is "none"`

// Run finds the proxy instance of the request, launches it when absent, and
// returns NotReady until it is running. With proxy none the load balancer
// targets the repository itself, so Run reports skipped, with no ID because
// it launches nothing, and SkipReason as the reason.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if Direct(req) {
		return Output{Result: workflow.Result{Action: workflow.Skipped, Reason: SkipReason}}, nil
	}
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}

	hosts, err := ProxyHosts(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return Output{}, err
	}
	inst, err := network.FindInstance(ctx, req.ID, names.ProxyVM)
	if err != nil {
		return Output{}, fmt.Errorf("find proxy instance %s: %w", names.ProxyVM, err)
	}
	if inst == nil {
		// The VPC check comes before the launch, because the target
		// group step would reject an instance outside aws.vpc_id only
		// after it is running.
		if err := awszones.CheckVPC(ctx, network, *req.AWS, in.Execution); err != nil {
			return Output{}, err
		}
		image, err := LaunchImage(ctx, network, *req.AWS)
		if err != nil {
			return Output{}, err
		}
		if err := CheckSecurityGroups(ctx, network, *req.AWS, in.Execution); err != nil {
			return Output{}, err
		}
		userData, err := UserData(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes, req.AWS.Upstream, env.ProxyResolver)
		if err != nil {
			return Output{}, err
		}
		launched, err := launch(ctx, network, cloud.InstanceSpec{
			Name:             names.ProxyVM,
			RequestID:        req.ID,
			SubnetID:         req.AWS.SubnetIDs[0],
			InstanceType:     req.AWS.InstanceType,
			ImageID:          image,
			SecurityGroupIDs: req.AWS.SecurityGroupIDs,
			UserData:         userData,
			ClientToken:      names.ClientToken + "-vm-" + in.Execution,
			Tags:             launchTags(in.Execution, AWSSettings(req, hosts)),
		})
		if err != nil {
			return Output{}, err
		}
		inst = &launched
	}
	if err := CheckSettings(inst.ID, in.Execution, inst.Tags, AWSSettings(req, hosts)); err != nil {
		return Output{}, err
	}

	switch strings.ToLower(inst.State) {
	case "running":
	case "pending", "":
		return Output{}, workflow.NotReady("proxy instance %s is %s; waiting for running", inst.ID, orUnknown(inst.State))
	default:
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"proxy instance %s is %s; start it again or terminate it so that a new one is launched", inst.ID, inst.State)
	}
	return Output{
		Result:    workflow.Result{Action: workflow.ActionFor(inst.Tags, in.Execution), ID: inst.ID},
		PrivateIP: inst.PrivateIP,
	}, nil
}

// launchTags returns the tags of a new proxy instance: the execution and
// the settings that CheckSettings compares on later runs.
func launchTags(execution string, settings []Setting) map[string]string {
	tags := SettingsTags(settings)
	tags[cloud.TagExecution] = execution
	return tags
}

// AWSSettings returns the settings that a proxy instance records for req,
// whose TLS server names are hosts.
func AWSSettings(req request.Request, hosts []string) []Setting {
	return append(Settings("$.aws.upstream", req.AWS.Upstream, hosts),
		Setting{Field: "$.aws.instance_type", Tag: TagMachine, Value: req.AWS.InstanceType},
		Setting{Field: "$.aws.image_id", Tag: TagImage, Value: req.AWS.ImageID})
}

// maxLaunches bounds how many instances one step launches when each one
// that a client token returns has terminated already.
const maxLaunches = 5

// launch runs the proxy instance with the spec's client token and returns
// an instance that is not terminated. For a repeated client token, EC2
// returns the instance that the token launched first, also after that
// instance terminated, such as after a teardown followed by a redrive. A
// terminated instance never runs again, so launch then uses a token derived
// from the terminated instance's ID. A retried step derives the same tokens
// and gets the same new instance.
func launch(ctx context.Context, network cloud.AWSNetwork, spec cloud.InstanceSpec) (cloud.Instance, error) {
	var terminatedIDs []string
	for range maxLaunches {
		inst, err := network.RunInstance(ctx, spec)
		if err != nil {
			return cloud.Instance{}, launchError(spec, err)
		}
		if !terminated(inst.State) {
			return inst, nil
		}
		terminatedIDs = append(terminatedIDs, inst.ID)
		spec.ClientToken = nextClientToken(spec.ClientToken, inst.ID)
	}
	return cloud.Instance{}, workflow.Errorf(workflow.ErrConflict,
		"every proxy instance that %d launches of %s returned is terminated (%s); find what terminates them, then redrive",
		maxLaunches, spec.Name, strings.Join(terminatedIDs, ", "))
}

// launchError names the request fields of a launch that EC2 rejects,
// because the EC2 error names only the IDs. A run that changes the
// security group list is rejected while the resources of the run that the
// spec's execution tag names exist, so that message ends with the teardown
// that must come first. EC2 rejects an image and instance type of
// different architectures, and a resolve:ssm: parameter that does not
// exist, with InvalidParameterValue, so any other invalid launch names
// $.aws.image_id and $.aws.instance_type.
func launchError(spec cloud.InstanceSpec, err error) error {
	switch {
	case errors.Is(err, cloud.ErrInvalidImage):
		return workflow.Invalid("$.aws.image_id %q is not an image that EC2 can launch in $.aws.region: %v. "+
			"Set $.aws.image_id to an image ID of that region, or leave it out for the newest Amazon Linux 2023", spec.ImageID, err)
	case errors.Is(err, cloud.ErrInvalidSecurityGroup):
		return workflow.Invalid("$.aws.security_group_ids %s names a security group that EC2 does not find: %v. "+
			"List security groups of $.aws.vpc_id in $.aws.region%s",
			strings.Join(spec.SecurityGroupIDs, ", "), err, workflow.PlacementChangeNote("$.aws.security_group_ids", spec.Tags[cloud.TagExecution]))
	case workflow.NameOf(err) == workflow.ErrInvalidRequest:
		return workflow.Invalid("EC2 rejected the proxy instance %s with $.aws.image_id %q and $.aws.instance_type %s: %v. "+
			"Set $.aws.image_id to an image that exists in $.aws.region and is built for the architecture of $.aws.instance_type, "+
			"or leave it out for the newest Amazon Linux 2023", spec.Name, spec.ImageID, spec.InstanceType, err)
	}
	return fmt.Errorf("launch proxy instance %s: %w", spec.Name, err)
}

// terminated reports whether an instance state is one that never runs
// again.
func terminated(state string) bool {
	switch strings.ToLower(state) {
	case "shutting-down", "terminated":
		return true
	}
	return false
}

// nextClientToken returns the client token for a launch that replaces the
// terminated instance that token launched. It stays within the 64
// characters that EC2 allows.
func nextClientToken(token, terminatedID string) string {
	sum := sha256.Sum256([]byte(token + "\x00" + terminatedID))
	return "repolink-vm-" + hex.EncodeToString(sum[:16])
}

// Direct reports whether the request has no proxy VM: proxy none, where the
// repository runs inside the VPC at aws.target_address.
func Direct(req request.Request) bool {
	return req.AWS != nil && strings.EqualFold(req.AWS.Proxy, "none")
}

// UserData renders the proxy VM's boot script for the index host and the
// hosts of the extra allowed prefixes.
func UserData(indexURL string, extraPrefixes []string, upstream, resolver string) (string, error) {
	hosts, err := ProxyHosts(indexURL, extraPrefixes)
	if err != nil {
		return "", err
	}
	return proxy.UserDataAL2023(proxy.Config{
		Listen:         ProxyPort,
		Hosts:          hosts,
		Upstream:       upstream,
		Resolver:       resolver,
		ResolverValid:  30 * time.Second,
		HealthPort:     HealthPort,
		ConnectTimeout: 10 * time.Second,
		Timeout:        5 * time.Minute,
	})
}

// ProxyHosts returns the TLS server names that the proxy lets through: the
// index host and the hosts of any extra allowed prefixes.
func ProxyHosts(indexURL string, extraPrefixes []string) ([]string, error) {
	var hosts []string
	for _, raw := range append([]string{indexURL}, extraPrefixes...) {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return nil, workflow.Invalid("invalid URL in the request: fix $.repository.index_url or $.repository.extra_allowed_prefixes")
		}
		host := strings.ToLower(u.Hostname())
		if !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	return hosts, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "not visible yet"
	}
	return s
}
