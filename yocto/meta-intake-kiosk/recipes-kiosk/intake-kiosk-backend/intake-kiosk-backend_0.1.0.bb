SUMMARY = "Reference ingest server of the intake kiosk (packets in, signed receipts out)"
DESCRIPTION = "kiosk-backend: receives sealed packets from enrolled kiosks, verifies and \
               stores them and answers with signed receipts. Optional: for a test rig or an \
               on-premises server image, not part of intake-kiosk-image."
# The placeholder address of Cargo.toml's `repository` (nothing to reach before publication).
# nooelint: oelint.vars.homepageping
HOMEPAGE = "https://example.invalid/intake-kiosk"
BUGTRACKER = "https://example.invalid/intake-kiosk/issues"
CVE_PRODUCT = "intake-kiosk-backend"
SECTION = "kiosk"
LICENSE = "GPL-3.0-or-later"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1ebbd3e34237af26da5dc08a4e440464"

# Same repository, revision and Cargo.lock as the kiosk (one Cargo workspace): see intake-kiosk_0.1.0.bb.
PV .= "+git"

SRC_URI = "git://example.invalid/intake-kiosk.git;protocol=https;branch=main \
           file://intake-kiosk-backend.service \
           "
# nooelint: oelint.vars.autorev
SRCREV ?= "${AUTOREV}"

S = "${UNPACKDIR}/${BB_GIT_DEFAULT_DESTSUFFIX}"

inherit cargo systemd useradd

# The workspace's one Cargo.lock, hence the kiosk's crate list.
require recipes-kiosk/intake-kiosk/intake-kiosk-crates.inc

# The `kiosk-backend` package of the workspace (backend/).
CARGO_SRC_DIR = "backend"

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system kiosk-backend"
USERADD_PARAM:${PN} = "--system --gid kiosk-backend --home-dir ${localstatedir}/lib/intake-kiosk-backend \
                       --no-create-home --shell ${base_sbindir}/nologin kiosk-backend"

SYSTEMD_SERVICE:${PN} = "intake-kiosk-backend.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

do_install:append() {
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${UNPACKDIR}/intake-kiosk-backend.service ${D}${systemd_system_unitdir}/
    install -d -m 0750 -g kiosk-backend ${D}${sysconfdir}/intake-kiosk-backend
}

FILES:${PN} += "${systemd_system_unitdir}/intake-kiosk-backend.service"
