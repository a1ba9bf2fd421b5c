"""autotune.Pool applies every knob of its Config, seen from inside the
workers: BLAS threads (threadpoolctl there), CPU masks, chunk size (the
messages a process pool pickles), the shm transport (no array pickled),
partitions (the calls of a vector job) and the mode (threads or
processes). The task functions are module-level, so workers import them.
"""
import itertools
import math
import os
import threading
import time

import numpy as np
import pytest
import threadpoolctl

import autotune

MAIN_THREAD = threading.get_ident()
_calls = itertools.count()


def blas_seen(_):
    """The BLAS thread counts threadpoolctl sees in the worker."""
    return [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"]


def mask_seen(_):
    time.sleep(0.02)  # long enough that every worker gets items
    return autotune.worker_index(), os.sched_getaffinity(0)


def who(_):
    time.sleep(0.02)
    return os.getpid(), threading.get_ident()


def piece_id(piece):
    """A value unique to this call, for each element of its piece."""
    return np.full(len(piece), os.getpid() * 10**6 + next(_calls))


def twice(a):
    return a * 2


def cid(value):
    """A test id without spaces (run-pytest.sh reads one word)."""
    if isinstance(value, autotune.Config):
        return "-".join(str(v) for v in vars(value).values())
    return str(value)


class Counted:
    """A task function that counts how often it is pickled: once per
    message a process pool sends."""
    sent = 0

    def __reduce__(self):
        Counted.sent += 1
        return Counted, ()

    def __call__(self, x):
        return x


class Spy(np.ndarray):
    """An array that counts its pickling (in the parent: items sent) and
    unpickling (in the parent: results received)."""
    pickled = 0
    unpickled = 0

    def __reduce__(self):
        Spy.pickled += 1
        return _unspy, (np.asarray(self),)


def _unspy(a):
    Spy.unpickled += 1
    return a.view(Spy)


def spy_twice(a):
    return (a * 2).view(Spy)


@pytest.mark.parametrize("config", [
    autotune.Config(2, "process", blas_threads=1),
    autotune.Config(2, "process", blas_threads=2),
    autotune.Config(2, "thread", blas_threads=1),
    autotune.Config(1, "process", blas_threads=2),
], ids=cid)
def test_blas_threads_inside_the_workers(config):
    before = autotune.get_blas_threads()
    with autotune.Pool(config) as pool:
        seen = pool.map(blas_seen, range(4))
    assert seen and all(s and set(s) == {config.blas_threads} for s in seen)
    assert autotune.get_blas_threads() == before  # restored by close()


@pytest.mark.parametrize("config", [
    autotune.Config(2, "process", pin="cores"),
    autotune.Config(2, "thread", pin="cores"),
    autotune.Config(2, "process", pin="none"),
    autotune.Config(1, "process", pin="cores"),
], ids=cid)
def test_each_worker_on_its_cpus_and_the_parent_unpinned(config):
    parent = os.sched_getaffinity(0)
    sets = config.cpusets()
    with autotune.Pool(config) as pool:
        seen = pool.map(mask_seen, range(8))
        during = os.sched_getaffinity(0)
    assert {i for i, _ in seen} == set(range(config.workers))
    for index, mask in seen:
        assert mask == (set(sets[index]) if config.pin == "cores" else
                        parent)
    if config.workers > 1:  # a 1-worker pool is the caller, pinned
        assert during == parent
    assert os.sched_getaffinity(0) == parent


@pytest.mark.parametrize("items,chunk", [(8, 1), (8, 3), (8, 8), (7, 2)])
def test_chunk_size_is_items_per_message(items, chunk):
    Counted.sent = 0
    with autotune.Pool(autotune.Config(2, chunk_size=chunk,
                                       transport="pipe")) as pool:
        assert pool.map(Counted(), list(range(items))) == list(range(items))
    assert Counted.sent == math.ceil(items / chunk)


@pytest.mark.parametrize("transport,stacked", [
    ("shm", True), ("shm", False), ("pipe", True), ("pipe", False)])
def test_shm_pickles_no_array(transport, stacked):
    mats = np.arange(6 * 50 * 50, dtype=float).reshape(6, 50, 50)
    items = mats.view(Spy) if stacked else [m.view(Spy) for m in mats]
    Spy.pickled = Spy.unpickled = 0
    with autotune.Pool(autotune.Config(2, chunk_size=2,
                                       transport=transport)) as pool:
        out = pool.map(spy_twice, items)
    assert all(np.array_equal(o, m * 2) for o, m in zip(out, mats))
    expect = 0 if transport == "shm" else len(mats)
    assert (Spy.pickled, Spy.unpickled) == (expect, expect)


def test_pool_arrays_are_shared_not_copied():
    """An input in the pool's own memory is read where it lies: the job
    stages nothing (no segment but the pool's array and the output)."""
    with autotune.Pool(autotune.Config(2, partitions=4)) as pool:
        data = pool.empty(1000)
        data[:] = np.arange(1000)
        prefix = pool._prefix
        before = {n for n in os.listdir("/dev/shm") if n.startswith(prefix)}
        out = pool.map_vector(twice, data)
        after = {n for n in os.listdir("/dev/shm") if n.startswith(prefix)}
        assert np.array_equal(out, np.arange(1000) * 2)
        assert len(after - before) == 1  # the output only
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(prefix)]


