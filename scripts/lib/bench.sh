# shellcheck shell=bash
# shellcheck disable=SC2034 # globals shared across scripts/lib/bench*.sh
# scripts/bench: the environment. Built from the same pieces as scripts/test
# (pg.sh, service.sh, jobs.sh, nginx.sh), plus the FastCGI floors of
# tests/bench and one nginx instance per upstream, all on loopback.
#
# bench_deps_install            wrk, gnuplot-nox, strace, valgrind when missing
# bench_build                   Release build of the service and the fixtures
# bench_env_up DIR              PostgreSQL, emulator, service, jobs, floors, nginx
# bench_env_down DIR            stops whatever bench_env_up started
# bench_sign_in LOGIN           prints a session cookie value for LOGIN
# bench_seed_orgs LOGIN N       gives LOGIN N organizations (emulator + sync)
# bench_seed_scale USERS SESSIONS   bulk rows with COPY (never used by wrk)
# bench_pids NAME               worker pids of an upstream (service, ok, ideal, ...)
#
# After bench_env_up: BENCH_URL[name] (nginx per upstream), BENCH_MASTER[name]
# (pid of the FastCGI parent), BENCH_NGINX[name] (nginx master pid),
# BENCH_CLIENT_ID/SECRET, BENCH_CALLBACK, FA_EMULATOR_URL, DATABASE_URL.

FA_BENCH_BUILD=${FA_BENCH_BUILD:-$FA_ROOT/build-bench}
FA_BENCH_WORKERS=${FA_BENCH_WORKERS:-2}
# The sign-in routes are rate-limited per address (10r/s in production); all
# the load here comes from one address, so tests/bench/nginx.conf.template
# keys the zone on an empty variable (never limited) and the rate is moot.
FA_BENCH_RATE=1000000r/s
FA_NGINX_TEMPLATE=$FA_ROOT/tests/bench/nginx.conf.template

declare -gA BENCH_URL=() BENCH_MASTER=() BENCH_NGINX=()
BENCH_PORTS=()

bench_deps_install() {
    local pkg status missing=()
    for pkg in wrk gnuplot-nox strace valgrind postgresql-client-15; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ $status == installed ]] || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $(id -u) -eq 0 ]] || fa_die "missing packages (${missing[*]}); run as root to install them"
    fa_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Release, as shipped; -g only adds symbols for the profiles. GCC's -O3
# reports a maybe-uninitialized false positive in app/core/config.c that
# -O2 (RelWithDebInfo) does not; keep it a warning here so the measurement
# does not depend on it.
bench_build() {
    fa_log "building (Release) in $FA_BENCH_BUILD"
    cmake -S "$FA_ROOT" -B "$FA_BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DFA_TESTS=OFF \
        "-DCMAKE_C_FLAGS=-g -Wno-error=maybe-uninitialized" >/dev/null
    cmake --build "$FA_BENCH_BUILD" -j2 --target foundry-auth fcgi_ok fcgi_ideal_session \
        signin_driver 2>&1 | grep -Ev '^\[|^$|Consolidate|Built target' >&2 || true
    local b
    for b in foundry-auth fcgi_ok fcgi_ideal_session signin_driver; do
        [[ -x $FA_BENCH_BUILD/$b ]] || fa_die "build did not produce $b"
    done
}

# A free port not already handed out by this run.
bench_port() {
    local port p used
    while :; do
        port=$(fa_free_port)
        used=0
        for p in "${BENCH_PORTS[@]}"; do [[ $p == "$port" ]] && used=1; done
        ((used == 0)) && break
    done
    BENCH_PORTS+=("$port")
    echo "$port"
}

# The bench cluster also loads pg_stat_statements: the statements each
# endpoint runs per request are part of the report.
bench_pg_up() {
    local dir=$1
    fa_pg_init "$dir/pg" "$(bench_port)" run
    cat >>"$FA_PG_DATA/postgresql.conf" <<'EOF'
# scripts/bench
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
max_wal_size = 4GB
EOF
    fa_pg_start
    "$FA_ROOT/scripts/migrate" "$DATABASE_URL" >/dev/null
    fa_pg_psql_admin -d foundry_auth -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
}

