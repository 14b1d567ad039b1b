# shellcheck shell=bash
# The browser test (tests/browser/): Debian's chromium driven by playwright-core
# through sign-in, the app page and the account page.
#
# fa_browser_deps   installs chromium, its fonts and npm from Debian when missing,
#                   and the test's npm packages (npm ci) when node_modules lacks
#                   the locked playwright-core
# fa_browser_test   runs node --test tests/browser/ against the environment
#                   env_up made (FA_TEST_URL, FA_TEST_EMULATOR_URL); screenshots
#                   go to FA_SCREENSHOT_DIR (default tests/browser/screenshots/)

FA_BROWSER_DIR=$FA_ROOT/tests/browser
FA_CHROMIUM=${FA_CHROMIUM:-/usr/bin/chromium}

fa_browser_apt_missing() {
    local pkg status
    for pkg in chromium fonts-dejavu-core; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ $status == installed ]] || printf '%s\n' "$pkg"
    done
    # NodeSource's nodejs bundles npm; Debian's does not.
    command -v npm >/dev/null 2>&1 || printf 'npm\n'
}

# The locked playwright-core is what node_modules holds (a stale or half
# installed node_modules is replaced, never used).
fa_browser_npm_current() {
    (cd "$FA_BROWSER_DIR" && node -e '
        const want = require("./package-lock.json").packages["node_modules/playwright-core"].version;
        const have = require("./node_modules/playwright-core/package.json").version;
        process.exit(want === have ? 0 : 1);') 2>/dev/null
}

fa_browser_deps() {
    local missing
    mapfile -t missing < <(fa_browser_apt_missing)
    if ((${#missing[@]} > 0)); then
        [[ $(id -u) -eq 0 ]] || fa_die "missing packages (${missing[*]}); run as root to install them"
        fa_log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    if ! fa_browser_npm_current; then
        fa_log "installing the browser test's npm packages (npm ci in tests/browser)"
        (cd "$FA_BROWSER_DIR" && npm ci --no-audit --no-fund)
    fi
}

fa_browser_test() {
    [[ -n ${FA_TEST_URL:-} && -n ${FA_TEST_EMULATOR_URL:-} ]] ||
        fa_die "fa_browser_test needs the test environment (FA_TEST_URL, FA_TEST_EMULATOR_URL)"
    local shots=${FA_SCREENSHOT_DIR:-$FA_BROWSER_DIR/screenshots}
    # Files named explicitly: node 18 and node 22 read a directory argument
    # differently, and node_modules must never be searched for tests.
    local rc=0
    FA_CHROMIUM=$FA_CHROMIUM FA_SCREENSHOT_DIR=$shots \
        timeout --foreground 10m node --test "$FA_BROWSER_DIR"/*.test.js || rc=$?
    fa_log "browser screenshots in $shots"
    return "$rc"
}
