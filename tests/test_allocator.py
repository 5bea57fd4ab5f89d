"""api.allocator: a serving worker limits glibc's malloc arenas (its memory stays under 500 MB)."""

import platform
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt arenas are glibc's")
def test_limit_arenas_takes_effect_in_a_fresh_process():
    code = "from api.allocator import limit_arenas; print(limit_arenas(1), limit_arenas(0))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]  # 0 leaves glibc's default alone
