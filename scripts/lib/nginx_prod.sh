# shellcheck shell=bash
# The production server block (nginx/foundry-auth.conf) as shipped, run on
# loopback with a throwaway self-signed certificate in front of a running
# service, and checked through curl: what only https shows (HSTS) and what
# every text type must say (charset=utf-8).
#
# fa_nginx_prod_check DIR SOCKET   DIR: scratch directory; SOCKET: the
#                                   service's FastCGI socket
# Prints one line per check and returns non-zero when any failed.

# fa_nginx_prod_render DIR SOCKET HTTP_PORT HTTPS_PORT STATIC: DIR/nginx.conf
# around the shipped block, with only addresses, certificate paths, the static
# root and the socket path changed (everything else is what operators get).
fa_nginx_prod_render() {
    local dir=$1 socket=$2 http_port=$3 https_port=$4 static=$5
    mkdir -p "$dir/tmp"
    chmod 0755 "$dir"
    cp -r "$FA_ROOT/nginx/snippets" "$dir/snippets"
    sed -i -e "s|unix:/run/foundry-auth/foundry-auth.sock|unix:$socket|" \
        -e "s|unix:/run/foundry-auth/foundry-auth-signin.sock|unix:$(fa_signin_socket_of "$socket")|" \
        "$dir/snippets/foundry-auth-http.conf"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=auth.example.com -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" \
        2>/dev/null
    sed -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
        -e "s|listen 443 ssl http2 default_server;|listen 127.0.0.1:$https_port ssl http2 default_server;|" \
        -e '/listen \[::\]/d' \
        -e "s|/etc/ssl/foundry-auth/|$dir/|" \
        -e "s|root /usr/share/foundry-auth/static;|root $static;|" \
        "$FA_ROOT/nginx/foundry-auth.conf" >"$dir/site.conf"
    cat >"$dir/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    scgi_temp_path $dir/tmp/scgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    include snippets/foundry-auth-http.conf;
    include $dir/site.conf;
}
EOF
}

# fa_nginx_prod_expect WHAT URL HEADER_REGEX [present|absent]
fa_nginx_prod_expect() {
    local what=$1 url=$2 pattern=$3 want=${4:-present} head
    head=$(curl -sk -o /dev/null -D - --max-time 5 "$url" | tr -d '\r')
    if grep -qiE "$pattern" <<<"$head"; then
        [[ $want == present ]] && { echo "ok: $what"; return 0; }
    else
        [[ $want == absent ]] && { echo "ok: $what"; return 0; }
    fi
    echo "FAILED: $what ($url: want /$pattern/ $want), got:"
    sed 's/^/    /' <<<"$head"
    return 1
}

fa_nginx_prod_check() {
    local dir=$1 socket=$2 http_port https_port static rc=0 pid
    http_port=$(fa_free_port)
    https_port=$(fa_free_port)
    static=$(fa_nginx_static_root "$dir")
    fa_nginx_prod_render "$dir" "$socket" "$http_port" "$https_port" "$static"
    nginx -t -q -c "$dir/nginx.conf" || { fa_log "nginx rejected the production block"; return 1; }
    nginx -c "$dir/nginx.conf" || return 1
    local https=https://127.0.0.1:$https_port http=http://127.0.0.1:$http_port
    # A year is 31536000 s: any max-age of 8 digits from 31536000 up.
    local hsts='^strict-transport-security: max-age=(3153[6-9][0-9]{3}|315[4-9][0-9]{4}|31[6-9][0-9]{5}|3[2-9][0-9]{6}|[4-9][0-9]{7}|[0-9]{9,})'
    local check
    for check in \
        "HSTS on the sign-in page|$https/sign-in|$hsts" \
        "HSTS on a static file|$https/style.css|$hsts" \
        "HSTS on an API answer of the service|$https/v1/auth/session|$hsts" \
        "HSTS on the JWKS|$https/.well-known/jwks.json|$hsts" \
        "HSTS on an error page nginx answers itself|$https/v1/$(head -c 9000 /dev/zero | tr '\0' a)|$hsts" \
        "sign-in page is text/html; charset=utf-8|$https/sign-in|^content-type: text/html; charset=utf-8$" \
        "the app page is text/html; charset=utf-8|$https/app|^content-type: text/html; charset=utf-8$" \
        "a stylesheet is text/css; charset=utf-8|$https/style.css|^content-type: text/css; charset=utf-8$" \
        "a script is application/javascript; charset=utf-8|$https/common.js|^content-type: application/javascript; charset=utf-8$" \
        "the icon is image/svg+xml; charset=utf-8|$https/favicon.svg|^content-type: image/svg\+xml; charset=utf-8$" \
        "the service answers through it|$https/v1/auth/session|^HTTP/[0-9.]+ 401"; do
        IFS='|' read -r what url pattern <<<"$check"
        fa_nginx_prod_expect "$what" "$url" "$pattern" || rc=1
    done
    fa_nginx_prod_expect "plain http redirects to https" "$http/sign-in" '^HTTP/[0-9.]+ 301' || rc=1
    fa_nginx_prod_expect "no HSTS on plain http" "$http/sign-in" '^strict-transport-security' absent ||
        rc=1
    pid=$(<"$dir/nginx.pid")
    kill "$pid" 2>/dev/null || true
    fa_stop_pidfile "$dir/nginx.pid" nginx 10 || true
    return "$rc"
}
