"""query(): the configuration a profile gives a job on this machine."""
import ctypes
import dataclasses
import operator
import os
import threading

from . import _lib
from ._config import Config

# The autotune program's own workloads have a kind without a profile;
# `autotune query` resolves them so, and so must the module to agree.
_BUILTIN_KINDS = {"inv": "batch", "svd": "batch", "gemm": "batch",
                  "exp": "vector"}
_KINDS = ("batch", "vector")

# Loaded profiles by path, with the stat they were loaded at (the search
# path's under None, with the stats of every file it found and the
# library's record of them), and this process's machine by affinity mask
# (it holds the usable CPUs): all are reused until a file or the mask
# changes. One lock: a profile must not be freed while another thread
# queries it.
_lock = threading.Lock()
_profiles = {}
_machines = {}


@dataclasses.dataclass(frozen=True)
class Answer:
    """What query() answers.

    config             the Config to run the job in
    source             'entry', 'model', 'nearest', 'fallback', or
                       'tuning' (inside `autotune --command`'s run)
    reason             one line: which machine, why this source
    match              which machine of the profile answered: 'exact',
                       'hardware' or 'none'
    machine            that machine's fingerprint, or ''
    predicted_seconds  the entry's time or the model's prediction, or None
    kind               'batch' or 'vector'
    cpusets            each worker's CPUs, a tuple per worker (empty when
                       unpinned), as `autotune env` prints AUTOTUNE_CPUSETS
    profile            the file the answer came from (as `autotune query`
                       names it), or None for the fallback rule and a
                       tuning run
    """
    config: Config
    source: str
    reason: str
    match: str
    machine: str
    predicted_seconds: float | None
    kind: str
    cpusets: tuple
    profile: str | None = None


def query(workload, size, items=1, kind=None, profile=None, strict=False):
    """The configuration for `items` tasks of `workload` at `size` (a
    vector job: one item of `size` elements) on this machine.

    The profile is `profile` (a path) or the files of the search path
    read as one, by the library (at_profile_files; the order is in
    data/profile-format.md, "Where profiles are found"); with none
    anywhere the documented fallback rule answers, as `autotune query`
    does. `kind` ('batch' or 'vector') matters only for a
    workload the profile does not know; by default it is the profile's
    kind, else a batch. `strict` accepts only this exact machine's tuned
    answers and raises autotune.Error (status AT_ERR_NOMATCH) otherwise.

    Inside a tuning run (`autotune --command` sets AUTOTUNE_SOURCE=tuning
    and AUTOTUNE_WORKLOAD) a query for that workload returns the
    configuration being measured, from the AUTOTUNE_* variables, with
    source 'tuning'. Profile and machine are cached per process, so
    repeated queries are cheap.
    """
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, "
                         f"got {kind!r}")
    tuning = _tuning_config(workload)
    if tuning is not None:
        return _tuning_answer(workload, tuning, kind)
    with _lock:
        handle, files = _profile(profile)
        machine = _machine()
        kind = kind or _profile_kind(handle, machine, workload)
        flags = ((_lib.AT_QUERY_STRICT if strict else 0) |
                 (_lib.AT_QUERY_VECTOR if kind == "vector" else 0))
        r = _lib.AtQueryResult()
        _lib.call(_lib.lib.at_profile_query_flags, handle,
                  ctypes.byref(machine), workload.encode(),
                  operator.index(size), operator.index(items), flags,
                  ctypes.byref(r))
        source = _lib.text(_lib.lib.at_source_name(r.source))
        answered = _answered_from(profile, files, source, r, workload)
    config = Config.from_c(r.config)
    return Answer(config=config, source=source, reason=_lib.text(r.reason),
                  match=_lib.text(_lib.lib.at_match_name(r.match)),
                  machine=_lib.text(r.machine),
                  predicted_seconds=(r.predicted_seconds
                                     if r.predicted_seconds >= 0 else None),
                  kind=kind, cpusets=_frozen(config.cpusets()),
                  profile=answered)


def _answered_from(path, files, source, r, workload):
    """The file the answer came from: the profile named, or the one the
    library records for the answering machine's workload; None for the
    fallback rule."""
    if source == "fallback":
        return None
    if path is not None:
        return path
    origin = _lib.lib.at_profile_files_origin(files, r.machine,
                                              workload.encode())
    return _lib.text(origin) if origin else None


