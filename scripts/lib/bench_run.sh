# shellcheck shell=bash
# shellcheck disable=SC2034 # globals shared across scripts/lib/bench*.sh
# scripts/bench: the measurements. Every load is bounded in time (wrk -d,
# pgbench -T, signin_driver SECONDS). Each run appends one row to
# $BENCH_DIR/runs.tsv (columns in BENCH_COLUMNS), which bench_report.sh
# turns into bench/results/.
#
# bench_target NAME UPSTREAM PATH [METHOD] [BODY] [cookie]   declares a load
# bench_series NAME                   p50 at 1 connection, then BENCH_RUNS runs at 32
# bench_measure NAME CONNS SECONDS RUN   one wrk run, recorded
# bench_pgbench                       floor 4
# bench_signins                       complete sign-ins, and the emulator alone

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_C1_SECONDS=${BENCH_C1_SECONDS:-3}
BENCH_CURVE_SECONDS=${BENCH_CURVE_SECONDS:-3}
BENCH_CONNS=32
BENCH_CURVE_CONNS=(1 8 32 128)
BENCH_CLK_TCK=$(getconf CLK_TCK)
BENCH_COLUMNS='label conns run rps p50_us p99_us requests errors app_cpu_us nginx_cpu_us pg_cpu_us total_cpu_us rss_kib anon_kib stmts_per_req'

declare -gA T_UP=() T_PATH=() T_METHOD=() T_BODY=() T_COOKIE=() T_DB=()

bench_target() {
    local name=$1
    T_UP[$name]=$2
    T_PATH[$name]=$3
    T_METHOD[$name]=${4:-GET}
    T_BODY[$name]=${5:-}
    T_COOKIE[$name]=${6:-}
    T_DB[$name]=foundry_auth
}

bench_record() {
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$BENCH_DIR/runs.tsv"
}

# bench_field LINE KEY: the value of KEY=value in a BENCH summary line.
bench_field() {
    sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"
}

# CPU time (clock ticks) used so far by the given processes.
bench_cpu_ticks() {
    local p
    for p in "$@"; do
        # A process may exit between the listing and the read (PostgreSQL
        # backends come and go): it counts as nothing, not as a failure.
        sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
    done | awk '{ s += $12 + $13 } END { print s + 0 }'
}

# Busy ticks of the whole machine (all CPUs), for "everything else" (wrk).
bench_cpu_total() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

bench_statements() {
    bench_psql -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$1'" 2>/dev/null || echo 0
}

# Largest VmRSS and RssAnon (KiB) among the upstream's workers.
bench_rss() {
    local p rss=0 anon=0 r a
    for p in $(bench_pids "$1"); do
        r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
        a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
        ((${r:-0} > rss)) && rss=$r
        ((${a:-0} > anon)) && anon=$a
    done
    echo "$rss $anon"
}

# bench_check NAME: one request; the load runs only against a target that
# answers 2xx (a route the binary does not have yet is reported as such).
bench_check() {
    local name=$1 up=${T_UP[$1]} code args=()
    [[ -n ${T_COOKIE[$name]} ]] && args+=(-H "Cookie: foundry_session=${T_COOKIE[$name]}")
    [[ -n ${T_BODY[$name]} ]] && args+=(-H 'Content-Type: application/json' -d "${T_BODY[$name]}")
    code=$(curl -s -o "$BENCH_DIR/check.$name" -w '%{http_code}' --max-time 10 \
        -X "${T_METHOD[$name]}" "${args[@]}" "${BENCH_URL[$up]}${T_PATH[$name]}" || true)
    if [[ $code != 2* ]]; then
        fa_log "$name: ${T_METHOD[$name]} ${T_PATH[$name]} answered $code; not measured"
        printf '%s\t%s\n' "$name" "not available (answers $code)" >>"$BENCH_DIR/unavailable.tsv"
        return 1
    fi
}

