#!/usr/bin/env bash
# HTTP_GET and SSL_GET against nginx (Debian's package) in a namespace: status_code, digest
# (computed by `vigil --genhash` at test time), regex, virtualhost, and SSL_GET with SNI and
# certificate verification (certificates made at test time with openssl). nginx is stopped:
# its servers leave the desired table within their retries; restarted: they come back.
#   Usage: check_http.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
need_cmd nginx
need_cmd openssl

# Two certificates: www.example.com's, which the SSL block's ca trusts, and the default
# server's, which it does not. Only a client sending SNI www.example.com gets the first.
for n in www other; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=$n.example.com" \
    -addext "subjectAltName=DNS:$n.example.com" -keyout "$tmp/$n.key" -out "$tmp/$n.crt" 2>/dev/null
done
mkdir -p "$tmp/html/www" "$tmp/html/default"
echo "<html><title>Welcome to vigil's www</title></html>" >"$tmp/html/www/health.html"
echo "default server" >"$tmp/html/default/index.html"
cat >"$tmp/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/cb; proxy_temp_path $tmp/px; fastcgi_temp_path $tmp/fc;
  uwsgi_temp_path $tmp/uw; scgi_temp_path $tmp/sc;
  server {
    listen 192.0.2.2:80 default_server; listen 192.0.2.2:443 ssl default_server;
    ssl_certificate $tmp/other.crt; ssl_certificate_key $tmp/other.key;
    root $tmp/html/default;
  }
  server {
    listen 192.0.2.2:80; listen 192.0.2.2:443 ssl;
    server_name www.example.com;
    ssl_certificate $tmp/www.crt; ssl_certificate_key $tmp/www.key;
    root $tmp/html/www;
  }
}
NGINX
start_nginx() {
  in_srv nginx -c "$tmp/nginx.conf" 2>>"$tmp/nginx.err"
  wait_for 5 test -s "$tmp/nginx.pid" || { cat "$tmp/nginx.err"; fail "nginx did not start"; }
}
stop_nginx() {
  kill -TERM "$(cat "$tmp/nginx.pid")"
  wait_for 5 test ! -e "$tmp/nginx.pid" || fail "nginx did not stop"
}
start_nginx

# The digest HTTP_GET will compare, as keepalived's genhash gives it.
digest=$(in_dir "$vigil" --genhash http://192.0.2.2/health.html --virtualhost www.example.com | sed -n 's/^MD5SUM = //p')
[[ $digest =~ ^[0-9a-f]{32}$ ]] || fail "vigil --genhash printed no digest"
want=$(md5sum <"$tmp/html/www/health.html" | cut -d' ' -f1)
[[ $digest == "$want" ]] || fail "genhash $digest, md5sum $want"
echo "  ok: vigil --genhash = md5sum of the body ($digest)"
tls_digest=$(in_dir "$vigil" --genhash https://192.0.2.2/health.html --virtualhost www.example.com | sed -n 's/^MD5SUM = //p')
[[ $tls_digest == "$want" ]] || fail "genhash over TLS: '$tls_digest'"
echo "  ok: vigil --genhash https:// with SNI"

delay=1 timeout=1 retry=2 dbr=0.5
cat >"$tmp/k.conf" <<CONF
SSL {
  ca $tmp/www.crt
}
virtual_server 10.0.0.100 80 {
  delay_loop $delay
  # status_code + digest + regex, Host: www.example.com
  real_server 192.0.2.2 80 {
    HTTP_GET {
      virtualhost www.example.com
      url {
        path /health.html
        status_code 200
        digest $digest
        regex "Welcome to vigil's (www|web)"
      }
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 10.0.0.100 443 {
  delay_loop $delay
  # SNI www.example.com: nginx presents www's certificate, which the ca verifies
  real_server 192.0.2.2 443 {
    SSL_GET {
      virtualhost www.example.com
      enable_sni
      url {
        path /health.html
        regex "Welcome"
      }
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 10.0.0.101 80 {
  delay_loop $delay
  # the wrong virtualhost: the default server has no /health.html (404)
  real_server 192.0.2.2 80 {
    HTTP_GET {
      virtualhost nowhere.example.com
      url {
        path /health.html
      }
      connect_timeout $timeout
    }
  }
}
virtual_server 10.0.0.101 443 {
  delay_loop $delay
  # no SNI: the default certificate, which the ca does not trust
  real_server 192.0.2.2 443 {
    SSL_GET {
      url {
        path /index.html
      }
      connect_timeout $timeout
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
bound=$(leave_bound $delay $timeout $retry $dbr)

echo "start-up:"
expect_seen 10 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.101:80' "wrong virtualhost: out of the table"
expect_seen 10 '\[192\.0\.2\.2\]:80 DOWN: HTTP_GET /health\.html: status 404' "  reason: status 404"
expect_seen 10 'delete dest 192\.0\.2\.2:443 from TCP 10\.0\.0\.101:443' "SSL_GET without SNI: certificate refused"
sleep $((delay * 2 + 1))
if grep -qE 'delete dest 192\.0\.2\.2:(80|443) from TCP 10\.0\.0\.100' "$log"; then
  tail -n 30 "$log"
  fail "a healthy server left the table"
fi
echo "  ok: HTTP_GET (status, digest, regex, virtualhost) and SSL_GET (SNI, verified) stay in"

echo "nginx stopped:"
after "$bound" 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "HTTP_GET server left the table" stop_nginx
expect_seen "$bound" 'delete dest 192\.0\.2\.2:443 from TCP 10\.0\.0\.100:443' "SSL_GET server left the table"
expect_seen 1 '\[192\.0\.2\.2\]:80 DOWN: HTTP_GET .*\(retry 2 of 2\)' "  reason names the retries"
echo "nginx started again:"
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "HTTP_GET server back" start_nginx
expect_seen $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:443 to TCP 10\.0\.0\.100:443' "SSL_GET server back"

echo "the page changes (digest and regex no longer match):"
after "$bound" 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "HTTP_GET server left on a new body" \
  bash -c "echo 'Down for maintenance' >'$tmp/html/www/health.html'"
expect_seen 1 'DOWN: HTTP_GET /health\.html: digest' "  reason: digest"
stop_vigil
echo "PASS: check_http"
