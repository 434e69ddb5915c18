"""Kill a command at chosen points of its writes and check what it leaves behind.

Run as a script, this file runs a command (``cli ARGS...``: the eventgold program; ``script
FILE``: a Python file) with an audit hook that counts the file-system writes made under a
watched folder (opening a file to write, creating, renaming or deleting an entry) and, at
write number N, kills its own process with SIGKILL just before that write: a deterministic
crash at any step of the command's output, whatever the speed of the machine.

`crash_matrix` runs the command once to the end (recording its writes), then once killed
before each of a spread of those writes, and checks after each kill that every output is
absent, as it was, or as a normal run leaves it (never half-written), that nothing else in the
folder changed, and that a re-run gives exactly the normal run's folder: no scratch entry is
left to pile up, nor in the system's temporary folder (``TMPDIR``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve()
EVENTGOLD = Path(sys.executable).with_name("eventgold")
# Writes, by audit event name: how to read the path(s) out of the event's arguments.
# A path relative to a folder descriptor (`shutil.rmtree` deletes so) is not counted: its
# `shutil.rmtree` event was.
_WRITE_EVENTS = {
    "open": lambda a: [a[0]] if _opens_to_write(a) else [],
    "os.rename": lambda a: [a[0], a[1]] if _no_fd(a[2]) and _no_fd(a[3]) else [],
    "os.remove": lambda a: [a[0]] if _no_fd(a[1]) else [],
    "os.rmdir": lambda a: [a[0]] if _no_fd(a[1]) else [],
    "os.mkdir": lambda a: [a[0]] if _no_fd(a[2]) else [],
    "shutil.rmtree": lambda a: [a[0]],
    "tempfile.mkstemp": lambda a: [a[0]],
    "tempfile.mkdtemp": lambda a: [a[0]],
    # `atomic._exchange` looks renameat2 up just before it calls it (a call through ctypes
    # raises no event): counted as a write in the watched folder.
    "ctypes.dlsym": lambda a: [_EXCHANGE] if a[1] == "renameat2" else [],
}
_EXCHANGE = "<renameat2 exchange>"
_SWAPS = frozenset({"os.rename", "ctypes.dlsym"})


def _no_fd(dir_fd: int | None) -> bool:
    return dir_fd in (None, -1, -100)  # none given, or the current folder's (AT_FDCWD)


def _opens_to_write(args: tuple) -> bool:
    _, mode, flags = args
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


def _install_hook(kill_at: int, watched: Path, log: Path) -> None:
    count = 0
    log_fh = log.open("w", encoding="utf-8", buffering=1)  # opened before the hook is on
    sig = signal.Signals[os.environ.get("CRASH_SIGNAL", "SIGKILL")]
    ready_on = os.environ.get("CRASH_READY_ON")

    def hook(event: str, args: tuple) -> None:
        nonlocal count, ready_on
        if ready_on and event == "open" and ready_on in os.fsdecode(str(args[0])):
            ready_on = None
            log_fh.write("ready\n")
        paths = _WRITE_EVENTS.get(event)
        if paths is None:
            return
        for path in paths(args):
            if isinstance(path, int) or path is None:
                continue
            inside = os.path.abspath(os.fsdecode(path)).startswith(str(watched) + os.sep)
            if path != _EXCHANGE and not inside:
                continue
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), sig)
            log_fh.write(f"{event} {os.fsdecode(path)}\n")
            return

    sys.addaudithook(hook)


def _main(argv: list[str]) -> None:
    kill_at, watched, log, kind, *rest = argv
    # A shell starts a background job with SIGINT ignored, and Python keeps it so: the tests
    # send SIGINT on purpose, so it is Ctrl-C here whoever started the test run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _install_hook(int(kill_at), Path(watched).resolve(), Path(log))
    if kind == "cli":
        from eventgold.cli import main

        sys.argv = ["eventgold", *rest]
        main()
    else:
        import runpy

        sys.argv = [rest[0], *rest[1:]]
        runpy.run_path(rest[0], run_name="__main__")


# --- the test side -------------------------------------------------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Every entry under `root`: relative path -> content hash ("dir" for a folder)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _under(snapshot: Mapping[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in snapshot.items() if k == name or k.startswith(name + "/")}


def _is_scratch(rel: str) -> bool:
    """A scratch entry of eventgold's atomic writes (`atomic.scratch_prefix`): hidden, and
    named with a process id; the next write of its target removes it."""
    return any(
        name.startswith(".") and any(part.isdigit() for part in name.split("."))
        for name in rel.split("/")
    )


def run(
    args: Sequence[str],
    cwd: Path,
    *,
    kill_at: int = 0,
    kind: str = "cli",
    env: Mapping[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the command under the hook (killed before write `kill_at`; 0: never); return the
    process and the writes it made."""
    log = cwd.parent / f"{cwd.name}.writes"
    scratch = cwd.parent / f"{cwd.name}.tmp"  # the system's temporary folder, for the command
    scratch.mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, str(HERE), str(kill_at), str(cwd), str(log), kind, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0", "TMPDIR": str(scratch), **(env or {})},
        timeout=120,
    )
    return proc, log.read_text(encoding="utf-8").splitlines()


