# shellcheck shell=bash
# foundry-auth jobs: the background worker beside the service (org sync,
# garbage collection). Source after common.sh and service.sh (it uses
# fa_env_read).
#
# fa_jobs_start BIN ENV_FILE PIDFILE LOG
#   Runs `BIN jobs` with exactly the environment in ENV_FILE (like the
#   service), in its own session, stderr+stdout appended to LOG, and waits up
#   to 15 s for its "listening on channel foundry_jobs" log line, so a test
#   never enqueues work before someone listens. Exports FA_TEST_JOBS_PIDFILE
#   and FA_TEST_JOBS_LOG (the integration suites pause it with SIGSTOP to
#   observe a pending sync, and read its log).
# fa_jobs_stop PIDFILE
#   SIGTERM: the job in flight finishes, then it exits 0.

fa_jobs_start() {
    local bin=$1 env_file=$2 pidfile=$3 log=$4 offset=0 pid
    fa_pid_alive "$pidfile" && fa_die "foundry-auth jobs is already running (pid $(<"$pidfile"))"
    [[ -e $log ]] && offset=$(stat -c %s "$log")
    fa_env_read "$env_file"
    fa_log "starting foundry-auth jobs (log: $log)"
    setsid env -i "${FA_ENV[@]}" "$bin" jobs </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    if ! fa_wait_until 15 "foundry-auth jobs to listen" fa_jobs_listening "$pid" "$log" "$offset"; then
        tail -n 20 "$log" >&2 || true
        kill -0 "$pid" 2>/dev/null || fa_die "foundry-auth jobs exited during start-up (log: $log)"
        fa_die "foundry-auth jobs did not start listening (log: $log)"
    fi
    export FA_TEST_JOBS_PIDFILE=$pidfile FA_TEST_JOBS_LOG=$log
}

# Only lines written since this start count (the log is appended to).
fa_jobs_listening() {
    kill -0 "$1" 2>/dev/null || return 125
    tail -c +"$(($3 + 1))" "$2" | grep -q 'listening on channel foundry_jobs'
}

fa_jobs_stop() {
    [[ -n ${1:-} ]] || return 0
    fa_stop_pidfile "$1" "foundry-auth jobs" 20
}
