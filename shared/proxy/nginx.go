package proxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// nginxData contains the values of nginx.conf, formatted for nginx.
type nginxData struct {
	workers          string
	resolver         string
	resolverValid    string
	hosts            []string
	mapBucketSize    int
	upstream         string
	rejectPort       int
	listenAddr       string
	healthAddr       string
	healthServerName string
	connectTimeout   string
	timeout          string
}

// RenderNginx returns the nginx.conf for c after defaults. The file has no
// load_module line: prepend Binary.LoadStream when the nginx binary has the
// stream module as a dynamic module.
func RenderNginx(c Config) (string, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return "", err
	}

	data := nginxData{
		workers:          "auto",
		hosts:            lowerAll(c.Hosts),
		mapBucketSize:    mapBucketSize(c.Hosts),
		upstream:         c.Upstream,
		rejectPort:       c.RejectPort,
		listenAddr:       listenAddr(c.BindAddress, c.Listen),
		healthAddr:       listenAddr(c.BindAddress, c.HealthPort),
		healthServerName: strings.ToLower(c.Hosts[0]),
		connectTimeout:   nginxDuration(c.ConnectTimeout),
		timeout:          nginxDuration(c.Timeout),
	}
	if c.WorkerProcesses > 0 {
		data.workers = strconv.Itoa(c.WorkerProcesses)
	}
	if !c.upstreamIsIP() {
		data.resolver = c.Resolver
		data.resolverValid = nginxDuration(c.ResolverValid)
	}

	var b strings.Builder
	writeNginx(&b, data)
	return b.String(), nil
}

// writeNginx writes the whole nginx.conf. Relative paths (pid, temp
// directories) resolve against the nginx prefix, so the file works both in
// the container and under `nginx -p <dir>`.
//
// Connections whose server name is not in the allow-list map to a stream
// server on loopback that closes them at once. The access log records the
// server name, the verdict and the upstream address of every connection.
func writeNginx(b *strings.Builder, d nginxData) {
	fmt.Fprintf(b, `# Rendered by repolink. nginx passes TLS through by server name (SNI)
# and holds no certificate.
worker_processes %s;
pid nginx.pid;
error_log stderr warn;

events {
    worker_connections 4096;
}

`, d.workers)
	writeNginxStream(b, d)
	b.WriteString("\n")
	writeNginxHTTP(b, d)
}

// writeNginxStream writes the stream block, which passes TLS connections
// through by server name.
func writeNginxStream(b *strings.Builder, d nginxData) {
	b.WriteString(`stream {
    log_format repolink_sni '$remote_addr [$time_local] sni="$ssl_preread_server_name" '
                            'allowed=$repolink_allowed upstream="$upstream_addr" '
                            'status=$status sent=$bytes_sent received=$bytes_received '
                            'time=$session_time';
    access_log /dev/stdout repolink_sni;
`)
	if d.resolver != "" {
		b.WriteString(`
    # The upstream is a variable, so nginx resolves it per connection and
    # caches the answer for valid=, following address changes of the index.
`)
		writeResolver(b, "    ", d)
	}

	// The default bucket size is the CPU cache line, 64 bytes on x86-64,
	// which fits host names of up to 46 characters. With a longer name,
	// such as a CodeArtifact domain host, nginx 1.22 fails to start.
	fmt.Fprintf(b, "\n    map_hash_bucket_size %d;\n", d.mapBucketSize)
	b.WriteString("\n    map $ssl_preread_server_name $repolink_upstream {\n")
	for _, host := range d.hosts {
		fmt.Fprintf(b, "        %s %s;\n", host, d.upstream)
	}
	fmt.Fprintf(b, "        default 127.0.0.1:%d;\n    }\n", d.rejectPort)

	b.WriteString("\n    map $ssl_preread_server_name $repolink_allowed {\n")
	for _, host := range d.hosts {
		fmt.Fprintf(b, "        %s 1;\n", host)
	}
	b.WriteString("        default 0;\n    }\n")

	fmt.Fprintf(b, `
    server {
        listen %s;
        ssl_preread on;
        preread_timeout 10s;
        proxy_pass $repolink_upstream;
        proxy_connect_timeout %s;
        proxy_timeout %s;
    }

    # Closes the connections whose server name is not allowed.
    server {
        listen 127.0.0.1:%d;
        access_log off;
        return "";
    }
}
`, d.listenAddr, d.connectTimeout, d.timeout, d.rejectPort)
}

// writeNginxHTTP writes the http block with the health check server.
func writeNginxHTTP(b *strings.Builder, d nginxData) {
	fmt.Fprintf(b, `http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;

    server {
        listen %s;

        # The proxy itself is up.
        location = / {
            default_type text/plain;
            return 200 "ok\n";
        }

        # The index is reachable through the proxy: any HTTP status from the
        # index means it answered, 502 or 504 means it did not.
        location = /upstream {
`, d.healthAddr)
	if d.resolver != "" {
		writeResolver(b, "            ", d)
	}
	fmt.Fprintf(b, `            set $repolink_health_upstream "%s";
            proxy_pass https://$repolink_health_upstream/;
            proxy_ssl_server_name on;
            proxy_ssl_name %s;
            proxy_connect_timeout %s;
            proxy_read_timeout %s;
        }

        location / {
            return 404;
        }
    }
}
`, d.upstream, d.healthServerName, d.connectTimeout, d.connectTimeout)
}

// writeResolver writes the resolver directives at the given indentation.
func writeResolver(b *strings.Builder, indent string, d nginxData) {
	fmt.Fprintf(b, "%sresolver %s valid=%s ipv6=off;\n", indent, d.resolver, d.resolverValid)
	fmt.Fprintf(b, "%sresolver_timeout 5s;\n", indent)
}

// mapBucketSize returns the map_hash_bucket_size for the server name maps:
// the smallest power of two of at least 64 and at least the longest host
// plus 32 bytes. In nginx a bucket entry is a pointer, a 2-byte length and
// the name, rounded up to 8 bytes, and each bucket ends with a null
// pointer, so 32 bytes cover the overhead on 64-bit machines.
func mapBucketSize(hosts []string) int {
	longest := 0
	for _, h := range hosts {
		longest = max(longest, len(h))
	}
	size := 64
	for size < longest+32 {
		size *= 2
	}
	return size
}

func listenAddr(bind string, port int) string {
	if bind == "" {
		return strconv.Itoa(port)
	}
	return net.JoinHostPort(bind, strconv.Itoa(port))
}

// nginxDuration formats d in whole seconds, or in milliseconds when it is
// not a whole number of seconds. Smaller parts are dropped.
func nginxDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}
