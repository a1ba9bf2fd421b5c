"""svd_batch.py SIZE ITEMS [naive|tuned]: the singular values of ITEMS
random SIZE x SIZE matrices, in parallel.

naive: multiprocessing.Pool(os.cpu_count()) with numpy's default BLAS
       threads in every worker, the matrices pickled to the workers;
tuned: the configuration autotune.query("mysvd", SIZE, ITEMS) gives this
       machine (the fallback rule without a profile), run by autotune.Pool.

Prints `autotune-seconds: X`, the time of the job alone (imports, data
generation and pool start-up excluded, in both modes alike), so that
`autotune --command` can tune it, and checks a few items against a serial
run (exit 1 if they differ).
"""
import multiprocessing
import os
import sys
import time

import numpy as np

import autotune

WORKLOAD = "mysvd"


def svdvals(a):
    """One task: a matrix's singular values."""
    return np.linalg.svd(a, compute_uv=False)


def naive(mats):
    with multiprocessing.Pool(os.cpu_count()) as pool:
        start = time.perf_counter()
        values = pool.map(svdvals, mats)
        return values, time.perf_counter() - start


def tuned(mats):
    answer = autotune.query(WORKLOAD, mats.shape[1], len(mats))
    with autotune.Pool(answer.config) as pool:
        start = time.perf_counter()
        values = pool.map(svdvals, mats)
        return values, time.perf_counter() - start


MODES = {"naive": naive, "tuned": tuned}


def check(mats, values):
    """The first, middle and last items against a serial run."""
    for i in sorted({0, len(mats) // 2, len(mats) - 1}):
        if not np.allclose(values[i], svdvals(mats[i]), rtol=1e-9,
                           atol=1e-9 * mats.shape[1]):
            return f"item {i}: singular values differ from a serial run"
    return None


def main(argv):
    if (len(argv) not in (3, 4) or not all(a.isdigit() and int(a) > 0
                                           for a in argv[1:3]) or
            (len(argv) == 4 and argv[3] not in MODES)):
        print(f"usage: {argv[0]} SIZE ITEMS [{'|'.join(MODES)}]",
              file=sys.stderr)
        return 2
    size, items = int(argv[1]), int(argv[2])
    mats = np.random.default_rng(12345).standard_normal((items, size, size))
    values, seconds = MODES[argv[3] if len(argv) == 4 else "tuned"](mats)
    autotune.report(seconds)
    problem = check(mats, values)
    if problem:
        print(f"svd_batch: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
