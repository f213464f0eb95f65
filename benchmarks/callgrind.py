"""Instruction counts under valgrind's callgrind: one valgrind process counts every point of an
environment (each op and the whole step, per backend, variant and dtype, 1 thread) and splits
each point's instructions by the library that executed them.

Why one process: under valgrind, importing numpy and torch costs most of the time (~20 s with
instrumentation off, ~70 s with it on); the calls themselves are cheap. So the process imports
uninstrumented (``--instr-atstart=no``), builds and warms every net, then switches instrumentation
on and, for each point, collects ``k`` calls between two ``CALLGRIND_TOGGLE_COLLECT`` requests and
dumps them (``CALLGRIND_DUMP_STATS_AT`` with the point's label). The client requests come from
valgrind's own header (``valgrind/callgrind.h``), compiled into a 20-line shared object with the
system's C compiler and called through ctypes, so counting needs no torch.

What counts repeat on: ``PYTHONHASHSEED=0``, address-space randomisation off (``setarch -R``),
one thread, ``k`` warm calls per point, and a process that inherits nothing of its caller (a fixed
environment and working folder), imports the suite from a copy with nothing else beside it (the
import system lists every folder on its path: one more file at the top of the checkout moved 31
of 96 counts, up to 0.16 %) and compiles nothing (the copy's bytecode is written before it
starts, and it writes none). What they cannot see (docs/methods.md, "Instruction
counts"): valgrind emulates no AVX-512, so the BLAS runs other kernels under it than on the host;
memory stalls, threads and the clock are not counted. Counts sit beside the wall clock.

The probe half of this module runs inside valgrind as ``python -m benchmarks.callgrind SPEC``.
"""
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

STEP = "step"
"""The point that counts one whole training step (the seed's 11 lines in order)."""

PARTS = ("python", "numpy", "torch", "blas", "openmp", "allocator", "libc", "other")
"""Where a point's instructions go, by the shared object (and, inside it, the function) that ran
them: the interpreter; NumPy's own extension modules; torch's libraries (dispatcher, kernels,
bindings); the BLAS (OpenBLAS, MKL, also MKL linked statically into libtorch_cpu, by function
name); OpenMP runtimes; the C library's allocator (malloc and kin); the rest of the C and C++
runtime (libc, libm, libstdc++, the loader); anything else."""

_REQUESTS_C = r"""
#include <valgrind/callgrind.h>
void tl_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void tl_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void tl_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
int tl_running(void) { return RUNNING_ON_VALGRIND; }
"""

_BLAS_FUNCTION = re.compile(r"(mkl_|MKL_|cblas_|dnnl_|zendnn|[sdcz]gemm)")
_ALLOCATOR_FUNCTION = re.compile(
    r"(_int_malloc|_int_free|_int_realloc|_int_memalign|malloc|free|calloc|realloc|memalign|"
    r"posix_memalign|aligned_alloc|sysmalloc|tcache|unlink_chunk|systrim|mremap_chunk|munmap_chunk)\b")
_SYSTEM_OBJECT = re.compile(r"^(libc|libm|ld-linux|ld64|libstdc\+\+|libgcc_s|libpthread|libdl|librt)[.-]")

BASELINE = "baseline"
_LABEL = "desc: Trigger: Client Request: "


def unavailable():
    """Why counting cannot run on this machine (a one-line reason), or None when it can."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return f"valgrind counting needs Linux on x86_64 or aarch64, not {platform.system()} {platform.machine()}"
    for tool in ("valgrind", "cc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install valgrind gcc)"
    interpreter = os.path.realpath(sys.executable)
    with open(interpreter, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return f"the interpreter {interpreter} is not an ELF binary (a shim): valgrind would trace the shim"
    return None


def build_requests(workdir):
    """Compile the client requests into ``workdir``; returns the shared object's path."""
    source = os.path.join(workdir, "requests.c")
    library = os.path.join(workdir, "requests.so")
    with open(source, "w") as f:
        f.write(_REQUESTS_C)
    proc = subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", library, source],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("compiling valgrind's client requests failed (is valgrind's callgrind.h "
                           f"installed?): {proc.stderr.strip().splitlines()[-1:]}")
    return library


