"""The exp job as people write it in Python: numpy, and a
multiprocessing.Pool mapping np.exp over the vector split in partitions.
Pool start-up is left out, as autotune's pool start is. Prints each
configuration's median and the best. Usage: exp_multiprocessing.py CPUS ROUNDS"""
import multiprocessing as mp
import statistics
import sys
import time

import numpy as np

cpus, rounds = int(sys.argv[1]), int(sys.argv[2])
x = np.random.default_rng(42).uniform(-5, 5, 10_000_000)


def timed(fn, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


results = {}
with mp.Pool(cpus) as pool:
    for _ in range(rounds):
        results.setdefault("numpy serial", []).append(timed(lambda: np.exp(x)))
        for parts in (cpus, 4 * cpus, 16 * cpus, 64):
            pieces = np.array_split(x, parts)
            name = f"Pool({cpus}).map, {parts} partitions"
            results.setdefault(name, []).append(
                timed(lambda: np.concatenate(pool.map(np.exp, pieces))))
best = min(statistics.median(v) for k, v in results.items() if "Pool" in k)
for name, v in results.items():
    print(f"python {name:<32} {statistics.median(v):10.4f} s")
print(f"best: {best:.6f}")