bench_wrk() {
    local name=$1 conns=$2 seconds=$3 out=$4 threads=2 args=()
    ((conns < 2)) && threads=1
    [[ -n ${T_COOKIE[$name]} ]] && args+=(-H "Cookie: foundry_session=${T_COOKIE[$name]}")
    BENCH_METHOD=${T_METHOD[$name]} BENCH_BODY=${T_BODY[$name]} \
        wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency --timeout 5s \
        -s "$FA_ROOT/tests/bench/wrk_report.lua" "${args[@]}" \
        "${BENCH_URL[${T_UP[$name]}]}${T_PATH[$name]}" >"$out" 2>&1 || true
}

# bench_measure NAME CONNS SECONDS RUN [LABEL]: one run, with the CPU each
# part used (FastCGI workers, nginx, PostgreSQL, the whole machine) per
# request, statements per request, and the workers' RSS afterwards.
bench_measure() {
    local name=$1 conns=$2 seconds=$3 run=$4 label=${5:-$1} up=${T_UP[$1]}
    local out=$BENCH_DIR/wrk/$label-c$conns-$run.txt line n
    local app0 ngx0 pg0 tot0 st0 app1 ngx1 pg1 tot1 st1 rss
    mkdir -p "$BENCH_DIR/wrk"
    # shellcheck disable=SC2046 # word splitting of pid lists is intended
    {
        st0=$(bench_statements "${T_DB[$name]}")
        app0=$(bench_cpu_ticks $(bench_pids "$up"))
        ngx0=$(bench_cpu_ticks $(bench_nginx_pids "$up"))
        pg0=$(bench_cpu_ticks $(bench_pg_pids))
        tot0=$(bench_cpu_total)
        bench_wrk "$name" "$conns" "$seconds" "$out"
        tot1=$(bench_cpu_total)
        app1=$(bench_cpu_ticks $(bench_pids "$up"))
        ngx1=$(bench_cpu_ticks $(bench_nginx_pids "$up"))
        pg1=$(bench_cpu_ticks $(bench_pg_pids))
        st1=$(bench_statements "${T_DB[$name]}")
    }
    rss=$(bench_rss "$up")
    line=$(grep '^BENCH ' "$out" || true)
    if [[ -z $line ]]; then
        fa_log "$label c$conns run $run: wrk gave no summary (see $out)"
        return 0
    fi
    n=$(bench_field "$line" requests)
    ((n > 0)) || n=1
    bench_record "$label" "$conns" "$run" "$(bench_field "$line" rps)" \
        "$(bench_field "$line" p50_us)" "$(bench_field "$line" p99_us)" "$n" \
        "$(bench_field "$line" errors)" \
        "$(bench_per_req $((app1 - app0)) "$n")" "$(bench_per_req $((ngx1 - ngx0)) "$n")" \
        "$(bench_per_req $((pg1 - pg0)) "$n")" "$(bench_per_req $((tot1 - tot0)) "$n")" \
        "${rss% *}" "${rss#* }" \
        "$(awk -v a="$st0" -v b="$st1" -v n="$n" 'BEGIN { printf "%.2f", (b - a - 1) / n }')"
    printf '%s: %-16s c=%-3s run %s  %9s req/s  p50 %6s us  p99 %7s us  errors %s\n' \
        "$FA_SCRIPT" "$label" "$conns" "$run" "$(bench_field "$line" rps)" \
        "$(bench_field "$line" p50_us)" "$(bench_field "$line" p99_us)" \
        "$(bench_field "$line" errors)" >&2
    sleep 1
}

# Ticks over N requests, as microseconds of CPU per request.
bench_per_req() {
    awk -v t="$1" -v n="$2" -v hz="$BENCH_CLK_TCK" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'
}

bench_series() {
    local name=$1 run
    bench_check "$name" || return 0
    bench_measure "$name" 1 "$BENCH_C1_SECONDS" 1
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        bench_measure "$name" "$BENCH_CONNS" "$BENCH_SECONDS" "$run"
    done
}

# bench_rounds NAME...: the 1-connection run of each, then BENCH_RUNS rounds
# of one c32 run of each in turn. Interleaved, a machine that speeds up or
# slows down over the minutes of a run (a shared VM does) moves floors and
# endpoints alike, so the ratios stay fair.
bench_rounds() {
    local name run names=()
    for name in "$@"; do
        if bench_check "$name"; then
            names+=("$name")
        fi
    done
    for name in "${names[@]}"; do
        bench_measure "$name" 1 "$BENCH_C1_SECONDS" 1
    done
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        for name in "${names[@]}"; do
            bench_measure "$name" "$BENCH_CONNS" "$BENCH_SECONDS" "$run"
        done
    done
}

