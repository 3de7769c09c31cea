package request

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxAzureAdminUsername is the maximum length of a Linux VM's
// administrator name in the Compute API (OSProfile.adminUsername).
const maxAzureAdminUsername = 64

// reservedAzureAdminUsernames are the administrator names that the Compute
// API reference for OSProfile.adminUsername lists as disallowed values. The
// API rejects them when it creates the VM.
var reservedAzureAdminUsernames = []string{
	"administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a",
	"actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
	"server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5",
}

// azureAdminUsername checks azure.admin_username against the rules that
// the Compute API states for Linux VMs: 1 to 64 characters and none of the
// disallowed values. It runs at load, because the API checks the name only
// when the VM is created, after the network interface exists.
//
// NOTE: the API reference lists the disallowed values in lower case. This
// check also rejects their upper-case forms, such as Admin, which the
// reference does not mention.
func (v *validator) azureAdminUsername(name string) {
	const path = "$.azure.admin_username"
	if !v.printable(path, name, "remove it") {
		return
	}
	switch {
	case strings.TrimSpace(name) == "":
		v.add(path, "is empty or only whitespace; set a user name such as "+DefaultAzureAdmin+", or remove the field to use it")
	case utf8.RuneCountInString(name) > maxAzureAdminUsername:
		v.add(path, fmt.Sprintf("is %d characters long; Azure accepts at most %d for a Linux VM, so use a shorter user name",
			utf8.RuneCountInString(name), maxAzureAdminUsername))
	case ReservedAzureAdminUsername(name):
		v.add(path, fmt.Sprintf("%q is a user name that Azure reserves and rejects when it creates the VM; use another, such as %s",
			name, DefaultAzureAdmin))
	}
}

// ReservedAzureAdminUsername reports whether name, compared without letter
// case, is one of the administrator names that the Compute API reference
// lists as disallowed values.
func ReservedAzureAdminUsername(name string) bool {
	return slices.Contains(reservedAzureAdminUsernames, strings.ToLower(name))
}
