package proxy

import (
	"fmt"
	"strings"
)

// writeCloudInit writes the cloud-config document of the proxy VM on
// Ubuntu. cloud-init writes the files and runs runcmd once per instance.
// After a reboot, Docker starts the container again through its restart
// policy. The start script checks the new nginx.conf with the image before
// it replaces the running one, like the Amazon Linux boot script.
func writeCloudInit(b *strings.Builder, configJSON []byte, conf, startScript string) {
	b.WriteString(`#cloud-config
# Boot configuration of the repolink proxy VM (Ubuntu): runs nginx in Docker
# as an SNI passthrough proxy to the package index.
`)
	writeConfigLine(b, configJSON)
	fmt.Fprintf(b, `package_update: true
packages:
  - docker.io
write_files:
  - path: /etc/repolink-proxy/nginx.conf.new
    permissions: "0644"
    content: |
%s
  - path: /usr/local/sbin/repolink-proxy-start
    permissions: "0755"
    content: |
%s
runcmd:
  - [/usr/local/sbin/repolink-proxy-start]
`, indentBlock(conf), indentBlock(startScript))
}

// writeStartScript writes the script that pulls the image with retries,
// checks the new config and runs the container with host networking.
func writeStartScript(b *strings.Builder, image string) {
	b.WriteString(`#!/bin/bash
set -euo pipefail
systemctl enable --now docker

`)
	writePullImage(b, image)
	b.WriteString("\n")
	writeReplaceContainer(b)
}

// cloudInitIndent is the indentation of a block scalar's content under
// write_files[].content.
const cloudInitIndent = "      "

// CloudInit returns the cloud-config document that boots the proxy VM on
// Ubuntu, as Azure custom data: it installs Docker, writes the nginx config
// for c and runs nginx with host networking. The document embeds c after
// defaults as one JSON comment line, which ParseUserData reads back.
func CloudInit(c Config) (string, error) {
	c = c.WithDefaults()
	conf, err := RenderNginx(c)
	if err != nil {
		return "", err
	}
	js, err := c.marshalJSON()
	if err != nil {
		return "", fmt.Errorf("render cloud-init: %w", err)
	}

	var script strings.Builder
	writeStartScript(&script, c.Image)
	var b strings.Builder
	writeCloudInit(&b, js, conf, script.String())
	return b.String(), nil
}

// indentBlock indents every non-empty line of text for a YAML block scalar
// and drops the final newline, which writeCloudInit supplies.
func indentBlock(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, line := range lines {
		if line != "" {
			lines[i] = cloudInitIndent + line
		}
	}
	return strings.Join(lines, "\n")
}