KEPT_ENV = ("HOME", "LD_LIBRARY_PATH", "VALGRIND_LIB")
"""The only variables the counting process inherits: the environment's size and content shape the
heap Python builds at start-up (os.environ is copied into a dict), and with it which malloc paths
an op's allocations take (a caller's extra variables once moved a small op's count by 2 %)."""


def counting_env(root):
    """The counting process's whole environment: the same whoever starts it (asv, make, a test)."""
    env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
    env.update(PYTHONDONTWRITEBYTECODE="1", PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
               LC_ALL="C", PYTHONHASHSEED="0", PYTHONPATH=root, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


@contextlib.contextmanager
def fixed_workdir():
    """One working folder per user and environment, at a fixed path (its name is the counted
    process's cwd, sys.path[0] and argv, so a random temporary name would move the counts a
    little), emptied before use and locked against a concurrent count."""
    import fcntl
    import hashlib
    tag = hashlib.sha256(sys.executable.encode()).hexdigest()[:12]
    workdir = os.path.join(tempfile.gettempdir(), f"twolayer-callgrind-{os.getuid()}-{tag}")
    os.makedirs(workdir, exist_ok=True)
    with open(workdir + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for name in os.listdir(workdir):
                path = os.path.join(workdir, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            yield workdir
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


SUITE_FILES = "*.py"


def suite_copy(workdir):
    """Copy the suite's modules to ``workdir/suite/benchmarks`` and compile them there; returns the
    folder to put on the counted process's path. The process lists each folder on its path as it
    imports (the import system caches the names), so importing the suite from the checkout made
    the counts depend on whatever else sits there (``artifacts/``, a results folder, an editor's
    file): a copy holds the suite's sources and bytecode alone. The counted process reads the
    bytecode and never writes it (a process that compiles a module it imports builds a different
    heap and counted up to ~2 % more in a small op)."""
    import glob
    here = os.path.dirname(os.path.abspath(__file__))
    suite = os.path.join(workdir, "suite")
    target = os.path.join(suite, "benchmarks")
    os.makedirs(target)
    for path in sorted(glob.glob(os.path.join(here, SUITE_FILES))):
        shutil.copy2(path, target)
    compileall.compile_dir(target, quiet=2)
    return suite


def count(points, timeout=900):
    """Count `points` ((backend, variant, dtype, op) tuples; op is an op name or ``STEP``) in one
    valgrind process. Returns {point: {"instructions": per call, "parts": {part: per call}, "calls": k}};
    a point the process could not run (its backend missing) is absent. Raises RuntimeError with
    valgrind's last lines when the process fails."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    with fixed_workdir() as workdir:
        root = suite_copy(workdir)
        spec = os.path.join(workdir, "spec.json")
        with open(spec, "w") as f:
            json.dump({"requests": build_requests(workdir), "points": [list(p) for p in points],
                       "calls": os.path.join(workdir, "calls.json")}, f)
        out = os.path.join(workdir, "callgrind.out")
        cmd = [shutil.which("valgrind"), "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
               "--compress-strings=no", "--compress-pos=no", f"--callgrind-out-file={out}",
               sys.executable, "-m", "benchmarks.callgrind", spec]
        if shutil.which("setarch"):
            cmd = [shutil.which("setarch"), platform.machine(), "-R"] + cmd
        env = counting_env(root)
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
            raise RuntimeError(f"valgrind exited {proc.returncode}:\n{tail}")
        with open(os.path.join(workdir, "calls.json")) as f:
            calls = {tuple(k.split("|")): v for k, v in json.load(f).items()}
        dumps = {}
        for name in os.listdir(workdir):
            if name.startswith("callgrind.out."):
                label, total, parts = parse_dump(os.path.join(workdir, name))
                dumps[label] = (total, parts)
    base_total, base_parts = dumps[BASELINE]
    counted = {}
    for point, k in calls.items():
        total, parts = dumps["|".join(point)]
        counted[point] = {
            "instructions": (total - base_total) / k,
            "parts": {p: max(parts.get(p, 0) - base_parts.get(p, 0), 0) / k for p in PARTS},
            "calls": k,
        }
    return counted


def part_of(obj, function):
    """The ``PARTS`` entry of a function `function` of the shared object at path `obj`."""
    base = os.path.basename(obj)
    if _BLAS_FUNCTION.match(function) or "openblas" in base or base.startswith("libmkl"):
        return "blas"
    if base.startswith(("libgomp", "libiomp", "libomp")):
        return "openmp"
    if "/numpy/" in obj or "/numpy.libs/" in obj:
        return "numpy"
    if "/torch/" in obj or "/torch.libs/" in obj:
        return "torch"
    if base.startswith(("python", "libpython")):
        return "python"
    if _SYSTEM_OBJECT.match(base):
        return "allocator" if _ALLOCATOR_FUNCTION.match(function) else "libc"
    return "other"


def parse_dump(path):
    """(label, total instructions, {part: instructions}) of one callgrind dump written with
    ``--compress-strings=no --compress-pos=no``: each function's self cost, attributed to the
    shared object named by the ``ob=`` line in force where the function is defined (the cost
    line after a ``calls=`` line is the callee's inclusive cost and is skipped)."""
    label, total = None, None
    parts = dict.fromkeys(PARTS, 0)
    obj, part, skip = "", "other", False
    cache = {}
    with open(path) as f:
        for line in f:
            first = line[:1]
            if first.isdigit() or first in "+-*":
                if skip:
                    skip = False
                    continue
                fields = line.split()
                if len(fields) > 1:
                    parts[part] += int(fields[1])
            elif line.startswith("fn="):
                function = line[3:].strip()
                key = (obj, function)
                if key not in cache:
                    cache[key] = part_of(obj, function)
                part = cache[key]
            elif line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("calls="):
                skip = True
            elif line.startswith("totals:"):
                total = int(line.split()[1])
            elif line.startswith(_LABEL):
                label = line[len(_LABEL):].strip()
    if total is None:
        total = sum(parts.values())
    return label, total, parts


# -- the probe: runs inside valgrind ---------------------------------------------------------------

def calls_for(op):
    """How many calls of `op` (an op name or ``STEP``) to count: about 2e7 FLOPs (matmuls, the step)
    or bytes moved (elementwise ops, float64) in all, 2 to 20 calls; fixed by the problem, so two
    runs count the same calls."""
    from twolayer import problem
    if op == STEP:
        work = problem.STEP_FLOPS
    elif problem.OPS_BY_NAME[op].kind == "matmul":
        work = problem.flops(op)
    else:
        work = problem.bytes_moved(op, "float64")
    return max(2, min(20, int(2e7 / work)))


def _probe(spec_path):
    import ctypes

    with open(spec_path) as f:
        spec = json.load(f)
    requests = ctypes.CDLL(spec["requests"])
    requests.tl_dump.argtypes = [ctypes.c_char_p]
    from .common import make_net, set_threads, torch  # imports numpy and (if installed) torch
    set_threads(1)
    nets, plan = {}, []
    for backend, variant, dtype, op in spec["points"]:
        if backend == "torch" and torch is None:
            continue
        key = (backend, variant, dtype)
        if key not in nets:
            nets[key] = make_net(backend, dtype, variant=variant)
            for _ in range(3):
                nets[key].step()
        plan.append(("|".join((backend, variant, dtype, op)), getattr(nets[key], op), calls_for(op)))
    requests.tl_start()
    requests.tl_toggle()
    requests.tl_toggle()
    requests.tl_dump(BASELINE.encode())
    for label, call, k in plan:
        call()   # the guest's state is warm already (3 steps); this call also meets the new code
        requests.tl_toggle()
        for _ in range(k):
            call()
        requests.tl_toggle()
        requests.tl_dump(label.encode())
    with open(spec["calls"], "w") as f:
        json.dump({label: k for label, _, k in plan}, f)


if __name__ == "__main__":
    _probe(sys.argv[1])
