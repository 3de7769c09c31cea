package proxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// nginxTemplate is the whole nginx.conf. Relative paths (pid, temp
// directories) resolve against the nginx prefix, so the file works both in
// the container and under `nginx -p <dir>`.
//
// Connections whose server name is not in the allow-list map to a stream
// server on loopback that closes them at once. The access log records the
// server name, the verdict and the upstream address of every connection.
var nginxTemplate = template.Must(template.New("nginx.conf").Parse(`# Rendered by repolink. nginx passes TLS through by server name (SNI)
# and holds no certificate.
worker_processes {{.Workers}};
pid nginx.pid;
error_log stderr warn;

events {
    worker_connections 4096;
}

stream {
    log_format repolink_sni '$remote_addr [$time_local] sni="$ssl_preread_server_name" '
                            'allowed=$repolink_allowed upstream="$upstream_addr" '
                            'status=$status sent=$bytes_sent received=$bytes_received '
                            'time=$session_time';
    access_log /dev/stdout repolink_sni;
{{- if .Resolver}}

    # The upstream is a variable, so nginx resolves it per connection and
    # caches the answer for valid=, following address changes of the index.
    resolver {{.Resolver}} valid={{.ResolverValid}} ipv6=off;
    resolver_timeout 5s;
{{- end}}

    map $ssl_preread_server_name $repolink_upstream {
{{- range .Hosts}}
        {{.}} {{$.Upstream}};
{{- end}}
        default 127.0.0.1:{{.RejectPort}};
    }

    map $ssl_preread_server_name $repolink_allowed {
{{- range .Hosts}}
        {{.}} 1;
{{- end}}
        default 0;
    }

    server {
        listen {{.ListenAddr}};
        ssl_preread on;
        preread_timeout 10s;
        proxy_pass $repolink_upstream;
        proxy_connect_timeout {{.ConnectTimeout}};
        proxy_timeout {{.Timeout}};
    }

    # Closes the connections whose server name is not allowed.
    server {
        listen 127.0.0.1:{{.RejectPort}};
        access_log off;
        return "";
    }
}

http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;

    server {
        listen {{.HealthAddr}};

        # The proxy itself is up.
        location = / {
            default_type text/plain;
            return 200 "ok\n";
        }

        # The index is reachable through the proxy: any HTTP status from the
        # index means it answered, 502 or 504 means it did not.
        location = /upstream {
{{- if .Resolver}}
            resolver {{.Resolver}} valid={{.ResolverValid}} ipv6=off;
            resolver_timeout 5s;
{{- end}}
            set $repolink_health_upstream "{{.Upstream}}";
            proxy_pass https://$repolink_health_upstream/;
            proxy_ssl_server_name on;
            proxy_ssl_name {{.HealthServerName}};
            proxy_connect_timeout {{.ConnectTimeout}};
            proxy_read_timeout {{.ConnectTimeout}};
        }

        location / {
            return 404;
        }
    }
}
`))

type nginxData struct {
	Workers          string
	Resolver         string
	ResolverValid    string
	Hosts            []string
	Upstream         string
	RejectPort       int
	ListenAddr       string
	HealthAddr       string
	HealthServerName string
	ConnectTimeout   string
	Timeout          string
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
		Workers:          "auto",
		Hosts:            lowerAll(c.Hosts),
		Upstream:         c.Upstream,
		RejectPort:       c.RejectPort,
		ListenAddr:       listenAddr(c.BindAddress, c.Listen),
		HealthAddr:       listenAddr(c.BindAddress, c.HealthPort),
		HealthServerName: strings.ToLower(c.Hosts[0]),
		ConnectTimeout:   nginxDuration(c.ConnectTimeout),
		Timeout:          nginxDuration(c.Timeout),
	}
	if c.WorkerProcesses > 0 {
		data.Workers = strconv.Itoa(c.WorkerProcesses)
	}
	if !c.upstreamIsIP() {
		data.Resolver = c.Resolver
		data.ResolverValid = nginxDuration(c.ResolverValid)
	}

	var b strings.Builder
	if err := nginxTemplate.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render nginx config: %w", err)
	}
	return b.String(), nil
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
