package proxyvm

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Tag keys on a proxy VM that record the settings it was launched with: the
// upstream that its boot script forwards to, and the TLS server names that
// it lets through, sorted and joined with commas.
const (
	TagUpstream = "repolink:upstream"
	TagHosts    = "repolink:proxy-hosts"
)

// maxTagValue is the maximum length of a tag value on AWS and Azure.
const maxTagValue = 256

// SettingsTags returns the tags that record upstream and hosts on a proxy
// VM. A value longer than a tag allows is recorded as its SHA-256 digest.
func SettingsTags(upstream string, hosts []string) map[string]string {
	sorted := slices.Clone(hosts)
	slices.Sort(sorted)
	return map[string]string{
		TagUpstream: tagValue(upstream),
		TagHosts:    tagValue(strings.Join(sorted, ",")),
	}
}

func tagValue(s string) string {
	if len(s) <= maxTagValue {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckSettings returns a Conflict when the tags of the proxy VM vm record
// another upstream or another host list than the request names.
// upstreamField is the request field of the upstream, such as aws.upstream.
// A proxy VM is not changed in place, because its boot script runs only at
// the first boot. So the error asks the user to tear the request down and
// run it again.
//
// NOTE: a VM launched before repolink recorded these tags has neither, so
// CheckSettings cannot compare and passes it.
func CheckSettings(vm string, tags map[string]string, upstreamField, upstream string, hosts []string) error {
	want := SettingsTags(upstream, hosts)
	fix := "the proxy VM's boot script is not changed in place, so run repolink teardown on the execution that built it and run the request again"
	if execution := tags[cloud.TagExecution]; execution != "" {
		fix = "the proxy VM's boot script is not changed in place, so run 'repolink teardown " + execution + "' and run the request again"
	}
	if got, ok := tags[TagUpstream]; ok && got != want[TagUpstream] {
		return workflow.Errorf(workflow.ErrConflict,
			"proxy VM %s forwards to %s, but %s is %s; %s", vm, got, upstreamField, upstream, fix)
	}
	if got, ok := tags[TagHosts]; ok && got != want[TagHosts] {
		return workflow.Errorf(workflow.ErrConflict,
			"proxy VM %s lets through the TLS server names %s, but repository.index_url and repository.extra_allowed_prefixes name %s; %s",
			vm, got, want[TagHosts], fix)
	}
	return nil
}
