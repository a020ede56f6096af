"""The code base passes ``ruff check`` with the project's ruff.toml."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = ['panko_clone', 'tests', 'bench', 'migrations']


def test_ruff_check():
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    result = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--no-cache', *targets],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
