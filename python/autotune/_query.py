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

# Loaded profiles by path, with the stat they were loaded at, and this
# process's machine by affinity mask (it holds the usable CPUs): both
# are reused until the file or the mask changes. One lock: a profile
# must not be freed while another thread queries it.
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
    """
    config: Config
    source: str
    reason: str
    match: str
    machine: str
    predicted_seconds: float | None
    kind: str
    cpusets: tuple


def query(workload, size, items=1, kind=None, profile=None, strict=False):
    """The configuration for `items` tasks of `workload` at `size` (a
    vector job: one item of `size` elements) on this machine.

    The profile is `profile` (a path) or the one at_profile_find finds
    ($AUTOTUNE_PROFILE, ~/.config/autotune/profile.yaml, the system one);
    with none anywhere the documented fallback rule answers, as
    `autotune query` does. `kind` ('batch' or 'vector') matters only for a
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
        handle = _profile(profile)
        machine = _machine()
        kind = kind or _profile_kind(handle, machine, workload)
        flags = ((_lib.AT_QUERY_STRICT if strict else 0) |
                 (_lib.AT_QUERY_VECTOR if kind == "vector" else 0))
        r = _lib.AtQueryResult()
        _lib.call(_lib.lib.at_profile_query_flags, handle,
                  ctypes.byref(machine), workload.encode(),
                  operator.index(size), operator.index(items), flags,
                  ctypes.byref(r))
    config = Config.from_c(r.config)
    return Answer(config=config,
                  source=_lib.text(_lib.lib.at_source_name(r.source)),
                  reason=_lib.text(r.reason),
                  match=_lib.text(_lib.lib.at_match_name(r.match)),
                  machine=_lib.text(r.machine),
                  predicted_seconds=(r.predicted_seconds
                                     if r.predicted_seconds >= 0 else None),
                  kind=kind, cpusets=_frozen(config.cpusets()))


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


def _profile(path):
    """The loaded profile of `path` or of the search path; None when there
    is no profile anywhere (the fallback rule)."""
    if path is None:
        buf = ctypes.create_string_buffer(4096)
        try:
            _lib.call(_lib.lib.at_profile_find, buf, len(buf))
        except _lib.Error as e:
            # A profile asked for by the variable must exist.
            if (e.status == _lib.AT_ERR_NOPROFILE and
                    "AUTOTUNE_PROFILE" not in os.environ):
                return None
            raise
        path = buf.value.decode()
    path = os.path.abspath(path)
    try:
        st = os.stat(path)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = None  # the library reports the missing file
    cached = _profiles.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    handle = ctypes.c_void_p()
    _lib.call(_lib.lib.at_profile_load, path.encode(), ctypes.byref(handle))
    if cached:
        _lib.lib.at_profile_free(cached[1])
    _profiles[path] = (stamp, handle)
    return handle


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
