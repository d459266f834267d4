# The intake kiosk's RAUC system configuration: A/B root file systems and the pre-install handler
# that refuses an update while the outbox holds unacknowledged packets.
# Only for the reference board: system.conf names its eMMC/SD partitions (mmcblk0p2/p3).
FILESEXTRAPATHS:prepend:raspberrypi5 := "${THISDIR}/files:"

# The site's update CA (the certificate that signed RAUC_CERT_FILE): put it beside this file as
# ca.cert.pem, or point RAUC_KEYRING_FILE at it from local.conf.
RAUC_KEYRING_FILE:raspberrypi5 ?= "ca.cert.pem"
