// Package azureproxyvm creates the Azure proxy VM that runs the
// TLS-passthrough nginx stream proxy in front of the package index, with its
// network interface, or adopts the ones that exist.
package azureproxyvm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the created or adopted VM and its private address.
type Output = workflow.ProxyVM

// Run finds the proxy VM of the request, creates its network interface and
// the VM when absent, and returns NotReady until the VM has provisioned.
// With proxy none it creates nothing and reports the repository's address.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	az := req.Azure
	if az.Proxy == "none" {
		return Output{Result: workflow.Result{Action: workflow.Skipped, Reason: proxyvm.SkipReason}, PrivateIP: az.TargetAddress}, nil
	}
	// Check the image before the network interface is created, so that a
	// document that skipped request validation leaves nothing behind.
	if msg := request.AzureImageError(az.Image); msg != "" {
		return Output{}, workflow.Invalid("$.azure.image %s", msg)
	}
	names := azureroute.NamesFor(req)
	tags := map[string]string{cloud.TagExecution: in.Execution}

	nic, err := network.FindNetworkInterface(ctx, az.ResourceGroup, names.NetworkInterface)
	if err != nil {
		return Output{}, fmt.Errorf("find network interface %s: %w", names.NetworkInterface, err)
	}
	if nic == nil {
		created, err := network.CreateNetworkInterface(ctx, cloud.AzureNetworkInterfaceSpec{
			ResourceGroup: az.ResourceGroup,
			Location:      az.Location,
			Name:          names.NetworkInterface,
			RequestID:     req.ID,
			SubnetID:      azureroute.SubnetID(az, az.SubnetName),
			Tags:          tags,
		})
		if err != nil {
			return Output{}, createError(err, in.Execution, fmt.Sprintf("create network interface %s", names.NetworkInterface), az)
		}
		nic = &created
	}
	if err := azureroute.CheckOwner("network interface", nic.ID, nic.Tags, req.ID); err != nil {
		return Output{}, err
	}

	hosts, err := proxyvm.ProxyHosts(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return Output{}, err
	}
	vm, err := network.FindVM(ctx, az.ResourceGroup, names.VM)
	if err != nil {
		return Output{}, fmt.Errorf("find proxy VM %s: %w", names.VM, err)
	}
	if vm == nil {
		customData, err := CustomData(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes, az.Upstream)
		if err != nil {
			return Output{}, err
		}
		created, err := network.CreateVM(ctx, cloud.AzureVMSpec{
			ResourceGroup:      az.ResourceGroup,
			Location:           az.Location,
			Name:               names.VM,
			RequestID:          req.ID,
			NetworkInterfaceID: nic.ID,
			Size:               az.VMSize,
			Image:              az.Image,
			AdminUsername:      az.AdminUsername,
			SSHPublicKey:       az.SSHPublicKey,
			CustomData:         customData,
			Tags:               vmTags(tags, settings(az, hosts)),
		})
		if err != nil {
			return Output{}, createError(err, in.Execution, fmt.Sprintf("create proxy VM %s", names.VM), az)
		}
		vm = &created
	}
	if err := azureroute.CheckOwner("VM", vm.ID, vm.Tags, req.ID); err != nil {
		return Output{}, err
	}
	if err := proxyvm.CheckSettings(vm.ID, in.Execution, vm.Tags, settings(az, hosts)); err != nil {
		return Output{}, err
	}
	if err := checkLogin(vm, az, in.Execution); err != nil {
		return Output{}, err
	}
	if err := azureroute.Progress("proxy VM", vm.ID, vm.ProvisioningState); err != nil {
		return Output{}, err
	}
	return Output{
		Result: workflow.Result{
			Action:  workflow.ActionFor(vm.Tags, in.Execution),
			ID:      vm.ID,
			Related: []workflow.Result{{Action: workflow.ActionFor(nic.Tags, in.Execution), ID: nic.ID}},
		},
		PrivateIP: nic.PrivateIP,
	}, nil
}

// vmTags returns the tags of a new proxy VM: tags and the settings that
// proxyvm.CheckSettings compares on later runs.
func vmTags(tags map[string]string, settings []proxyvm.Setting) map[string]string {
	out := proxyvm.SettingsTags(settings)
	maps.Copy(out, tags)
	return out
}

