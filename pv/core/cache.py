"""Cache of the pure checks' findings: one index file, read once, written once per run.

Pure checks (schema, consistency, formulas) depend only on a file's bytes (and
the settings in `Config.check_fingerprint`), so their findings can be reused
while the bytes are the same. The index maps each file's display name to

    {"stat": [size, mtime_ns, inode] or null, "digest": sha256 of the text,
     "findings": [...], "needs": [...], "suppressions": [...]}

A file whose stat matches is a hit without being read (as git's index does);
one whose stat changed is read and hashed, and is still a hit when its digest
matches (a checkout that touched it). A stat is only recorded when the file is
older than two seconds, so an edit within the file system's timestamp
granularity is never mistaken for "unchanged". Checks that read other files
(peer files, test evidence) always run.

The index file's name is a digest of a machine key kept outside every
repository, pv's version, the schemas, the checks run and the settings: an
index committed to the checkout (`git add -f .pv_cache`) can never be the one
pv reads, and changing a setting never reuses a result computed under another.
The newest few indexes are kept (switching `--skip` back and forth stays warm).
The cache lives in `.pv_cache/` at the repository root by default; deleting it
is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from pv import __version__
from pv.core.atomic import write_text_atomic
from pv.core.findings import Finding

CACHE_FORMAT = 3
KEEP_INDEXES = 4
RACY_NS = 2_000_000_000  # files changed more recently than this are re-hashed next time
HEADER = f"pv result index, format {CACHE_FORMAT}"
MAX_INDEX_BYTES = 1 << 30  # an index this large is not read (a damaged or hostile file): recompute

Stat = tuple[int, int, int]


@lru_cache(maxsize=1)
def _schema_digest() -> str:
    from pv.checks.schema.files import schema_dir

    digest = hashlib.sha256()
    for path in sorted(schema_dir().glob("*.json")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def machine_key() -> str:
    """A random key kept outside every repository (`~/.cache/pv/cache-key`), part of each index name.

    `.pv_cache/` sits in the checkout, and a pull request can commit files there
    (`git add -f`); without a key it cannot know, it could plant an empty result
    for a broken contract where pv would look. If the key file cannot be kept,
    this process uses a key of its own (nothing is reused, nothing is trusted).
    """
    path: Path | None = None
    try:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pv" / "cache-key"
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except (OSError, RuntimeError, UnicodeDecodeError):  # no key yet; RuntimeError: no home directory
        pass
    key = secrets.token_hex(32)
    if path is not None:
        try:
            write_text_atomic(path, key + "\n")
            os.chmod(path, 0o600)
        except OSError:
            pass
    return key


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stat_key(st: os.stat_result) -> Stat | None:
    """What identifies unchanged bytes; None for a file too recently changed to trust its mtime."""
    if st.st_mtime_ns > time.time_ns() - RACY_NS:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _is_real_dir(path: Path) -> bool | None:
    """True for a directory that is not a symbolic link, False for anything else, None when absent."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError:
        return False


