SUMMARY = "System settings of the intake kiosk image"
DESCRIPTION = "journald persistent with size limits, NTP through systemd-timesyncd, \
               hardware watchdog, and no login prompt on the kiosk's display."
# nooelint: oelint.vars.homepageping
HOMEPAGE = "https://example.invalid/intake-kiosk"
BUGTRACKER = "https://example.invalid/intake-kiosk/issues"
CVE_PRODUCT = "intake-kiosk-system"
SECTION = "kiosk"
LICENSE = "GPL-3.0-or-later"
LIC_FILES_CHKSUM = "file://${THISDIR}/../../COPYING;md5=1ebbd3e34237af26da5dc08a4e440464"

SRC_URI = "file://10-intake-kiosk-journald.conf \
           file://10-intake-kiosk-timesyncd.conf \
           file://10-intake-kiosk-watchdog.conf \
           "

S = "${UNPACKDIR}"

inherit allarch features_check

REQUIRED_DISTRO_FEATURES = "systemd"

do_install() {
    install -d ${D}${systemd_unitdir}/journald.conf.d ${D}${systemd_unitdir}/timesyncd.conf.d \
               ${D}${systemd_unitdir}/system.conf.d
    install -m 0644 ${S}/10-intake-kiosk-journald.conf ${D}${systemd_unitdir}/journald.conf.d/10-intake-kiosk.conf
    install -m 0644 ${S}/10-intake-kiosk-timesyncd.conf ${D}${systemd_unitdir}/timesyncd.conf.d/10-intake-kiosk.conf
    install -m 0644 ${S}/10-intake-kiosk-watchdog.conf ${D}${systemd_unitdir}/system.conf.d/10-intake-kiosk.conf

    # The display belongs to the kiosk: no getty on tty1 (the unit also conflicts with it), and
    # no autovt login when someone presses Ctrl-Alt-F1.
    install -d ${D}${sysconfdir}/systemd/system
    ln -sf /dev/null ${D}${sysconfdir}/systemd/system/getty@tty1.service
    ln -sf /dev/null ${D}${sysconfdir}/systemd/system/autovt@tty1.service
}

FILES:${PN} += "${systemd_unitdir}/journald.conf.d \
                ${systemd_unitdir}/timesyncd.conf.d \
                ${systemd_unitdir}/system.conf.d \
                ${sysconfdir}/systemd/system \
                "

RDEPENDS:${PN} = "systemd"
