"""tools/numpy-blas-wheel's logic, without a real build: arguments, the cache decision, skips,
the RPATH repair (on a small library compiled here)."""
import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "numpy-blas-wheel"


@pytest.fixture(scope="module")
def nbw():
    loader = importlib.machinery.SourceFileLoader("numpy_blas_wheel", str(SCRIPT))
    spec = importlib.util.spec_from_loader("numpy_blas_wheel", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run_script(*args, env_blas=None, tmp_path=None):
    import os
    env = dict(os.environ)
    env.pop("TWOLAYER_NUMPY_BLAS", None)
    if env_blas is not None:
        env["TWOLAYER_NUMPY_BLAS"] = env_blas
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path)


def test_stdlib_only():
    # it must run with a benchmark environment's python, which has no tools installed
    text = SCRIPT.read_text()
    imported = {line.split()[1].split(".")[0] for line in text.splitlines()
                if line.startswith(("import ", "from "))}
    assert imported <= set(sys.stdlib_module_names)


@pytest.mark.parametrize("args, message", [
    (["blis"], "unknown BLAS 'blis'"),
    (["MKL"], "choose one of mkl, openblas, pypi"),
    (["mkl", "--numpy", "2.4"], "exact release"),
    (["mkl", "--numpy", "2.4.6; rm"], "exact release"),
    (["mkl", "--bogus"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    out = run_script(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("numpy-blas-wheel: error:") and message in lines[0]


def test_bad_value_of_the_variable_is_exit_2():
    out = run_script(env_blas="acml")
    assert out.returncode == 2 and "unknown BLAS 'acml'" in out.stderr


def test_nothing_to_do_without_variable_or_argument():
    # asv's install_command runs the script in every environment: the five without the variable
    out = run_script()
    assert out.returncode == 0 and "nothing to do" in out.stdout


def test_blas_from_the_variable(nbw, monkeypatch):
    monkeypatch.setenv("TWOLAYER_NUMPY_BLAS", "openblas")
    assert nbw.parse_args([]).blas == "openblas"
    assert nbw.parse_args(["mkl"]).blas == "mkl"  # the argument wins
    monkeypatch.setenv("TWOLAYER_NUMPY_BLAS", " ")
    assert nbw.parse_args([]).blas is None


@pytest.mark.parametrize("plat, machine, ok", [
    ("linux", "x86_64", True), ("linux", "AMD64", True), ("linux", "aarch64", False),
    ("darwin", "x86_64", False), ("darwin", "arm64", False), ("win32", "AMD64", False),
])
def test_platform_supported(nbw, plat, machine, ok):
    assert nbw.platform_supported(plat, machine) is ok


def test_refused_off_linux_x86_64(nbw, monkeypatch, capsys, tmp_path):
    # an environment named after MKL must never measure PyPI's OpenBLAS instead: exit 1, one line
    monkeypatch.setattr(nbw, "platform_supported", lambda *a: False)
    monkeypatch.setattr(nbw, "build", lambda *a: pytest.fail("must not build"))
    monkeypatch.setattr(nbw, "install", lambda *a: pytest.fail("must not install"))
    assert nbw.main(["mkl", "--numpy", "2.4.6", "--cache", str(tmp_path)]) == 1
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("numpy-blas-wheel: failed:") and "Linux x86_64" in lines[0]
    assert out.out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, env_blas", [(["pypi"], None), ([], "pypi")])
def test_pypi_keeps_the_wheel(argv, env_blas, tmp_path):
    # the comparison's third NumPy: same matrix, nothing built, nothing written, on any platform
    out = run_script(*argv, "--cache", str(tmp_path), env_blas=env_blas)
    assert out.returncode == 0 and "keeps the NumPy wheel PyPI ships" in out.stdout and out.stderr == ""
    assert list(tmp_path.iterdir()) == []


def _cache_one(nbw, folder, key, content=b"wheel"):
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"numpy-{key['numpy']}-{key['python']}-{key['python']}-linux_x86_64.whl"
    wheel.write_bytes(content)
    nbw.record_path(folder, key).write_text(json.dumps(
        {"key": key, "wheel": wheel.name, "sha256": nbw.sha256(wheel)}))
    return wheel


def test_cache_reuse_decision(nbw, tmp_path):
    key = nbw.build_key("mkl", "2.4.6")
    assert nbw.cached_wheel(tmp_path, key) is None  # nothing there
    wheel = _cache_one(nbw, tmp_path, key)
    assert nbw.cached_wheel(tmp_path, key) == wheel
    # another NumPy, another Python or another recipe is another wheel
    assert nbw.cached_wheel(tmp_path, nbw.build_key("mkl", "2.4.5")) is None
    assert nbw.cached_wheel(tmp_path, nbw.build_key("mkl", "2.4.6", tag="cp312")) is None
    changed = dict(key, build=["mkl-devel==2026.0.0"])
    assert nbw.record_path(tmp_path, changed) == nbw.record_path(tmp_path, key)
    assert nbw.cached_wheel(tmp_path, changed) is None
    # a wheel changed or gone after the build is not reused
    wheel.write_bytes(b"other")
    assert nbw.cached_wheel(tmp_path, key) is None
    wheel.unlink()
    assert nbw.cached_wheel(tmp_path, key) is None
    nbw.record_path(tmp_path, key).write_text("{not json")
    assert nbw.cached_wheel(tmp_path, key) is None


def test_keys_differ_by_blas(nbw):
    mkl, ob = nbw.build_key("mkl", "2.4.6"), nbw.build_key("openblas", "2.4.6")
    assert mkl != ob and mkl["setup_args"][0] == "-Dblas=mkl"
    assert "mkl-devel==2025.2.0" in mkl["build"]
    assert any(p.startswith("scipy-openblas32==") for p in ob["build"])


def test_main_reuses_then_builds(nbw, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(nbw, "platform_supported", lambda *a: True)
    built = []

    def fake_build(blas, key, folder):
        built.append(blas)
        return _cache_one(nbw, Path(folder), key)

    monkeypatch.setattr(nbw, "build", fake_build)
    args = ["openblas", "--numpy", "2.4.6", "--cache", str(tmp_path), "--build-only"]
    assert nbw.main(args) == 0 and built == ["openblas"]
    assert nbw.main(args) == 0 and built == ["openblas"]  # second time: reused
    assert "reusing" in capsys.readouterr().out
    assert (tmp_path / "openblas").is_dir() and not (tmp_path / "mkl").exists()


def test_print_plan(nbw, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(nbw, "platform_supported", lambda *a: True)
    monkeypatch.setattr(nbw, "build", lambda *a: pytest.fail("must not build"))
    assert nbw.main(["mkl", "--numpy", "2.4.6", "--cache", str(tmp_path), "--print-plan"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["action"] == "build" and plan["folder"] == str(tmp_path / "mkl")
    _cache_one(nbw, tmp_path / "mkl", nbw.build_key("mkl", "2.4.6"))
    assert nbw.main(["mkl", "--numpy", "2.4.6", "--cache", str(tmp_path), "--print-plan"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "reuse"


def test_cache_from_variable(nbw, monkeypatch, tmp_path):
    monkeypatch.setattr(nbw, "platform_supported", lambda *a: True)
    monkeypatch.setenv("TWOLAYER_WHEEL_CACHE", str(tmp_path))
    _, _, folder, _, _ = nbw.plan(nbw.parse_args(["mkl", "--numpy", "2.4.6"]))
    assert folder == tmp_path / "mkl"


def test_build_failure_is_exit_1(nbw, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(nbw, "platform_supported", lambda *a: True)

    def broken(*a):
        raise RuntimeError("pip wheel exited 1")

    monkeypatch.setattr(nbw, "build", broken)
    assert nbw.main(["mkl", "--numpy", "2.4.6", "--cache", str(tmp_path)]) == 1
    assert "failed: pip wheel exited 1" in capsys.readouterr().err


def test_openblas_pc_loses_the_build_rpath(nbw, tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    libdir = str(venv / "lib" / "scipy_openblas32" / "lib")
    # what scipy_openblas32.get_pkg_config() writes: a literal ${libdir} in the rpath
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' '{libdir}' 'libdir={libdir}' "
                    "'Libs: ${libdir}/libscipy_openblas.so -Wl,-rpath,${libdir}' "
                    "'Libs.private: ${extralib}'\n")
    fake.chmod(0o755)
    env = {"PKG_CONFIG_PATH": "/elsewhere"}
    nbw._prepare_openblas(venv, env)
    pc = (venv / "pkgconfig" / "scipy-openblas.pc").read_text()
    assert "-rpath" not in pc and "Libs: ${libdir}/libscipy_openblas.so\n" in pc
    assert "Libs.private: ${extralib}" in pc
    assert env["PKG_CONFIG_PATH"] == str(venv / "pkgconfig")


def _dynamic(so):
    """The (tag, value) pairs of readelf -d's RPATH and RUNPATH lines."""
    out = subprocess.run(["readelf", "-d", str(so)], check=True, capture_output=True, text=True).stdout
    return [(line.split()[1], line.split("[", 1)[1].rstrip("]")) for line in out.splitlines()
            if "(RPATH)" in line or "(RUNPATH)" in line]


def test_repair_leaves_the_recipe_rpath_alone_in_the_wheel(nbw, tmp_path):
    """A wheel built the way meson leaves numpy's (our RPATH, then the build venv's folder) comes
    out with one DT_RPATH entry, a RECORD that matches its files, and unchanged the second time."""
    import base64
    import hashlib
    import shutil
    import zipfile
    assert shutil.which("gcc") and shutil.which("readelf"), "the test compiles a shared library"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *nbw.REPAIR_TOOLS], check=True)
    rpath = nbw.BLASES["openblas"]["rpath"]
    tree = tmp_path / "tree"
    core = tree / "numpy" / "_core"
    core.mkdir(parents=True)
    (tmp_path / "x.c").write_text("int twolayer(void) { return 1; }\n")
    dead = str(tmp_path / "build-x" / "venv" / "lib")
    for name, flags in (("_multiarray_umath.so", [f"-Wl,-rpath,{rpath}:{dead}"]),   # as meson leaves it
                        ("_simd.so", [f"-Wl,-rpath,{rpath}"]),                       # already right
                        ("_plain.so", [])):                                         # no RPATH at all
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", core / name, tmp_path / "x.c",
                        "-Wl,--disable-new-dtags", *flags], check=True)
    info = tree / "numpy-2.4.6.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 2.4.6\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
                                "Tag: cp311-cp311-linux_x86_64\n")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([venv / "bin" / "python", "-m", "wheel", "pack", "-d", out, tree], check=True)
    (wheel,) = out.glob("numpy-*.whl")
    assert nbw.repair_rpath(venv, wheel, rpath, None) == 1
    (wheel,) = out.glob("numpy-*.whl")      # the same name, rewritten in place
    check = tmp_path / "check"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(check)
        record = z.read("numpy-2.4.6.dist-info/RECORD").decode()
    assert _dynamic(check / "numpy/_core/_multiarray_umath.so") == [("(RPATH)", rpath)]
    assert _dynamic(check / "numpy/_core/_simd.so") == [("(RPATH)", rpath)]
    assert _dynamic(check / "numpy/_core/_plain.so") == []
    for line in record.splitlines():
        path, digest, _ = line.rsplit(",", 2)
        if digest:
            h = base64.urlsafe_b64encode(hashlib.sha256((check / path).read_bytes()).digest()).rstrip(b"=")
            assert digest == "sha256=" + h.decode(), path
    before = wheel.read_bytes()
    assert nbw.repair_rpath(venv, wheel, rpath, None) == 0 and wheel.read_bytes() == before


def test_mkl_prepare_links_rt_and_drops_pkg_config(nbw, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libmkl_rt.so.2").write_bytes(b"")
    env = {"PKG_CONFIG_PATH": "/x"}
    nbw._prepare_mkl(tmp_path, env)
    assert (tmp_path / "lib" / "libmkl_rt.so").resolve().name == "libmkl_rt.so.2"
    assert "PKG_CONFIG_PATH" not in env and env["MKLROOT"] == str(tmp_path)


def test_build_output_is_filtered(nbw):
    assert nbw._worth_showing("  Run-time dependency mkl found: YES 2025.0.2\n")
    assert nbw._worth_showing("  [50/474] Compiling C object x.o\n")
    assert nbw._worth_showing("  [474/474] Linking target y.so\n")
    assert not nbw._worth_showing("  [51/474] Compiling C object x.o\n")
    assert not nbw._worth_showing("  warning: '__Y' is used uninitialized [-Wuninitialized]\n")


MKL_POOL = {"internal_api": "mkl", "version": "2025.2", "threading_layer": "intel",
            "filepath": "/env/lib/libmkl_rt.so.2"}
OB_POOL = {"internal_api": "openblas", "version": "0.3.31.188.0", "threading_layer": "pthreads",
           "filepath": "/env/lib/python3.11/site-packages/scipy_openblas32/lib/libscipy_openblas.so"}
PYPI_POOL = {"internal_api": "openblas", "version": "0.3.31.188.0", "threading_layer": "pthreads",
             "filepath": "/env/lib/python3.11/site-packages/numpy.libs/libscipy_openblas64_-32a4b2a6.so"}


@pytest.mark.parametrize("blas, report, why", [
    ("mkl", {"blas": "mkl", "pools": [MKL_POOL]}, None),
    ("mkl", {"blas": "mkl", "pools": None}, None),   # no threadpoolctl: the build configuration only
    ("mkl", {"blas": "scipy-openblas", "pools": [PYPI_POOL]}, "reports BLAS 'scipy-openblas', not mkl"),
    ("mkl", {"blas": "mkl", "pools": [PYPI_POOL]}, "no MKL among the loaded"),
    ("mkl", {"blas": "mkl", "pools": [dict(MKL_POOL, threading_layer="sequential")]}, "sequential layer"),
    ("openblas", {"blas": "scipy-openblas", "pools": [OB_POOL]}, None),
    ("openblas", {"blas": "scipy-openblas", "pools": [PYPI_POOL]}, "no OpenBLAS from scipy_openblas32"),
    ("openblas", {"blas": "mkl", "pools": [MKL_POOL]}, "not openblas"),
])
def test_the_installed_numpy_must_run_its_blas(nbw, blas, report, why):
    got = nbw.check_report(blas, report)
    assert (got is None) if why is None else (why in got), got


def test_verify_reads_a_fresh_interpreter(nbw, monkeypatch):
    # this interpreter's numpy is PyPI's (OpenBLAS in numpy.libs): right for neither build
    with pytest.raises(RuntimeError, match="not mkl"):
        nbw.verify("mkl")
    with pytest.raises(RuntimeError, match="scipy_openblas32"):
        nbw.verify("openblas")


def test_describe_names_the_loaded_library(nbw):
    line = nbw.describe({"numpy": "2.4.6", "blas": "mkl", "lapack": "mkl", "pools": [MKL_POOL]})
    assert line == "numpy 2.4.6: BLAS mkl, LAPACK mkl; loaded: mkl 2025.2 (intel) libmkl_rt.so.2"


# -- the opt-in configuration: asv.mkl.conf.json and `make bench-blas` ---------------------------

ROOT = SCRIPT.parents[1]


def _conf(name):
    from asv import util
    return util.load_json(str(ROOT / name), js_comments=True)


def test_blas_config_is_the_project_config_but_for_its_matrix():
    main, blas = _conf("asv.conf.json"), _conf("asv.mkl.conf.json")
    differ = {k for k in set(main) | set(blas) if main.get(k) != blas.get(k)}
    assert differ == {"matrix", "exclude", "install_command", "install_timeout"}
    # the same suite, results, environments folder and site: publish of either shows every file
    assert blas["install_command"][0] == main["install_command"][0]
    assert blas["install_command"][1] == "in-dir={env_dir} python {conf_dir}/tools/numpy-blas-wheel"
    assert blas["install_timeout"] >= main["install_timeout"]


def test_blas_matrix_names_what_the_script_accepts(nbw):
    blas = _conf("asv.mkl.conf.json")
    values = blas["matrix"]["env"]["TWOLAYER_NUMPY_BLAS"]
    assert set(values) == {"mkl", "openblas", "pypi"}
    for value in values:
        assert nbw.parse_args([value]).blas == value
    assert blas["matrix"]["req"]["numpy"] == ["2.4.6"] and blas["matrix"]["req"]["torch"] == ["2.13.0"]


def test_the_default_matrix_builds_no_numpy():
    main = _conf("asv.conf.json")
    assert "env" not in main["matrix"] and "TWOLAYER_NUMPY_BLAS" not in json.dumps(main)
    assert not any("numpy-blas-wheel" in c for c in main["install_command"] + main["build_command"])


def test_makefile_prebuilds_the_version_the_matrix_pins():
    import re
    text = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^BLAS_NUMPY := (\S+)$", text, re.M).group(1)
    assert [pinned] == _conf("asv.mkl.conf.json")["matrix"]["req"]["numpy"]
    recipe = text[text.index("\nbench-blas:"):].split("\n\n")[0]
    assert "--config asv.mkl.conf.json" in recipe and "tools/numpy-blas-wheel" in recipe
    bench = text[text.index("\nbench:"):].split("\n\n")[0]
    assert "mkl" not in bench and "numpy-blas-wheel" not in bench


def test_environments_are_distinct_from_the_default_ones():
    import sys as _sys
    _sys.path.insert(0, str(ROOT / "tools"))
    from twolayer_tools.results import load_config, matrix_envs
    blas = matrix_envs(load_config(str(ROOT / "asv.mkl.conf.json")))
    main = matrix_envs(load_config(str(ROOT / "asv.conf.json")))
    assert sorted(e.name.rsplit("-", 1)[1] for e in blas) == [
        "TWOLAYER_NUMPY_BLASmkl", "TWOLAYER_NUMPY_BLASopenblas", "TWOLAYER_NUMPY_BLASpypi"]
    # own folders under .asv/env (the env var is part of the folder's hash), never the default's
    assert not {e.dir_name for e in blas} & {e.dir_name for e in main}
    assert len({e.dir_name for e in blas}) == 3


def test_more_rounds_reach_the_time_benchmarks_only():
    """bench --rounds (make bench-blas): the time benchmarks get N rounds; the benchmarks measured
    once per environment (a setup_cache: counts, ratios) keep their own, or asv would give each
    round the one cached measurement (N copies as N samples); the caller's patterns still apply,
    parameters included."""
    import re
    sys.path.insert(0, str(ROOT / "tools"))
    from twolayer_tools.results import load_config
    from twolayer_tools.selection import split_for_rounds, suite_benchmarks
    conf = load_config(str(ROOT / "asv.mkl.conf.json"))
    suite = suite_benchmarks(conf)

    def picked(regex, names):
        return [] if regex is None else [n for n in names if re.search(regex, n)]

    timed, rest = split_for_rounds(conf, [r"^(ops\.PerOp\.|loop\.Loop\.time_train|ratios\.)"])
    assert sorted(picked(timed, suite)) == sorted(["loop.Loop.time_train"] + [n for n in suite if n.startswith("ops.PerOp.")])
    assert picked(rest, suite) == ["ratios.TorchOverNumpy.track_ratio"]
    every, others = split_for_rounds(conf, [])
    assert all(suite[n]["type"] == "time" and not suite[n].get("setup_cache_key") for n in picked(every, suite))
    assert {"counts.Instructions.track_instructions", "ratios.TorchOverNumpy.track_ratio"} <= set(picked(others, suite))
    assert set(picked(every, suite)) | set(picked(others, suite)) == set(suite)
    one, none = split_for_rounds(conf, [r"ops.PerOp.time_h\('numpy'"])
    assert none is None
    assert re.search(one, "ops.PerOp.time_h('numpy', 'naive', 'float64', 1)")
    assert not re.search(one, "ops.PerOp.time_h('torch', 'naive', 'float64', 1)")
    assert not re.search(one, "ops.PerOp.time_h_relu('numpy', 'naive', 'float64', 1)")
    text = (ROOT / "Makefile").read_text()
    recipe = text[text.index("\nbench-blas:"):].split("\n\n")[0]
    assert "--rounds $(BLAS_ROUNDS)" in recipe
