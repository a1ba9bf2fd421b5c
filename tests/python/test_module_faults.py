"""What goes wrong: a worker killed mid-job, a task that raises, and
configurations or jobs the library refuses, each with a message that
names the problem."""
import os
import signal

import numpy as np
import pytest

import autotune

DOOMED = 5


def die_on_doomed(x):
    """Kills its own worker on one item (or the partition holding it:
    partition 1 of 10 elements in 4, cut as numpy.array_split cuts)."""
    if np.any(np.asarray(x) == DOOMED):
        os.kill(os.getpid(), signal.SIGKILL)
    return np.asarray(x) * 2


def raise_on_doomed(x):
    if x == DOOMED:
        raise ArithmeticError("doomed")
    return x


def shm_names(pool):
    return [n for n in os.listdir("/dev/shm") if n.startswith(pool._prefix)]


@pytest.mark.parametrize("transport,chunk,named", [
    ("shm", 2, "items 4-5"), ("pipe", 1, "item 5"), ("shm", 3, "items 3-5")],
    ids=["shm-chunk2", "pipe-chunk1", "shm-chunk3"])
def test_killed_worker_names_its_items(transport, chunk, named):
    config = autotune.Config(2, chunk_size=chunk, transport=transport)
    items = np.arange(8.0)
    with autotune.Pool(config) as pool:
        with pytest.raises(autotune.WorkerError) as e:
            pool.map(die_on_doomed, items)
        assert f"died (signal {signal.SIGKILL}) while running {named}" in \
            str(e.value)
        # the same pool runs the next job on new workers
        assert np.array_equal(pool.map(die_on_doomed, items[:4]),
                              items[:4] * 2)
    assert not shm_names(pool)
    with autotune.Pool(config) as fresh:
        assert np.array_equal(fresh.map(die_on_doomed, items[:4]),
                              items[:4] * 2)


def test_killed_worker_names_its_partition():
    with autotune.Pool(autotune.Config(2, partitions=4)) as pool:
        with pytest.raises(autotune.WorkerError,
                           match=r"while running partition 1\b"):
            pool.map_vector(die_on_doomed, np.arange(10.0))
        assert np.array_equal(pool.map_vector(die_on_doomed, np.ones(8)),
                              np.full(8, 2.0))
    assert not shm_names(pool)


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_task_exception_is_raised_naming_the_item(mode):
    with autotune.Pool(autotune.Config(2, mode, chunk_size=2)) as pool:
        with pytest.raises(ArithmeticError, match="doomed") as e:
            pool.map(raise_on_doomed, range(8))
        assert any("item 5" in note for note in e.value.__notes__)
        assert pool.map(raise_on_doomed, range(3)) == [0, 1, 2]


@pytest.mark.parametrize("knobs,message", [
    ({"workers": 0}, "workers must be an integer from 1 to 4096, got 0"),
    ({"workers": 2, "mode": "fiber"},
     "mode must be one of process, thread, got 'fiber'"),
    ({"workers": 2, "transport": "mail"},
     "transport must be one of pipe, shm, got 'mail'"),
    ({"workers": 2, "pin": "sockets"},
     "pin must be one of none, cores, got 'sockets'"),
    ({"workers": 2, "blas_threads": 5000},
     "blas_threads must be an integer from 1 to 4096, got 5000"),
    ({"workers": 2, "chunk_size": 2**40},
     "chunk_size must be an integer from 1 to 1048576, got 2147483647"),
], ids=["workers0", "fiber", "mail", "sockets", "threads5000", "chunk2^40"])
def test_bad_config_refused_with_the_library_s_message(knobs, message):
    with pytest.raises(ValueError) as e:
        autotune.Config(**knobs)
    assert str(e.value) == message


@pytest.mark.parametrize("knobs,job,message", [
    ({"partitions": 4}, "batch",
     "partitions must be 1 for a batch, got 4"),
    ({"chunk_size": 16}, "batch",
     "chunk_size must be from 1 to the job's 8 tasks, got 16"),
    ({"partitions": 9}, "vector",
     "partitions must be from 1 to the 8 elements, got 9"),
    ({"partitions": 2, "chunk_size": 3}, "vector",
     "chunk_size must be from 1 to the job's 2 tasks, got 3"),
], ids=["batch-partitions", "batch-chunk", "vector-partitions",
        "vector-chunk"])
def test_bad_job_refused_as_the_c_pool_does(knobs, job, message):
    with autotune.Pool(autotune.Config(2, "thread", **knobs)) as pool:
        with pytest.raises(ValueError) as e:
            if job == "batch":
                pool.map(abs, range(8))
            else:
                pool.map_vector(abs, np.ones(8))
    assert str(e.value) == message


def test_closed_pool_refuses_jobs():
    pool = autotune.Pool(autotune.Config(2, "thread"))
    pool.close()
    with pytest.raises(ValueError, match="closed"):
        pool.map(abs, [1])
