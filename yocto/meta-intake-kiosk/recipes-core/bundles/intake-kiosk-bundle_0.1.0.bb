SUMMARY = "RAUC update bundle of the intake kiosk image"
DESCRIPTION = "Signed RAUC bundle that writes intake-kiosk-image into the inactive root \
               file system slot; the running kiosk's pre-install handler refuses it while the \
               outbox holds unacknowledged packets."
# nooelint: oelint.vars.homepageping
HOMEPAGE = "https://example.invalid/intake-kiosk"
BUGTRACKER = "https://example.invalid/intake-kiosk/issues"
CVE_PRODUCT = "intake-kiosk-bundle"
SECTION = "kiosk"
LICENSE = "GPL-3.0-or-later"
LIC_FILES_CHKSUM = "file://${THISDIR}/../../COPYING;md5=1ebbd3e34237af26da5dc08a4e440464"

# meta-rauc's bundle class builds from the image recipes named in RAUC_SLOT_*: no source of its own.
SRC_URI = ""

inherit bundle

# Must match `compatible` in the kiosks' /etc/rauc/system.conf (rauc-conf.bbappend).
RAUC_BUNDLE_COMPATIBLE = "intake-kiosk-rpi5"
RAUC_BUNDLE_VERSION = "${DISTRO_VERSION}-${DATETIME}"
RAUC_BUNDLE_VERSION[vardepsexclude] = "DATETIME"
RAUC_BUNDLE_DESCRIPTION = "Intake kiosk system update"
# verity: the bundle is checked block by block while it is installed (no unpacking to disk).
RAUC_BUNDLE_FORMAT = "verity"

RAUC_BUNDLE_SLOTS = "rootfs"
RAUC_SLOT_rootfs = "intake-kiosk-image"
RAUC_SLOT_rootfs[fstype] = "ext4"

# Signing key and certificate: the site's update key, never committed. Set them in local.conf:
#   RAUC_KEY_FILE = "/secure/path/update-key.pem"
#   RAUC_CERT_FILE = "/secure/path/update-cert.pem"
# The kiosks trust the matching CA (RAUC_KEYRING_FILE in rauc-conf.bbappend).