def _inside(path: Path, root: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _default_dir_is_safe(directory: Path, root: Path) -> bool:
    """The default cache (ROOT/.pv_cache) is used only when it is, really, inside the root.

    A pull request can commit `.pv_cache` as a symbolic link to anywhere; pv must
    then neither read planted entries from there nor write into it.
    """
    if not _inside(directory, root):
        return False
    probe = Path(os.path.abspath(directory))
    top = Path(os.path.abspath(root))
    while probe != top and top in probe.parents:
        if _is_real_dir(probe) is False:
            return False
        probe = probe.parent
    return True


def real_dirs(base: Path, path: Path, *, create: bool) -> bool:
    """Every directory from `base` down to `path`'s parent is a real directory, no symbolic link
    (each made when `create`): nothing under a cache directory may lead elsewhere."""
    directories = [base] + [base.joinpath(*path.relative_to(base).parts[:i])
                            for i in range(1, len(path.relative_to(base).parts))]
    for directory in directories:
        state = _is_real_dir(directory)
        if state is None and create:
            try:
                directory.mkdir(parents=directory == base)
            except FileExistsError:
                pass
            except OSError:
                return False
            state = _is_real_dir(directory)
        if not state:
            return False
    return True


def _valid_finding(item: object) -> Finding:
    """A Finding from a cache entry, or TypeError/ValueError when any field has the wrong shape."""
    if not isinstance(item, dict):
        raise TypeError("not an object")
    finding = Finding.from_dict(item)
    ints = (finding.line, finding.col)
    optional_ints = (finding.end_line, finding.end_col)
    if (not all(type(v) is int and v >= 0 for v in ints)
            or not all(v is None or (type(v) is int and v >= 0) for v in optional_ints)
            or not all(isinstance(v, str) for v in (finding.file, finding.code, finding.message, finding.path))
            or not (finding.hint is None or isinstance(finding.hint, str))):
        raise TypeError("a field has the wrong type")
    from pv.core import rules

    rules.get(finding.code)  # KeyError for a code pv does not know
    if finding.fix is not None:
        for edit in finding.fix.edits:
            if not all(type(v) is int for v in (edit.line, edit.col, edit.end_line, edit.end_col)) \
                    or not isinstance(edit.new_text, str):
                raise TypeError("a fix edit has the wrong type")
    return finding


class ResultCache:
    """The index: one line per file, `"name"<TAB>size,mtime_ns,inode (or -)<TAB>{entry}`.

    Lines stay undecoded text until their file is looked up, so a run holds about one
    short string per file, not a tree of objects, and an unchanged line is written back as is.
    """

    def __init__(self, directory: Path, *, root: Path | None = None) -> None:
        self.base = directory
        self.directory = directory / f"v{CACHE_FORMAT}"
        self.secret = machine_key()
        # With `root` this is the default, in-repository cache: used only when it really is inside the
        # root (a committed `.pv_cache` symlink is neither read nor written). No link inside it is followed.
        self.usable = root is None or _default_dir_is_safe(directory, root)
        self._name: str | None = None
        self._rows: dict[str, tuple[str, str]] = {}  # name -> (stat field, entry JSON)
        self._dirty = False

    def __getstate__(self) -> dict:  # worker processes never touch the cache: do not ship the index
        return {"base": self.base, "directory": self.directory, "secret": self.secret, "usable": self.usable,
                "_name": None, "_rows": {}, "_dirty": False}

    def open(self, checks: tuple[str, ...], fingerprint: str) -> None:
        """Select (and read) the index for these checks and settings; a no-op when already open."""
        digest = hashlib.sha256()
        for part in (self.secret, __version__, _schema_digest(), ",".join(checks), fingerprint):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        name = f"index-{digest.hexdigest()[:40]}.txt"
        if name == self._name:
            return
        self._name, self._dirty, self._rows = name, False, {}
        path = self.directory / name
        if not self.usable or not real_dirs(self.base, path, create=False):
            return
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                text = handle.read(MAX_INDEX_BYTES).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return  # missing or unreadable: recompute
        lines = text.split("\n")
        if lines[0] != HEADER:
            return
        rows = self._rows
        for line in lines[1:]:
            parts = line.split("\t", 2)
            if len(parts) != 3 or len(parts[0]) < 2:
                continue  # damaged: that file is checked again
            quoted = parts[0]
            if "\\" in quoted:
                try:
                    file = json.loads(quoted)
                except ValueError:
                    continue
            else:
                file = quoted[1:-1]
            rows[file] = (parts[1], parts[2])

    @staticmethod
    def _decode(row: tuple[str, str]) -> dict | None:
        """The entry of a row, its findings checked field by field; None for anything malformed."""
        try:
            entry = json.loads(row[1])
            if not isinstance(entry, dict) or not isinstance(entry.get("findings"), list):
                return None
            needs, suppressions = entry.get("needs"), entry.get("suppressions", [])
            if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs) \
                    or not isinstance(suppressions, list):
                return None
            entry["findings"] = [_valid_finding(item) for item in entry["findings"]]
            impure = entry.get("impure")
            if impure is not None:
                if not isinstance(impure, dict) or not isinstance(impure.get("findings"), list):
                    return None
                impure["findings"] = [_valid_finding(item) for item in impure["findings"]]
            return entry
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None

    def lookup(self, name: str, st: os.stat_result | None = None, digest: str | None = None) -> dict | None:
        """The entry for `name` if its stat (or else its digest) shows the same bytes."""
        row = self._rows.get(name)
        if row is None:
            return None
        if st is not None and row[0] == f"{st.st_size},{st.st_mtime_ns},{st.st_ino}":
            return self._decode(row)
        entry = self._decode(row)
        if entry is not None and digest is not None and entry.get("digest") == digest:
            if st is not None:
                self.store(name, {**entry, "stat": stat_key(st)})
            return entry
        return None

    def peek(self, name: str) -> dict | None:
        """The entry for `name` whatever its stat (the caller compares digests)."""
        row = self._rows.get(name)
        return None if row is None else self._decode(row)

    def store(self, name: str, entry: dict[str, Any]) -> None:
        stat = entry.get("stat")
        stat_field = ",".join(str(int(part)) for part in stat) if stat else "-"
        payload = json.dumps({k: _plain(v) for k, v in entry.items() if k != "stat"}, separators=(",", ":"))
        row = (stat_field, payload)
        if self._rows.get(name) != row:
            self._rows[name] = row
            self._dirty = True

    def flush(self) -> None:
        """Write the index (atomically) if anything changed; keep the newest few indexes."""
        if not self._dirty or self._name is None or not self.usable:
            return
        try:
            if not real_dirs(self.base, self.directory / self._name, create=True):
                return
            lines = [HEADER]
            lines.extend(f"{json.dumps(name)}\t{stat}\t{payload}" for name, (stat, payload) in self._rows.items())
            write_text_atomic(self.directory / self._name, "\n".join(lines), durable=False)  # recomputed if lost
            self._dirty = False
            indexes = sorted(self.directory.glob("index-*.txt"), key=lambda p: p.stat().st_mtime_ns,
                             reverse=True)
            for stale in indexes[KEEP_INDEXES:]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only checkout still validates, just without caching


def _plain(value: Any) -> Any:
    """Entries hold findings as Finding objects once decoded; rows hold them as JSON data."""
    if isinstance(value, Finding):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
