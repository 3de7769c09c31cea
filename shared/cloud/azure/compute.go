package azure

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// FindVM returns the VM, or (nil, nil) when it does not exist.
func (p *Provider) FindVM(ctx context.Context, resourceGroup, name string) (*cloud.AzureVM, error) {
	resp, err := p.vms.Get(ctx, resourceGroup, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get virtual machine %s in resource group %s", name, resourceGroup)
	}
	vm := vmOf(resp.VirtualMachine)
	return &vm, nil
}

// CreateVM creates the VM with the cloud-init document as custom data and
// waits for it. The SDK sends custom data as given, so it is base64-encoded
// here as Resource Manager requires. Password login is always disabled.
func (p *Provider) CreateVM(ctx context.Context, spec cloud.AzureVMSpec) (cloud.AzureVM, error) {
	image, err := imageReference(spec.Image)
	if err != nil {
		return cloud.AzureVM{}, err
	}
	linux := &armcompute.LinuxConfiguration{DisablePasswordAuthentication: to(true)}
	if spec.SSHPublicKey != "" {
		linux.SSH = &armcompute.SSHConfiguration{PublicKeys: []*armcompute.SSHPublicKey{{
			KeyData: to(spec.SSHPublicKey),
			Path:    to("/home/" + spec.AdminUsername + "/.ssh/authorized_keys"),
		}}}
	}
	vm := armcompute.VirtualMachine{
		Location: to(spec.Location),
		Tags:     tagsFor(spec.RequestID, spec.Tags),
		Properties: &armcompute.VirtualMachineProperties{
			HardwareProfile: &armcompute.HardwareProfile{VMSize: to(armcompute.VirtualMachineSizeTypes(spec.Size))},
			NetworkProfile: &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{
				ID:         to(spec.NetworkInterfaceID),
				Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to(true)},
			}}},
			OSProfile: &armcompute.OSProfile{
				AdminUsername:      to(spec.AdminUsername),
				ComputerName:       to(spec.Name),
				CustomData:         to(base64.StdEncoding.EncodeToString([]byte(spec.CustomData))),
				LinuxConfiguration: linux,
			},
			StorageProfile: &armcompute.StorageProfile{
				ImageReference: image,
				OSDisk: &armcompute.OSDisk{
					CreateOption: to(armcompute.DiskCreateOptionTypesFromImage),
					ManagedDisk:  &armcompute.ManagedDiskParameters{StorageAccountType: to(armcompute.StorageAccountTypesStandardLRS)},
					DeleteOption: to(armcompute.DiskDeleteOptionTypesDelete),
				},
			},
		},
	}
	poller, err := p.vms.BeginCreateOrUpdate(ctx, spec.ResourceGroup, spec.Name, vm, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return cloud.AzureVM{}, classify(err, "create virtual machine %s in resource group %s", spec.Name, spec.ResourceGroup)
	}
	return vmOf(done.VirtualMachine), nil
}

// imageReference returns the image of a marketplace URN
// publisher:offer:sku:version or of an image resource ID. Request
// validation rejects other forms, so the error here is for documents that
// skipped it.
func imageReference(image string) (*armcompute.ImageReference, error) {
	if msg := request.AzureImageError(image); msg != "" {
		return nil, workflow.Invalid("azure: $.azure.image %s", msg)
	}
	if request.IsAzureImageID(image) {
		return &armcompute.ImageReference{ID: to(image)}, nil
	}
	parts := strings.Split(image, ":")
	return &armcompute.ImageReference{
		Publisher: to(parts[0]),
		Offer:     to(parts[1]),
		SKU:       to(parts[2]),
		Version:   to(parts[3]),
	}, nil
}

func vmOf(vm armcompute.VirtualMachine) cloud.AzureVM {
	out := cloud.AzureVM{ID: str(vm.ID), Name: str(vm.Name), Tags: tagsOf(vm.Tags)}
	props := vm.Properties
	if props == nil {
		return out
	}
	out.ProvisioningState = str(props.ProvisioningState)
	if profile := props.OSProfile; profile != nil {
		out.AdminUsername = str(profile.AdminUsername)
		if linux := profile.LinuxConfiguration; linux != nil && linux.SSH != nil {
			for _, key := range linux.SSH.PublicKeys {
				if key != nil {
					out.SSHPublicKeys = append(out.SSHPublicKeys, str(key.KeyData))
				}
			}
		}
	}
	if props.NetworkProfile != nil {
		for _, nic := range props.NetworkProfile.NetworkInterfaces {
			if nic != nil {
				out.NetworkInterfaceIDs = append(out.NetworkInterfaceIDs, str(nic.ID))
			}
		}
	}
	return out
}
