# shellcheck shell=bash
# Helpers every script sources: repo paths, messages, waiting, free ports.

FA_ROOT=${FA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FA_SCRIPT=${FA_SCRIPT:-$(basename "$0")}

fa_log() { printf '%s: %s\n' "$FA_SCRIPT" "$*" >&2; }
fa_die() { fa_log "error: $*"; exit 1; }

# fa_wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until
# it succeeds. A COMMAND exiting 125 means "will never succeed" (the process
# being waited for died): stop at once.
fa_wait_until() {
    local seconds=$1 what=$2 i rc
    shift 2
    for ((i = 0; i < seconds * 10; i++)); do
        rc=0
        "$@" >/dev/null 2>&1 || rc=$?
        ((rc == 0)) && return 0
        if ((rc == 125)); then
            fa_log "gave up waiting for $what"
            return 1
        fi
        sleep 0.1
    done
    fa_log "timed out after ${seconds}s waiting for $what"
    return 1
}

# fa_port_free PORT: true when nothing listens on 127.0.0.1:PORT.
fa_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# fa_free_port: prints a random TCP port nothing listens on, below the
# kernel's ephemeral range (an outgoing connection could take a port from
# that range between the check and the bind).
fa_free_port() {
    local low=32768 top port i
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    top=$((low > 12000 ? low : 32768))
    for ((i = 0; i < 200; i++)); do
        port=$((10000 + (RANDOM * 32768 + RANDOM) % (top - 10000)))
        if fa_port_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    fa_log "no free port found"
    return 1
}

# fa_pid_alive PIDFILE: the process named in PIDFILE is running.
fa_pid_alive() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# fa_stop_pidfile PIDFILE NAME [SECONDS]: SIGTERM, wait, SIGKILL as a last resort.
fa_stop_pidfile() {
    local pidfile=$1 name=$2 seconds=${3:-15} pid i
    fa_pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    pid=$(<"$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    fa_log "$name (pid $pid) did not stop after ${seconds}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    return 1
}

# fa_user_can_reach USER DIR: USER may traverse every directory down to DIR.
fa_user_can_reach() {
    (cd / && runuser -u "$1" -- test -x "$2") 2>/dev/null
}

# fa_runtime_dir VAR_DIR: where the parts that run as other users live
# (PostgreSQL as postgres; nginx's workers, the FastCGI socket and the static
# pages as www-data). VAR_DIR itself when both can reach it; otherwise (a repo
# under a 0700 home, say) a stable directory under /tmp named after VAR_DIR,
# so a second run finds the same cluster again.
fa_runtime_dir() {
    local var_dir=$1 tag dir
    mkdir -p "$var_dir"
    var_dir=$(cd "$var_dir" && pwd)
    if fa_user_can_reach postgres "$var_dir" && fa_user_can_reach www-data "$var_dir"; then
        printf '%s\n' "$var_dir"
        return
    fi
    tag=$(printf '%s' "$var_dir" | sha256sum | cut -c1-12)
    dir=/tmp/foundry-auth-$tag
    mkdir -p "$dir"
    chmod 0755 "$dir"
    printf '%s\n' "$dir"
}
