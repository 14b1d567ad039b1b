# shellcheck shell=bash
# Configures and builds with CMake: build/ (normal) or build-asan/
# (AddressSanitizer + UndefinedBehaviorSanitizer). Re-running only rebuilds
# what changed. FA_BUILD_PREFIX moves both (default: the repo's build), e.g.
# to keep a second checkout's build apart.

# fa_build_dir normal|asan
fa_build_dir() {
    case $1 in
        normal) echo "${FA_BUILD_PREFIX:-$FA_ROOT/build}" ;;
        asan) echo "${FA_BUILD_PREFIX:-$FA_ROOT/build}-asan" ;;
        *) fa_die "unknown build flavour: $1" ;;
    esac
}

# fa_build normal|asan
fa_build() {
    local flavour=$1 dir sanitize=OFF
    dir=$(fa_build_dir "$flavour")
    [[ $flavour == asan ]] && sanitize=ON
    fa_log "building ($flavour) in $dir"
    cmake -S "$FA_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFA_SANITIZE="$sanitize" >/dev/null &&
        cmake --build "$dir" -j2
}
