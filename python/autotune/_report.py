"""Reporting a job's time the way `autotune --command` reads it."""
import contextlib
import sys
import time


def report(seconds):
    """Prints `autotune-seconds: X` (X the job's wall time in seconds) on
    standard output and flushes it, so a tuning run that times the user's
    program can take the job's own time, without start-up and set-up."""
    print(f"autotune-seconds: {seconds:.9g}", file=sys.stdout, flush=True)


@contextlib.contextmanager
def timed():
    """Times the block (wall clock) and reports it with report():

        with autotune.timed():
            results = pool.map(work, items)
    """
    start = time.perf_counter()
    yield
    report(time.perf_counter() - start)
