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

// azureAdminUsername checks azure.admin_username at load, because the API
// checks the name only when the VM is created, after the network interface
// exists. The Compute API reference for Linux VMs states 1 to 64 characters
// and a list of disallowed values. It states no character set, so the check
// also applies the POSIX.1 rule for portable user names: characters of the
// portable filename set (ASCII letters, digits, '.', '_' and '-') and no
// leading '-'.
//
// NOTE: the API reference lists the disallowed values in lower case. This
// check also rejects their upper-case forms, such as Admin, which the
// reference does not mention. It also rejects a trailing '.', which the
// reference lists only for Windows, because GNU chown reads "ops." as the
// user ops with its login group.
func (v *validator) azureAdminUsername(name string) {
	const path = "$.azure.admin_username"
	if !v.printable(path, name, "remove it") {
		return
	}
	if strings.TrimSpace(name) == "" {
		v.add(path, "is empty or only whitespace; set a user name such as "+DefaultAzureAdmin+", or remove the field to use it")
		return
	}
	if problem := azureAdminUsernameProblem(name); problem != "" {
		v.add(path, problem)
	}
}

// azureAdminUsernameProblem describes why name is not a valid Linux
// administrator name for an Azure VM, or returns "" when it is valid.
func azureAdminUsernameProblem(name string) string {
	if length := utf8.RuneCountInString(name); length > maxAzureAdminUsername {
		return fmt.Sprintf("is %d characters long; Azure accepts at most %d for a Linux VM, so use a shorter user name",
			length, maxAzureAdminUsername)
	}
	if name == "" {
		return "is empty; set a user name such as " + DefaultAzureAdmin
	}
	for _, r := range name {
		if !isPortableUsernameRune(r) {
			return fmt.Sprintf("contains the character %U %q; a Linux user name may contain only ASCII letters, digits, '.', '_' and '-', so use a name such as %s",
				r, r, DefaultAzureAdmin)
		}
	}
	if strings.HasPrefix(name, "-") {
		return "starts with '-', which commands would read as an option; start the user name with a letter or digit"
	}
	if strings.HasSuffix(name, ".") {
		return "ends with '.', which chown reads as a user and group separator; remove the trailing '.'"
	}
	if ReservedAzureAdminUsername(name) {
		return fmt.Sprintf("%q is a user name that Azure reserves and rejects when it creates the VM; use another, such as %s",
			name, DefaultAzureAdmin)
	}
	return ""
}

// isPortableUsernameRune reports whether r is in the POSIX portable
// filename character set.
func isPortableUsernameRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	default:
		return r == '.' || r == '_' || r == '-'
	}
}

// ValidAzureAdminUsername reports whether name passes the load check of
// azure.admin_username: the length and disallowed values of the Compute API
// reference and the POSIX portable user name.
func ValidAzureAdminUsername(name string) bool {
	return azureAdminUsernameProblem(name) == ""
}

// ReservedAzureAdminUsername reports whether name, compared without letter
// case, is one of the administrator names that the Compute API reference
// lists as disallowed values.
func ReservedAzureAdminUsername(name string) bool {
	return slices.Contains(reservedAzureAdminUsernames, strings.ToLower(name))
}
