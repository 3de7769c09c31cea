package azuresim

import (
	"net/http"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/repolink/repolink/shared/request"
)

// checkVMLogin checks the login settings of a VM PUT as the Compute API
// does. A new VM needs an administrator name and SSH public keys that pass
// the request checks of azure.admin_username and azure.ssh_public_key. An update
// must keep the administrator and the SSH public keys, because the API
// sets both only when it creates the VM. An update that leaves them out
// keeps the VM's own, which keepVMLogin copies into vm.
//
// NOTE: the real API may accept some names that the request check rejects,
// such as one that ends with '.', because its reference states no character
// set for Linux administrator names.
func checkVMLogin(id string, vm armcompute.VirtualMachine, existing *Resource) error {
	profile := vm.Properties.OSProfile
	if existing == nil {
		if profile == nil || profile.AdminUsername == nil {
			return nil
		}
		if !request.ValidAzureAdminUsername(*profile.AdminUsername) {
			return invalid("The Admin Username specified is not allowed.")
		}
		for _, key := range publicKeys(profile) {
			if request.CheckAzureSSHPublicKey(key) != nil {
				return invalid("The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.")
			}
		}
		return nil
	}

	old, err := decode[armcompute.VirtualMachine](existing)
	if err != nil || old.Properties == nil || old.Properties.OSProfile == nil || profile == nil {
		return nil
	}
	oldProfile := old.Properties.OSProfile
	if profile.AdminUsername != nil && str(profile.AdminUsername) != str(oldProfile.AdminUsername) {
		return propertyChangeNotAllowed("adminUsername", id)
	}
	if profile.LinuxConfiguration != nil && profile.LinuxConfiguration.SSH != nil &&
		!slices.Equal(publicKeys(profile), publicKeys(oldProfile)) {
		return propertyChangeNotAllowed("linuxConfiguration.ssh.publicKeys", id)
	}
	keepVMLogin(profile, oldProfile)
	return nil
}

// keepVMLogin copies the administrator and the SSH configuration of old
// into profile where an update leaves them out.
func keepVMLogin(profile, old *armcompute.OSProfile) {
	if profile.AdminUsername == nil {
		profile.AdminUsername = old.AdminUsername
	}
	if old.LinuxConfiguration == nil || old.LinuxConfiguration.SSH == nil {
		return
	}
	if profile.LinuxConfiguration == nil {
		profile.LinuxConfiguration = &armcompute.LinuxConfiguration{}
	}
	if profile.LinuxConfiguration.SSH == nil {
		profile.LinuxConfiguration.SSH = old.LinuxConfiguration.SSH
	}
}

// propertyChangeNotAllowed is the error that Resource Manager returns for
// an update that changes a property which is fixed at creation.
func propertyChangeNotAllowed(property, id string) *apiError {
	return errorf(http.StatusConflict, "PropertyChangeNotAllowed",
		"Changing property '%s' is not allowed on virtual machine %s.", property, id)
}

// publicKeys returns the key data of the SSH public keys in profile.
func publicKeys(profile *armcompute.OSProfile) []string {
	var keys []string
	if profile.LinuxConfiguration == nil || profile.LinuxConfiguration.SSH == nil {
		return keys
	}
	for _, key := range profile.LinuxConfiguration.SSH.PublicKeys {
		if key != nil {
			keys = append(keys, str(key.KeyData))
		}
	}
	return keys
}
