"""The module's ctypes mirrors of the public structs have the layout
tests/unit/test_abi.c pins (its SIZE and MEMBER rows): a change to the
header that the mirrors miss fails here rather than corrupt memory."""
import ctypes
import os
import platform
import re

import pytest

from autotune import _lib

with open(os.path.join(os.environ["SRCDIR"], "tests/unit/test_abi.c")) as f:
    ABI = f.read()
SIZES = {t: int(n) for t, n in re.findall(r"\bSIZE\((\w+), (\d+)\)", ABI)}
MEMBERS = {(t, m): int(n) for t, m, n in
           re.findall(r"\bMEMBER\((\w+), (\w+), (\d+)\)", ABI)}

pytestmark = pytest.mark.skipif(
    ctypes.sizeof(ctypes.c_long) != 8 or platform.system() != "Linux",
    reason="test_abi.c pins LP64 Linux")


@pytest.mark.parametrize("name", sorted(_lib.STRUCTS))
def test_mirror_has_the_pinned_layout(name):
    mirror = _lib.STRUCTS[name]
    assert name in SIZES, f"test_abi.c pins no size for {name}"
    assert ctypes.sizeof(mirror) == SIZES[name]
    fields = [f for f, _ in mirror._fields_]
    assert sorted(fields) == sorted(m for t, m in MEMBERS if t == name)
    for field in fields:
        assert getattr(mirror, field).offset == MEMBERS[name, field], field
