"""The README's Python example runs, with Debian's python3 and numpy."""
import os
import re
import subprocess
import sys

SRCDIR = os.environ["SRCDIR"]
BUILDDIR = os.environ["BUILDDIR"]


def test_readme_python_example(tmp_path):
    with open(os.path.join(SRCDIR, "README.md")) as f:
        blocks = re.findall(r"^```python\n(.*?)^```$", f.read(), re.S | re.M)
    assert blocks, "README has no Python example"
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    env = dict(os.environ,
               PATH=os.path.dirname(os.environ["AUTOTUNE"]) + ":" +
               os.environ["PATH"],
               LD_LIBRARY_PATH=os.path.join(BUILDDIR, "src/.libs"))
    run = subprocess.run([sys.executable, str(script)], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
