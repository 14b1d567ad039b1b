# shellcheck shell=bash
# Installs the Debian 12 packages the project needs; nothing is assumed to be
# preinstalled. apt-get runs only when something is missing.

FA_PACKAGES=(
    build-essential cmake pkg-config
    libfcgi-dev libfcgi-bin libpq-dev libjansson-dev libssl-dev
    libcurl4-openssl-dev libcunit1-dev
    postgresql-15 postgresql-client-15
    nginx-light
    nodejs
    gettext-base
    valgrind clang
    procps psmisc curl openssl ca-certificates
)

fa_deps_missing() {
    local pkg status
    for pkg in "${FA_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ $status == installed ]] || printf '%s\n' "$pkg"
    done
}

fa_deps_install() {
    local missing
    mapfile -t missing < <(fa_deps_missing)
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || fa_die "missing packages (${missing[*]}); run as root to install them"
    fa_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}
