package request

import (
	"fmt"
	"regexp"
	"strings"
)

// AccountKey returns the text that identifies the Snowflake account that
// the identifier account logs in to. Every check that compares the accounts
// of two requests, and every claim and store key shared between requests,
// uses it, so that two spellings of one account are one account:
//
//   - Case does not count, as Snowflake ignores it.
//   - An organization-account identifier (myorg-analytics) is the part before
//     the first dot, because gosnowflake sends only that part as ACCOUNT_NAME,
//     so myorg-analytics.us-west-2 logs in to myorg-analytics. An underscore
//     in it counts as a hyphen, because Snowflake accepts
//     myorg-my-account for the account named my_account.
//   - An account locator (xy12345.us-east-1.aws) keeps its region, because a
//     locator is unique only within a region. The .aws cloud suffix is
//     dropped, and so is the region us-west-2 with it, because xy12345 and
//     xy12345.us-west-2.aws name the same AWS account.
//
// NOTE: the same account written once as an organization-account
// identifier and once as its locator gets two keys, because only Snowflake
// can map an organization's account to its locator.
func AccountKey(account string) string {
	lower := strings.ToLower(strings.TrimSpace(account))
	name, suffix, dotted := strings.Cut(lower, ".")
	// A locator has only letters and digits, so a name with a hyphen or an
	// underscore is an organization account, myorg_analytics included.
	if strings.ContainsAny(name, "-_") {
		return strings.ReplaceAll(name, "_", "-")
	}
	if !dotted {
		return name
	}
	suffix = strings.TrimSuffix(suffix, ".aws")
	if suffix == "us-west-2" {
		return name
	}
	return name + "." + suffix
}

// SameAccount reports whether the account identifiers a and b log in to
// the same Snowflake account, as far as AccountKey can tell.
func SameAccount(a, b string) bool {
	return AccountKey(a) == AccountKey(b)
}

// LegacyAccountKey returns the key that claims and stored records used for
// account before AccountKey existed: the identifier in lower case. A lookup
// by key also reads this one when it differs, so that a record written
// before still counts.
func LegacyAccountKey(account string) string {
	return strings.ToLower(account)
}

var (
	locatorPattern       = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	accountRegionPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$`)
)

// accountForm checks that an account identifier that passed accountPattern
// has one of the forms that AccountKey distinguishes safely: an
// organization-account identifier without a suffix, or an account locator
// with an optional region and cloud. It returns "" or the message to
// report on $.snowflake.account.
func accountForm(account string) string {
	name, suffix, dotted := strings.Cut(account, ".")
	if !dotted {
		return ""
	}
	if !locatorPattern.MatchString(name) {
		return fmt.Sprintf("%q adds a dotted suffix to the organization-account identifier %s, which logs in to that account anyway; write %s without the suffix, or use the account locator with its region, such as xy12345.us-east-1",
			account, name, name)
	}
	region, cloud, hasCloud := strings.Cut(suffix, ".")
	if !accountRegionPattern.MatchString(region) {
		return fmt.Sprintf("%q does not have the form of an account locator with a region, such as xy12345.us-east-1; for an organization's account write myorg-analytics with a hyphen, not a dot", account)
	}
	if hasCloud {
		switch strings.ToLower(cloud) {
		case "aws", "azure", "gcp":
		default:
			return fmt.Sprintf("%q ends in %q, which is not a cloud; end an account locator in .aws, .azure or .gcp, such as xy12345.east-us-2.azure", account, cloud)
		}
	}
	return ""
}