def _frozen(sets):
    """Config.cpusets() as tuples: an Answer is immutable and hashable."""
    return tuple(tuple(s) for s in sets)


def _tuning_config(workload):
    """The configuration a tuning run of `workload` is trying (the
    library reads the variables), or None outside one."""
    c = _lib.AtConfig()
    try:
        _lib.call(_lib.lib.at_config_from_env, workload.encode(),
                  ctypes.byref(c))
    except _lib.Error as e:
        if e.status == _lib.AT_ERR_NOMATCH:
            return None
        raise
    return Config.from_c(c)


def _tuning_answer(workload, config, kind):
    with _lock:
        fingerprint = _lib.text(_machine().fingerprint)
    return Answer(config=config, source="tuning",
                  reason=f"autotune is tuning {workload}: the configuration "
                  "being measured (AUTOTUNE_*)",
                  # the tuner measures on this very machine
                  match=os.environ.get("AUTOTUNE_MATCH", "exact"),
                  machine=fingerprint, predicted_seconds=None,
                  kind=os.environ.get("AUTOTUNE_KIND", kind or "batch"),
                  cpusets=_frozen(config.cpusets()))


def _stamp(path):
    """What says a file changed: its inode, size and time; None when it
    is gone (the library then reports it)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _profile(path):
    """(profile handle, at_profile_files handle) of `path` (no files
    handle), or of the search path; (None, None) when there is no
    profile anywhere (the fallback rule)."""
    if path is not None:
        return _named_profile(os.path.abspath(path)), None
    files = ctypes.c_void_p()
    try:
        _lib.call(_lib.lib.at_profile_files_find, ctypes.byref(files))
    except _lib.Error as e:
        if e.status == _lib.AT_ERR_NOPROFILE:
            return None, None
        raise
    return _searched_profile(files)


def _named_profile(path):
    stamp = _stamp(path)
    cached = _profiles.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    handle = ctypes.c_void_p()
    _lib.call(_lib.lib.at_profile_load, path.encode(), ctypes.byref(handle))
    if cached:
        _lib.lib.at_profile_free(cached[1])
    _profiles[path] = (stamp, handle)
    return handle


def _searched_profile(files):
    """The search path's profile, loaded again only when the files found
    or one of them changed; `files` is the search just made."""
    lib = _lib.lib
    paths = [lib.at_profile_files_path(files, i)
             for i in range(lib.at_profile_files_count(files))]
    stamp = tuple((p, _stamp(p)) for p in paths)
    cached = _profiles.get(None)
    if cached and cached[0] == stamp:
        lib.at_profile_files_free(files)
        return cached[1], cached[2]
    handle = ctypes.c_void_p()
    try:
        _lib.call(lib.at_profile_files_load, files, ctypes.byref(handle))
    except BaseException:
        lib.at_profile_files_free(files)
        raise
    if cached:
        lib.at_profile_free(cached[1])
        lib.at_profile_files_free(cached[2])
    _profiles[None] = (stamp, handle, files)
    return handle, files


def _machine():
    """This process's at_machine (detected again in a child, or after the
    affinity mask changed)."""
    key = (os.getpid(), frozenset(os.sched_getaffinity(0)))
    if key not in _machines:
        m = _lib.AtMachine()
        _lib.call(_lib.lib.at_machine_detect, ctypes.byref(m))
        _machines.clear()
        _machines[key] = m
    return _machines[key]


def _profile_kind(handle, machine, workload):
    """A workload's kind as `autotune query` resolves it: the program's
    own, this machine's in the profile, any machine's, else a batch."""
    if workload in _BUILTIN_KINDS:
        return _BUILTIN_KINDS[workload]
    if not handle:
        return "batch"
    lib, name = _lib.lib, workload.encode()
    machines = [lib.at_profile_find_machine(handle, machine.fingerprint)]
    machines += [lib.at_profile_machine_at(handle, i)
                 for i in range(lib.at_profile_machine_count(handle))]
    for mp in machines:
        wp = lib.at_machine_profile_workload(mp, name) if mp else None
        if wp:
            return _KINDS[lib.at_workload_profile_kind(wp)]
    return "batch"