// settings returns the settings that the proxy VM records.
func settings(az *request.Azure, hosts []string) []proxyvm.Setting {
	return append(proxyvm.Settings("$.azure.upstream", az.Upstream, hosts),
		proxyvm.Setting{Field: "$.azure.vm_size", Tag: proxyvm.TagMachine, Value: az.VMSize},
		proxyvm.Setting{Field: "$.azure.image", Tag: proxyvm.TagImage, Value: az.Image})
}

// CustomData renders the proxy VM's cloud-init document for the index host
// and the hosts of the extra allowed prefixes, with the virtual network's
// DNS server as nginx's resolver.
func CustomData(indexURL string, extraPrefixes []string, upstream string) (string, error) {
	hosts, err := proxyvm.ProxyHosts(indexURL, extraPrefixes)
	if err != nil {
		return "", err
	}
	return proxy.CloudInit(proxy.Config{
		Listen:         proxyvm.ProxyPort,
		Hosts:          hosts,
		Upstream:       upstream,
		Resolver:       azureroute.Resolver,
		ResolverValid:  30 * time.Second,
		HealthPort:     proxyvm.HealthPort,
		ConnectTimeout: 10 * time.Second,
		Timeout:        5 * time.Minute,
	})
}

// Resource Manager error codes that name the request field at fault.
// azureroute.LocationRejected checks the codes for an unknown location,
// which come before any resource is created, so they also cover the
// network interface.
var (
	sizeCodes  = map[string]bool{"SkuNotAvailable": true, "InvalidVMSize": true}
	imageCodes = map[string]bool{"PlatformImageNotFound": true, "ImageNotFound": true, "InvalidImageReference": true}
)

// targetFields maps the last part of a Resource Manager error target, such
// as vmSize in hardwareProfile.vmSize, to the azure block field that sets
// it. Resource Manager sends a target with some InvalidParameter errors.
var targetFields = map[string]string{
	"location":       "location",
	"vmsize":         "vm_size",
	"imagereference": "image",
	"adminusername":  "admin_username",
	"publickeys":     "ssh_public_key",
	"keydata":        "ssh_public_key",
}

// createError wraps the failure of action, a create call of this step,
// with the request field that its Resource Manager error code or target
// points to. repolink rejects a run that changes azure.location while this
// run's resources exist, so a location failure advises a teardown first. An
// error that points to no one field names every proxy VM field.
func createError(err error, execution, action string, az *request.Azure) error {
	field := fieldOf(err)
	switch field {
	case "location":
		return fmt.Errorf("%s in $.azure.location %q: %w. %s", action, az.Location, err, workflow.PlacementChangeFix("$.azure.location", execution))
	case "vm_size":
		return fmt.Errorf("%s with $.azure.vm_size %q: %w; set $.azure.vm_size to a size that the location offers", action, az.VMSize, err)
	case "image":
		return fmt.Errorf("%s with $.azure.image %q: %w", action, az.Image, err)
	case "admin_username", "ssh_public_key":
		return fmt.Errorf("%s with $.azure.%s: %w", action, field, err)
	}
	return fmt.Errorf("%s in $.azure.location %q with $.azure.vm_size %q and $.azure.image %q: %w", action, az.Location, az.VMSize, az.Image, err)
}

// fieldOf returns the azure block field that the error code or the error
// target of err points to, or "".
func fieldOf(err error) string {
	if azureroute.LocationRejected(err) {
		return "location"
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		code := coded.ErrorCode()
		switch {
		case sizeCodes[code]:
			return "vm_size"
		case imageCodes[code]:
			return "image"
		}
	}
	var targeted interface{ ErrorTarget() string }
	if !errors.As(err, &targeted) {
		return ""
	}
	target := strings.ToLower(targeted.ErrorTarget())
	// Any part of the image reference, such as
	// storageProfile.imageReference.sku, comes from azure.image.
	if strings.Contains(target, "imagereference") {
		return "image"
	}
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		target = target[i+1:]
	}
	// A target such as publicKeys[0].keyData has an index in one part.
	target, _, _ = strings.Cut(target, "[")
	return targetFields[target]
}
