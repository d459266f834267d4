SUMMARY = "Intake kiosk: identity documents, biometrics, sealed store-and-forward upload"
DESCRIPTION = "Self-service kiosk for Vietnamese public offices (certified copies of the citizen \
               identity card, level-2 electronic identification of foreigners): drives the camera, \
               document box, card reader, fingerprint sensor, GPIO and receipt printer, seals \
               dossiers and uploads them."
# The placeholder address of Cargo.toml's `repository` (nothing to reach before publication).
# nooelint: oelint.vars.homepageping
HOMEPAGE = "https://example.invalid/intake-kiosk"
BUGTRACKER = "https://example.invalid/intake-kiosk/issues"
CVE_PRODUCT = "intake-kiosk"
SECTION = "kiosk"
LICENSE = "GPL-3.0-or-later"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1ebbd3e34237af26da5dc08a4e440464"

# clang-native: libclang for bindgen (V4L2 headers); pcsc-lite: libpcsclite for the PC/SC driver;
# libinput, udev, libxkbcommon, fontconfig, virtual/libgbm: the Slint linuxkms backend of `kiosk run`
# (touch input, hotplug, keyboard layouts, font lookup, buffers on KMS).
DEPENDS += "clang-native fontconfig libinput libxkbcommon pcsc-lite udev virtual/libgbm"

# The project's repository (Cargo.toml `repository`; a placeholder until the project is published).
# Release builds pin SRCREV to the tagged commit, e.g. in local.conf:
#   SRCREV:pn-intake-kiosk = "<40-hex commit>"
# Building from a working copy instead: INHERIT += "externalsrc" and
#   EXTERNALSRC:pn-intake-kiosk = "/path/to/intake-kiosk"
PV .= "+git"

SRC_URI = "git://example.invalid/intake-kiosk.git;protocol=https;branch=main \
           file://intake-kiosk.service \
           file://90-intake-kiosk.rules \
           file://rauc-pre-install \
           "
# The published release commit is not known yet (placeholder repository): follow the branch until
# a release pins it.
# nooelint: oelint.vars.autorev
SRCREV ?= "${AUTOREV}"

inherit cargo cargo-update-recipe-crates systemd useradd pkgconfig

# The crates of Cargo.lock with their checksums (scripts/gen-crates-inc, checked in CI).
require ${BPN}-crates.inc

# The Cargo workspace root holds the `kiosk` package.
CARGO_SRC_DIR = ""

S = "${UNPACKDIR}/${BB_GIT_DEFAULT_DESTSUFFIX}"

# Cargo features = the drivers this image carries (the `device` set). PACKAGECONFIG names are the
# cargo feature names: `PACKAGECONFIG:remove = "rppal"` for an x86 board.
PACKAGECONFIG ??= "serial escl v4l rppal pcsc"
PACKAGECONFIG[serial] = ""
PACKAGECONFIG[escl] = ""
PACKAGECONFIG[v4l] = ",,clang-native"
PACKAGECONFIG[rppal] = ""
PACKAGECONFIG[pcsc] = ",,pcsc-lite,pcsc-lite,ccid"
CARGO_BUILD_FLAGS:append = " --no-default-features --features ${@','.join(d.getVar('PACKAGECONFIG').split())}"

# bindgen runs on the build host but parses the target's headers.
export LIBCLANG_PATH = "${STAGING_LIBDIR_NATIVE}"
export BINDGEN_EXTRA_CLANG_ARGS = "--sysroot=${STAGING_DIR_TARGET} --target=${TARGET_SYS}"

# Receipt fonts on the image (meta-oe's ttf-dejavu-sans and source-han-sans-cn-fonts): the
# production configuration names Debian's paths, replaced here.
KIOSK_FONT_LATIN ?= "${datadir}/fonts/truetype/DejaVuSans.ttf"
KIOSK_FONT_CJK ?= "${datadir}/fonts/truetype/SourceHanSansCN-Regular.otf"

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system kiosk"
USERADD_PARAM:${PN} = "--system --gid kiosk --home-dir ${localstatedir}/lib/intake-kiosk \
                       --no-create-home --shell ${base_sbindir}/nologin kiosk"

SYSTEMD_SERVICE:${PN} = "intake-kiosk.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

do_install:append() {
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${UNPACKDIR}/intake-kiosk.service ${D}${systemd_system_unitdir}/
    install -d ${D}${nonarch_base_libdir}/udev/rules.d
    install -m 0644 ${UNPACKDIR}/90-intake-kiosk.rules ${D}${nonarch_base_libdir}/udev/rules.d/

    # RAUC refuses to install an update while the outbox holds unacknowledged packets.
    install -d ${D}${libexecdir}/intake-kiosk
    install -m 0755 ${UNPACKDIR}/rauc-pre-install ${D}${libexecdir}/intake-kiosk/

    # Configuration (root-owned, readable by the kiosk group only: it names the payment account).
    install -d -m 0750 -g kiosk ${D}${sysconfdir}/intake-kiosk
    # The example's paths become the image's (the same substitutions as scripts/install-debian).
    sed -e 's|/var/lib/kiosk|${localstatedir}/lib/intake-kiosk|g' \
        -e 's|/usr/share/kiosk/|${datadir}/intake-kiosk/|g' \
        -e 's|/etc/kiosk/kiosk.toml|${sysconfdir}/intake-kiosk/kiosk.toml|g' \
        -e 's|/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf|${KIOSK_FONT_LATIN}|' \
        -e 's|/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc|${KIOSK_FONT_CJK}|' \
        ${S}/configs/production.example.toml > ${D}${sysconfdir}/intake-kiosk/kiosk.toml
    chmod 0640 ${D}${sysconfdir}/intake-kiosk/kiosk.toml
    chgrp kiosk ${D}${sysconfdir}/intake-kiosk/kiosk.toml

    # Data the configuration refers to: administrative units and holiday tables.
    install -d ${D}${datadir}/intake-kiosk
    install -m 0644 ${S}/configs/admin-units-2025.json ${S}/configs/admin-units-2025.LICENSE \
        ${S}/configs/holidays.toml ${D}${datadir}/intake-kiosk/

    # The unit's Documentation= (in the ${PN}-doc package).
    install -d ${D}${docdir}/intake-kiosk
    install -m 0644 ${S}/docs/deployment.md ${S}/docs/hardware.md ${D}${docdir}/intake-kiosk/

    # Mount point of the data partition (outbox, audit log, device key).
    install -d -m 0700 -o kiosk -g kiosk ${D}${localstatedir}/lib/intake-kiosk
}

FILES:${PN} += "${systemd_system_unitdir}/intake-kiosk.service \
                ${nonarch_base_libdir}/udev/rules.d/90-intake-kiosk.rules \
                ${libexecdir}/intake-kiosk \
                ${localstatedir}/lib/intake-kiosk \
                "
CONFFILES:${PN} = "${sysconfdir}/intake-kiosk/kiosk.toml"

RDEPENDS:${PN} += "source-han-sans-cn-fonts ttf-dejavu-sans"
RRECOMMENDS:${PN} += "rauc"
