"""BLAS control in the calling process, through libautotune (which finds
numpy's OpenBLAS even though CPython loads it without RTLD_GLOBAL)."""
import contextlib
import ctypes

from . import _lib

_FIELDS = ("vendor", "version", "corename", "threading", "threads",
           "max_threads", "path")


def blas_info():
    """Every BLAS loaded in this process, in load order (at_blas_list), as
    dicts with vendor, version, corename, threading, threads, max_threads
    and path; the first is the one in the machine's fingerprint."""
    n = _lib.lib.at_blas_list(None, 0)
    found = (_lib.AtBlasInfo * n)()
    n = min(n, _lib.lib.at_blas_list(found, n))
    return [{f: _value(getattr(b, f)) for f in _FIELDS} for b in found[:n]]


def _value(v):
    return v.decode() if isinstance(v, bytes) else v


def get_blas_threads():
    """The thread count of the first BLAS loaded (autotune.Error when the
    process has none)."""
    threads = ctypes.c_int()
    _lib.call(_lib.lib.at_blas_get_threads, ctypes.byref(threads))
    return threads.value


def set_blas_threads(n):
    """Sets the thread count of every BLAS loaded (autotune.Error when the
    process has none)."""
    _lib.call(_lib.lib.at_blas_set_threads, n)


@contextlib.contextmanager
def blas_threads(n):
    """A context in which every BLAS of the process runs `n` threads; the
    count before (the first BLAS's, which at_blas_set_threads gave them
    all) is restored on exit, as threadpoolctl's threadpool_limits does:

        with autotune.blas_threads(1):
            numpy.linalg.svd(a)
    """
    before = get_blas_threads()
    set_blas_threads(n)
    try:
        yield
    finally:
        set_blas_threads(before)