bench_curve() {
    local name=$1 c
    [[ -n ${T_UP[$name]:-} ]] || return 0
    grep -q "^$name	" "$BENCH_DIR/unavailable.tsv" 2>/dev/null && return 0
    for c in "${BENCH_CURVE_CONNS[@]}"; do
        bench_measure "$name" "$c" "$BENCH_CURVE_SECONDS" 1 "curve_$name"
    done
}

# Floor 4: PostgreSQL alone answering prepared primary-key reads (pgbench's
# own tables in their own database, same cluster, same TCP loopback).
bench_pgbench() {
    local seconds=$1 dir=$BENCH_DIR/pgbench c
    local args=(-h 127.0.0.1 -p "$FA_PG_PORT" -U postgres)
    mkdir -p "$dir"
    fa_pg_psql_admin -d postgres -c 'CREATE DATABASE pgbench' 2>/dev/null || true
    pgbench "${args[@]}" -i -s 1 -q pgbench >"$dir/init.log" 2>&1 ||
        { fa_log "pgbench -i failed (see $dir/init.log)"; return 0; }
    for c in 1 8; do
        rm -f "$dir"/pgbench_log.*
        (cd "$dir" && pgbench "${args[@]}" -S -M prepared -c "$c" -j "$((c > 1 ? 2 : 1))" \
            -T "$((c > 1 ? seconds : BENCH_C1_SECONDS))" -l pgbench >"$dir/c$c.log" 2>&1) ||
            { fa_log "pgbench failed (see $dir/c$c.log)"; return 0; }
        # Per-transaction log: field 3 is the latency in microseconds.
        cat "$dir"/pgbench_log.* | awk '{ print $3 }' | sort -n >"$dir/lat"
        local n tps p50 p99
        n=$(wc -l <"$dir/lat")
        tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/c$c.log")
        p50=$(sed -n "$((n / 2 + 1))p" "$dir/lat")
        p99=$(sed -n "$((n * 99 / 100 + 1))p" "$dir/lat")
        bench_record floor4_pgbench "$c" 1 "$tps" "$p50" "$p99" "$n" 0 - - - - - - 1.00
        fa_log "floor4_pgbench c=$c: $tps tps, p50 $p50 us, p99 $p99 us"
    done
    rm -f "$dir"/pgbench_log.* "$dir/lat"
}

