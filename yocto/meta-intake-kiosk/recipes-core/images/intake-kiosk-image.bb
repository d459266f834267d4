SUMMARY = "Intake kiosk device image"
DESCRIPTION = "Read-only, A/B-updatable (RAUC) image that boots straight into the intake \
               kiosk on the display: kiosk user, Vietnamese and CJK fonts, no login console, \
               persistent bounded journal, NTP, udev rules for the kiosk's devices and a writable \
               data partition for the outbox."
# nooelint: oelint.vars.homepageping
HOMEPAGE = "https://example.invalid/intake-kiosk"
BUGTRACKER = "https://example.invalid/intake-kiosk/issues"
CVE_PRODUCT = "intake-kiosk-image"
SECTION = "kiosk"
LICENSE = "GPL-3.0-or-later"
LIC_FILES_CHKSUM = "file://${THISDIR}/../../COPYING;md5=1ebbd3e34237af26da5dc08a4e440464"

inherit core-image extrausers

# The root file system never changes at run time: updates replace it whole (RAUC A/B), so a power
# cut cannot corrupt it. Only /var/lib/intake-kiosk (data) and /var/log (journal) are writable.
IMAGE_FEATURES += "read-only-rootfs"
# No debug-tweaks, no empty root password; no ssh server by default (a site adds one with its keys).
IMAGE_FEATURES:remove = "debug-tweaks allow-empty-password empty-root-password allow-root-login"

# Boots to multi-user.target: no display manager, the kiosk owns the screen (intake-kiosk.service).
SYSTEMD_DEFAULT_TARGET = "multi-user.target"

IMAGE_INSTALL = "packagegroup-core-boot \
                 intake-kiosk \
                 intake-kiosk-system \
                 ttf-dejavu-sans \
                 source-han-sans-cn-fonts \
                 source-han-sans-jp-fonts \
                 source-han-sans-kr-fonts \
                 fontconfig \
                 pcsc-lite \
                 ccid \
                 rauc \
                 util-linux-runuser \
                 ${CORE_IMAGE_EXTRA_INSTALL} \
                 "

# Fonts: DejaVu Sans covers Vietnamese (Latin with stacked diacritics); Source Han Sans (the same
# design as Noto Sans CJK) covers Chinese, Japanese and Korean screens and receipts.

# The kiosk user and group come from intake-kiosk (useradd). Root gets no password: a technician
# works through the kiosk's service menu, or a site adds its own access.
EXTRA_USERS_PARAMS = "usermod -p '*' root;"

# A/B disk layout with the data and log partitions (wic writes /etc/fstab for them).
WKS_FILE ?= "intake-kiosk-ab.wks.in"
IMAGE_FSTYPES += "wic.bz2 wic.bmap ext4"

# A persistent journal needs /var/log on disk, not the volatile tmpfs oe-core uses by default:
# the build's local.conf (or distro) sets VOLATILE_LOG_DIR = "no" (docs/deployment.md).
