# shellcheck shell=bash
# valgrind memcheck of the service across 10,000 requests through nginx: the
# per-request arena must leave nothing behind, and no request may read memory
# it does not own. Runs inside an environment brought up by scripts/test's
# env_up (PostgreSQL, emulator, service, nginx), then restarts the service
# with one worker under valgrind so every request goes through the same
# process.

FA_MEMCHECK_REQUESTS=${FA_MEMCHECK_REQUESTS:-10000}

# fa_memcheck_wrapper DIR REAL_BIN: a wrapper "binary" that fa_service_start
# can run as BIN serve.
fa_memcheck_wrapper() {
    local dir=$1 real=$2
    cat >"$dir/valgrind-foundry-auth" <<EOF
#!/bin/sh
exec valgrind --trace-children=yes --leak-check=full \\
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
    --log-file=$dir/valgrind.%p.log "$real" "\$@"
EOF
    chmod +x "$dir/valgrind-foundry-auth"
}

# A signed-in cookie jar from the emulator's token and dev bootstrap.
fa_memcheck_sign_in() {
    local jar=$1 token
    token=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d '{"login":"octo-alice","scope":"read:user user:email read:org"}' \
        "$FA_TEST_EMULATOR_URL/_emulator/tokens/issue" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || { fa_log "memcheck: the emulator issued no token"; return 1; }
    curl -sf -c "$jar" -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d "{\"githubToken\":\"$token\"}" "$FA_TEST_URL/v1/auth/dev/bootstrap"
}

# The request mix: reads signed in and out, errors of each kind.
fa_memcheck_urls() {
    local n=$1 i paths=(
        /healthz /readyz /v1/app/snapshot /v1/auth/session /v1/auth/sessions /v1/auth/verify
        /v1/nope '/healthz?x=%zz' '/healthz?x=a%00b' /v1/auth/github/start
    )
    for ((i = 0; i < n; i++)); do
        printf 'url = "%s%s"\noutput = "/dev/null"\n' "$FA_TEST_URL" "${paths[i % ${#paths[@]}]}"
    done
}

# fa_memcheck DIR FLAVOUR_BIN: the whole check; non-zero on any leak or error.
fa_memcheck() {
    local dir=$1 real=$2 jar f bad=0
    jar=$dir/memcheck.jar
    fa_service_stop "$FA_TEST_SERVICE_PIDFILE"
    sed -i 's/^FOUNDRY_AUTH_WORKERS=.*/FOUNDRY_AUTH_WORKERS=1/' "$FA_TEST_ENV_FILE"
    fa_memcheck_wrapper "$dir" "$real"
    fa_service_start "$dir/valgrind-foundry-auth" "$FA_TEST_ENV_FILE" "$FA_TEST_SERVICE_PIDFILE" \
        "$FA_TEST_SERVICE_LOG" "$(sed -n 's/^FOUNDRY_AUTH_SOCKET=//p' "$FA_TEST_ENV_FILE")"
    fa_wait_until 60 "the service under valgrind" \
        sh -c "curl -sf -o /dev/null '$FA_TEST_URL/readyz'" || return 1
    fa_memcheck_sign_in "$jar" || return 1
    fa_memcheck_urls "$FA_MEMCHECK_REQUESTS" >"$dir/memcheck.urls"
    local started=$SECONDS
    curl -s --parallel --parallel-max 4 -b "$jar" -K "$dir/memcheck.urls" \
        -w '%{http_code}\n' >"$dir/memcheck.codes" || true
    fa_log "memcheck: $(wc -l <"$dir/memcheck.codes") requests in $((SECONDS - started)) s;" \
        "status counts: $(sort "$dir/memcheck.codes" | uniq -c | tr -s ' \n' ' ')"
    if grep -qvE '^(200|302|400|401|404)$' "$dir/memcheck.codes"; then
        fa_log "memcheck: unexpected statuses under valgrind"
        bad=1
    fi
    fa_service_stop "$FA_TEST_SERVICE_PIDFILE"
    for f in "$dir"/valgrind.*.log; do
        [[ -e $f ]] || continue
        if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$f"; then
            fa_log "memcheck: $f reports errors or leaks:"
            cat "$f" >&2
            bad=1
        fi
    done
    compgen -G "$dir/valgrind.*.log" >/dev/null || { fa_log "memcheck: no valgrind logs"; bad=1; }
    ((bad == 0)) && fa_log "memcheck: no leaks and no memory errors across the run"
    ((bad == 0))
}
