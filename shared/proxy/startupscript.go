package proxy

import (
	"fmt"
	"strings"
	"text/template"
)

// startupScriptTemplate is the Compute Engine boot script. Unlike
// cloud-init user data, the startup-script metadata runs on every boot, so
// each step is safe to repeat: Docker is installed only when missing and
// the container is replaced with one that uses the new configuration.
var startupScriptTemplate = template.Must(template.New("startup-script").Parse(`#!/bin/bash
# Startup script of the repolink proxy VM (Debian or Ubuntu on Compute
# Engine): runs nginx in Docker as an SNI passthrough proxy to the package
# index.
{{.Marker}}{{.JSON}}
set -euo pipefail

if ! command -v docker >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q docker.io
fi
systemctl enable --now docker

install -d -m 0755 /etc/repolink-proxy
cat > /etc/repolink-proxy/nginx.conf.new <<'{{.HeredocEnd}}'
{{.NginxConf}}{{.HeredocEnd}}

image='{{.Image}}'
for attempt in 1 2 3 4 5; do
    docker pull "$image" && break
    if [ "$attempt" -eq 5 ]; then
        echo "repolink-proxy: pull of $image failed" >&2
        exit 1
    fi
    sleep $((attempt * 5))
done

# Check the new file with the same image before it replaces the running one.
docker run --rm -v /etc/repolink-proxy/nginx.conf.new:/etc/nginx/nginx.conf:ro "$image" nginx -t
mv /etc/repolink-proxy/nginx.conf.new /etc/repolink-proxy/nginx.conf

docker rm -f repolink-proxy >/dev/null 2>&1 || true
docker run -d --name repolink-proxy --restart always --network host \
    --log-opt max-size=10m --log-opt max-file=3 \
    -v /etc/repolink-proxy/nginx.conf:/etc/nginx/nginx.conf:ro \
    "$image"
`))

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
	err = startupScriptTemplate.Execute(&b, map[string]string{
		"Marker":     userDataMarker,
		"JSON":       string(js),
		"HeredocEnd": heredocEnd,
		"NginxConf":  conf,
		"Image":      c.Image,
	})
	if err != nil {
		return "", fmt.Errorf("render startup script: %w", err)
	}
	return b.String(), nil
}
