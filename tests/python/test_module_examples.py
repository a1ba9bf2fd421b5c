"""The example programs (python/examples) run in every mode on tiny jobs,
report their time as autotune --command reads it, and pass their own
checks; also inside a tuning run, whose configuration they then use."""
import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.environ["SRCDIR"], "python/examples")


def run(args, **env):
    return subprocess.run([sys.executable, *args], capture_output=True,
                          text=True, env=dict(os.environ, **env), timeout=120)


@pytest.mark.parametrize("args", [
    ["svd_batch.py", "40", "6", "naive"],
    ["svd_batch.py", "40", "6", "tuned"],
    ["exp_vector.py", "64000", "naive"],
    ["exp_vector.py", "64000", "split64"],
    ["exp_vector.py", "64000", "joblib"],
    ["exp_vector.py", "64000", "tuned"],
])
def test_example_runs_and_checks(args, tmp_path):
    if "joblib" in args:
        pytest.importorskip("joblib")
    out = run([os.path.join(EXAMPLES, args[0]), *args[1:]])
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"autotune-seconds: \d+(\.\d+)?(e-?\d+)?\n",
                        out.stdout), out.stdout


@pytest.mark.parametrize("args", [
    ["svd_batch.py", "40"], ["svd_batch.py", "40", "6", "fast"],
    ["exp_vector.py", "0"], ["exp_vector.py", "10", "gpu"]])
def test_example_usage_error(args):
    out = run([os.path.join(EXAMPLES, args[0]), *args[1:]])
    assert out.returncode == 2 and "usage:" in out.stderr


def test_tuned_example_inside_a_tuning_run():
    """The variables a tuning run sets choose the configuration: a thread
    pool whose BLAS runs 1 thread, asked for by the knobs alone."""
    knobs = {"AUTOTUNE_SOURCE": "tuning", "AUTOTUNE_WORKLOAD": "mysvd",
             "AUTOTUNE_KIND": "batch", "AUTOTUNE_WORKERS": "2",
             "AUTOTUNE_MODE": "thread", "AUTOTUNE_BLAS_THREADS": "1",
             "AUTOTUNE_CHUNK_SIZE": "3", "AUTOTUNE_PARTITIONS": "1",
             "AUTOTUNE_TRANSPORT": "pipe", "AUTOTUNE_PIN": "none",
             "AUTOTUNE_CPUSETS": ""}
    out = run([os.path.join(EXAMPLES, "svd_batch.py"), "30", "6", "tuned"],
              **knobs)
    assert out.returncode == 0, out.stderr
    bad = run([os.path.join(EXAMPLES, "svd_batch.py"), "30", "6", "tuned"],
              **dict(knobs, AUTOTUNE_CHUNK_SIZE="7"))
    assert bad.returncode != 0
    assert "chunk_size must be from 1 to the job's 6 tasks, got 7" in \
        bad.stderr
