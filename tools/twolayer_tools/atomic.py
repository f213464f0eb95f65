"""Atomic writes: a file written beside its target then renamed over it, a folder built beside its
target then swapped in (git's lock files, rsync's --delay-updates). An error or Ctrl-C before the
swap leaves the target byte for byte as it was; a failure to write is BadInput (one line, exit 2).
"""
import contextlib
import ctypes
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from .errors import BadInput, first_line

_RENAME_EXCHANGE = 2      # renameat2(2): swap two paths in one step (Linux 3.15, glibc 2.28)
_AT_FDCWD = -100


def checkpoint(name):
    """For the interrupt tests: with TWOLAYER_TEST_PAUSE=NAME:FILE set, create FILE at the point
    `name` and wait there (a test sends Ctrl-C once FILE exists); nothing otherwise."""
    point, _, marker = os.environ.get("TWOLAYER_TEST_PAUSE", "").partition(":")
    if point == name and marker:
        Path(marker).touch()
        import time
        time.sleep(600)


def oserror(exc, what):
    """A BadInput for an OSError while doing `what`: one line naming the path and the reason."""
    where = getattr(exc, "filename", None)
    reason = exc.strerror or first_line(exc)
    return BadInput(f"cannot {what}" + (f" {str(where)[:200]!r}" if where else "") + f": {reason}")


@contextlib.contextmanager
def no_interrupt():
    """Hold SIGINT and SIGTERM back for the block (a swap of two names), deliver them after it.

    Python-level handlers that only note the signal, not a signal mask: a mask holds the signal
    back from this thread only, and the kernel hands a process's signal to any thread that does
    not block it (torch's and OpenBLAS's workers), after which Python raises it in the main thread
    in the middle of the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(received):
            signal.raise_signal(sig)


def check_writable(path):
    """BadInput unless `path` (a file or folder, existing or not) could be replaced by a rename."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise BadInput(f"cannot write {str(path)[:200]!r}: its folder {str(parent)[:200]!r} does not exist")
    for p in (parent, path) if path.is_dir() else (parent,):
        if not os.access(p, os.W_OK | os.X_OK):
            raise BadInput(f"cannot write {str(p)!r}: permission denied")


def write_bytes(path, data):
    """Write `data` to `path` through a temporary file in its folder and one rename."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"cannot write {str(path)!r}: it is a folder")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise oserror(exc, "write") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def write_text(path, text, encoding="utf-8"):
    """`write_bytes` for text."""
    return write_bytes(path, text.encode(encoding))


def write_folder(folder, files):
    """Create `folder` and write `files` ((name, text) pairs) into it in order, each atomically (a
    page's assets before the page that loads them); returns the last file's path."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise oserror(exc, "create the folder") from None
    path = None
    for name, text in files:
        path = write_text(folder / name, text)
    return path


def _exchange(a, b):
    """Swap the paths `a` and `b` in one step; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    return False


def swap_in(staged, target):
    """Put the folder `staged` in place of `target` (which may not exist) and remove the old one;
    the two names change in one step where Linux allows, else in two with Ctrl-C held back."""
    staged, target = Path(staged), Path(target)
    with no_interrupt():
        if target.exists() and _exchange(staged, target):
            old = staged
        else:
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                os.rename(target, old)
            os.rename(staged, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(target, copy=False):
    """Yield an empty folder beside `target` (a copy of it with `copy`; missing parents are
    created); when the block ends without error it replaces `target`, else it is removed."""
    target = Path(target).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise oserror(exc, "create the folder") from None
    check_writable(target)
    remove_stale_stages(target)
    if target.exists() and not target.is_dir():
        raise BadInput(f"cannot write {str(target)!r}: it is not a folder")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.stage-{os.getpid()}-", dir=target.parent))
    except OSError as exc:
        raise oserror(exc, "write beside") from None
    done = False
    try:
        if copy and target.is_dir():
            shutil.copytree(target, stage, symlinks=True, dirs_exist_ok=True)
        os.chmod(stage, (target.stat().st_mode if target.exists() else 0o777 & ~_umask()) & 0o7777)
        yield stage
        checkpoint("before-swap")
        try:
            swap_in(stage, target)
        except OSError as exc:
            raise oserror(exc, "replace") from None
        done = True
    except OSError as exc:
        raise oserror(exc, "write") from None
    finally:
        if not done:
            with no_interrupt():        # a second Ctrl-C waits until the stage is gone
                shutil.rmtree(stage, ignore_errors=True)


def remove_stale_stages(target):
    """Remove the stages of `target` that a killed process left beside it (its pid is gone)."""
    for stage in Path(target).parent.glob(f".{Path(target).name}.stage-*"):
        pid = stage.name.rsplit(".stage-", 1)[1].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stage, ignore_errors=True)
        except OSError:     # alive, someone else's
            pass


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