def kill_points(writes: Sequence[str], most: int) -> list[int]:
    """Up to `most` write numbers (1-based) to kill before: the last swaps (renames, and the
    folder exchange) and the writes after them, latest first, then writes at 10%, 30%, 60%
    and 90% of the run."""
    swaps = [i for i, w in enumerate(writes, start=1) if w.split()[0] in _SWAPS]
    picked: list[int] = []
    for i in reversed(swaps):
        picked += [p for p in (i, i + 1) if p <= len(writes) and p not in picked]
    picked = picked[: max(most - 1, 1)]
    for f in (0.1, 0.3, 0.6, 0.9):
        p = round(len(writes) * f)
        if len(picked) < most and p >= 1 and p not in picked:
            picked.append(p)
    return sorted(picked)


def crash_matrix(
    args: Sequence[str],
    work: Path,
    outputs: Sequence[str],
    *,
    kind: str = "cli",
    most: int = 4,
    env: Mapping[str, str] | None = None,
) -> list[int]:
    """Check the crash promise of the command `args` run in the folder `work` (which holds its
    inputs and any previous outputs); `outputs` are the top-level names it writes. Returns the
    kill points tried."""
    pristine = work.parent / f"{work.name}.pristine"
    shutil.copytree(work, pristine, symlinks=True)
    before = tree(work)
    done, writes = run(args, work, kind=kind, env=env)
    assert done.returncode == 0, done.stderr
    after = tree(work)
    for name in outputs:
        assert _under(after, name), f"a normal run wrote no {name}"
    assert not [k for k in after if _is_scratch(k)], f"a normal run left scratch: {after}"
    tmp = work.parent / f"{work.name}.tmp"
    assert not list(tmp.iterdir()), f"a normal run left in TMPDIR: {sorted(tmp.iterdir())}"
    points = kill_points(writes, most)
    assert points, f"no write seen: {writes}"
    for point in points:
        shutil.rmtree(work)
        shutil.copytree(pristine, work, symlinks=True)
        killed, _ = run(args, work, kill_at=point, kind=kind, env=env)
        assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr)
        left = tree(work)
        where = f"killed before write {point} ({writes[point - 1]})"
        for name in outputs:
            state = _under(left, name)
            assert state in (_under(before, name), _under(after, name)), (
                f"{where}: {name} is neither the previous nor the new output: {sorted(state)}"
            )
        others = {
            k: v
            for k, v in left.items()
            if not _is_scratch(k) and not any(k == n or k.startswith(n + "/") for n in outputs)
        }
        kept = {
            k: v
            for k, v in before.items()
            if not any(k == n or k.startswith(n + "/") for n in outputs)
        }
        assert others == kept, f"{where}: other files changed"
        rerun, _ = run(args, work, kind=kind, env=env)
        assert rerun.returncode == 0, f"{where}: the re-run failed: {rerun.stderr}"
        assert tree(work) == after, (
            f"{where}: the re-run left {sorted(set(tree(work)) ^ set(after))}"
        )
        assert not list(tmp.iterdir()), f"{where}: left in TMPDIR: {sorted(tmp.iterdir())}"
    return points


if __name__ == "__main__":
    _main(sys.argv[1:])
