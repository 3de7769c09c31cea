package proxy

import (
	"fmt"
	"strings"
)

// writeStartupScript writes the Compute Engine boot script. Unlike
// cloud-init user data, the startup-script metadata runs on every boot, so
// each step is safe to repeat. Docker is installed only when missing, and
// the container is replaced with one that uses the new configuration.
func writeStartupScript(b *strings.Builder, configJSON []byte, conf, image string) {
	b.WriteString(`#!/bin/bash
# Startup script of the repolink proxy VM (Debian or Ubuntu on Compute
# Engine): runs nginx in Docker as an SNI passthrough proxy to the package
# index.
`)
	writeConfigLine(b, configJSON)
	b.WriteString(`set -euo pipefail

if ! command -v docker >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q docker.io
fi
systemctl enable --now docker

`)
	writeNginxHeredoc(b, conf)
	b.WriteString("\n")
	writePullImage(b, image)
	b.WriteString("\n# Check the new file with the same image before it replaces the running one.\n")
	writeReplaceContainer(b)
}

// StartupScriptDebian returns the Compute Engine startup script for a
// Debian or Ubuntu image that installs Docker, writes the nginx config for
// c and runs nginx with host networking. Like UserDataAL2023 it embeds c
// after defaults as one JSON comment line, which ParseUserData reads back.
func StartupScriptDebian(c Config) (string, error) {
	c = c.WithDefaults()
	conf, err := RenderNginx(c)
	if err != nil {
		return "", err
	}
	if strings.Contains(conf, heredocEnd) {
		return "", fmt.Errorf("render startup script: nginx config contains %s", heredocEnd)
	}
	js, err := c.marshalJSON()
	if err != nil {
		return "", fmt.Errorf("render startup script: %w", err)
	}

	var b strings.Builder
	writeStartupScript(&b, js, conf, c.Image)
	return b.String(), nil
}
