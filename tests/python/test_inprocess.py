"""libautotune inside a Python interpreter that imported numpy.

CPython loads numpy's extension modules without RTLD_GLOBAL, so the
OpenBLAS that Debian's numpy brings is invisible to dlsym(RTLD_DEFAULT).
The library must still find it, set its threads (threadpoolctl confirms),
and give the process the fingerprint `autotune fingerprint` prints, so a
query inside the program answers as `autotune env` does from a shell.
"""
import ctypes
import os
import subprocess

import numpy  # noqa: F401  (loads OpenBLAS, RTLD_LOCAL)
import pytest
import threadpoolctl

BUILDDIR = os.environ["BUILDDIR"]
AUTOTUNE = os.environ["AUTOTUNE"]
# The structures as include/autotune.h lays them out: the module's own
# mirrors (test_module_abi.py checks them against tests/unit/test_abi.c).
from autotune._lib import AtMachine as Machine  # noqa: E402
from autotune._lib import AtQueryResult as QueryResult  # noqa: E402


@pytest.fixture(scope="module")
def lib():
    return ctypes.CDLL(os.path.join(BUILDDIR, "src/.libs/libautotune.so"))


def blas_threads():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"]


def program_fingerprint():
    out = subprocess.run([AUTOTUNE, "fingerprint"], capture_output=True,
                         text=True, check=True).stdout
    return next(line.split(": ")[1] for line in out.splitlines()
                if line.startswith("- fingerprint: "))


def test_numpy_blas_is_invisible_to_the_global_scope():
    """The premise: what the library used to ask cannot see it."""
    glob = ctypes.CDLL(None)
    assert not hasattr(glob, "openblas_set_num_threads")
    assert blas_threads(), "numpy loaded no BLAS threadpoolctl can see"


def test_set_threads_reaches_numpy_blas(lib):
    for n in (1, 2, 1):
        assert lib.at_blas_set_threads(n, None) == 0
        assert blas_threads() == [n]
    got = ctypes.c_int(0)
    assert lib.at_blas_get_threads(ctypes.byref(got), None) == 0
    assert got.value == 1


def test_fingerprint_is_the_program_s(lib):
    m = Machine()
    assert lib.at_machine_detect(ctypes.byref(m), None) == 0
    assert m.blas_vendor == b"openblas"
    assert m.fingerprint.decode() == program_fingerprint()


def test_query_answers_as_autotune_env(lib, tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text(subprocess.run(
        [AUTOTUNE, "fingerprint"], capture_output=True, text=True,
        check=True).stdout + """  workloads:
    svd:
      kind: batch
      entries:
      - {size: 600, items: 8, seconds: 1.0, spread: 0.01, measured: 2026-01-01T00:00:00Z, best: {workers: 2, mode: process, blas_threads: 1, chunk_size: 2, partitions: 1, transport: shm, pin: cores}}
""")
    env = subprocess.run([AUTOTUNE, "env", "--workload", "svd", "--size",
                          "600", "--items", "8", "--profile", str(profile),
                          "--strict"],
                         capture_output=True, text=True, check=True).stdout
    shell = dict(line.removeprefix("export ").split("=", 1)
                 for line in env.splitlines())
    m, p, r = Machine(), ctypes.c_void_p(), QueryResult()
    assert lib.at_machine_detect(ctypes.byref(m), None) == 0
    assert lib.at_profile_load(str(profile).encode(), ctypes.byref(p),
                               None) == 0
    try:
        assert lib.at_profile_query_flags(
            p, ctypes.byref(m), b"svd", ctypes.c_long(600), ctypes.c_long(8),
            1, ctypes.byref(r), None) == 0
    finally:
        lib.at_profile_free(p)
    assert shell["AUTOTUNE_SOURCE"] == "entry"
    assert shell["AUTOTUNE_MATCH"] == "exact" and r.match == 0
    assert int(shell["AUTOTUNE_WORKERS"]) == r.config.workers == 2
    assert int(shell["AUTOTUNE_BLAS_THREADS"]) == r.config.blas_threads == 1
    assert int(shell["AUTOTUNE_CHUNK_SIZE"]) == r.config.chunk_size == 2
