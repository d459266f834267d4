# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the RAUC pre-install handler against a fake `kiosk` on PATH
(run: python3 -m unittest discover -s scripts -p 'test_*.py')."""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

HOOK = Path(__file__).resolve().parent.parent / "yocto/meta-intake-kiosk/recipes-kiosk/intake-kiosk/files/rauc-pre-install"


class PreInstallHookTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = Path(self.tmp.name, "bin")
        self.bin.mkdir()
        self.calls = Path(self.tmp.name, "calls")

    def tearDown(self):
        self.tmp.cleanup()

    def fake_kiosk(self, output, status=0):
        """A `kiosk` that records its arguments and prints `output`."""
        script = self.bin / "kiosk"
        script.write_text(f"#!/bin/sh\necho \"$@\" >> '{self.calls}'\ncat <<'JSON'\n{output}\nJSON\nexit {status}\n")
        script.chmod(0o755)

    def run_hook(self, force=False):
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "INTAKE_KIOSK_FORCE_FILE": str(Path(self.tmp.name, "force-update")),
        }
        if force:
            Path(env["INTAKE_KIOSK_FORCE_FILE"]).touch()
        return subprocess.run(["sh", str(HOOK)], env=env, capture_output=True, text=True, timeout=30)

    def test_empty_outbox_allows_the_update(self):
        self.fake_kiosk('{"pending": 0, "unacknowledged": 0, "oldest": null}')
        result = self.run_hook()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.calls.read_text().strip(), "outbox status --json")

    def test_unacknowledged_packets_refuse_the_update(self):
        self.fake_kiosk('{\n  "pending": 1,\n  "unacknowledged" : 3\n}')
        result = self.run_hook()
        self.assertEqual(result.returncode, 1)
        self.assertIn("3 packet(s)", result.stderr)
        self.assertIn("refusing the update", result.stderr)

    def test_a_failing_kiosk_refuses_the_update(self):
        self.fake_kiosk('{"unacknowledged": 0}', status=2)
        result = self.run_hook()
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot read the outbox", result.stderr)

    def test_missing_kiosk_refuses_the_update(self):
        result = self.run_hook()
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot read the outbox", result.stderr)

    def test_output_without_the_count_refuses_the_update(self):
        self.fake_kiosk('{"pending": 0}')
        result = self.run_hook()
        self.assertEqual(result.returncode, 1)
        self.assertIn('no "unacknowledged" count', result.stderr)

    def test_a_larger_count_is_not_misread(self):
        self.fake_kiosk('{"unacknowledged": 10, "acknowledged_unacknowledged_ratio": 0}')
        self.assertEqual(self.run_hook().returncode, 1)

    def test_technician_can_force_the_update(self):
        self.fake_kiosk('{"unacknowledged": 5}')
        result = self.run_hook(force=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("forced", result.stderr)
        self.assertFalse(self.calls.exists(), "the outbox is not even read when forced")


if __name__ == "__main__":
    unittest.main()
