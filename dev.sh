#!/usr/bin/env bash
# Development entry point of the intake kiosk.
#
#   ./dev.sh run [kiosk arguments]   install what the build needs, then run the kiosk's main job on
#                                    simulated hardware (default: `devices selftest`)
#   ./dev.sh test                    install what the build needs, then run the whole test suite
#   ./dev.sh deps                    only install the system packages (Debian/Ubuntu, as root or with sudo)
#
# Only the Rust toolchain must be there already; Debian packages are installed when missing.
set -euo pipefail
cd "$(dirname "$0")"

# gcc/libc6-dev: linker and C runtime; pkg-config: finds system libraries;
# libclang1-14: bindgen for the V4L2 driver; libpcsclite-dev: PC/SC card readers;
# fonts-dejavu-core, fonts-noto-cjk: receipt text in Vietnamese and CJK (and the tests that print it);
# qpdf: the dossier tests check the certified-copy PDF with `qpdf --check`;
# systemd: systemd-analyze checks the kiosk's unit (scripts/check-systemd-unit);
# fonts-ocr-b: the OCR-B font the simulated card's MRZ is printed in and the MRZ OCR templates come from.
PACKAGES=(gcc libc6-dev pkg-config libclang1-14 libpcsclite-dev fonts-dejavu-core fonts-noto-cjk qpdf systemd fonts-ocr-b)

install_deps() {
    local missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

command="${1:-run}"
[ $# -gt 0 ] && shift
case "$command" in
    deps) install_deps ;;
    run)
        install_deps
        if [ $# -eq 0 ]; then set -- devices selftest; fi
        cargo run --quiet --bin kiosk -- "$@"
        ;;
    test)
        install_deps
        log=$(mktemp)
        trap 'rm -f "$log"' EXIT
        status=0
        cargo test --workspace --all-features "$@" 2>&1 | tee "$log" || status=$?
        # One closing line for the whole workspace (cargo prints one per test binary, the last being
        # the doc-tests).
        awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
             END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
        exit "$status"
        ;;
    *)
        echo "usage: ./dev.sh run [kiosk arguments] | test | deps" >&2
        exit 2
        ;;
esac
