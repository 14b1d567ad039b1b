# shellcheck shell=bash
# scripts/bench: bench/results/RESULTS.md, curve.png and the raw runs, from
# $BENCH_DIR/runs.tsv (one row per run, see BENCH_COLUMNS in bench_run.sh).
#
# bench_report OUT_DIR     writes everything and prints the main table

# bench_col NAME: the column number of NAME in runs.tsv.
bench_col() {
    local i=1 c
    for c in $BENCH_COLUMNS; do
        [[ $c == "$1" ]] && { echo "$i"; return; }
        i=$((i + 1))
    done
    fa_die "no column $1"
}

# bench_median LABEL CONNS COLUMN: median over the runs (empty if none).
bench_median() {
    awk -F'\t' -v l="$1" -v c="$2" -v k="$(bench_col "$3")" \
        '$1 == l && $2 == c && $k != "-" && $k != "" { print $k }' "$BENCH_DIR/runs.tsv" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# bench_values LABEL CONNS COLUMN: every run's value, in run order.
bench_values() {
    awk -F'\t' -v l="$1" -v c="$2" -v k="$(bench_col "$3")" \
        '$1 == l && $2 == c { printf "%s%s", (n++ ? " / " : ""), $k }' "$BENCH_DIR/runs.tsv"
}

# Formatting: integers with thousands kept plain, ratios as percentages.
bench_fmt_int() { [[ -n $1 ]] && awk -v v="$1" 'BEGIN { printf "%.0f", v }' || echo "–"; }
bench_fmt_ms() { [[ -n $1 ]] && awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }' || echo "–"; }
bench_pct() {
    [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "–" }' ||
        echo "–"
}
bench_mib() { [[ -n $1 && $1 != - ]] && awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }' || echo "–"; }

bench_unavailable() {
    [[ -e $BENCH_DIR/unavailable.tsv ]] || return 0
    awk -F'\t' -v l="$1" '$1 == l && !n++ { print $2 }' "$BENCH_DIR/unavailable.tsv"
}

# One markdown row: name, req/s, p50, p99 (c32), p50 (c1), ratios, CPU split.
bench_row() {
    local label=$1 title=$2 with_ratios=${3:-1} rps p50 p99 c1 na rss=''
    na=$(bench_unavailable "$label")
    rps=$(bench_median "$label" 32 rps)
    if [[ -z $rps ]]; then
        echo "| $title | ${na:-not measured} | | | | | | | | |"
        return
    fi
    p50=$(bench_median "$label" 32 p50_us)
    p99=$(bench_median "$label" 32 p99_us)
    c1=$(bench_median "$label" 1 p50_us)
    local r2="" r3=""
    # Floor 1 has no FastCGI workers of its own (the column would show the service's).
    [[ $label == floor1_* ]] || rss=$(bench_rss_runs "$label")
    if ((with_ratios)); then
        r2=$(bench_pct "$rps" "$F2_RPS")
        r3=$(bench_pct "$rps" "$F3_RPS")
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$title" \
        "$(bench_fmt_int "$rps")" "$(bench_fmt_ms "$p50")" "$(bench_fmt_ms "$p99")" \
        "$(bench_fmt_ms "$c1")" "$r2" "$r3" \
        "$(bench_median "$label" 32 stmts_per_req)" \
        "$(bench_median "$label" 32 app_cpu_us) / $(bench_median "$label" 32 nginx_cpu_us) / $(bench_median "$label" 32 pg_cpu_us) / $(bench_median "$label" 32 total_cpu_us)" \
        "$rss"
}

bench_rss_runs() {
    local v
    v=$(bench_values "$1" 32 rss_kib)
    [[ -z $v || $v == *-* ]] && { echo ""; return; }
    awk -v s="$v" 'BEGIN { n = split(s, a, " / "); for (i = 1; i <= n; i++) printf "%s%.1f", (i > 1 ? " / " : ""), a[i] / 1024 }'
}

# bench_target_line TEXT MEASURED LIMIT OP: a row of the targets table.
bench_verdict() {
    local measured=$1 limit=$2 op=$3
    [[ -z $measured || -z $limit ]] && { echo "not measured"; return; }
    awk -v m="$measured" -v l="$limit" -v op="$op" \
        'BEGIN { ok = (op == ">=" ? m >= l : m <= l); print (ok ? "met" : "**missed**") }'
}

# Throughput targets as "label ratio-of-floor-3": used by the report and to
# pick what to profile.
BENCH_TARGETS=(verify:0.90 session:0.85 snapshot:0.50 token:0.50)

# bench_missed: labels whose throughput or p99 target was missed.
bench_missed() {
    local t label ratio rps f3 f3p99 p99
    f3=$(bench_median floor3_ideal 32 rps)
    [[ -n $f3 ]] || return 0
    for t in "${BENCH_TARGETS[@]}"; do
        label=${t%%:*}
        ratio=${t#*:}
        rps=$(bench_median "$label" 32 rps)
        [[ -n $rps ]] || continue
        awk -v a="$rps" -v b="$f3" -v r="$ratio" 'BEGIN { exit !(a < r * b) }' && echo "$label"
    done
    f3p99=$(bench_median floor3_ideal 32 p99_us)
    p99=$(bench_median verify 32 p99_us)
    if [[ -n $p99 ]] && awk -v a="$p99" -v b="$f3p99" 'BEGIN { exit !(a > 1.5 * b) }'; then
        echo verify
    fi
}

bench_targets_table() {
    local t label ratio rps p99 f3p99 v s vs
    echo "| Target | Measured | Limit | Verdict |"
    echo "|---|---|---|---|"
    for t in "${BENCH_TARGETS[@]}"; do
        label=${t%%:*}
        ratio=${t#*:}
        rps=$(bench_median "$label" 32 rps)
        printf '| %s ≥ %.0f%% of floor 3 | %s | %s req/s | %s |\n' "$label" \
            "$(awk -v r="$ratio" 'BEGIN { print r * 100 }')" \
            "$(bench_pct "$rps" "$F3_RPS") ($(bench_fmt_int "$rps") req/s)" \
            "$(bench_fmt_int "$(awk -v r="$ratio" -v f="$F3_RPS" 'BEGIN { print r * f }')")" \
            "$(bench_verdict "$rps" "$(awk -v r="$ratio" -v f="$F3_RPS" 'BEGIN { print r * f }')" ">=")"
    done
    p99=$(bench_median verify 32 p99_us)
    f3p99=$(bench_median floor3_ideal 32 p99_us)
    printf '| verify p99 (c32) ≤ 1.5 × floor 3 p99 | %s ms | %s ms | %s |\n' "$(bench_fmt_ms "$p99")" \
        "$(bench_fmt_ms "$(awk -v f="$f3p99" 'BEGIN { print 1.5 * f }')")" \
        "$(bench_verdict "$p99" "$(awk -v f="$f3p99" 'BEGIN { print 1.5 * f }')" "<=")"
    for label in verify snapshot; do
        vs=$(bench_median "${label}_scale" 32 rps)
        v=$(bench_median "$label" 32 rps)
        if [[ -z $vs ]]; then
            printf '| %s at 1M users / 3M sessions within 10%% | not run (use --scale) | | |\n' "$label"
            continue
        fi
        printf '| %s at 1M users / 3M sessions within 10%% | %s of small (%s relative to floor 3 at each size) | ≥ 90%% | %s |\n' \
            "$label" "$(bench_pct "$vs" "$v")" \
            "$(bench_pct "$(awk -v a="$vs" -v b="$(bench_median floor3_ideal_scale 32 rps)" 'BEGIN { print a / b }')" \
                "$(awk -v a="$v" -v b="$F3_RPS" 'BEGIN { print a / b }')")" \
            "$(bench_verdict "$vs" "$(awk -v v="$v" 'BEGIN { print 0.9 * v }')" ">=")"
    done
    s=$(awk -F'\t' -v k="$(bench_col rss_kib)" '$k ~ /^[0-9]+$/ && $1 !~ /^floor|^curve_floor/ && $k > m { m = $k } END { print m + 0 }' "$BENCH_DIR/runs.tsv")
    printf '| worker RSS ≤ 8 MiB after ≥ 100,000 requests (largest seen) | %s MiB | 8.0 MiB | %s |\n' \
        "$(bench_mib "$s")" "$(bench_verdict "$s" 8192 "<=")"
    printf '| no RSS growth between run 2 and run 3 | %s | 0 KiB | %s |\n' "$(bench_growth_text)" \
        "$(bench_growth_verdict)"
}

# RSS growth (KiB) from run 2 to run 3 of each service load.
bench_growth() {
    awk -F'\t' -v k="$(bench_col rss_kib)" \
        '$2 == 32 && $1 !~ /^floor|^curve|^signin/ && $k ~ /^[0-9]+$/ { r[$1, $3] = $k; l[$1] = 1 }
         END { for (x in l) if ((x, 2) in r && (x, 3) in r) printf "%s\t%d\n", x, r[x, 3] - r[x, 2] }' \
        "$BENCH_DIR/runs.tsv" | sort
}
bench_growth_text() { bench_growth | awk -F'\t' '{ printf "%s%s %+d KiB", (NR > 1 ? ", " : ""), $1, $2 }'; }
bench_growth_verdict() {
    local g
    g=$(bench_growth | awk -F'\t' '$2 > 0 { n++ } END { print n + 0 }')
    [[ -n $(bench_growth) ]] || { echo "not measured"; return; }
    ((g == 0)) && echo met || echo "**missed**"
}

bench_curve_data() {
    local out=$1 c label
    {
        printf '# conns'
        for label in floor2_fcgi_ok floor3_ideal verify snapshot; do printf '\t%s_rps\t%s_p99_ms' "$label" "$label"; done
        printf '\n'
        for c in "${BENCH_CURVE_CONNS[@]}"; do
            printf '%s' "$c"
            for label in floor2_fcgi_ok floor3_ideal verify snapshot; do
                printf '\t%s\t%s' "$(bench_median "curve_$label" "$c" rps || true)" \
                    "$(bench_fmt_ms "$(bench_median "curve_$label" "$c" p99_us)")"
            done
            printf '\n'
        done
    } | sed 's/\t\t/\tNaN\t/g; s/\t–/\tNaN/g; s/\t$/\tNaN/' >"$out"
}

bench_plot() {
    local data=$1 png=$2
    command -v gnuplot >/dev/null || { fa_log "no gnuplot: curve.png not drawn"; return 0; }
    gnuplot <<EOF || fa_log "gnuplot failed"
set terminal pngcairo size 1200,500 font "sans,10"
set output "$png"
set datafile missing "NaN"
set logscale x 2
set xtics ("1" 1, "8" 8, "32" 32, "128" 128)
set xrange [0.8:160]
set xlabel "concurrent connections (wrk)"
set key top left
set grid
set multiplot layout 1,2 title "Foundry Auth through nginx, $(date -u +%Y-%m-%d) ($(nproc) cores)"
set title "throughput"
set key bottom right
set ylabel "requests/s"
set yrange [0:*]
plot "$data" using 1:2 with linespoints lw 2 title "floor 2: nginx -> trivial FastCGI", \
     "" using 1:4 with linespoints lw 2 title "floor 3: ideal session check", \
     "" using 1:6 with linespoints lw 2 title "GET /v1/auth/verify", \
     "" using 1:8 with linespoints lw 2 title "GET /v1/app/snapshot"
set title "p99 latency"
set key top left
set ylabel "ms"
set logscale y
set yrange [*:*]
plot "$data" using 1:3 with linespoints lw 2 title "floor 2", \
     "" using 1:5 with linespoints lw 2 title "floor 3", \
     "" using 1:7 with linespoints lw 2 title "verify", \
     "" using 1:9 with linespoints lw 2 title "snapshot"
unset multiplot
EOF
}

bench_wrk_version() {
    local v
    v=$(wrk -v 2>&1 || true)
    awk 'NR == 1 { print $1, $2 }' <<<"$v"
}

bench_machine() {
    local model mem
    model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
    echo "$(nproc) cores ($model), $mem RAM, Linux $(uname -r)"
}

bench_main_table() {
    echo "| Load | req/s (c32) | p50 ms (c32) | p99 ms (c32) | p50 ms (c1) | × floor 2 | × floor 3 | SQL statements / req | CPU µs/req: app / nginx / PostgreSQL / whole machine | worker RSS MiB after runs 1/2/3 |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    bench_row floor1_nginx "floor 1: nginx \`return 200\`" 0
    bench_row floor2_fcgi_ok "floor 2: nginx → trivial libfcgi (fcgi_ok)" 0
    bench_row floor3_ideal "floor 3: ideal session check (fcgi_ideal_session)" 0
    local tps p50 p99 c1
    tps=$(bench_median floor4_pgbench 8 rps)
    p50=$(bench_median floor4_pgbench 8 p50_us)
    p99=$(bench_median floor4_pgbench 8 p99_us)
    c1=$(bench_median floor4_pgbench 1 p50_us)
    printf '| floor 4: pgbench -S -M prepared (c8, no nginx) | %s | %s | %s | %s | | | 1 | | |\n' \
        "$(bench_fmt_int "$tps")" "$(bench_fmt_ms "$p50")" "$(bench_fmt_ms "$p99")" "$(bench_fmt_ms "$c1")"
    bench_row verify "GET /v1/auth/verify"
    bench_row session "GET /v1/auth/session"
    bench_row snapshot "GET /v1/app/snapshot (signed in, $BENCH_ORGS orgs)"
    bench_row snapshot_anon "GET /v1/app/snapshot (anonymous)"
    bench_row token "POST /v1/auth/token"
    bench_row jwks "GET /.well-known/jwks.json"
}

bench_signin_table() {
    local label title
    echo "| Load (8 concurrent browsers) | per second | p50 ms | p99 ms | errors | CPU ms per sign-in: workers / nginx / PostgreSQL / emulator / job worker / whole machine |"
    echo "|---|---|---|---|---|---|"
    for label in signin signin_emulator_only; do
        case $label in
            signin) title="complete sign-in (start → emulator authorize → callback)" ;;
            *) title="emulator alone (authorize + code exchange + GET /user)" ;;
        esac
        printf '| %s | %s | %s | %s | %s | %s |\n' "$title" \
            "$(bench_fmt_int "$(bench_median "$label" 8 rps)")" \
            "$(bench_fmt_ms "$(bench_median "$label" 8 p50_us)")" \
            "$(bench_fmt_ms "$(bench_median "$label" 8 p99_us)")" "$(bench_values "$label" 8 errors)" \
            "$(bench_fmt_ms "$(bench_median "$label" 8 app_cpu_us)") / $(bench_fmt_ms "$(bench_median "$label" 8 nginx_cpu_us)") / $(bench_fmt_ms "$(bench_median "$label" 8 pg_cpu_us)") / $(bench_fmt_ms "$(bench_signin_cpu "$label" 3)") / $(bench_fmt_ms "$(bench_signin_cpu "$label" 4)") / $(bench_fmt_ms "$(bench_median "$label" 8 total_cpu_us)")"
    done
}

# Issue 15: sign-ins per second with the verify p99 measured at the same
# time (bench_signins_with_github_delay).
bench_pool_table() {
    local delay
    echo "| GitHub answers in | complete sign-ins/s (8 browsers) | sign-ins refused (service_busy) | verify req/s (c8, same time) | verify p50 ms | verify p99 ms |"
    echo "|---|---|---|---|---|---|"
    for delay in 0 500; do
        printf '| %s ms | %s | %s | %s | %s | %s |\n' "$delay" \
            "$(bench_median "signin_gh$delay" 8 rps)" "$(bench_values "signin_gh$delay" 8 errors)" \
            "$(bench_fmt_int "$(bench_median "verify_during_gh$delay" 8 rps)")" \
            "$(bench_fmt_ms "$(bench_median "verify_during_gh$delay" 8 p50_us)")" \
            "$(bench_fmt_ms "$(bench_median "verify_during_gh$delay" 8 p99_us)")"
    done
}

# Median of a column of signin_cpu.tsv (3 = emulator, 4 = job worker).
bench_signin_cpu() {
    [[ -e $BENCH_DIR/signin_cpu.tsv ]] || return 0
    awk -F'\t' -v l="$1" -v k="$2" '$1 == l { print $k }' "$BENCH_DIR/signin_cpu.tsv" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

bench_keepalive_table() {
    local label title
    echo "| nginx → fcgi_ok | req/s (c32) | p50 ms (c32) | p99 ms (c32) | p50 ms (c1) | errors (c32 runs) |"
    echo "|---|---|---|---|---|---|"
    for label in floor2_fcgi_ok floor2_keepalive1 floor2_keepalive16; do
        case $label in
            floor2_fcgi_ok) title="a new connection per request (shipped)" ;;
            floor2_keepalive1) title="fastcgi_keep_conn on, keepalive 1 (per nginx worker)" ;;
            *) title="fastcgi_keep_conn on, keepalive 16 (per nginx worker)" ;;
        esac
        printf '| %s | %s | %s | %s | %s | %s |\n' "$title" \
            "$(bench_fmt_int "$(bench_median "$label" 32 rps)")" \
            "$(bench_fmt_ms "$(bench_median "$label" 32 p50_us)")" \
            "$(bench_fmt_ms "$(bench_median "$label" 32 p99_us)")" \
            "$(bench_fmt_ms "$(bench_median "$label" 1 p50_us)")" "$(bench_values "$label" 32 errors)"
    done
}

bench_scale_table() {
    local label
    local f3 f3s
    f3=$(bench_median floor3_ideal 32 rps)
    f3s=$(bench_median floor3_ideal_scale 32 rps)
    echo "| Load | small database req/s | 1M users / 3M sessions req/s | ratio | ratio, each size divided by its floor 3 | p99 ms small → large |"
    echo "|---|---|---|---|---|---|"
    for label in floor3_ideal verify snapshot; do
        printf '| %s | %s | %s | %s | %s | %s → %s |\n' "$label" \
            "$(bench_fmt_int "$(bench_median "$label" 32 rps)")" \
            "$(bench_fmt_int "$(bench_median "${label}_scale" 32 rps)")" \
            "$(bench_pct "$(bench_median "${label}_scale" 32 rps)" "$(bench_median "$label" 32 rps)")" \
            "$(bench_pct "$(awk -v a="$(bench_median "${label}_scale" 32 rps)" -v b="$f3s" 'BEGIN { print a / b }')" \
                "$(awk -v a="$(bench_median "$label" 32 rps)" -v b="$f3" 'BEGIN { print a / b }')")" \
            "$(bench_fmt_ms "$(bench_median "$label" 32 p99_us)")" \
            "$(bench_fmt_ms "$(bench_median "${label}_scale" 32 p99_us)")"
    done
}

bench_report() {
    local out=$1 md=$1/RESULTS.md f
    mkdir -p "$out"
    rm -f "$out"/callgrind-*.txt # profiles of an earlier run's misses would mislead
    F2_RPS=$(bench_median floor2_fcgi_ok 32 rps)
    F3_RPS=$(bench_median floor3_ideal 32 rps)
    cp "$BENCH_DIR/runs.tsv" "$out/runs.tsv"
    bench_curve_data "$out/curve.dat"
    bench_plot "$out/curve.dat" "$out/curve.png"
    {
        echo "# Foundry Auth benchmark"
        echo
        echo "Generated by \`scripts/bench$BENCH_ARGS_TEXT\` on $(date -u '+%Y-%m-%d %H:%M UTC')" \
            "in $((SECONDS / 60)) min $((SECONDS % 60)) s. Do not edit: rerun the script."
        echo
        echo "- Machine: $(bench_machine). Everything below shares these cores: wrk, nginx," \
            "the FastCGI workers, PostgreSQL, the emulator. Compare within one run, as ratios." \
            "Load average before the run: ${BENCH_LOAD_START:-?} (anything above 0 is another" \
            "program competing for the same cores)."
        echo "- Load: \`wrk -t2 -c32 -d${BENCH_SECONDS}s --latency\` (median of $BENCH_RUNS runs; the rounds interleave" \
            "floors and endpoints, one run of each in turn, so drift of the machine moves both) and" \
            "\`wrk -t1 -c1 -d${BENCH_C1_SECONDS}s\` for the 1-connection p50; $(bench_wrk_version)," \
            "$(nginx -v 2>&1 | cut -d' ' -f3), PostgreSQL $(bench_psql -c 'SHOW server_version' | cut -d' ' -f1)."
        echo "- Same nginx settings for every row (tests/bench/nginx.conf.template = the dev template" \
            "+ one \`return 200\` location): one nginx instance per upstream, 2 nginx workers," \
            "the shipped snippets. Floors 2 and 3 and verify/session/token go through" \
            "\`location /v1/auth/\` (its per-address limit_req keyed on an empty value: all" \
            "load comes from one address), snapshot and jwks through \`/v1/\` and its own location."
        echo "- $FA_BENCH_WORKERS FastCGI workers for the service and for each floor, same accept model" \
            "(poll + non-blocking FCGX_Accept_r). Service: Release build, FOUNDRY_AUTH_LOG_LEVEL=info" \
            "(one JSON log line per request), cookie cache off."
        echo "- CPU µs/req: CPU time the FastCGI workers / nginx workers / all PostgreSQL processes" \
            "/ the whole machine (wrk included) used during the c32 runs, divided by requests."
        echo "  SQL statements / req: pg_stat_statements calls during the run per request."
        echo
        echo "## Floors and endpoints"
        echo
        bench_main_table
        echo
        echo "## Targets (issue 6)"
        echo
        bench_targets_table
        echo
        echo "## Throughput and p99 against concurrency"
        echo
        echo "![curve](curve.png)"
        echo
        echo "Data (one ${BENCH_CURVE_SECONDS}s run per point; req/s and p99 ms):"
        echo
        echo '```'
        column -t "$out/curve.dat" 2>/dev/null || cat "$out/curve.dat"
        echo '```'
        echo
        echo "## Complete sign-ins"
        echo
        bench_signin_table
        echo
        echo "With GitHub's token endpoint slowed down (an emulator fault) while wrk keeps" \
            "8 connections on GET /v1/auth/verify: the sign-in pool" \
            "(FOUNDRY_AUTH_SIGNIN_WORKERS, default 2) caps sign-ins at about workers / time" \
            "per sign-in, refuses the rest at once, and the session checks keep their latency" \
            "(issue 15):"
        echo
        bench_pool_table
        echo
        echo "The emulator is a single Node.js process on the same cores; its row is its own cost" \
            "for the calls one sign-in makes, measured without the service. A sign-in holds one" \
            "of the $FA_BENCH_WORKERS workers while it waits for GitHub and for its commits, so the" \
            "rate is bounded by workers / time-in-worker, not by CPU, when the CPU column stays" \
            "well under 2 cores / rate."
        echo
        echo "## fastcgi_keep_conn + upstream keepalive (floor 2 only)"
        echo
        bench_keepalive_table
        echo
        echo "The service's worker (app/http/fcgi.c) polls the listening socket before every" \
            "FCGX_Accept_r, so it would never read a kept connection's next request: only the" \
            "fcgi_ok floor (which reads a kept connection directly) can show the effect."
        echo "A single-threaded libfcgi worker serves one connection at a time: each idle kept" \
            "connection pins one worker, and connections nginx opens beyond the pinned ones wait in" \
            "the listen backlog. Latencies cover completed requests only: where req/s collapses," \
            "most connections were stalled, not fast."
        echo
        if [[ -n $(bench_median verify_scale 32 rps) ]]; then
            echo "## 1,000,000 users / 3,000,000 sessions"
            echo
            echo "Seeded with COPY in ${BENCH_SEED_SECONDS:-?} s (sessions + session_index +" \
                "session_state rows per session; wrk still uses the one real session)."
            echo
            bench_scale_table
            echo
        fi
        echo "## PostgreSQL: execution time per statement"
        echo
        echo "pg_stat_statements over the whole run (executor time only: no network, no" \
            "parse or plan for prepared statements), statements run at least 1,000 times," \
            "busiest first:"
        echo
        bench_pg_statements
        echo
        echo "## Worker memory"
        echo
        echo "Largest VmRSS of the service's workers after each c32 run is in the main table;" \
            "the workers had served $(bench_service_requests) requests by the end of the" \
            "endpoint runs. One worker's largest mappings then (KiB RSS, KiB private dirty):"
        echo
        echo '```'
        cat "$BENCH_DIR/smaps_rollup.txt" 2>/dev/null
        echo
        cat "$BENCH_DIR/smaps.tsv" 2>/dev/null
        echo '```'
        echo
        bench_profiles_section "$out"
        echo "Raw runs: runs.tsv (columns: $BENCH_COLUMNS)."
    } >"$md"
    fa_log "results in $md"
}

bench_service_requests() {
    awk -F'\t' '$1 ~ /^(verify|session|snapshot|snapshot_anon|token|jwks)$/ { n += $7 } END { print n + 0 }' \
        "$BENCH_DIR/runs.tsv"
}

# System calls and callgrind instructions per request, when the run made them.
bench_profiles_section() {
    local out=$1 f name cols=()
    compgen -G "$BENCH_DIR/syscalls-*.txt" >/dev/null || compgen -G "$BENCH_DIR/callgrind-*.txt" >/dev/null ||
        return 0
    echo "## Where the time goes (missed targets)"
    echo
    echo "No hardware counters in this VM (\`perf stat -e instructions\`: not supported), so exact"
    echo "counts instead of samples: system calls per request of the FastCGI workers (strace -c,"
    echo "one connection), and user-space instructions per request by function (callgrind, one"
    echo "worker, one connection, ${BENCH_CG_SECONDS}s after a warm-up)."
    echo
    if compgen -G "$BENCH_DIR/syscalls-*.txt" >/dev/null; then
        echo "### System calls per request"
        echo
        echo '```'
        for f in "$BENCH_DIR"/syscalls-*.txt; do
            name=${f##*/syscalls-}
            name=${name%.txt}
            { printf '%s\n' "$name ($(awk '{ s += $1 } END { printf "%.1f", s }' "$f"))"
              awk -F'\t' 'n++ < 14 { printf "%6s %s\n", $1, $2 }' "$f"; } >"$BENCH_DIR/col.$name"
            cols+=("$BENCH_DIR/col.$name")
        done
        paste "${cols[@]}" | expand -t 26
        echo '```'
        echo
        rm -f "${cols[@]}"
    fi
    if compgen -G "$BENCH_DIR/callgrind-*.txt" >/dev/null; then
        echo "### Instructions per request (callgrind)"
        echo
        for f in "$BENCH_DIR"/callgrind-*.txt; do
            cp "$f" "$out/"
            echo '```'
            cat "$f"
            echo '```'
            echo
        done
    fi
}

bench_pg_statements() {
    echo "| calls | mean µs | total s | statement |"
    echo "|---|---|---|---|"
    bench_psql -F $'\t' -c "SELECT calls, round((mean_exec_time * 1000)::numeric, 1),
            round((total_exec_time / 1000)::numeric, 2),
            left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = 'foundry_auth' AND calls >= 1000
        ORDER BY total_exec_time DESC LIMIT 10" 2>/dev/null |
        awk -F'\t' '{ gsub(/\|/, "\\|", $4); printf "| %s | %s | %s | `%s` |\n", $1, $2, $3, $4 }' || true
}
