"""What the impure checks' results depend on, so a warm run can reuse them too.

Peer files and gate evidence look at other files. Their findings stay true while

1. no folder of the repository gained, lost or renamed an entry: every existence
   test, folder listing and path resolution they make gives the same answer.
   POSIX updates a folder's mtime on each of those, so one stamp over every
   folder's (path, mtime, inode) covers them (`tree_stamp`); and
2. the files they read have the same bytes: the one place the evidence check
   reads a file (`pv.checks.evidence.resolve.parsed`) calls `note_read`, and
   the file's (size, mtime, inode) is kept with the result.

Anything changed in the last two seconds (within a file system's timestamp
granularity) makes the result not reusable. `pv validate --run`/`--junit`
results (test outcomes) are never reused.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pv.core.cache import RACY_NS

MAX_DIRS = 20_000  # a root this large (a home folder?) is not stamped: impure checks always run
# Never evidence, often huge: version control, caches, installed packages.
SKIP = {".git", ".hg", ".svn", ".pv_cache", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
        "node_modules", ".venv", "venv"}

Read = tuple[str, int, int, int]  # (path, size, mtime_ns, inode)

_active: list[Read | None] | None = None


@contextmanager
def recording() -> Iterator[list[Read | None]]:
    """Collect the files read while the block runs (None in the list: a read not to trust)."""
    global _active
    outer, _active = _active, []
    try:
        yield _active
    finally:
        _active = outer


def note_read(path: str | os.PathLike[str], st: os.stat_result) -> None:
    """Tell the recorder (if any) that a check read `path`, whose stat is `st`."""
    if _active is None:
        return
    if st.st_mtime_ns > time.time_ns() - RACY_NS:
        _active.append(None)
    else:
        _active.append((os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ino))


def tree_stamp(root: Path) -> str | None:
    """A digest of every folder under `root` (path, mtime, inode); None when not to be trusted."""
    digest = hashlib.sha256()
    now = time.time_ns()
    count = 0
    for directory, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP)
        try:
            st = os.stat(directory)
        except OSError:
            return None
        if st.st_mtime_ns > now - RACY_NS:
            return None
        count += 1
        if count > MAX_DIRS:
            return None
        digest.update(f"{directory}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def unchanged(reads: list, memo: dict[str, tuple | None]) -> bool:
    """Do the recorded files still have the stat they had? (`memo`: stats taken this run)."""
    for path, size, mtime_ns, ino in reads:
        if path not in memo:
            try:
                st = os.stat(path)
                memo[path] = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                memo[path] = None
        if memo[path] != (size, mtime_ns, ino):
            return False
    return True
