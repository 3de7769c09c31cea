package proxy

import (
	"fmt"
	"strings"
	"text/template"
)

// cloudInitTemplate is the cloud-config document of the proxy VM on Ubuntu.
// cloud-init writes the files and runs runcmd once per instance. After a
// reboot, Docker starts the container again through its restart policy.
// The start script checks the new nginx.conf with the image before it
// replaces the running one, like the Amazon Linux boot script.
var cloudInitTemplate = template.Must(template.New("cloud-init").Parse(`#cloud-config
# Boot configuration of the repolink proxy VM (Ubuntu): runs nginx in Docker
# as an SNI passthrough proxy to the package index.
{{.Marker}}{{.JSON}}
package_update: true
packages:
  - docker.io
write_files:
  - path: /etc/repolink-proxy/nginx.conf.new
    permissions: "0644"
    content: |
{{.NginxConf}}
  - path: /usr/local/sbin/repolink-proxy-start
    permissions: "0755"
    content: |
{{.StartScript}}
runcmd:
  - [/usr/local/sbin/repolink-proxy-start]
`))

// startScriptTemplate is the start script: it pulls the image with retries,
// checks the new config and runs the container with host networking.
var startScriptTemplate = template.Must(template.New("start").Parse(`#!/bin/bash
set -euo pipefail
systemctl enable --now docker

image='{{.Image}}'
for attempt in 1 2 3 4 5; do
    docker pull "$image" && break
    if [ "$attempt" -eq 5 ]; then
        echo "repolink-proxy: pull of $image failed" >&2
        exit 1
    fi
    sleep $((attempt * 5))
done

docker run --rm -v /etc/repolink-proxy/nginx.conf.new:/etc/nginx/nginx.conf:ro "$image" nginx -t
mv /etc/repolink-proxy/nginx.conf.new /etc/repolink-proxy/nginx.conf

docker rm -f repolink-proxy >/dev/null 2>&1 || true
docker run -d --name repolink-proxy --restart always --network host \
    --log-opt max-size=10m --log-opt max-file=3 \
    -v /etc/repolink-proxy/nginx.conf:/etc/nginx/nginx.conf:ro \
    "$image"
`))

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
	if err := startScriptTemplate.Execute(&script, map[string]string{"Image": c.Image}); err != nil {
		return "", fmt.Errorf("render cloud-init: %w", err)
	}
	var b strings.Builder
	err = cloudInitTemplate.Execute(&b, map[string]string{
		"Marker":      userDataMarker,
		"JSON":        string(js),
		"NginxConf":   indentBlock(conf),
		"StartScript": indentBlock(script.String()),
	})
	if err != nil {
		return "", fmt.Errorf("render cloud-init: %w", err)
	}
	return b.String(), nil
}

// indentBlock indents every non-empty line of text for a YAML block scalar
// and drops the final newline, which the template supplies.
func indentBlock(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, line := range lines {
		if line != "" {
			lines[i] = cloudInitIndent + line
		}
	}
	return strings.Join(lines, "\n")
}
