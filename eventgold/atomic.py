"""Atomic writes: a reader never sees a half-written file or folder.

Files are written to a temporary sibling and renamed; folders are built beside the target and
swapped in with one atomic exchange (Linux), so a crash leaves either the old or the new content.
Where the exchange is missing, two renames do it, and a crash between them leaves the old folder
aside; the next write of that folder puts it back first (`restore_swapped_out`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from eventgold.problems import Problem


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _gone(pid: str) -> bool:
    """Whether `pid` is a process id as `scratch_prefix` writes it (ASCII digits, no leading
    zero, within a pid's range) of a process that is gone. Anything else only looks like a
    scratch entry (a lock file whose hex name happens to be all digits, say) and is left."""
    if not (pid.isascii() and pid.isdigit()) or pid != str(int(pid)) or int(pid) >= 2**31:
        return False
    return not _alive(int(pid))


def scratch_prefix(stem: str) -> str:
    """``<stem><pid>.``: the prefix of this process's scratch entries (temporary files and
    folders beside a target), which `remove_stale_scratch` can tell from a live run's."""
    return f"{stem}{os.getpid()}."


def remove_stale_scratch(parent: Path, stem: str) -> None:
    """Delete `parent`'s scratch entries ``<stem><pid>.*`` whose process is gone: a run killed
    with SIGKILL (or a lost machine) cannot clean up after itself, so the next one does."""
    for entry in parent.glob(f"{glob.escape(stem)}*"):
        pid, dot, _ = entry.name[len(stem) :].partition(".")
        if not dot or not _gone(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def restore_swapped_out(path: Path) -> None:
    """Put back the folder that an `atomic_dir` killed between its two renames moved aside
    (``.<name>.old.<pid>.*`` of a process that is gone) when nothing is at `path`: that folder
    is the previous content, whole (it is deleted only once the new one is in place)."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        return
    stem = f".{path.name}.old."
    for entry in sorted(path.parent.glob(f"{glob.escape(stem)}*")):
        pid, dot, _ = entry.name[len(stem) :].partition(".")
        if dot and _gone(pid) and entry.is_dir():
            os.rename(entry, path)
            return


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # renameat2 flag: swap two existing paths in one step
# Errors that mean "no exchange here" (an old kernel, libc, or a file system without it).
_NO_EXCHANGE = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})


def _exchange(a: Path, b: Path) -> bool:
    """Swap the entries at `a` and `b` atomically (Linux ``renameat2``); False where that is
    not available (nothing was changed then)."""
    # Looked up at each call, not cached: a call through ctypes raises no audit event, so the
    # lookup's (``ctypes.dlsym``) is how tests/crash.py sees each exchange. It costs microseconds.
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not glibc 2.28+ / not Linux
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish_mode(path: Path, base: int) -> None:
    # mkstemp/mkdtemp create owner-only entries; published results get the usual mode.
    os.chmod(path, base & ~_umask())


@contextlib.contextmanager
def atomic_file(
    path: Path, *, mode: str = "w", encoding: str | None = "utf-8", private: bool = False
) -> Iterator[IO]:
    """Open a temporary file next to `path`; on success fsync and rename it over `path`.

    The result gets the usual 0666-minus-umask mode, or 0600 when `private` (secrets).
    """
    path = Path(path)
    if path.is_dir():  # else the rename fails with the temporary file's name in the error
        raise IsADirectoryError(errno.EISDIR, "a folder where a file is expected", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    # "tmp." in the stem: a user's own hidden ``.<name>.<number>...`` is never taken for scratch.
    stem = f".{path.name}.tmp."
    remove_stale_scratch(path.parent, stem)
    fd, tmp = tempfile.mkstemp(prefix=scratch_prefix(stem), suffix=".tmp", dir=path.parent)
    text = "b" not in mode
    try:
        with os.fdopen(
            fd, mode, encoding=encoding if text else None, newline="\n" if text else None
        ) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            _publish_mode(Path(tmp), 0o666)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_file(path) as fh:
        fh.write(text)


def scratch_dir(parent: Path, stem: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder ``<stem><pid>.*`` in `parent` (made if missing), removed on exit,
    once the stale ones of dead runs are deleted. A `parent` that cannot be written is a
    `PermissionError` naming `parent`, not the temporary folder's name the user never gave."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(parent, stem)
    try:
        return tempfile.TemporaryDirectory(prefix=scratch_prefix(stem), dir=parent)
    except PermissionError as exc:
        raise PermissionError(exc.errno, exc.strerror, str(parent)) from None


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces `path` as a whole.

    The new folder and the old one swap places in one step (`_exchange`; else the old one is
    moved aside and the new one moved in), then the old one is deleted. If the body raises,
    the staging folder is removed and `path` is untouched. A run killed midway leaves only
    scratch entries that the next write of `path` removes (or puts back: `restore_swapped_out`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    restore_swapped_out(path)
    for kind in ("staging", "old"):
        remove_stale_scratch(path.parent, f".{path.name}.{kind}.")
    staging = Path(
        tempfile.mkdtemp(prefix=scratch_prefix(f".{path.name}.staging."), dir=path.parent)
    )
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish_mode(staging, 0o777)
    old = None
    try:
        if path.is_dir() and not path.is_symlink() and _exchange(staging, path):
            shutil.rmtree(staging, ignore_errors=True)  # the old content, under the scratch name
            return
        if path.exists():
            old = Path(
                tempfile.mkdtemp(prefix=scratch_prefix(f".{path.name}.old."), dir=path.parent)
            )
            os.rmdir(old)
            os.replace(path, old)
        os.replace(staging, path)
    except BaseException:
        # The swap failed (a folder that may not be moved, a disk error): the previous folder
        # goes back where it was, and the staging folder is not left beside it.
        if old is not None and old.exists() and not path.exists():
            os.replace(old, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def replaced_folder_problems(
    path: Path, *, what: str, owned: Callable[[str], bool], holds: str, code: str
) -> list[Problem]:
    """Why `path` cannot be replaced whole by an `atomic_dir` writing `what`: empty if it is
    new, empty, or holds only entries that `owned` accepts (an earlier result). Anything else
    would be deleted with it: a file, the current folder or one above it, other files."""
    where = f"{what} {path}"
    resolved, here = path.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        return [
            Problem(
                where,
                f"is the current folder or holds it, and a {what} is replaced whole; name a "
                "folder inside it",
                code,
            )
        ]
    if not path.exists():
        return []
    if not path.is_dir():
        return [Problem(where, f"is a file, not a folder; name a new folder or a {what}", code)]
    foreign = sorted(p.name for p in path.iterdir() if not owned(p.name))
    if not foreign:
        return []
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    return [
        Problem(
            where,
            f"holds what a {what} does not ({shown}), and a {what} is replaced whole; name a "
            f"new folder, or move those out (a {what} holds: {holds})",
            code,
        )
    ]