@pytest.mark.parametrize("config,n", [
    (autotune.Config(2, "process", partitions=7, chunk_size=2), 1000),
    (autotune.Config(2, "process", partitions=7, chunk_size=3,
                     transport="pipe"), 1000),
    (autotune.Config(2, "thread", partitions=10), 10),
    (autotune.Config(1, partitions=5, chunk_size=5), 1001),
], ids=cid)
def test_partitions_are_calls_on_array_split_pieces(config, n):
    data = np.zeros(n)
    with autotune.Pool(config) as pool:
        out = pool.map_vector(piece_id, data, dtype=np.int64)
    runs = np.split(out, np.flatnonzero(np.diff(out)) + 1)
    assert len(runs) == config.partitions
    assert [len(r) for r in runs] == [
        len(p) for p in np.array_split(data, config.partitions)]
    assert len({r[0] for r in runs}) == config.partitions


@pytest.mark.parametrize("config", [
    autotune.Config(2, "process", partitions=4, chunk_size=2),
    autotune.Config(2, "process", partitions=4, transport="pipe"),
    autotune.Config(2, "thread", partitions=4),
    autotune.Config(1, partitions=3),
], ids=cid)
def test_a_ufunc_writes_into_the_output(config):
    """np.exp (a ufunc of one input, one output) is called with out= on
    the output's piece: the same values as numpy's own, no temporary. A
    dtype it cannot cast into (float into int) is assigned, cast, as any
    function's result is."""
    data = np.linspace(-5, 5, 1001)
    with autotune.Pool(config) as pool:
        out = pool.map_vector(np.exp, data)
        assert np.array_equal(out, np.exp(data))
        rounded = pool.map_vector(np.sqrt, data * data, dtype=np.int64)
        assert np.array_equal(rounded, np.abs(data).astype(np.int64))


def test_a_ufunc_gets_out_not_a_copy(monkeypatch):
    """In the caller (1 worker, and threads), the ufunc's out= is the
    output's own memory: what it wrote there is what map_vector returns."""
    seen = []

    class Spy:
        """Stands for np.exp, recording each out= it is given."""
        nin = nout = 1

        def __call__(self, x, out=None):
            seen.append(out)
            return np.exp(x, out=out)

    monkeypatch.setattr(np, "ufunc", Spy)
    with autotune.Pool(autotune.Config(2, "thread", partitions=4)) as pool:
        out = pool.map_vector(Spy(), np.ones(100))
    assert len(seen) == 4 and all(o is not None and o.base is not None
                                  and np.shares_memory(o, out) for o in seen)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_mode_threads_or_processes(mode):
    with autotune.Pool(autotune.Config(2, mode)) as pool:
        seen = pool.map(who, range(6))
    pids = {p for p, _ in seen}
    threads = {t for _, t in seen}
    if mode == "thread":
        assert pids == {os.getpid()}
        assert len(threads) == 2 and MAIN_THREAD not in threads
    else:
        assert len(pids) == 2 and os.getpid() not in pids


def test_results_in_order_over_several_jobs():
    mats = np.random.default_rng(1).standard_normal((9, 20, 20))
    with autotune.Pool(autotune.Config(2, chunk_size=2)) as pool:
        for _ in range(3):
            got = pool.map(np.linalg.svd, mats)
            assert all(np.allclose(g[1], np.linalg.svd(m)[1])
                       for g, m in zip(got, mats))
        assert pool.map(twice, [1, "a", 2.5]) == [2, "aa", 5.0]
