# shellcheck shell=bash
# A private PostgreSQL 15 cluster for development and tests.
#
# DEV/TEST ONLY: the cluster uses trust authentication, which is safe here only
# because it listens on 127.0.0.1 and on a unix socket inside its own
# directory. Production uses a real PostgreSQL with password or certificate
# authentication; nothing in this file is meant for it.
#
# Usage: fa_pg_init DIR PORT MODE (MODE = run | test), then fa_pg_start,
# fa_pg_stop. DIR must be reachable by the postgres user (see fa_runtime_dir);
# an existing cluster there is reused. After fa_pg_init these are set:
#   FA_PG_DATA, FA_PG_SOCKET_DIR, FA_PG_PORT, FA_PG_LOG
#   DATABASE_URL        the service's connection (role foundry_auth)
#   FA_PG_ADMIN_URL     the superuser connection to the same database
#   FA_PG_START_CMD / FA_PG_STOP_CMD  shell commands (for FA_TEST_PG_START/STOP)

FA_PG_BIN=${FA_PG_BIN:-/usr/lib/postgresql/15/bin}

# Runs a command as the postgres user (initdb and postgres refuse root), from /
# so it never complains about root's working directory.
fa_pg_as_postgres() {
    (cd / && runuser -u postgres -- "$@")
}

fa_pg_init() {
    local base=$1 port=$2 mode=$3
    FA_PG_DATA=$base/data
    FA_PG_SOCKET_DIR=$base/socket
    FA_PG_LOG=$base/postgresql.log
    FA_PG_PORT=$port
    mkdir -p "$base" "$FA_PG_SOCKET_DIR"
    chown postgres:postgres "$base" "$FA_PG_SOCKET_DIR"
    chmod 0700 "$base"
    chmod 0700 "$FA_PG_SOCKET_DIR"
    if [[ ! -s $FA_PG_DATA/PG_VERSION ]]; then
        fa_log "creating PostgreSQL cluster in $FA_PG_DATA"
        fa_pg_as_postgres "$FA_PG_BIN/initdb" -D "$FA_PG_DATA" -U postgres --auth=trust \
            -E UTF8 --locale=C.UTF-8 --no-instructions >"$base/initdb.log" 2>&1 ||
            { cat "$base/initdb.log" >&2; fa_die "initdb failed"; }
        printf "include_if_exists 'foundry-auth.conf'\n" >>"$FA_PG_DATA/postgresql.conf"
    fi
    fa_pg_write_conf "$mode"
    DATABASE_URL="host=127.0.0.1 port=$FA_PG_PORT dbname=foundry_auth user=foundry_auth"
    FA_PG_ADMIN_URL="host=127.0.0.1 port=$FA_PG_PORT dbname=foundry_auth user=postgres"
    FA_PG_START_CMD="cd / && runuser -u postgres -- $(printf '%q ' "$FA_PG_BIN/pg_ctl" -D "$FA_PG_DATA" -l "$FA_PG_LOG" -w -t 60 start) >/dev/null"
    FA_PG_STOP_CMD="cd / && runuser -u postgres -- $(printf '%q ' "$FA_PG_BIN/pg_ctl" -D "$FA_PG_DATA" -m fast -w -t 60 stop) >/dev/null"
    export DATABASE_URL FA_PG_ADMIN_URL FA_PG_DATA FA_PG_SOCKET_DIR FA_PG_PORT FA_PG_LOG
    export FA_PG_START_CMD FA_PG_STOP_CMD
}

# Rewritten at every start, so a changed port or mode takes effect.
fa_pg_write_conf() {
    local mode=$1 conf=$FA_PG_DATA/foundry-auth.conf
    {
        echo "# Written by scripts/lib/pg.sh at every start; edits are lost."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $FA_PG_PORT"
        echo "unix_socket_directories = '$FA_PG_SOCKET_DIR'"
        echo "max_connections = 100"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if [[ $mode == test ]]; then
            # Throwaway test clusters: durability buys nothing and costs seconds.
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >"$conf"
    chown postgres:postgres "$conf"
}

fa_pg_running() {
    fa_pg_as_postgres "$FA_PG_BIN/pg_ctl" -D "$FA_PG_DATA" status >/dev/null 2>&1
}

fa_pg_wait_ready() {
    fa_wait_until "${1:-30}" "PostgreSQL on port $FA_PG_PORT" \
        "$FA_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$FA_PG_PORT" -d postgres -U postgres
}

fa_pg_start() {
    if ! fa_pg_running; then
        fa_log "starting PostgreSQL on 127.0.0.1:$FA_PG_PORT (log: $FA_PG_LOG)"
        if ! bash -c "$FA_PG_START_CMD"; then
            tail -n 20 "$FA_PG_LOG" >&2 || true
            fa_die "PostgreSQL did not start"
        fi
    fi
    fa_pg_wait_ready 30 || fa_die "PostgreSQL is not accepting connections (log: $FA_PG_LOG)"
    fa_pg_create_database
}

fa_pg_stop() {
    [[ -n ${FA_PG_DATA:-} && -d ${FA_PG_DATA:-} ]] || return 0
    if fa_pg_running; then
        bash -c "$FA_PG_STOP_CMD" || fa_log "PostgreSQL did not stop cleanly (log: $FA_PG_LOG)"
    fi
}

fa_pg_psql_admin() {
    "$FA_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$FA_PG_PORT" -U postgres "$@"
}

# Role and database foundry_auth, owned by that role so migrations run as it.
fa_pg_create_database() {
    local exists
    exists=$(fa_pg_psql_admin -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'foundry_auth'")
    [[ $exists == 1 ]] || fa_pg_psql_admin -d postgres -c "CREATE ROLE foundry_auth LOGIN"
    exists=$(fa_pg_psql_admin -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'foundry_auth'")
    [[ $exists == 1 ]] || fa_pg_psql_admin -d postgres -c \
        "CREATE DATABASE foundry_auth OWNER foundry_auth ENCODING 'UTF8' TEMPLATE template0"
}