# bench_fixture_start NAME SOCKET ARGS...: a FastCGI floor from tests/bench.
bench_fixture_start() {
    local name=$1 socket=$2 bin=$FA_BENCH_BUILD/$3 pid
    shift 3
    rm -f "$socket"
    setsid "$bin" "$socket" "$FA_BENCH_WORKERS" "$@" </dev/null >>"$BENCH_DIR/$name.log" 2>&1 &
    pid=$!
    echo "$pid" >"$BENCH_DIR/$name.pid"
    fa_wait_until 10 "the $name fixture socket" fa_service_socket_up "$pid" "$socket" ||
        fa_die "$name did not start (log: $BENCH_DIR/$name.log)"
    BENCH_MASTER[$name]=$pid
}

# bench_nginx_up NAME SOCKET [KEEPALIVE]: an nginx instance in front of
# SOCKET; with KEEPALIVE, `keepalive KEEPALIVE` + fastcgi_keep_conn on.
bench_nginx_up() {
    local name=$1 socket=$2 keep=${3:-} dir=$BENCH_DIR/nginx-$1
    fa_nginx_render "$dir" "$(bench_port)" "$socket" "$FA_BENCH_RATE"
    if [[ -n $keep ]]; then
        sed -i -e "s|# bench: upstream|keepalive $keep;|" \
            -e 's|# bench: http|fastcgi_keep_conn on;|' "$FA_NGINX_CONF"
        nginx -t -q -c "$FA_NGINX_CONF" || fa_die "nginx rejected $FA_NGINX_CONF"
    fi
    fa_nginx_start
    BENCH_URL[$name]=$FA_NGINX_URL
    BENCH_NGINX[$name]=$(<"$dir/nginx.pid")
}

bench_service_env() {
    local dir=$1 port=$2
    fa_env_write "$dir/service.env" \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        FOUNDRY_AUTH_URL="http://127.0.0.1:$port" \
        FOUNDRY_AUTH_SECRET="$(fa_random_hex 32)" \
        DATABASE_URL="$DATABASE_URL" \
        GITHUB_CLIENT_ID="$BENCH_CLIENT_ID" \
        GITHUB_CLIENT_SECRET="$BENCH_CLIENT_SECRET" \
        GITHUB_OAUTH_URL="$FA_EMULATOR_URL" \
        GITHUB_API_URL="$FA_EMULATOR_URL" \
        FOUNDRY_AUTH_SOCKET="$dir/run/foundry-auth.sock" \
        FOUNDRY_AUTH_SOCKET_GROUP=www-data \
        FOUNDRY_AUTH_WORKERS="$FA_BENCH_WORKERS" \
        FOUNDRY_AUTH_DEV_MODE=1 \
        FOUNDRY_JWT_AUDIENCES=api.bench \
        FOUNDRY_STARTER_REPO=foundry-dev/starter \
        FOUNDRY_AUTH_LOG_LEVEL=info
}

bench_env_up() {
    local dir=$1 svc_port bin=$FA_BENCH_BUILD/foundry-auth
    BENCH_DIR=$dir
    mkdir -p "$dir/run"
    chmod 0755 "$dir"
    bench_pg_up "$dir"

    svc_port=$(bench_port)
    BENCH_CLIENT_ID=bench-client-$(fa_random_hex 4)
    BENCH_CLIENT_SECRET=$(fa_random_hex 20)
    BENCH_CALLBACK="http://127.0.0.1:$svc_port/v1/auth/github/callback"
    fa_emulator_start 0 "$BENCH_CLIENT_ID" "$BENCH_CLIENT_SECRET" "$BENCH_CALLBACK" \
        "$dir/emulator.pid" "$dir/emulator.log" --auto-approve
    # GitHub's 5000 requests/hour per user would end the sign-in runs early.
    bench_emulator POST config '{"rateLimit":1000000000}' >/dev/null ||
        fa_die "could not lift the emulator's rate limit"
    # One GitHub user per sign-in thread (tests/bench/signin_driver.c).
    local i
    for ((i = 0; i < 8; i++)); do
        bench_emulator POST users "{\"id\":$((8100000000 + i)),\"login\":\"bench-signin-$i\",
            \"name\":\"Bench Sign-in $i\",\"email\":\"signin-$i@bench.example\"}" >/dev/null ||
            fa_die "could not create the emulator user bench-signin-$i"
    done

    fa_socket_dir "$dir/run"
    bench_service_env "$dir" "$svc_port"
    fa_service_start "$bin" "$dir/service.env" "$dir/service.pid" "$dir/service.log" \
        "$dir/run/foundry-auth.sock"
    BENCH_MASTER[service]=$(<"$dir/service.pid")
    fa_jobs_start "$bin" "$dir/service.env" "$dir/jobs.pid" "$dir/jobs.log"

    bench_fixture_start ok "$dir/run/ok.sock" fcgi_ok
    bench_fixture_start ok_keep1 "$dir/run/ok_keep1.sock" fcgi_ok
    bench_fixture_start ok_keep16 "$dir/run/ok_keep16.sock" fcgi_ok
    bench_fixture_start ideal "$dir/run/ideal.sock" fcgi_ideal_session "$DATABASE_URL" \
        foundry_session

    # The service's nginx must be on the port its FOUNDRY_AUTH_URL names.
    fa_nginx_render "$dir/nginx-service" "$svc_port" "$dir/run/foundry-auth.sock" "$FA_BENCH_RATE"
    fa_nginx_start
    BENCH_URL[service]=$FA_NGINX_URL
    BENCH_NGINX[service]=$(<"$dir/nginx-service/nginx.pid")
    bench_nginx_up ok "$dir/run/ok.sock"
    bench_nginx_up ideal "$dir/run/ideal.sock"
    bench_nginx_up ok_keep1 "$dir/run/ok_keep1.sock" 1
    bench_nginx_up ok_keep16 "$dir/run/ok_keep16.sock" 16
    fa_wait_until 20 "the service to be ready" \
        curl -sf -o /dev/null "${BENCH_URL[service]}/readyz" || fa_die "the service is not ready"
}

