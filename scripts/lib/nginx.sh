# shellcheck shell=bash
# nginx for development and tests, from nginx/dev/nginx.conf.template.
#
# fa_nginx_render DIR PORT SOCKET RATE [SIGNIN_SOCKET]
#                                        writes DIR/nginx.conf and checks it (nginx -t);
#                                        SIGNIN_SOCKET defaults to fa_signin_socket_of SOCKET
# fa_nginx_start / fa_nginx_stop         run it as a daemon with its pid file in DIR
# After fa_nginx_render: FA_NGINX_DIR, FA_NGINX_CONF, FA_NGINX_PORT, FA_NGINX_URL.

FA_NGINX_TEMPLATE=$FA_ROOT/nginx/dev/nginx.conf.template

# nginx's workers run as www-data and must read the pages: serve the repo's
# copy when they can reach it, otherwise a copy refreshed at every start.
fa_nginx_static_root() {
    local src=$FA_ROOT/nginx/static copy=$1/static
    if (cd / && runuser -u www-data -- test -r "$src/index.html") 2>/dev/null; then
        echo "$src"
        return
    fi
    rm -rf "$copy"
    cp -r "$src" "$copy"
    chmod -R a+rX "$copy"
    echo "$copy"
}

# fa_signin_socket_of SOCKET: the sign-in pool's socket the service derives
# from FOUNDRY_AUTH_SOCKET when FOUNDRY_AUTH_SIGNIN_SOCKET is unset
# (app/core/config.c): x.sock -> x-signin.sock, anything else + ".signin".
fa_signin_socket_of() {
    case $1 in
    *.sock) echo "${1%.sock}-signin.sock" ;;
    *) echo "$1.signin" ;;
    esac
}

fa_nginx_render() {
    local dir=$1 port=$2 socket=$3 rate=$4 signin_socket static
    signin_socket=${5:-$(fa_signin_socket_of "$socket")}
    mkdir -p "$dir/tmp"
    chmod 0755 "$dir"
    # Relative includes resolve against the rendered file's directory, so the
    # snippets are found exactly as in production (/etc/nginx/snippets).
    ln -sfn "$FA_ROOT/nginx/snippets" "$dir/snippets"
    static=$(fa_nginx_static_root "$dir")
    # shellcheck disable=SC2016 # envsubst's list of names, not expansions
    FA_NGINX_DIR=$dir FA_NGINX_PORT=$port FA_SOCKET=$socket FA_STATIC_ROOT=$static \
        FA_AUTH_RATE=$rate FA_SIGNIN_SOCKET=$signin_socket envsubst \
        '${FA_NGINX_DIR} ${FA_NGINX_PORT} ${FA_SOCKET} ${FA_STATIC_ROOT} ${FA_AUTH_RATE} ${FA_SIGNIN_SOCKET}' \
        <"$FA_NGINX_TEMPLATE" >"$dir/nginx.conf"
    FA_NGINX_DIR=$dir
    FA_NGINX_CONF=$dir/nginx.conf
    FA_NGINX_PORT=$port
    FA_NGINX_URL=http://127.0.0.1:$port
    export FA_NGINX_DIR FA_NGINX_CONF FA_NGINX_PORT FA_NGINX_URL
    nginx -t -q -c "$FA_NGINX_CONF" || fa_die "nginx rejected $FA_NGINX_CONF"
}

# Any HTTP answer counts (a 502 while the service is down is still nginx).
fa_nginx_answers() {
    curl -s -o /dev/null --max-time 2 "$FA_NGINX_URL/"
}

fa_nginx_start() {
    local pidfile=$FA_NGINX_DIR/nginx.pid
    if fa_pid_alive "$pidfile"; then
        fa_log "nginx already running (pid $(<"$pidfile")); reloading its configuration"
        nginx -c "$FA_NGINX_CONF" -s reload
        return 0
    fi
    fa_port_free "$FA_NGINX_PORT" || fa_die "port $FA_NGINX_PORT is already in use"
    nginx -c "$FA_NGINX_CONF" || fa_die "nginx did not start (see $FA_NGINX_DIR/error.log)"
    fa_wait_until 10 "nginx on $FA_NGINX_URL" fa_nginx_answers ||
        fa_die "nginx does not answer (see $FA_NGINX_DIR/error.log)"
}

fa_nginx_stop() {
    [[ -n ${FA_NGINX_DIR:-} ]] || return 0
    fa_stop_pidfile "$FA_NGINX_DIR/nginx.pid" nginx 10
}
