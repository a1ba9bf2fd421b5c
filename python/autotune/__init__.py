"""autotune: run your own parallel numpy job the way this machine runs it
fastest.

The `autotune` program measures configurations of a job (workers, BLAS
threads, chunk size, partitions, transport, pinning) and keeps the best
in a profile; this module, over libautotune (ctypes), asks the profile for
a job's configuration and runs the job in it:

    import autotune, numpy as np

    def svdvals(a):                       # module level: workers import it
        return np.linalg.svd(a, compute_uv=False)

    if __name__ == "__main__":
        mats = np.random.default_rng(0).standard_normal((16, 1000, 1000))
        answer = autotune.query("mysvd", 1000, items=16)
        with autotune.Pool(answer.config) as pool, autotune.timed():
            values = pool.map(svdvals, mats)

query() answers from the profile (or the documented fallback rule when
there is none), and inside `autotune --command`'s tuning run it answers
with the configuration being measured, which timed()/report() then time.

Functions: query, blas_info, blas_threads, get_blas_threads,
set_blas_threads, report, timed, worker_index. Classes: Config, Answer,
Pool, Error, WorkerError. The library is $AUTOTUNE_LIBRARY, else the one
`make install` put in its libdir, else the system's libautotune.so.1.
"""
# numpy first: the library identifies the machine by the BLAS the process
# has loaded, and a numpy program's is numpy's (as the `autotune` program,
# linked with the same OpenBLAS, sees it).
import numpy  # noqa: F401

from ._blas import blas_info, blas_threads, get_blas_threads, set_blas_threads
from ._config import Config
from ._lib import Error
from ._pool import Pool, WorkerError
from ._query import Answer, query
from ._report import report, timed
from ._worker import worker_index

__all__ = ["Answer", "Config", "Error", "Pool", "WorkerError", "blas_info",
           "blas_threads", "get_blas_threads", "set_blas_threads", "query",
           "report", "timed", "worker_index"]
