#!/bin/bash
# Boot script of the repolink proxy VM (Amazon Linux 2023): runs nginx in
# Docker as an SNI passthrough proxy to the package index.
# repolink-proxy-config: {"listen":8443,"hosts":["pypi.corp.example","Files.Corp.Example"],"upstream":"10.0.12.7:443","resolver":"169.254.169.253","resolver_valid":"30s","health_port":9000,"reject_port":9443,"connect_timeout":"1.5s","timeout":"1h0m0s","image":"public.ecr.aws/nginx/nginx:1.27"}
set -euo pipefail

if ! command -v docker >/dev/null 2>&1; then
    dnf install -y docker
fi
systemctl enable --now docker

install -d -m 0755 /etc/repolink-proxy
cat > /etc/repolink-proxy/nginx.conf.new <<'REPOLINK_NGINX_CONF_END'
# Rendered by repolink. nginx passes TLS through by server name (SNI)
# and holds no certificate.
worker_processes auto;
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

    map_hash_bucket_size 64;

    map $ssl_preread_server_name $repolink_upstream {
        pypi.corp.example 10.0.12.7:443;
        files.corp.example 10.0.12.7:443;
        default 127.0.0.1:9443;
    }

    map $ssl_preread_server_name $repolink_allowed {
        pypi.corp.example 1;
        files.corp.example 1;
        default 0;
    }

    server {
        listen 8443;
        ssl_preread on;
        preread_timeout 10s;
        proxy_pass $repolink_upstream;
        proxy_connect_timeout 1500ms;
        proxy_timeout 3600s;
    }

    # Closes the connections whose server name is not allowed.
    server {
        listen 127.0.0.1:9443;
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
        listen 9000;

        # The proxy itself is up.
        location = / {
            default_type text/plain;
            return 200 "ok\n";
        }

        # The index is reachable through the proxy: any HTTP status from the
        # index means it answered, 502 or 504 means it did not.
        location = /upstream {
            set $repolink_health_upstream "10.0.12.7:443";
            proxy_pass https://$repolink_health_upstream/;
            proxy_ssl_server_name on;
            proxy_ssl_name pypi.corp.example;
            proxy_connect_timeout 1500ms;
            proxy_read_timeout 1500ms;
        }

        location / {
            return 404;
        }
    }
}
REPOLINK_NGINX_CONF_END

image='public.ecr.aws/nginx/nginx:1.27'
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
