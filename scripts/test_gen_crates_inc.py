# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of scripts/gen-crates-inc (run: python3 -m unittest discover -s scripts -p 'test_*.py')."""

import importlib.machinery
import importlib.util
import io
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

_path = Path(__file__).resolve().parent / "gen-crates-inc"
_loader = importlib.machinery.SourceFileLoader("gen_crates_inc", str(_path))
_spec = importlib.util.spec_from_loader("gen_crates_inc", _loader)
gen = importlib.util.module_from_spec(_spec)
_loader.exec_module(gen)

LOCK = '''
version = 4

[[package]]
name = "kiosk"
version = "0.1.0"
dependencies = ["serde", "slint-fork"]

[[package]]
name = "serde"
version = "1.0.228"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e"

[[package]]
name = "slint-fork"
version = "1.9.0"
source = "git+https://example.invalid/ui/slint-fork.git?branch=kiosk#0123456789abcdef0123456789abcdef01234567"
'''


class RenderTest(unittest.TestCase):
    def test_registry_crate_gets_uri_and_checksum(self):
        text = gen.render(LOCK)
        self.assertIn("    crate://crates.io/serde/1.0.228;name=serde-1.0.228 \\\n", text)
        self.assertIn('SRC_URI[serde-1.0.228.sha256sum] = "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e"', text)

    def test_workspace_member_is_not_fetched(self):
        self.assertNotIn("kiosk", gen.render(LOCK).replace("update_crates intake-kiosk", ""))

    def test_git_dependency_is_pinned_to_its_locked_revision(self):
        text = gen.render(LOCK)
        self.assertIn("git://example.invalid/ui/slint-fork.git;protocol=https;nobranch=1;name=slint-fork;destsuffix=slint-fork", text)
        self.assertIn('SRCREV_slint-fork = "0123456789abcdef0123456789abcdef01234567"', text)

    def test_registry_crate_without_checksum_is_refused(self):
        broken = LOCK.replace('checksum = "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e"\n', "")
        with self.assertRaisesRegex(gen.LockError, "serde-1.0.228 has no checksum"):
            gen.render(broken)

    def test_unknown_source_is_refused(self):
        odd = LOCK.replace("registry+https://github.com/rust-lang/crates.io-index", "registry+https://mirror.invalid/index")
        with self.assertRaisesRegex(gen.LockError, "cannot fetch"):
            gen.render(odd)


class CheckTest(unittest.TestCase):
    def run_main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = gen.main(list(args))
        return status, err.getvalue()

    def test_check_passes_after_generation_and_fails_when_the_lock_moves(self):
        with tempfile.TemporaryDirectory() as tmp:
            lock, inc = Path(tmp, "Cargo.lock"), Path(tmp, "crates.inc")
            lock.write_text(LOCK)
            self.assertEqual(self.run_main("--lock", str(lock), "--output", str(inc))[0], 0)
            self.assertEqual(self.run_main("--check", "--lock", str(lock), "--output", str(inc))[0], 0)
            lock.write_text(LOCK.replace("1.0.228", "1.0.229"))
            status, err = self.run_main("--check", "--lock", str(lock), "--output", str(inc))
            self.assertEqual(status, 1)
            self.assertIn("+    crate://crates.io/serde/1.0.229", err)
            self.assertIn("is stale", err)

    def test_unreadable_lock_is_a_clear_error(self):
        status, err = self.run_main("--check", "--lock", "/nonexistent/Cargo.lock")
        self.assertEqual(status, 2)
        self.assertIn("cannot read /nonexistent/Cargo.lock", err)


if __name__ == "__main__":
    unittest.main()
