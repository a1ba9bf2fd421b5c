"""exp_vector.py SIZE [naive|split64|joblib|tuned]: exp of a vector of SIZE
doubles.

naive:   numpy.exp in one process;
split64: multiprocessing.Pool().map(numpy.exp, 64 pieces), concatenated;
joblib:  joblib.Parallel(n_jobs=-1) over the same 64 pieces;
tuned:   the configuration autotune.query("myexp", SIZE, kind="vector")
         gives this machine, run by autotune.Pool.map_vector on a vector
         that lives in the pool's shared memory from the start.

Prints `autotune-seconds: X`, the time of the job alone (imports, data
generation and pool start-up excluded, in every mode), and checks the
result against numpy.exp (exit 1 if it differs).
"""
import multiprocessing
import sys
import time

import numpy as np

import autotune

WORKLOAD = "myexp"
PIECES = 64


def fill(data):
    """The same values in every mode, written in place."""
    data[:] = np.random.default_rng(7).random(len(data)) * 10 - 5
    return data


def naive(size):
    data = fill(np.empty(size))
    start = time.perf_counter()
    return data, np.exp(data), time.perf_counter() - start


def split64(size):
    data = fill(np.empty(size))
    with multiprocessing.Pool() as pool:
        start = time.perf_counter()
        out = np.concatenate(pool.map(np.exp, np.array_split(data, PIECES)))
        return data, out, time.perf_counter() - start


def joblib_mode(size):
    import joblib
    data = fill(np.empty(size))
    with joblib.Parallel(n_jobs=-1) as parallel:
        parallel(joblib.delayed(abs)(i) for i in range(PIECES))  # start-up
        start = time.perf_counter()
        out = np.concatenate(parallel(joblib.delayed(np.exp)(piece) for piece
                                      in np.array_split(data, PIECES)))
        return data, out, time.perf_counter() - start


def tuned(size):
    answer = autotune.query(WORKLOAD, size, kind="vector")
    with autotune.Pool(answer.config) as pool:
        data = fill(pool.empty(size))
        start = time.perf_counter()
        out = pool.map_vector(np.exp, data)
        return data, out, time.perf_counter() - start


MODES = {"naive": naive, "split64": split64, "joblib": joblib_mode,
         "tuned": tuned}


def main(argv):
    if (len(argv) not in (2, 3) or not argv[1].isdigit() or
            int(argv[1]) < 1 or (len(argv) == 3 and argv[2] not in MODES)):
        print(f"usage: {argv[0]} SIZE [{'|'.join(MODES)}]", file=sys.stderr)
        return 2
    data, out, seconds = MODES[argv[2] if len(argv) == 3 else "tuned"](
        int(argv[1]))
    autotune.report(seconds)
    if out.shape != data.shape or not np.allclose(out, np.exp(data),
                                                  rtol=1e-12):
        print("exp_vector: the result differs from numpy.exp",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
