# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of scripts/bitbake-parse-layer: it passes the real layer and fails broken copies.
Needs bitbake's `bb` module (the CI venv: PyPI bitbake-setup); skipped without it."""

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts/bitbake-parse-layer"
LAYER = ROOT / "yocto/meta-intake-kiosk"
RECIPE = "recipes-kiosk/intake-kiosk/intake-kiosk_0.1.0.bb"


@unittest.skipUnless(importlib.util.find_spec("bb"), "bitbake's bb module is not installed (see .ci/run)")
class BitbakeParseLayerTest(unittest.TestCase):
    def run_on(self, layer):
        return subprocess.run([sys.executable, str(SCRIPT), str(layer)], capture_output=True, text=True, timeout=120)

    def broken_copy(self, relative, old, new):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        layer = Path(tmp.name, "meta-intake-kiosk")
        shutil.copytree(LAYER, layer)
        path = layer / relative
        text = path.read_text()
        self.assertIn(old, text)
        path.write_text(text.replace(old, new, 1))
        return layer

    def assert_fails(self, layer, needle):
        result = self.run_on(layer)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(needle, result.stdout)

    def test_the_layer_parses(self):
        result = self.run_on(LAYER)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("0 failed", result.stdout)

    def test_unknown_class_fails(self):
        self.assert_fails(self.broken_copy(RECIPE, "inherit cargo ", "inherit carg0 "), "Could not inherit file classes")

    def test_missing_required_file_fails(self):
        self.assert_fails(self.broken_copy(RECIPE, "require ${BPN}-crates.inc", "require ${BPN}-crate.inc"), "Could not include required file")

    def test_unclosed_function_fails(self):
        self.assert_fails(self.broken_copy(RECIPE, "\n}\n", "\n\n"), "FAIL  " + RECIPE)

    def test_broken_inline_python_fails(self):
        self.assert_fails(self.broken_copy(RECIPE, "','.join(", "','.jion("), "does not expand")

    def test_broken_layer_conf_fails(self):
        self.assert_fails(self.broken_copy("conf/layer.conf", 'BBFILE_PRIORITY_intake-kiosk = "10"', 'BBFILE_PRIORITY_intake-kiosk "10"'), "FAIL  conf/layer.conf")


if __name__ == "__main__":
    unittest.main()
