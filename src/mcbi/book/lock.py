"""One build at a time per checkout: an exclusive ``flock`` on ``_build/.lock``.

``build``, ``run`` and ``publish`` all read or write ``_build``; two of them at once could
mix two data sets in one book. Each takes :func:`build_lock` for its whole duration. The
lock is the kernel's (``fcntl.flock``), so it dies with the process that holds it, even
after a crash or ``kill -9``: a stale lock file never blocks anything. The file holds a
one-line description of the holder (pid, command, start time) so the refusal can name it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from mcbi.errors import UserError

LOCK_NAME = ".lock"


class BuildLocked(UserError):
    """Another ``mcbi`` process holds the build lock of this checkout."""


def _holder(path: Path) -> str:
    try:
        text = path.read_text("utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def build_lock(build_dir: Path, command: str, wait: float = 2.0) -> Iterator[Path]:
    """Hold the exclusive lock of ``build_dir`` for the duration of the ``with`` block.

    Parameters
    ----------
    build_dir : Path
        The project's ``_build`` folder (``Layout.build``; created if missing).
    command : str
        What this process does, recorded for the refusal message (e.g. ``"build"``).
    wait : float
        Seconds to keep trying before giving up (0: try once).

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    BuildLocked
        If another process still holds the lock after ``wait`` seconds; the message names
        it (pid, command, start time).
    """
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / LOCK_NAME
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the block
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLocked(
                        f"{build_dir} is in use by {_holder(path)}; wait for it to finish "
                        "and try again (two builds at once would mix their results)"
                    ) from None
                time.sleep(0.1)
        started = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.seek(0)
        handle.truncate()
        handle.write(f"`mcbi {command}` (pid {os.getpid()}, started {started})\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
