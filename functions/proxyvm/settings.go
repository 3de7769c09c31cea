package proxyvm

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/workflow"
)

// Tag keys on a proxy VM that record the settings it was launched with. They
// contain the upstream that its boot script forwards to, the TLS server names
// that it lets through (sorted, joined with commas), the machine type and
// the image.
const (
	TagUpstream = "repolink:upstream"
	TagHosts    = "repolink:proxy-hosts"
	TagMachine  = "repolink:machine"
	TagImage    = "repolink:image"
)

// maxTagValue is the maximum length of a tag value on AWS and Azure.
const maxTagValue = 256

// Setting is one request value that a proxy VM is launched with and that
// its tags record.
type Setting struct {
	// Field is the request field, such as aws.upstream.
	Field string
	Tag   string
	Value string
}

// Settings returns the settings that every proxy VM records: the upstream
// from upstreamField and the TLS server names of the index URL and the
// extra allowed prefixes.
func Settings(upstreamField, upstream string, hosts []string) []Setting {
	sorted := slices.Clone(hosts)
	slices.Sort(sorted)
	return []Setting{
		{Field: upstreamField, Tag: TagUpstream, Value: upstream},
		{Field: "$.repository.index_url and $.repository.extra_allowed_prefixes", Tag: TagHosts, Value: strings.Join(sorted, ",")},
	}
}

// SettingsTags returns the tags that record settings on a proxy VM. A value
// longer than a tag allows is recorded as its SHA-256 digest.
func SettingsTags(settings []Setting) map[string]string {
	tags := make(map[string]string, len(settings))
	for _, s := range settings {
		tags[s.Tag] = tagValue(s.Value)
	}
	return tags
}

func tagValue(s string) string {
	if len(s) <= maxTagValue {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckSettings returns a Conflict for the first setting that the tags of
// the proxy VM vm record with another value than the request. A proxy VM
// is not changed in place, because its boot script runs only at the first
// boot. So the error advises tearing the request down and running it
// again. execution is the provision execution that runs the check, which
// is the request's latest run and so the one that repolink teardown
// accepts. It is not the execution that the VM's tag records, because a
// later run may have followed that one. An empty execution, as in a plan,
// gives advice that names no execution.
//
// NOTE: a VM launched before repolink recorded a setting has no tag for it,
// so CheckSettings cannot compare that setting and passes it.
func CheckSettings(vm, execution string, tags map[string]string, settings []Setting) error {
	fix := workflow.ReplaceFix("the proxy VM is not changed in place", execution)
	for _, s := range settings {
		got, ok := tags[s.Tag]
		want := tagValue(s.Value)
		if !ok || got == want {
			continue
		}
		switch s.Tag {
		case TagUpstream:
			return workflow.Errorf(workflow.ErrConflict, "proxy VM %s forwards to %s, but %s is %s; %s", vm, got, s.Field, s.Value, fix)
		case TagHosts:
			return workflow.Errorf(workflow.ErrConflict, "proxy VM %s lets through the TLS server names %s, but %s name %s; %s", vm, got, s.Field, want, fix)
		}
		return workflow.Errorf(workflow.ErrConflict, "proxy VM %s was launched with %s %s, but the request has %s; %s", vm, s.Field, got, want, fix)
	}
	return nil
}
