"""Config: the seven knobs of a parallel job, checked by libautotune."""
import ctypes
import dataclasses
import operator

from . import _lib

_INT_MAX = 2**31 - 1
_NAMES = {"mode": _lib.lib.at_mode_parse,
          "transport": _lib.lib.at_transport_parse,
          "pin": _lib.lib.at_pin_parse}
_TO_NAME = {"mode": _lib.lib.at_mode_name,
            "transport": _lib.lib.at_transport_name,
            "pin": _lib.lib.at_pin_name}
_NUMBERS = ("workers", "blas_threads", "chunk_size", "partitions")


@dataclasses.dataclass(frozen=True)
class Config:
    """One parallel configuration of a job (at_config).

    workers       worker processes or threads; 1 runs in the caller
    mode          'process' or 'thread'
    blas_threads  BLAS threads inside each worker
    chunk_size    tasks (items, or vector partitions) per message
    partitions    pieces a vector job is split into; 1 for a batch
    transport     'pipe' (data pickled) or 'shm' (shared memory)
    pin           'none' or 'cores' (each worker on its own CPUs)

    Creating one checks it with the library (at_config_check and the name
    parsers): a bad value raises ValueError with the library's message.
    """
    workers: int
    mode: str = "process"
    blas_threads: int = 1
    chunk_size: int = 1
    partitions: int = 1
    transport: str = "shm"
    pin: str = "none"

    def __post_init__(self):
        self.to_c()

    def to_c(self):
        """The at_config of this configuration, checked by the library."""
        c = _lib.AtConfig()
        for name, parse in _NAMES.items():
            value = ctypes.c_int()
            _lib.call(parse, str(getattr(self, name)).encode(),
                      ctypes.byref(value))
            setattr(c, name, value.value)
        for name in _NUMBERS:
            # Clamped so that a huge number is refused, not wrapped by C.
            setattr(c, name, max(-_INT_MAX, min(
                _INT_MAX, operator.index(getattr(self, name)))))
        _lib.call(_lib.lib.at_config_check, ctypes.byref(c))
        return c

    @classmethod
    def from_c(cls, c):
        """The Config of an at_config."""
        names = {n: _lib.text(f(getattr(c, n))) for n, f in _TO_NAME.items()}
        return cls(**{n: getattr(c, n) for n in _NUMBERS}, **names)

    def cpusets(self):
        """Each worker's CPUs (a list of ints per worker, in worker order)
        as at_worker_cpus takes them from the calling thread's affinity
        mask; every list is empty when pin is 'none' (workers keep the
        mask they inherit)."""
        c = self.to_c()
        cpus = (ctypes.c_int * self.blas_threads)()
        count = ctypes.c_int()
        sets = []
        for index in range(self.workers):
            _lib.call(_lib.lib.at_worker_cpus, ctypes.byref(c), index, None,
                      0, cpus, self.blas_threads, ctypes.byref(count))
            sets.append(list(cpus[:count.value]))
        return sets