# The jobs the sign-ins enqueued (org sync) must be done before other loads.
bench_jobs_settle() {
    local i n
    for ((i = 0; i < 100; i++)); do
        n=$(bench_psql -c "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')
            AND run_at <= now()" 2>/dev/null || echo 0)
        [[ $n == 0 ]] && return 0
        sleep 0.2
    done
}

# bench_driver LABEL RUN DRIVER_ARGS...: one signin_driver run, with the CPU
# the service's workers, its nginx, PostgreSQL and the whole machine used per
# sign-in (and, in $BENCH_DIR/signin_cpu.tsv, the emulator and job worker).
bench_driver() {
    local label=$1 run=$2 out=$BENCH_DIR/wrk/$1-$2.txt line n c0 c1 i
    shift 2
    # shellcheck disable=SC2046 # pid lists
    {
        c0=("$(bench_cpu_ticks $(bench_pids service))" "$(bench_cpu_ticks $(bench_nginx_pids service))"
            "$(bench_cpu_ticks $(bench_pg_pids))" "$(bench_cpu_ticks "$(<"$BENCH_DIR/emulator.pid")")"
            "$(bench_cpu_ticks "$(<"$BENCH_DIR/jobs.pid")")" "$(bench_cpu_total)")
        "$FA_BENCH_BUILD/signin_driver" "$@" >"$out" 2>&1 || true
        c1=("$(bench_cpu_ticks $(bench_pids service))" "$(bench_cpu_ticks $(bench_nginx_pids service))"
            "$(bench_cpu_ticks $(bench_pg_pids))" "$(bench_cpu_ticks "$(<"$BENCH_DIR/emulator.pid")")"
            "$(bench_cpu_ticks "$(<"$BENCH_DIR/jobs.pid")")" "$(bench_cpu_total)")
    }
    line=$(grep '^BENCH ' "$out" || true)
    if [[ -z $line ]]; then
        fa_log "$label: no result (see $out)"
        return 0
    fi
    n=$(bench_field "$line" requests)
    ((n > 0)) || n=1
    local per=()
    for i in 0 1 2 3 4 5; do per+=("$(bench_per_req $((c1[i] - c0[i])) "$n")"); done
    # shellcheck disable=SC2046 # bench_rss prints two columns (rss, anon)
    bench_record "$label" "$3" "$run" "$(bench_field "$line" rps)" \
        "$(bench_field "$line" p50_us)" "$(bench_field "$line" p99_us)" \
        "$n" "$(bench_field "$line" errors)" "${per[0]}" "${per[1]}" "${per[2]}" "${per[5]}" \
        $(bench_rss service) -
    printf '%s\t%s\t%s\t%s\n' "$label" "$run" "${per[3]}" "${per[4]}" >>"$BENCH_DIR/signin_cpu.tsv"
    fa_log "$label run $run: $(bench_field "$line" rps) sign-ins/s," \
        "p50 $(bench_field "$line" p50_us) us, errors $(bench_field "$line" errors)"
    grep -v '^BENCH ' "$out" | head -n 3 >&2 || true
}

# Complete sign-ins (start -> emulator -> callback) with 8 concurrent
# browsers, then the emulator's share alone (authorize + code exchange +
# GET /user, what one callback costs it) at the same concurrency.
bench_signins() {
    local seconds=$1 run threads=8
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        bench_driver signin "$run" service "${BENCH_URL[service]}" "$threads" "$seconds"
        bench_jobs_settle
        sleep 1
    done
    bench_driver signin_emulator_only 1 emulator "$FA_EMULATOR_URL" "$threads" "$seconds" \
        "$BENCH_CLIENT_ID" "$BENCH_CLIENT_SECRET" "$BENCH_CALLBACK"
}

# Issue 15: complete sign-ins with GitHub's token endpoint answering after
# DELAY ms (an emulator fault), and GET /v1/auth/verify under wrk -c8 at the
# same time: sign-ins per second and the verify p99 while the sign-in pool
# is busy. Labels signin_ghDELAY and verify_during_ghDELAY.
bench_signins_with_github_delay() {
    local delay=$1 seconds=$2 wrk_pid
    bench_emulator DELETE faults >/dev/null || true
    if ((delay > 0)); then
        bench_emulator POST faults "{\"endpoint\":\"token\",\"delayMs\":$delay}" >/dev/null ||
            fa_die "could not arm the emulator's token delay"
    fi
    bench_measure verify 8 "$seconds" 1 "verify_during_gh$delay" &
    wrk_pid=$!
    bench_driver "signin_gh$delay" 1 service "${BENCH_URL[service]}" 8 "$seconds"
    wait "$wrk_pid" || true
    bench_emulator DELETE faults >/dev/null || true
    bench_jobs_settle
}

# Top mappings of one worker by RSS (what the 8 MiB target is spent on).
bench_smaps() {
    local pid
    pid=$(bench_pids service | head -n 1)
    [[ -r /proc/$pid/smaps ]] || return 0
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6) }
         /^Rss:/ { rss[name] += $2 }
         /^Private_Dirty:/ { dirty[name] += $2 }
         END { for (n in rss) if (rss[n] > 0) printf "%d\t%d\t%s\n", rss[n], dirty[n], n }' \
        "/proc/$pid/smaps" | sort -rn | head -n 15 >"$BENCH_DIR/smaps.tsv"
    awk '/^(Rss|Pss|Private_Clean|Private_Dirty|Shared_Clean|Anonymous):/ { print $1, $2, $3 }' \
        "/proc/$pid/smaps_rollup" >"$BENCH_DIR/smaps_rollup.txt" 2>/dev/null || true
}
