"""Pool: runs a Python function over a job's items in one Config, the
way libautotune's own pool runs a C function (at_pool_run)."""
import concurrent.futures as cf
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import threading
import weakref
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from . import _blas, _lib, _shm, _worker
from ._config import Config

_serial = itertools.count()


class WorkerError(_lib.Error):
    """A pool worker died (killed, crashed, exited) while running a job;
    the message names the worker and the items (or partitions) of the
    chunk it was running. The pool starts new workers for its next job."""


def _context():
    """Process workers come from a fork server.

    fork would copy the caller in whatever state its threads are: OpenBLAS
    threads mid-computation (a fork leaves them undefined), a thread pool,
    the executors' own threads. spawn is safe but starts each worker as a
    new interpreter that imports numpy (hundreds of ms). The fork server
    is one clean single-threaded process, started once per program with
    numpy and autotune imported, that forks each worker: safe, and a
    worker starts in milliseconds.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "autotune"])
    return ctx


def _describe(tasks, what):
    """'item 3' or 'items 4-7', as the C pool names tasks."""
    if len(tasks) == 1:
        return f"{what} {tasks[0]}"
    return f"{what}s {tasks[0]}-{tasks[-1]}"


def _split(n, parts):
    """(index, lo, hi) of each piece, as numpy.array_split cuts n."""
    q, r = divmod(n, parts)
    edges = np.cumsum([0] + [q + 1] * r + [q] * (parts - r)).tolist()
    return [(t, edges[t], edges[t + 1]) for t in range(parts)]


class Pool:
    """Workers that run a function over a job in one Config (or Answer).

    Each worker, once numpy is loaded in it, becomes worker i of the
    configuration (at_worker_apply): bound to its own CPUs when pin is
    'cores', its BLAS threads set. The caller of a pool of several workers
    is never pinned. A 1-worker pool is the caller itself, as in the C
    pool: its BLAS threads and CPUs are set for the pool's life and
    restored by close().

    mode 'process' runs worker processes (concurrent.futures with a fork
    server), 'thread' worker threads. transport 'shm' moves numpy arrays
    through shared memory (only their name, offset, shape and dtype are
    pickled); 'pipe' pickles them, as multiprocessing does. Functions and
    other items are pickled in process mode, so they must be importable
    (module level), and a script must guard its main code with
    `if __name__ == "__main__":`.

    Use it as a context manager, or call close():

        with autotune.Pool(autotune.query("mysvd", 600, 8).config) as pool:
            values = pool.map(svdvals, matrices)
    """

    def __init__(self, config):
        self.config = getattr(config, "config", config)
        if not isinstance(self.config, Config):
            raise TypeError("Pool needs an autotune.Config or Answer")
        c = self.config
        self._process = c.workers > 1 and c.mode == "process"
        self._shm = self._process and c.transport == "shm"
        self._prefix = f"autotune{os.getpid()}_{next(_serial)}_"
        self._names = itertools.count()
        self._jobs = itertools.count()
        self._segments = []  # (weakref to a pool array's segment, start, end)
        self._executor = None
        self._restore = None
        self._closed = False
        if c.workers == 1:
            self._become_worker()
        else:
            self._start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ workers

    def _become_worker(self):
        self._restore = (os.sched_getaffinity(0), _blas.get_blas_threads())
        try:
            _lib.call(_lib.lib.at_worker_apply,
                      ctypes.byref(self.config.to_c()), 0)
        except Exception:
            self.close()  # the binding may have happened
            raise
        _worker._state.index = 0

    def _start(self):
        n = self.config.workers
        if self._process:
            ctx = _context()
            self._running = ctx.Array("q", [-1] * n, lock=False)
            self._executor = cf.ProcessPoolExecutor(
                n, mp_context=ctx, initializer=_worker.init_process,
                initargs=(self.config, ctx.Value("i", 0), self._running,
                          ctx.Barrier(n)))
        else:
            # worker threads set the process's BLAS threads: restored later
            self._restore = (None, _blas.get_blas_threads())
            self._executor = cf.ThreadPoolExecutor(
                n, thread_name_prefix="autotune",
                initializer=_worker.init_thread,
                initargs=(self.config, itertools.count(),
                          threading.Barrier(n)))
        self._hello()

    def _hello(self):
        """Starts every worker now (start-up is not part of a job) and
        reports one that could not apply the configuration."""
        futures = [self._executor.submit(_worker.hello)
                   for _ in range(self.config.workers)]
        try:
            hellos = [f.result() for f in futures]
        except BrokenProcessPool:
            self.close()
            raise WorkerError("a worker died while starting",
                              _lib.AT_ERR_WORKER) from None
        self._pids = {pid: index for index, pid, _ in hellos}
        errors = sorted(e for _, _, e in hellos if e)
        if errors:
            self.close()
            raise _lib.Error("; ".join(errors))

    def _death(self, ranges, what):
        """The WorkerError of a broken process pool, naming what each dead
        worker was running. The executor is shut down; the next job starts
        new workers."""
        # The executor's processes (a private attribute, there since
        # Python 3.8) are the only record of how each worker ended.
        procs = dict(getattr(self._executor, "_processes", None) or {})
        self._executor.shutdown(wait=True)
        self._executor = None
        _shm.sweep(self._prefix + "w")  # outputs a dead worker left
        codes = {pid: p.exitcode for pid, p in procs.items()}
        # When one worker dies the executor terminates the others.
        dead = ([p for p, c in codes.items()
                 if c not in (0, None, -signal.SIGTERM)] or
                [p for p, c in codes.items() if c])
        return WorkerError("; ".join(self._obituary(pid, codes[pid], ranges,
                                                    what) for pid in dead)
                           or "a worker died", _lib.AT_ERR_WORKER)

    def _obituary(self, pid, code, ranges, what):
        index = self._pids.get(pid)
        chunk = self._running[index] if index is not None else -1
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        where = (f"while running {_describe(ranges[chunk], what)}"
                 if 0 <= chunk < len(ranges) else "between chunks")
        return f"worker {index} (pid {pid}) died ({how}) {where}"

    # --------------------------------------------------------------- jobs

    def _check(self, kind, count):
        """Refuses a job the C pool refuses, in its words (at_pool_run);
        restarts workers a failed job lost. Returns the job's tasks."""
        c = self.config
        if self._closed:
            raise ValueError("the pool is closed")
        if count < 1:
            raise ValueError("a job needs at least one item or element")
        if kind == "batch" and c.partitions != 1:
            raise ValueError(f"partitions must be 1 for a batch, got "
                             f"{c.partitions}")
        if c.partitions > count:
            raise ValueError(f"partitions must be from 1 to the {count} "
                             f"elements, got {c.partitions}")
        tasks = count if kind == "batch" else c.partitions
        if c.chunk_size > tasks:
            raise ValueError(f"chunk_size must be from 1 to the job's "
                             f"{tasks} tasks, got {c.chunk_size}")
        if self._executor is None and c.workers > 1:
            self._start()
        return tasks

    def _gather(self, futures, ranges, what):
        """The chunks' results in order; the first failure raises once no
        chunk of the job runs any more (none writes to freed memory)."""
        try:
            return [f.result() for f in futures]
        except BrokenProcessPool:
            raise self._death(ranges, what) from None
        finally:
            for f in futures:
                f.cancel()
            cf.wait(futures)

    @contextlib.contextmanager
    def _staging(self):
        """Segments one job copies its inputs to, unlinked when it ends."""
        stage = []
        try:
            yield stage
        finally:
            for seg in stage:
                _shm.unlink(seg.name)

    def map(self, func, items):
        """[func(x) for x in items], run by the workers.

        items is a sequence, or an array whose first axis indexes the
        items (a stacked batch). Tasks go out config.chunk_size items per
        message; results come back in order. With the shm transport array
        items are read from shared memory, and array results are written
        into shared memory, arriving as arrays over it; other objects are
        pickled. A function's exception is raised with a note naming the
        item; a worker that dies raises WorkerError naming its chunk.
        """
        n = self._check("batch", len(items))
        c = self.config.chunk_size
        ranges = [range(lo, min(lo + c, n)) for lo in range(0, n, c)]
        if self._executor is None:
            return [_worker._call(func, items[i], "item", i)
                    for i in range(n)]
        job = next(self._jobs)
        out = self._prefix if self._shm else None
        with self._staging() as stage:
            payload = self._batch_payload(items, stage)
            futures = [self._executor.submit(
                _worker.run_batch, func, job, k, r.start,
                payload[r.start:r.stop], out) for k, r in enumerate(ranges)]
            results = self._gather(futures, ranges, "item")
        return [x for chunk in results for x in self._receive(chunk)]

    def map_vector(self, func, array, dtype=None):
        """func over config.partitions contiguous pieces of `array` (cut as
        numpy.array_split cuts), each piece's result written to its place
        in one output array of the input's shape (and dtype, unless
        `dtype`), which is returned. func must return an array as long as
        its piece. Tasks go out config.chunk_size partitions per message;
        with the shm transport the input is read from and the output
        written to shared memory.
        """
        a = np.asarray(array)
        p = self._check("vector", len(a))
        c = self.config.chunk_size
        parts = _split(len(a), p)
        out = self.empty(a.shape, dtype or a.dtype)
        if self._executor is None:
            for t, lo, hi in parts:
                _worker.call_into(func, a[lo:hi], out[lo:hi], "partition", t)
            return out
        chunks = [parts[k:k + c] for k in range(0, p, c)]
        job = next(self._jobs)
        with self._staging() as stage:
            src, dst = self._vector_io(a, out, stage)
            futures = [self._executor.submit(
                _worker.run_vector, func, job, k, chunk,
                src if dst is not None else [a[lo:hi] for _, lo, hi in chunk],
                dst) for k, chunk in enumerate(chunks)]
            results = self._gather(
                futures, [[t for t, _, _ in chunk] for chunk in chunks],
                "partition")
        for chunk, pieces in zip(chunks, results):
            for (_, lo, hi), piece in zip(chunk, pieces or ()):
                out[lo:hi] = piece
        return out

    def empty(self, shape, dtype=float):
        """An uninitialised array the workers share without a copy. With
        the shm transport it lives in shared memory, so a job reading it
        copies nothing (other arrays are copied into shared memory for
        each job); its name is removed when it is garbage or the pool
        closes, and it stays valid while referenced."""
        if not self._shm:
            return np.empty(shape, dtype)
        dtype = np.dtype(dtype)
        shape = tuple(np.atleast_1d(shape).tolist())
        nbytes = int(np.prod(shape)) * dtype.itemsize
        seg = _shm.create(self._name("a"), nbytes)
        weakref.finalize(seg, _shm.unlink, seg.name)
        start = _shm.address(seg)
        self._segments = [s for s in self._segments if s[0]() is not None]
        self._segments.append((weakref.ref(seg), start, start + nbytes))
        return _shm.view(seg, 0, shape, dtype)

    def _name(self, kind):
        return f"{self._prefix}{kind}{next(self._names)}"

    def _batch_payload(self, items, stage):
        """The items as the messages carry them: Refs for arrays (shm), the
        objects themselves otherwise."""
        if not self._shm:
            return list(items)
        if isinstance(items, np.ndarray) and not items.dtype.hasobject:
            whole = self._refs([items], stage)[0]
            step = items[0].nbytes
            return [_shm.Ref(whole.name, whole.offset + i * step,
                             items.shape[1:], items.dtype)
                    for i in range(len(items))]
        payload = list(items)
        arrays = [i for i, x in enumerate(payload) if _worker._shareable(x)]
        for i, ref in zip(arrays, self._refs([payload[i] for i in arrays],
                                             stage)):
            payload[i] = ref
        return payload

    def _vector_io(self, a, out, stage):
        """(src, dst) of a vector job for run_vector: the arrays (threads),
        their Refs (shm), or (None, None): each chunk carries its pieces."""
        if not self._process:
            return a, out
        if not self._shm:
            return None, None
        return self._refs([a, out], stage)

    def _refs(self, arrays, stage):
        """A Ref per array: where it lies if in the pool's shared memory,
        else where it is copied to, one staging segment for all."""
        refs = [self._find(a) for a in arrays]
        todo = [i for i, r in enumerate(refs) if r is None]
        if not todo:
            return refs
        sizes = [-(-arrays[i].nbytes // 64) * 64 for i in todo]
        seg = _shm.create(self._name("s"), sum(sizes))
        stage.append(seg)
        for i, offset in zip(todo, np.cumsum([0] + sizes).tolist()):
            a = arrays[i]
            _shm.view(seg, offset, a.shape, a.dtype)[...] = a
            refs[i] = _shm.Ref(seg.name, offset, a.shape, a.dtype)
        return refs

    def _find(self, a):
        """The Ref of an array lying in one of the pool's arrays, or None."""
        if not a.flags.c_contiguous:
            return None
        ptr = a.__array_interface__["data"][0]
        for ref, start, end in self._segments:
            seg = ref()
            if seg is not None and start <= ptr and ptr + a.nbytes <= end:
                return _shm.Ref(seg.name, ptr - start, a.shape, a.dtype)
        return None

    @staticmethod
    def _receive(chunk):
        """A chunk's results: the arrays a worker wrote to a segment (as
        views of it; its name is removed at once), or the objects."""
        if not isinstance(chunk, tuple):
            return chunk
        _, name, layout = chunk
        seg = _shm.attach(name)
        _shm.unlink(name)
        return [_shm.view(seg, off, shape, dtype)
                for off, shape, dtype in layout]

    def close(self):
        """Stops the workers, removes the names of the pool's shared
        memory (/dev/shm keeps nothing; arrays the pool returned stay
        valid while referenced) and restores what a 1-worker or thread
        pool changed in the caller. Called again, it does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        for ref, _, _ in self._segments:
            seg = ref()
            if seg is not None:
                _shm.unlink(seg.name)
        self._segments = []
        if self._process:
            _shm.sweep(self._prefix)
        if self._restore:
            mask, threads = self._restore
            if mask is not None:
                os.sched_setaffinity(0, mask)
                _worker._state.index = None
            _blas.set_blas_threads(threads)
