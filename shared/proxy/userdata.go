package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

// userDataMarker starts the comment line that carries the Config as JSON.
const userDataMarker = "# repolink-proxy-config: "

// heredocEnd ends the here-document that writes nginx.conf. RenderNginx
// output never contains it, because every value in the file is validated.
const heredocEnd = "REPOLINK_NGINX_CONF_END"

// writeUserData writes the boot script. cloud-init runs user data once
// per instance, and after a reboot Docker starts the container again
// through its restart policy. Running the script again replaces the container with
// one that uses the new configuration.
func writeUserData(b *strings.Builder, configJSON []byte, conf, image string) {
	b.WriteString(`#!/bin/bash
# Boot script of the repolink proxy VM (Amazon Linux 2023): runs nginx in
# Docker as an SNI passthrough proxy to the package index.
`)
	writeConfigLine(b, configJSON)
	b.WriteString(`set -euo pipefail

if ! command -v docker >/dev/null 2>&1; then
    dnf install -y docker
fi
systemctl enable --now docker

`)
	writeNginxHeredoc(b, conf)
	b.WriteString("\n")
	writePullImage(b, image)
	b.WriteString("\n# Check the new file with the same image before it replaces the running one.\n")
	writeReplaceContainer(b)
}

// UserDataAL2023 returns the Amazon Linux 2023 boot script that installs
// Docker, writes the nginx config for c and runs nginx with host
// networking. The script embeds c after defaults as one JSON comment line,
// which ParseUserData reads back.
func UserDataAL2023(c Config) (string, error) {
	c = c.WithDefaults()
	conf, err := RenderNginx(c)
	if err != nil {
		return "", err
	}
	if strings.Contains(conf, heredocEnd) {
		return "", fmt.Errorf("render boot script: nginx config contains %s", heredocEnd)
	}
	js, err := c.marshalJSON()
	if err != nil {
		return "", fmt.Errorf("render boot script: %w", err)
	}

	var b strings.Builder
	writeUserData(&b, js, conf, c.Image)
	return b.String(), nil
}

// ParseUserData returns the Config embedded in a boot script made by
// UserDataAL2023, and validates it.
func ParseUserData(userData string) (Config, error) {
	sc := bufio.NewScanner(strings.NewReader(userData))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		js, ok := strings.CutPrefix(sc.Text(), userDataMarker)
		if !ok {
			continue
		}
		c, err := unmarshalConfig([]byte(js))
		if err != nil {
			return Config{}, fmt.Errorf("parse user data: %w", err)
		}
		if err := c.Validate(); err != nil {
			return Config{}, fmt.Errorf("parse user data: %w", err)
		}
		return c, nil
	}
	if err := sc.Err(); err != nil {
		return Config{}, fmt.Errorf("parse user data: %w", err)
	}
	return Config{}, errors.New("parse user data: no " + strings.TrimSpace(userDataMarker) + " line")
}