bench_env_down() {
    local dir=$1 d name
    [[ -d $dir ]] || return 0
    for d in "$dir"/nginx-*; do
        [[ -e $d/nginx.pid ]] && fa_stop_pidfile "$d/nginx.pid" nginx 10
    done
    for name in ok ok_keep1 ok_keep16 ideal; do
        fa_stop_pidfile "$dir/$name.pid" "$name fixture" 5 || true
    done
    fa_jobs_stop "$dir/jobs.pid" || true
    fa_service_stop "$dir/service.pid" || true
    fa_emulator_stop "$dir/emulator.pid" || true
    if [[ -s $dir/pg/data/PG_VERSION ]]; then
        (cd / && runuser -u postgres -- "$FA_PG_BIN/pg_ctl" -D "$dir/pg/data" -m immediate -w stop) \
            >/dev/null 2>&1 || true
    fi
    return 0
}

bench_psql() {
    fa_pg_psql_admin -d foundry_auth -At "$@"
}

bench_emulator() {
    local method=$1 path=$2 body=${3:-}
    curl -sf -X "$method" -H 'Content-Type: application/json' ${body:+-d "$body"} \
        "$FA_EMULATOR_URL/_emulator/$path"
}

# bench_sign_in LOGIN: signs LOGIN in through the dev bootstrap (a GitHub
# token minted by the emulator) and prints the session cookie's value.
bench_sign_in() {
    local login=$1 token jar=$BENCH_DIR/jar.$1
    token=$(bench_emulator POST tokens/issue \
        "{\"login\":\"$login\",\"scope\":\"read:user user:email read:org\"}" |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || fa_die "the emulator issued no token for $login"
    curl -sf -c "$jar" -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d "{\"githubToken\":\"$token\"}" "${BENCH_URL[service]}/v1/auth/dev/bootstrap" ||
        fa_die "dev bootstrap failed for $login"
    awk '$6 == "foundry_session" || $6 == "__Host-foundry_session" { print $7 }' "$jar" | tail -n 1
}

# bench_seed_orgs LOGIN N: LOGIN is a member of the first N organizations of
# the emulator's fixtures, before signing in; the job worker's org sync then
# stores them. Without a job worker (or if the sync fails) the rows are
# written with SQL instead, in the shape the sync leaves them.
bench_seed_orgs() {
    local login=$1 n=$2 ids uid i status
    ids=$(bench_emulator GET orgs | grep -o '"id":[0-9]*' | cut -d: -f2 | head -n "$n" |
        paste -sd,)
    bench_emulator POST "users/$login/orgs" "{\"orgIds\":[$ids]}" >/dev/null ||
        fa_die "could not give $login its organizations"
    BENCH_COOKIE=$(bench_sign_in "$login")
    uid=$(bench_psql -c "SELECT user_id FROM user_profiles WHERE github_login = '$login'")
    [[ -n $uid ]] || fa_die "no profile for $login after signing in"
    for ((i = 0; i < 100; i++)); do
        status=$(bench_psql -c "SELECT org_sync_status FROM user_profiles WHERE user_id = $uid")
        [[ $status == "done" || $status == "failed" ]] && break
        sleep 0.2
    done
    if [[ $status != "done" ]]; then
        fa_log "org sync is '$status' after 20 s: writing the organizations with SQL"
        bench_psql -c "
            INSERT INTO organizations (id, login, name, kind)
            SELECT id, 'org-' || id, 'Organization ' || id, 'organization'
            FROM unnest('{$ids}'::bigint[]) AS id ON CONFLICT (id) DO NOTHING;
            UPDATE user_profiles SET eligible_organization_ids = '{$ids}'::bigint[],
                org_sync_status = 'done', org_sync_updated_at = now()
            WHERE user_id = $uid;" >/dev/null
    fi
    BENCH_ORGS=$(bench_psql -c "SELECT count(*) FROM organizations o JOIN user_profiles p
        ON o.id = ANY (p.eligible_organization_ids) WHERE p.user_id = $uid AND o.kind = 'organization'")
    fa_log "$login: $BENCH_ORGS organizations in the snapshot"
}

# bench_copy TABLE COLUMNS SELECT: rows generated by SELECT inside PostgreSQL,
# streamed out and back in with COPY (one COPY per table, no row-by-row
# inserts). session_replication_role=replica skips the foreign-key triggers:
# the generator makes every reference valid by construction.
bench_copy() {
    local table=$1 columns=$2 select=$3
    bench_psql -c "COPY ($select) TO STDOUT" |
        fa_pg_psql_admin -d foundry_auth -c 'SET session_replication_role = replica' \
            -c "COPY $table ($columns) FROM STDIN"
}

# bench_seed_scale USERS SESSIONS: ids far above any real GitHub id used here;
# token hashes are SHA-256 of a counter (uniformly spread, like real ones);
# every session has its index and state rows.
bench_seed_scale() {
    local users=$1 sessions=$2 base=10000000000 started=$SECONDS
    fa_log "seeding $users users and $sessions sessions with COPY"
    bench_copy users "id, name, email, email_verified" \
        "SELECT $base + g, 'Bench User ' || g, 'user' || g || '@bench.example', true
         FROM generate_series(1, $users) g"
    bench_copy user_profiles "user_id, github_login, org_sync_status" \
        "SELECT $base + g, 'bench-user-' || g, 'done' FROM generate_series(1, $users) g"
    bench_copy sessions "user_id, id, expires_at, absolute_expires_at, ip, user_agent" \
        "SELECT $base + 1 + (g - 1) % $users, md5('bench-session-' || g)::uuid,
                now() + interval '7 days', now() + interval '30 days', '127.0.0.1', 'bench'
         FROM generate_series(1, $sessions) g"
    bench_copy session_index "token_hash, user_id, session_id" \
        "SELECT sha256(('bench-token-' || g)::bytea), $base + 1 + (g - 1) % $users,
                md5('bench-session-' || g)::uuid
         FROM generate_series(1, $sessions) g"
    bench_copy session_state "user_id, session_id" \
        "SELECT $base + 1 + (g - 1) % $users, md5('bench-session-' || g)::uuid
         FROM generate_series(1, $sessions) g"
    fa_log "COPY done in $((SECONDS - started)) s; VACUUM ANALYZE and CHECKPOINT"
    bench_psql -c 'VACUUM ANALYZE users' -c 'VACUUM ANALYZE user_profiles' \
        -c 'VACUUM ANALYZE sessions' -c 'VACUUM ANALYZE session_index' \
        -c 'VACUUM ANALYZE session_state' -c 'CHECKPOINT' >/dev/null
    BENCH_SEED_SECONDS=$((SECONDS - started))
    fa_log "seeded in ${BENCH_SEED_SECONDS} s: $(bench_psql -c "SELECT
        pg_size_pretty(pg_total_relation_size('sessions') + pg_total_relation_size('session_index')
        + pg_total_relation_size('session_state') + pg_total_relation_size('users'))") on disk"
}

# bench_pids NAME: the FastCGI workers (children of the parent) of an upstream.
bench_pids() {
    pgrep -P "${BENCH_MASTER[$1]}" || true
}

bench_nginx_pids() {
    pgrep -P "${BENCH_NGINX[$1]}" || true
}

bench_pg_pids() {
    local master
    master=$(head -n 1 "$FA_PG_DATA/postmaster.pid")
    echo "$master"
    pgrep -P "$master" || true
}
