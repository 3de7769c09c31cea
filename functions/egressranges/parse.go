package egressranges

import (
	"encoding/json"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/workflow"
)

// Range is one entry of SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES. Effective is
// when Snowflake starts to use the range and Expires when it stops. The Azure
// output adds published and usage, which repolink does not need.
type Range struct {
	IPv4Prefix string `json:"ipv4_prefix"`
	Effective  string `json:"effective"`
	Expires    string `json:"expires"`
}

// Parse decodes the function's output: a JSON array of ranges, or a single
// range object, which the function's reference page shows for AWS. The Azure
// output carries // comments that make it invalid JSON, so they are removed
// first.
func Parse(raw string) ([]Range, error) {
	text := strings.TrimSpace(stripComments(raw))
	if text == "" || text == "null" {
		return nil, nil
	}
	if strings.HasPrefix(text, "{") {
		var single Range
		if err := json.Unmarshal([]byte(text), &single); err != nil {
			return nil, malformed("a range object that does not decode: %v", err)
		}
		return []Range{single}, nil
	}
	var ranges []Range
	if err := json.Unmarshal([]byte(text), &ranges); err != nil {
		return nil, malformed("neither a JSON array nor an object: %v", err)
	}
	return ranges, nil
}

// Effective returns the ranges in effect at now, in network form, sorted and
// without duplicates: effective at or before now, and expiring after now. A
// range without a time has no bound on that side. next is when the set
// changes next, the earliest expiry of a kept range or the earliest
// effective time still to come, and is zero when nothing is scheduled.
//
// NOTE: Snowflake announces a range before it takes effect and advises
// allowing it ahead of time. A range that is not yet effective is left out
// here, so the refresh must run again by next, and any delay after next
// leaves that range closed for the length of the delay.
func Effective(ranges []Range, now time.Time) (cidrs []string, next time.Time, err error) {
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, r := range ranges {
		if r.IPv4Prefix == "" {
			continue
		}
		_, network, parseErr := net.ParseCIDR(strings.TrimSpace(r.IPv4Prefix))
		if parseErr != nil || network.IP.To4() == nil {
			return nil, time.Time{}, malformed("ipv4_prefix %q is not an IPv4 CIDR block", r.IPv4Prefix)
		}
		effective, err := parseTime(r.Effective)
		if err != nil {
			return nil, time.Time{}, malformed("effective %q of %s: %v", r.Effective, r.IPv4Prefix, err)
		}
		expires, err := parseTime(r.Expires)
		if err != nil {
			return nil, time.Time{}, malformed("expires %q of %s: %v", r.Expires, r.IPv4Prefix, err)
		}

		switch {
		case !expires.IsZero() && !expires.After(now):
			continue
		case effective.After(now):
			earliest(effective)
			continue
		}
		if !expires.IsZero() {
			earliest(expires)
		}
		if cidr := network.String(); !slices.Contains(cidrs, cidr) {
			cidrs = append(cidrs, cidr)
		}
	}
	slices.Sort(cidrs)
	return cidrs, next, nil
}

// timeLayouts are the timestamp forms accepted. The function's reference
// page specifies ISO-8601 in UTC without fixing the form, so a time without
// a zone is read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime parses one timestamp; an empty one gives the zero time.
func parseTime(value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	var firstErr error
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, value)
		if err == nil {
			return t.UTC(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// stripComments removes // comments that run to the end of a line, outside
// JSON strings.
func stripComments(raw string) string {
	var b strings.Builder
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
			b.WriteByte(c)
		case c == '/' && i+1 < len(raw) && raw[i+1] == '/':
			for i < len(raw) && raw[i] != '\n' {
				i++
			}
			if i < len(raw) {
				b.WriteByte('\n')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// malformed reports output that repolink cannot read. It is named
// Transient, so the state machine tries again a few times before it fails.
func malformed(format string, args ...any) error {
	return workflow.Errorf(workflow.ErrTransient, "SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES returned "+format, args...)
}
