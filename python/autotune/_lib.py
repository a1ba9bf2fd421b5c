"""libautotune through ctypes: finding it, its structures, its calls.

The structures mirror include/autotune.h for soname libautotune.so.1;
tests/python/test_module_abi.py compares their sizes and offsets with the
rows tests/unit/test_abi.c pins, so a layout change fails a test instead of
corrupting memory here.
"""
import ctypes
import ctypes.util
import os

SONAME = "libautotune.so.1"

# at_status values used by name (the ABI test pins them).
AT_OK = 0
AT_ERR_ARG = 2
AT_ERR_NOPROFILE = 6
AT_ERR_NOMATCH = 7
AT_ERR_WORKER = 10
AT_QUERY_STRICT = 1
AT_QUERY_VECTOR = 2
FINGERPRINT = ctypes.c_char * 17
NAME = ctypes.c_char * 128


class Error(Exception):
    """A libautotune call failed; `status` is its at_status code."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class AtError(ctypes.Structure):
    """at_error."""
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 256),
                ("file", ctypes.c_char * 512), ("line", ctypes.c_int),
                ("column", ctypes.c_int), ("key", ctypes.c_char * 64)]


class AtMachine(ctypes.Structure):
    """at_machine."""
    _fields_ = [("fingerprint", FINGERPRINT), ("host", NAME),
                ("cpu_model", NAME), ("arch", ctypes.c_char * 32),
                ("usable_cpus", ctypes.c_int), ("cores", ctypes.c_int),
                ("sockets", ctypes.c_int), ("numa_nodes", ctypes.c_int),
                ("l1d_kb", ctypes.c_long), ("l2_kb", ctypes.c_long),
                ("l3_kb", ctypes.c_long),
                ("blas_vendor", ctypes.c_char * 32),
                ("blas_version", ctypes.c_char * 32),
                ("blas_corename", ctypes.c_char * 32),
                ("blas_threading", ctypes.c_char * 16),
                ("blas_max_threads", ctypes.c_int), ("hardware", FINGERPRINT)]


class AtBlasInfo(ctypes.Structure):
    """at_blas_info."""
    _fields_ = [("vendor", ctypes.c_char * 32),
                ("version", ctypes.c_char * 32),
                ("corename", ctypes.c_char * 32),
                ("threading", ctypes.c_char * 16),
                ("threads", ctypes.c_int), ("max_threads", ctypes.c_int),
                ("path", ctypes.c_char * 512)]


class AtConfig(ctypes.Structure):
    """at_config (mode, transport and pin are enums: int)."""
    _fields_ = [(name, ctypes.c_int) for name in
                ("workers", "mode", "blas_threads", "chunk_size",
                 "partitions", "transport", "pin")]


class AtQueryResult(ctypes.Structure):
    """at_query_result."""
    _fields_ = [("config", AtConfig), ("source", ctypes.c_int),
                ("predicted_seconds", ctypes.c_double),
                ("entry", ctypes.c_void_p), ("reason", ctypes.c_char * 256),
                ("match", ctypes.c_int), ("machine", FINGERPRINT)]


# The C name of each mirror, for the ABI test.
STRUCTS = {"at_error": AtError, "at_machine": AtMachine,
           "at_blas_info": AtBlasInfo, "at_config": AtConfig,
           "at_query_result": AtQueryResult}

_P = ctypes.c_void_p
_ERR = ctypes.POINTER(AtError)
_INT = ctypes.c_int
_LONG = ctypes.c_long
_STR = ctypes.c_char_p
_CFG = ctypes.POINTER(AtConfig)
# name: (restype, argtypes); every at_status function's last argument is
# at_error *.
_PROTOTYPES = {
    "at_error_format": (_STR, [_ERR, _STR, ctypes.c_size_t]),
    "at_machine_detect": (_INT, [ctypes.POINTER(AtMachine), _ERR]),
    "at_blas_list": (ctypes.c_size_t,
                     [ctypes.POINTER(AtBlasInfo), ctypes.c_size_t]),
    "at_blas_get_threads": (_INT, [ctypes.POINTER(_INT), _ERR]),
    "at_blas_set_threads": (_INT, [_INT, _ERR]),
    "at_mode_parse": (_INT, [_STR, ctypes.POINTER(_INT), _ERR]),
    "at_transport_parse": (_INT, [_STR, ctypes.POINTER(_INT), _ERR]),
    "at_pin_parse": (_INT, [_STR, ctypes.POINTER(_INT), _ERR]),
    "at_mode_name": (_STR, [_INT]),
    "at_transport_name": (_STR, [_INT]),
    "at_pin_name": (_STR, [_INT]),
    "at_source_name": (_STR, [_INT]),
    "at_match_name": (_STR, [_INT]),
    "at_kind_parse": (_INT, [_STR, ctypes.POINTER(_INT), _ERR]),
    "at_config_check": (_INT, [_CFG, _ERR]),
    "at_config_from_env": (_INT, [_STR, _CFG, _ERR]),
    "at_worker_cpus": (_INT, [_CFG, _INT, ctypes.POINTER(_INT), _INT,
                              ctypes.POINTER(_INT), _INT,
                              ctypes.POINTER(_INT), _ERR]),
    "at_worker_apply": (_INT, [_CFG, _INT, _ERR]),
    "at_profile_files_find": (_INT, [ctypes.POINTER(_P), _ERR]),
    "at_profile_files_free": (None, [_P]),
    "at_profile_files_count": (ctypes.c_size_t, [_P]),
    "at_profile_files_path": (_STR, [_P, ctypes.c_size_t]),
    "at_profile_files_load": (_INT, [_P, ctypes.POINTER(_P), _ERR]),
    "at_profile_files_origin": (_STR, [_P, _STR, _STR]),
    "at_profile_load": (_INT, [_STR, ctypes.POINTER(_P), _ERR]),
    "at_profile_free": (None, [_P]),
    "at_profile_machine_count": (ctypes.c_size_t, [_P]),
    "at_profile_machine_at": (_P, [_P, ctypes.c_size_t]),
    "at_profile_find_machine": (_P, [_P, _STR]),
    "at_machine_profile_workload": (_P, [_P, _STR]),
    "at_workload_profile_kind": (_INT, [_P]),
    "at_profile_query_flags": (_INT, [_P, ctypes.POINTER(AtMachine), _STR,
                                      _LONG, _LONG, _INT,
                                      ctypes.POINTER(AtQueryResult), _ERR]),
}


def _candidates():
    """(where, path) pairs to try, in order: the variable, the libdir
    configure chose (absent in a source tree), the system's search."""
    env = os.environ.get("AUTOTUNE_LIBRARY")
    if env:
        # Asked for by name: no silent fall-back to another copy.
        return [("$AUTOTUNE_LIBRARY", env)]
    found = []
    try:
        from . import _paths
        found.append(("configure's libdir",
                      os.path.join(_paths.LIBDIR, SONAME)))
    except ImportError:
        pass
    name = ctypes.util.find_library("autotune")
    # Another major version has another ABI than these mirrors.
    found.append(("ctypes.util.find_library('autotune')",
                  name if name == SONAME else None))
    return found


def _load():
    tried = []
    for where, path in _candidates():
        if path is None:
            tried.append(f"{where}: no {SONAME}")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{where}: {e}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        return lib
    raise ImportError("autotune: cannot load libautotune (" +
                      "; ".join(tried) + "); install autotune (make "
                      "install && ldconfig) or set AUTOTUNE_LIBRARY to "
                      "the path of " + SONAME)


lib = _load()


def message(err):
    """The library's one-line text of a filled at_error."""
    buf = ctypes.create_string_buffer(2048)
    return lib.at_error_format(ctypes.byref(err), buf, len(buf)).decode()


def call(fn, *args):
    """Calls an at_status function with a fresh at_error appended; raises
    ValueError for AT_ERR_ARG (a bad argument), Error otherwise."""
    err = AtError()
    status = fn(*args, ctypes.byref(err))
    if status == AT_ERR_ARG:
        raise ValueError(message(err))
    if status != AT_OK:
        raise Error(message(err), status)


def text(value):
    """A C string (bytes from a char array or char *) as str."""
    return value.decode()
