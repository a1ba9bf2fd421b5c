"""autotune.query() answers as `autotune query` and `autotune env` do for
the same job and profile; inside a tuning run the configuration being
measured wins; strict mode refuses any machine but this exact one."""
import ctypes
import os
import shlex
import subprocess

import pytest

import autotune
from autotune import _lib

AUTOTUNE = os.environ["AUTOTUNE"]
ENTRY = ("{size: %d, items: %d, seconds: 1.0, spread: 0.01, "
         "measured: 2026-01-01T00:00:00Z, best: {workers: %d, mode: %s, "
         "blas_threads: 1, chunk_size: %d, partitions: %d, transport: %s, "
         "pin: %s}}")
WORKLOADS = f"""  workloads:
    mysvd:
      kind: batch
      entries:
      - {ENTRY % (600, 8, 2, "process", 2, 1, "shm", "cores")}
    myexp:
      kind: vector
      entries:
      - {ENTRY % (1000000, 1, 2, "thread", 2, 8, "shm", "none")}
"""


def machine_yaml(m):
    """A one-machine profile of the at_machine m, with our workloads."""
    t = {f: (v.decode() if isinstance(v, bytes) else v)
         for f, _ in _lib.AtMachine._fields_ for v in [getattr(m, f)]}
    return (f"autotune_profile: 2\nmachines:\n- fingerprint: "
            f"{t['fingerprint']}\n  cpu: {{model: \"{t['cpu_model']}\", "
            f"arch: {t['arch']}, usable_cpus: {t['usable_cpus']}, cores: "
            f"{t['cores']}, sockets: {t['sockets']}, numa_nodes: "
            f"{t['numa_nodes']}, l1d_kb: {t['l1d_kb']}, l2_kb: "
            f"{t['l2_kb']}, l3_kb: {t['l3_kb']}}}\n  blas: {{vendor: "
            f"{t['blas_vendor']}, version: \"{t['blas_version']}\", "
            f"corename: \"{t['blas_corename']}\", threading: "
            f"{t['blas_threading']}}}\n" + WORKLOADS)


def this_machine(**changes):
    """This process's at_machine, with changes and its fingerprint
    recomputed (at_machine_fingerprint)."""
    m = _lib.AtMachine()
    _lib.call(_lib.lib.at_machine_detect, ctypes.byref(m))
    for field, value in changes.items():
        setattr(m, field, value)
    _lib.lib.at_machine_fingerprint.argtypes = [ctypes.POINTER(_lib.AtMachine)]
    _lib.lib.at_machine_fingerprint(ctypes.byref(m))
    return m


@pytest.fixture
def profile(tmp_path):
    """The fingerprint command's profile of this machine, plus ours."""
    path = tmp_path / "profile.yaml"
    path.write_text(subprocess.run([AUTOTUNE, "fingerprint"],
                                   capture_output=True, text=True,
                                   check=True).stdout + WORKLOADS)
    return str(path)


def cli(command, workload, size, items, kind, profile):
    args = [AUTOTUNE, command, "--workload", workload, "--size", str(size),
            "--items", str(items)]
    args += ["--kind", kind] if kind else []
    args += ["--profile", profile] if profile else []
    return subprocess.run(args, capture_output=True, text=True,
                          check=True).stdout


def cli_env(*job):
    """`autotune env`'s variables for the job."""
    return dict(shlex.split(line)[1].split("=", 1)
                for line in cli("env", *job).splitlines())


def cli_query(*job):
    """`autotune query`'s fields for the job."""
    return {k: v.strip() for k, v in (line.split(":", 1) for line in
                                      cli("query", *job).splitlines())}


def config_of(env):
    """The Config the variables of `autotune env` describe."""
    return autotune.Config(**{
        knob: (int(env[var]) if env[var].isdigit() else env[var])
        for knob in ("workers", "mode", "blas_threads", "chunk_size",
                     "partitions", "transport", "pin")
        for var in ["AUTOTUNE_" + knob.upper()]})


