# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # BENCH_MASTER and friends live in bench.sh
# scripts/bench: where the time goes, for the targets a run missed.
#
# Virtual machines rarely expose hardware counters (`perf stat -e
# instructions` answers "not supported" here) and perf's cpu-clock samples of
# a worker then land mostly on the scheduler, so the profiles are exact
# counts instead:
#
# bench_syscalls NAME SECONDS   strace -c on the upstream's workers under one
#                               connection: system calls per request
# bench_callgrind NAME...       restarts the service (one worker) and the ideal
#                               floor under callgrind, drives each NAME with
#                               one connection for BENCH_CG_SECONDS against a
#                               fresh worker, and writes user-space
#                               instructions per request by function.
#                               Run it last: it leaves both under valgrind.

BENCH_CG_SECONDS=${BENCH_CG_SECONDS:-3}

bench_syscalls() {
    local name=$1 seconds=$2 up=${T_UP[$1]} out=$BENCH_DIR/syscalls-$1.txt p n spid args=()
    command -v strace >/dev/null || return 0
    for p in $(bench_pids "$up"); do args+=(-p "$p"); done
    ((${#args[@]})) || return 0
    strace -c -S calls -o "$out.raw" "${args[@]}" 2>/dev/null &
    spid=$!
    sleep 0.5
    bench_wrk "$name" 1 "$seconds" "$BENCH_DIR/wrk/strace-$name.txt"
    kill -INT "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    n=$(bench_field "$(grep '^BENCH ' "$BENCH_DIR/wrk/strace-$name.txt" || true)" requests)
    [[ -n $n && $n -gt 0 && -s $out.raw ]] || return 0
    # Rows: % time, seconds, usecs/call, calls, [errors], syscall.
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { printf "%.2f\t%s\n", $4 / n, $NF }' \
        "$out.raw" | sort -rn >"$out"
}

# The valgrind "binary" fa_service_start runs as BIN serve. Only the
# per-request functions given are collected (--toggle-collect), not the
# start-up. --vgdb=no: a worker's gdbserver FIFOs are created while it is
# still root and become unusable once it drops privileges (valgrind then
# aborts the worker). The worker writes its output file after dropping
# privileges, hence the 1777 directory.
bench_cg_wrapper() {
    local dir=$1 real=$2 name=$3 toggles='' t
    shift 3
    for t in "$@"; do toggles+=" --toggle-collect=$t"; done
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --vgdb=no --trace-children=yes --collect-atstart=no%s --callgrind-out-file=%s/cg.%%p.out %s "$@"\n' \
        "$toggles" "$dir" "$real" >"$dir/$name"
    chmod +x "$dir/$name"
}

# The service's per-request path is the body of worker.c's loop; the ideal
# floor's is fa_bench_request (tests/bench/bench_fcgi.h).
bench_cg_restart() {
    local dir=$1 pid
    fa_service_stop "$BENCH_DIR/service.pid"
    sed 's/^FOUNDRY_AUTH_WORKERS=.*/FOUNDRY_AUTH_WORKERS=1/' "$BENCH_DIR/service.env" >"$dir/service.env"
    chmod 0600 "$dir/service.env"
    bench_cg_wrapper "$dir" "$FA_BENCH_BUILD/foundry-auth" valgrind-foundry-auth \
        fa_fcgi_accept fa_worker_dispatch fa_fcgi_write fa_fcgi_finish fa_arena_reset
    fa_service_start "$dir/valgrind-foundry-auth" "$dir/service.env" "$BENCH_DIR/service.pid" \
        "$BENCH_DIR/service-callgrind.log" "$BENCH_DIR/run/foundry-auth.sock"
    BENCH_MASTER[service]=$(<"$BENCH_DIR/service.pid")

    fa_stop_pidfile "$BENCH_DIR/ideal.pid" "ideal fixture" 5 || true
    bench_cg_wrapper "$dir" "$FA_BENCH_BUILD/fcgi_ideal_session" valgrind-ideal 'fa_bench_request*'
    rm -f "$BENCH_DIR/run/ideal.sock"
    setsid "$dir/valgrind-ideal" "$BENCH_DIR/run/ideal.sock" 1 "$DATABASE_URL" foundry_session \
        </dev/null >>"$BENCH_DIR/ideal-callgrind.log" 2>&1 &
    pid=$!
    echo "$pid" >"$BENCH_DIR/ideal.pid"
    BENCH_MASTER[ideal]=$pid
    fa_wait_until 60 "the ideal floor under callgrind" fa_service_socket_up "$pid" \
        "$BENCH_DIR/run/ideal.sock" || return 1
    bench_cg_worker service >/dev/null && bench_cg_worker ideal >/dev/null
}

# bench_cg_worker UPSTREAM: prints the pid of its one worker once it is up
# (a fresh one after bench_cg_one stopped the previous).
bench_cg_worker() {
    local i pid
    for ((i = 0; i < 300; i++)); do
        pid=$(bench_pids "$1" | head -n 1)
        if [[ -n $pid && $pid != "${BENCH_CG_LAST:-}" ]]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
    fa_log "no worker for $1 under callgrind"
    return 1
}

# bench_cg_one NAME DIR: one connection for a fixed time against a fresh
# worker, then stop that worker (callgrind writes its file at exit) and
# divide by the requests it served.
bench_cg_one() {
    local name=$1 dir=$2 up=${T_UP[$1]} pid n file i out=$BENCH_DIR/callgrind-$1.txt
    pid=$(bench_cg_worker "$up") || return 0
    sleep 2 # the fresh worker's start-up (database connection) under valgrind
    bench_wrk "$name" 1 "$BENCH_CG_SECONDS" "$BENCH_DIR/wrk/cg-$name.txt"
    n=$(bench_field "$(grep '^BENCH ' "$BENCH_DIR/wrk/cg-$name.txt" || true)" requests)
    kill -TERM "$pid" 2>/dev/null || true
    BENCH_CG_LAST=$pid
    file=$dir/cg.$pid.out
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -s $file && -n $n && $n -gt 0 ]] || { fa_log "no callgrind output for $name"; return 0; }
    {
        callgrind_annotate "$file" 2>/dev/null |
            awk -v n="$n" -v name="$name" '/PROGRAM TOTALS/ { gsub(",", "", $1)
                printf "%s: %.0f instructions per request (user space, %d requests)\n", name, $1 / n, n }'
        echo
        echo "inclusive (instructions per request, function):"
        bench_cg_table "$file" "$n" --inclusive=yes 30
        echo
        echo "self:"
        bench_cg_table "$file" "$n" --inclusive=no 15
    } >"$out"
}

