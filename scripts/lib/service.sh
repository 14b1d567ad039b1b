# shellcheck shell=bash
# The processes around the database: foundry-auth serve, foundry-auth jobs and
# the GitHub emulator. Each runs in the background with a pid file and a log.
#
# Each runs in its own session (setsid), so a Ctrl-C in the terminal reaches
# only the script, which then stops them in order (nginx first).
#
# The service gets exactly the environment in its env file (KEY=value lines,
# no quoting; written by fa_env_write), nothing inherited: what the tests read
# back from FA_TEST_ENV_FILE is what the service saw.

# fa_env_write FILE KEY=value...: the file is 0600 (it holds the secrets).
fa_env_write() {
    local file=$1 kv
    shift
    (umask 077 && : >"$file")
    for kv in "$@"; do
        [[ $kv != *$'\n'* ]] || fa_die "newline in environment value for ${kv%%=*}"
        printf '%s\n' "$kv" >>"$file"
    done
}

# fa_env_read FILE: fills the array FA_ENV with the file's KEY=value lines.
fa_env_read() {
    mapfile -t FA_ENV < <(grep -v '^[[:space:]]*\(#\|$\)' "$1")
}

# fa_socket_dir DIR: root:www-data 0750, so only nginx's workers (and root)
# can reach the socket inside (invariant 10).
fa_socket_dir() {
    mkdir -p "$1"
    chown root:www-data "$1"
    chmod 0750 "$1"
}

# fa_service_start BIN ENV_FILE PIDFILE LOG SOCKET
fa_service_start() {
    local bin=$1 env_file=$2 pidfile=$3 log=$4 socket=$5 pid
    fa_pid_alive "$pidfile" && fa_die "foundry-auth is already running (pid $(<"$pidfile"))"
    rm -f "$socket"
    fa_env_read "$env_file"
    fa_log "starting foundry-auth serve (log: $log)"
    setsid env -i "${FA_ENV[@]}" "$bin" serve </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    if ! fa_wait_until 20 "the service socket $socket" fa_service_socket_up "$pid" "$socket"; then
        tail -n 30 "$log" >&2 || true
        kill -0 "$pid" 2>/dev/null || fa_die "foundry-auth serve exited during start-up (log: $log)"
        fa_die "foundry-auth serve did not create $socket (log: $log)"
    fi
}

# Stops the waiting early when the process is gone (a config error exits 2).
fa_service_socket_up() {
    kill -0 "$1" 2>/dev/null || return 125
    [[ -S $2 ]]
}

fa_service_stop() {
    [[ -n ${1:-} ]] || return 0
    fa_stop_pidfile "$1" "foundry-auth serve" 20
}

# fa_emulator_start PORT CLIENT_ID CLIENT_SECRET CALLBACK_URL PIDFILE LOG [--auto-approve]
# Sets FA_EMULATOR_URL from the emulator's "listening on" line (PORT 0 = any).
fa_emulator_start() {
    local port=$1 id=$2 secret=$3 callback=$4 pidfile=$5 log=$6 out
    shift 6
    out=$log.stdout
    : >"$out"
    setsid node "$FA_ROOT/tests/github-emulator/emulator.js" --port "$port" --client-id "$id" \
        --client-secret "$secret" --callback-url "$callback" --log "$log" "$@" \
        </dev/null >"$out" 2>&1 &
    echo $! >"$pidfile"
    if ! fa_wait_until 15 "the GitHub emulator" fa_emulator_listening "$pidfile" "$out"; then
        cat "$out" >&2
        fa_die "the GitHub emulator did not start"
    fi
    FA_EMULATOR_URL=$(grep -o 'listening on http://[^ ]*' "$out" | head -n 1 | cut -d' ' -f3)
    export FA_EMULATOR_URL
}

fa_emulator_listening() {
    fa_pid_alive "$1" || return 125
    grep -q 'github-emulator listening on http://' "$2"
}

fa_emulator_stop() {
    [[ -n ${1:-} ]] || return 0
    fa_stop_pidfile "$1" "GitHub emulator" 5
}

# A random secret: 32 bytes as 64 hex characters.
fa_random_hex() {
    openssl rand -hex "${1:-32}"
}