def cpusets(text):
    return tuple(tuple(int(c) for c in s.split(",")) for s in text.split(";"))


def assert_same_answer(answer, job):
    env, shown = cli_env(*job), cli_query(*job)
    assert answer.config == config_of(env)
    assert answer.source == env["AUTOTUNE_SOURCE"]
    assert answer.match == env["AUTOTUNE_MATCH"]
    assert answer.kind == env["AUTOTUNE_KIND"]
    assert answer.reason == shown["reason"]
    assert (answer.machine or "-") == shown["machine"].split()[0]
    # the file that answered, as the program names it
    if answer.source == "fallback":
        assert answer.profile is None
    else:
        assert answer.profile == shown["profile"]
    if env["AUTOTUNE_CPUSETS"]:
        assert answer.cpusets == cpusets(env["AUTOTUNE_CPUSETS"])
    else:
        assert not any(answer.cpusets)


@pytest.mark.parametrize("workload,size,items,kind,source", [
    ("mysvd", 600, 8, None, "entry"),
    ("mysvd", 300, 4, None, "nearest"),
    ("myexp", 1000000, 1, None, "entry"),
    ("myexp", 2000, 1, None, "nearest"),
    ("other", 100, 16, None, "fallback"),
    ("newvec", 5000, 1, "vector", "fallback"),
    ("svd", 1000, 1, None, "fallback"),
])
def test_answer_is_the_program_s(profile, workload, size, items, kind,
                                 source):
    answer = autotune.query(workload, size, items, kind=kind,
                            profile=profile)
    assert answer.source == source
    assert_same_answer(answer, (workload, size, items, kind, profile))


