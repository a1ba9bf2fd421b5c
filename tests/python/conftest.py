"""The built library and the source tree's module, for the module's tests
(and the example scripts and pool workers they start, which inherit the
environment); no bytecode is written into the source tree."""
import os
import sys

_PYTHON = os.path.join(os.environ["SRCDIR"], "python")
os.environ["AUTOTUNE_LIBRARY"] = os.path.join(
    os.environ["BUILDDIR"], "src/.libs/libautotune.so.1")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_PYTHON] + [p for p in [os.environ.get("PYTHONPATH")] if p])
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True
sys.path.insert(0, _PYTHON)
