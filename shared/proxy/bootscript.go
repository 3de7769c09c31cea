package proxy

import (
	"fmt"
	"strings"
)

// writeConfigLine writes the comment line that ParseUserData reads back.
func writeConfigLine(b *strings.Builder, configJSON []byte) {
	b.WriteString(userDataMarker)
	b.Write(configJSON)
	b.WriteString("\n")
}

// writeNginxHeredoc writes the commands that save conf as nginx.conf.new.
// The quoted delimiter stops bash from expanding the $ variables of nginx.
func writeNginxHeredoc(b *strings.Builder, conf string) {
	fmt.Fprintf(b, "install -d -m 0755 /etc/repolink-proxy\n"+
		"cat > /etc/repolink-proxy/nginx.conf.new <<'%s'\n%s%s\n", heredocEnd, conf, heredocEnd)
}

// writePullImage writes the commands that pull image, with five attempts.
// The image reference is validated, so single quotes need no escaping.
func writePullImage(b *strings.Builder, image string) {
	fmt.Fprintf(b, "image='%s'\n", image)
	b.WriteString(`for attempt in 1 2 3 4 5; do
    docker pull "$image" && break
    if [ "$attempt" -eq 5 ]; then
        echo "repolink-proxy: pull of $image failed" >&2
        exit 1
    fi
    sleep $((attempt * 5))
done
`)
}

// writeReplaceContainer writes the commands that check nginx.conf.new with
// the pulled image, move it into place and replace the running container
// with one that uses host networking.
func writeReplaceContainer(b *strings.Builder) {
	b.WriteString(`docker run --rm -v /etc/repolink-proxy/nginx.conf.new:/etc/nginx/nginx.conf:ro "$image" nginx -t
mv /etc/repolink-proxy/nginx.conf.new /etc/repolink-proxy/nginx.conf

docker rm -f repolink-proxy >/dev/null 2>&1 || true
docker run -d --name repolink-proxy --restart always --network host \
    --log-opt max-size=10m --log-opt max-file=3 \
    -v /etc/repolink-proxy/nginx.conf:/etc/nginx/nginx.conf:ro \
    "$image"
`)
}
