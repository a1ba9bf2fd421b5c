"""Named shared memory (multiprocessing.shared_memory) for the shm
transport: arrays cross processes as a Ref, (name, offset, shape, dtype),
never as their data.

Views are built on the mapping's address, and each keeps its
SharedMemory object alive: a mapping is unmapped only when the last view
of it is gone, so nothing here ever closes a mapping an array still uses,
and the owner may unlink a name as soon as no process needs to attach it.
"""
import collections
import ctypes
import os
from multiprocessing import shared_memory

import numpy as np

Ref = collections.namedtuple("Ref", "name offset shape dtype")
_DEV_SHM = "/dev/shm"


class _Holder:
    """The base of a view: numpy reads the address, we keep the mapping."""

    def __init__(self, shm, offset, shape, dtype):
        self.shm = shm
        dtype = np.dtype(dtype)
        self.__array_interface__ = {
            "version": 3, "shape": tuple(shape), "typestr": dtype.str,
            "descr": dtype.descr, "data": (address(shm) + offset, False)}


def address(shm):
    """Where a segment is mapped in this process."""
    # The ctypes object exports the buffer only while it lives: a moment.
    return ctypes.addressof(ctypes.c_char.from_buffer(shm.buf))


def create(name, nbytes):
    """A new segment of at least one byte (the Python resource tracker
    unlinks it should its creator die without doing so)."""
    return shared_memory.SharedMemory(name=name, create=True,
                                      size=max(1, nbytes))


def attach(name):
    """Maps the segment of a name."""
    return shared_memory.SharedMemory(name=name)


def view(shm, offset, shape, dtype):
    """An ndarray over the segment's bytes at `offset`, no copy."""
    return np.asarray(_Holder(shm, offset, shape, dtype))


def exists(name):
    """Whether a segment still has its name."""
    return os.path.exists(os.path.join(_DEV_SHM, name))


def unlink(name):
    """Removes a segment's name (its memory lives while views do)."""
    try:
        attach(name).unlink()
    except FileNotFoundError:
        pass


def sweep(prefix):
    """Unlinks every segment whose name starts with `prefix`: those a
    worker created and died before handing over."""
    try:
        names = [n for n in os.listdir(_DEV_SHM) if n.startswith(prefix)]
    except FileNotFoundError:
        return
    for name in names:
        unlink(name)
