"""What runs in a pool's workers: becoming worker i, and running chunks.

A worker is a process of the pool's ProcessPoolExecutor or a thread of
its ThreadPoolExecutor; its state is thread-local, which for a process
worker is the one thread that runs its tasks.
"""
import ctypes
import os
import threading

import numpy as np  # imported before at_worker_apply: its BLAS is set

from . import _lib, _shm

_state = threading.local()
_BARRIER_SECONDS = 60


def worker_index():
    """The index (0 .. workers - 1) of the pool worker calling this, or
    None outside a pool's workers (a 1-worker pool's is 0: the caller)."""
    return getattr(_state, "index", None)


def init_process(config, counter, running, barrier):
    """ProcessPoolExecutor's initializer: claims the next index from the
    shared counter and applies the configuration to this process."""
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    _become(config, index, running, barrier)


def init_thread(config, counter, barrier):
    """ThreadPoolExecutor's initializer: the same for this thread."""
    _become(config, next(counter), None, barrier)


def _become(config, index, running, barrier):
    # An error is kept for hello() to report: raising here would only
    # break the pool, with the message lost in the worker's stderr.
    _state.error = None
    try:
        _lib.call(_lib.lib.at_worker_apply, ctypes.byref(config.to_c()),
                  index)
    except Exception as e:  # the library's message, whatever its status
        _state.error = f"worker {index}: {e}"
    _state.index, _state.running, _state.barrier = index, running, barrier
    _state.job, _state.segments = None, {}


def hello():
    """The pool's first task for each worker: waits until every worker is
    up (so each runs exactly one) and says who it is."""
    _state.barrier.wait(_BARRIER_SECONDS)
    return _state.index, os.getpid(), _state.error


def run_batch(func, job, chunk, first, items, out_prefix):
    """Runs func on the items of one chunk (the first has index `first`).
    Items are objects or shared-memory Refs. With out_prefix (shm), array
    results are written to a new segment of that prefix, whose Refs return
    instead of the data; other results return as they are."""
    _mark(chunk)
    try:
        results = [_call(func, _resolve(x, job), "item", first + i)
                   for i, x in enumerate(items)]
    finally:
        _mark(-1)
    if out_prefix and results and all(_shareable(r) for r in results):
        return _write_out(f"{out_prefix}w{os.getpid()}_{job}_{chunk}",
                          results)
    return results


def run_vector(func, job, chunk, parts, src, dst):
    """Runs func on the partitions `parts` ((index, lo, hi) each) of one
    chunk: with dst (an array or Ref) on src[lo:hi] of the whole input
    src, writing out[lo:hi]; without, src holds the pieces themselves
    (pipe), and their results return."""
    _mark(chunk)
    try:
        if dst is None:
            return [_call(func, piece, "partition", t)
                    for (t, _, _), piece in zip(parts, src)]
        a, out = _resolve(src, job), _resolve(dst, job)
        for t, lo, hi in parts:
            call_into(func, a[lo:hi], out[lo:hi], "partition", t)
        return None
    finally:
        _mark(-1)


def call_into(func, x, out, what, i):
    """out[...] = func(x). A numpy ufunc of one input and one output (exp,
    sqrt, ...) writes into out itself: no temporary the size of the piece,
    no copy of it, none of the page faults of either; for a job bound by
    memory, as exp over a big vector is, that is most of its time."""
    try:
        if isinstance(func, np.ufunc) and func.nin == 1 and func.nout == 1:
            try:
                func(x, out=out)
                return
            except TypeError:  # out's dtype: assigned as below, cast
                pass
        out[...] = func(x)
    except BaseException as e:
        _note(e, what, i)
        raise


def _call(func, x, what, i):
    try:
        return func(x)
    except BaseException as e:
        _note(e, what, i)
        raise


def _note(e, what, i):
    e.add_note(f"autotune: raised by {what} {i} in worker "
               f"{worker_index()}")


def _mark(chunk):
    """Records the chunk this worker runs (-1: none) where the parent can
    read it should the worker die."""
    if getattr(_state, "running", None) is not None:
        _state.running[_state.index] = chunk


def _resolve(x, job):
    """An item as the function takes it: a Ref becomes a view of its
    segment. A worker keeps its mappings from job to job (a mapping
    already touched costs no page faults again, which for a vector of
    80 MB is milliseconds) until the segment's name is removed."""
    if not isinstance(x, _shm.Ref):
        return x
    if _state.job != job:
        _state.job = job
        _state.segments = {name: seg for name, seg in _state.segments.items()
                           if _shm.exists(name)}
    seg = _state.segments.get(x.name)
    if seg is None:
        seg = _state.segments[x.name] = _shm.attach(x.name)
    return _shm.view(seg, x.offset, x.shape, x.dtype)


def _shareable(r):
    return isinstance(r, np.ndarray) and not r.dtype.hasobject


def _write_out(name, results):
    """Copies results into one new segment; returns ('shm', name, layout),
    layout an (offset, shape, dtype) per result."""
    layout, offset = [], 0
    for r in results:
        layout.append((offset, r.shape, r.dtype))
        offset += -(-r.nbytes // 64) * 64  # each result 64-byte aligned
    seg = _shm.create(name, offset)
    for r, (off, shape, dtype) in zip(results, layout):
        _shm.view(seg, off, shape, dtype)[...] = r
    return ("shm", name, layout)