def test_without_any_profile_the_fallback_rule(monkeypatch, tmp_path):
    monkeypatch.delenv("AUTOTUNE_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("AUTOTUNE_PROFILE_DIR", str(tmp_path))
    if cli_query("mysvd", 600, 8, None, None)["profile"] != "(none)":
        pytest.skip("a system-wide profile is installed")
    answer = autotune.query("mysvd", 600, 8)
    assert (answer.source, answer.match) == ("fallback", "none")
    assert_same_answer(answer, ("mysvd", 600, 8, None, None))


def this_machine_profile(workloads):
    """`autotune fingerprint`'s profile of this machine, with workloads:
    (name, kind, workers) each with one entry."""
    text = subprocess.run([AUTOTUNE, "fingerprint"], capture_output=True,
                          text=True, check=True).stdout + "  workloads:\n"
    for name, kind, workers in workloads:
        size, items = (600, 8) if kind == "batch" else (1000000, 1)
        parts = workers if kind == "vector" else 1
        entry = ENTRY % (size, items, workers, "process", 1, parts, "shm",
                         "none")
        text += f"    {name}:\n      kind: {kind}\n      entries:\n" \
                f"      - {entry}\n"
    return text


def test_search_path_read_as_one(monkeypatch, tmp_path):
    """No profile named: the user's profile and the site directory's
    files, read by the library as one, as `autotune query` reads them;
    each answer names its file; a file added is seen at the next query,
    a malformed one is refused at its position."""
    user, site = tmp_path / "cfg/autotune/profile.yaml", tmp_path / "site"
    user.parent.mkdir(parents=True)
    site.mkdir()
    monkeypatch.delenv("AUTOTUNE_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("AUTOTUNE_PROFILE_DIR", str(site))
    user.write_text(this_machine_profile([("mysvd", "batch", 2)]))
    (site / "a.yaml").write_text(this_machine_profile(
        [("mysvd", "batch", 1), ("myexp", "vector", 2)]))
    mine = autotune.query("mysvd", 600, 8)
    theirs = autotune.query("myexp", 1000000)
    assert (mine.profile, mine.config.workers) == (str(user), 2)
    assert (theirs.profile, theirs.config.workers) == (str(site / "a.yaml"),
                                                       2)
    assert_same_answer(mine, ("mysvd", 600, 8, None, None))
    assert_same_answer(theirs, ("myexp", 1000000, 1, None, None))
    (site / "b.yaml").write_text(this_machine_profile(
        [("mygemm", "batch", 2)]))
    assert autotune.query("mygemm", 600, 8).profile == str(site / "b.yaml")
    (site / "c.yaml").write_text("autotune_profile: 2\nmachines:\n"
                                 "- fingerprint: 12\n")
    with pytest.raises(autotune.Error,
                       match=f"^{site}/c.yaml:3:3: missing key 'cpu'"):
        autotune.query("mysvd", 600, 8)


def test_missing_profile_named_by_the_variable_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOTUNE_PROFILE", str(tmp_path / "absent.yaml"))
    with pytest.raises(autotune.Error, match="absent.yaml"):
        autotune.query("mysvd", 600, 8)


def test_profile_cached_until_the_file_changes(profile):
    first = autotune.query("mysvd", 600, 8, profile=profile)
    handle = autotune._query._profiles[profile][1]
    assert autotune.query("mysvd", 600, 8, profile=profile) == first
    assert autotune._query._profiles[profile][1] is handle
    with open(profile) as f:
        text = f.read()
    with open(profile, "w") as f:
        f.write(text.replace("chunk_size: 2", "chunk_size: 4"))
    assert autotune.query("mysvd", 600, 8,
                          profile=profile).config.chunk_size == 4


@pytest.mark.parametrize("knobs", [
    {},
    {"WORKERS": "1", "MODE": "thread", "BLAS_THREADS": "2",
     "CHUNK_SIZE": "3", "PARTITIONS": "1", "TRANSPORT": "pipe",
     "PIN": "none", "CPUSETS": ""},
], ids=["as-exported", "changed"])
def test_tuning_run_s_configuration_wins(profile, monkeypatch, knobs):
    # what `autotune env` exports for another job, as a tuning run of
    # mysvd would set it
    env = dict(cli_env("other", 100, 16, None, profile),
               AUTOTUNE_SOURCE="tuning", AUTOTUNE_WORKLOAD="mysvd",
               **{"AUTOTUNE_" + k: v for k, v in knobs.items()})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    answer = autotune.query("mysvd", 600, 8, profile=profile)
    assert answer.source == "tuning"
    assert answer.config == config_of(env)
    assert answer.cpusets == (cpusets(env["AUTOTUNE_CPUSETS"])
                              if env["AUTOTUNE_CPUSETS"]
                              else ((),) * answer.config.workers)
    # another workload of the same program is not the one being tuned
    assert autotune.query("myexp", 1000000, profile=profile).source == \
        "entry"
    monkeypatch.setenv("AUTOTUNE_WORKERS", "many")
    with pytest.raises(ValueError, match="AUTOTUNE_WORKERS"):
        autotune.query("mysvd", 600, 8, profile=profile)


@pytest.mark.parametrize("changes,match", [
    ({}, "exact"),
    ({"blas_vendor": b"blis"}, "hardware"),
    ({"cpu_model": b"Imaginary CPU 9000"}, "none"),
])
def test_strict_refuses_all_but_this_exact_machine(tmp_path, changes,
                                                   match):
    path = tmp_path / "machine.yaml"
    path.write_text(machine_yaml(this_machine(**changes)))
    loose = autotune.query("mysvd", 600, 8, profile=str(path))
    assert loose.match == match
    if match == "exact":
        assert autotune.query("mysvd", 600, 8, profile=str(path),
                              strict=True) == loose
        return
    with pytest.raises(autotune.Error) as e:
        autotune.query("mysvd", 600, 8, profile=str(path), strict=True)
    assert e.value.status == _lib.AT_ERR_NOMATCH and str(e.value)


def test_bad_queries_refused():
    with pytest.raises(ValueError, match="kind"):
        autotune.query("mysvd", 600, kind="matrix")
    with pytest.raises(ValueError):
        autotune.query("Not A Name", 600)
    with pytest.raises(ValueError):
        autotune.query("mysvd", 0)
