# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of scripts/install-debian into a staging root (--root): what lands where, and that the
configuration names the unit's paths and is never overwritten."""

import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts/install-debian"


class InstallDebianTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.stage = Path(self.tmp.name, "root")
        self.binary = Path(self.tmp.name, "kiosk")
        self.binary.write_text("#!/bin/sh\nexit 0\n")
        self.binary.chmod(0o755)

    def install(self):
        return subprocess.run([str(SCRIPT), "--binary", str(self.binary), "--root", str(self.stage)],
                              capture_output=True, text=True, timeout=60)

    def test_installs_the_unit_rules_binary_and_data(self):
        result = self.install()
        self.assertEqual(result.returncode, 0, result.stderr)
        for path in ("usr/bin/kiosk", "etc/systemd/system/intake-kiosk.service",
                     "etc/udev/rules.d/90-intake-kiosk.rules", "usr/share/intake-kiosk/admin-units-2025.json",
                     "usr/share/intake-kiosk/holidays.toml", "usr/libexec/intake-kiosk/rauc-pre-install",
                     "etc/systemd/journald.conf.d/10-intake-kiosk.conf"):
            self.assertTrue((self.stage / path).is_file(), path)
        unit = (self.stage / "etc/systemd/system/intake-kiosk.service").read_text()
        self.assertIn("ExecStart=/usr/bin/kiosk run", unit)

    def test_configuration_uses_the_units_paths(self):
        self.assertEqual(self.install().returncode, 0)
        config = (self.stage / "etc/intake-kiosk/kiosk.toml").read_text()
        unit = (self.stage / "etc/systemd/system/intake-kiosk.service").read_text()
        self.assertIn('data_dir = "/var/lib/intake-kiosk"', config)
        self.assertIn("ReadWritePaths=/var/lib/intake-kiosk", unit)
        self.assertIn("Environment=KIOSK_CONFIG=/etc/intake-kiosk/kiosk.toml", unit)
        self.assertIn('units = "/usr/share/intake-kiosk/admin-units-2025.json"', config)
        self.assertNotIn("/var/lib/kiosk", config)
        self.assertNotIn("/usr/share/kiosk/", config)
        self.assertEqual((self.stage / "etc/intake-kiosk/kiosk.toml").stat().st_mode & 0o777, 0o640)

    def test_an_adapted_configuration_is_kept(self):
        self.assertEqual(self.install().returncode, 0)
        config = self.stage / "etc/intake-kiosk/kiosk.toml"
        config.write_text("# adapted by the technician\n")
        result = self.install()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("keeping the existing", result.stdout)
        self.assertEqual(config.read_text(), "# adapted by the technician\n")

    def test_missing_binary_is_a_clear_error(self):
        result = subprocess.run([str(SCRIPT), "--binary", "/nonexistent/kiosk", "--root", str(self.stage)],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertIn("cargo build --release --features device", result.stderr)


if __name__ == "__main__":
    unittest.main()
