"""The module in the calling process: finding the library, BLAS control
(against threadpoolctl), and the report line a tuning run reads."""
import os
import subprocess
import sys

import pytest
import threadpoolctl

import autotune


def blas_seen():
    return {i["filepath"]: i["num_threads"]
            for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}


def test_blas_info_lists_what_threadpoolctl_sees():
    info = autotune.blas_info()
    seen = blas_seen()
    # the library also counts Debian's libblas.so.3 (OpenBLAS too)
    assert {os.path.realpath(p) for p in seen} <= \
        {os.path.realpath(b["path"]) for b in info}
    assert all(b["threads"] in seen.values() for b in info)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_blas_threads_context_sets_and_restores(n):
    before = blas_seen()
    with autotune.blas_threads(n):
        assert set(blas_seen().values()) == {n}
        assert autotune.get_blas_threads() == n
    assert blas_seen() == before


def test_library_named_by_the_variable_or_a_clear_import_error():
    run = subprocess.run(
        [sys.executable, "-c", "import autotune"], capture_output=True,
        text=True, env=dict(os.environ, AUTOTUNE_LIBRARY="/nowhere/lib.so"))
    assert run.returncode != 0
    assert "ImportError: autotune: cannot load libautotune " \
        "($AUTOTUNE_LIBRARY: /nowhere/lib.so" in run.stderr


def test_timed_reports_the_block(capsys):
    with autotune.timed():
        pass
    autotune.report(1.5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("autotune-seconds: ")
    assert 0 <= float(lines[0].split(": ")[1]) < 1
    assert lines[1] == "autotune-seconds: 1.5"