# bench_cg_table FILE REQUESTS MODE ROWS: callgrind_annotate's rows per
# request, each function once (it lists some under two file names), frames
# that hold the whole request (main, the loop) left out, and functions of
# stripped libraries named after their library.
bench_cg_table() {
    local file=$1 n=$2 mode=$3 rows=$4 total
    total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    callgrind_annotate "$mode" "$file" 2>/dev/null |
        awk -v n="$n" -v rows="$rows" -v total="$total" '
            /file:function/ { on = 1; next }
            on && /^ *[0-9,]+ / {
                ir = $1; gsub(",", "", ir)
                if (ir + 0 >= total + 0) next
                obj = ""
                if (index($0, "[")) { obj = $0; sub(/^.*\[/, "", obj); sub(/\].*$/, "", obj); sub(/^.*\//, "", obj) }
                fn = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", fn); sub(/ \[.*\]$/, "", fn)
                sub(/^[^:]*:/, "", fn)
                if (fn ~ /^0x/) fn = "(code in " (obj == "" ? "?" : obj) ")"
                if (seen[fn]++ || k++ >= rows) next
                printf "%10.0f  %-34s %s\n", ir / n, fn, obj
            }'
}

bench_callgrind() {
    local dir=$BENCH_DIR/callgrind name
    command -v callgrind_annotate >/dev/null || { fa_log "no valgrind: no callgrind profiles"; return 0; }
    mkdir -p "$dir"
    chmod 1777 "$dir"
    BENCH_CG_LAST=''
    bench_cg_restart "$dir" || { fa_log "callgrind set-up failed"; return 0; }
    for name in "$@"; do
        bench_cg_one "$name" "$dir"
    done
}
